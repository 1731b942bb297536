import { evaluateFlag } from './feature-flags.service.js';

describe('evaluateFlag', () => {
  const flag = { key: 'integrations.klaviyo', default: false, requiresConnection: true, provider: 'klaviyo' };

  it('takes the account’s override over the default', () => {
    expect(evaluateFlag(flag, undefined, 'connected')).toEqual({ value: false, source: 'default' });
    expect(evaluateFlag(flag, true, 'connected')).toEqual({ value: true, source: 'override' });
    expect(evaluateFlag({ ...flag, default: true }, false, 'connected')).toEqual({ value: false, source: 'override' });
  });

  it('forces a flag off while the connection it requires is not connected', () => {
    for (const connection of [undefined, 'expired', 'error', 'disconnected', 'suspended'] as const) {
      expect(evaluateFlag(flag, true, connection)).toEqual({ value: false, source: 'not_connected' });
    }
    expect(evaluateFlag({ ...flag, requiresConnection: false }, true, undefined)).toEqual({ value: true, source: 'override' });
  });
});
