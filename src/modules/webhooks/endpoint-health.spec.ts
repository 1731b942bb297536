import { EndpointAnswers, judgeEndpointHealth } from './endpoint-health.js';

const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);
const endpoint = (overrides: Partial<EndpointAnswers>): EndpointAnswers => ({
  endpointId: 'e1',
  enabled: true,
  failingSince: null,
  attempts: [{ succeeded: false, gone: false, at: at('2026-12-06T10:00:00Z') }],
  ...overrides,
});

describe('judgeEndpointHealth', () => {
  it('starts a run of failures at the first failed attempt of a healthy endpoint', () => {
    expect(judgeEndpointHealth([endpoint({})], 5 * DAY)).toEqual({ recovered: [], failing: [{ id: 'e1', at: '2026-12-06T10:00:00.000Z' }], disable: [] });
  });

  it('recovers a failing endpoint on any success in the batch, and leaves a healthy one as it is', () => {
    const mixed = [
      { succeeded: false, gone: false, at: at('2026-12-06T10:00:00Z') },
      { succeeded: true, gone: false, at: at('2026-12-06T10:00:01Z') },
    ];
    expect(judgeEndpointHealth([endpoint({ failingSince: at('2026-12-01T00:00:00Z'), attempts: mixed })], 5 * DAY).recovered).toEqual(['e1']);
    expect(judgeEndpointHealth([endpoint({ attempts: mixed })], 5 * DAY)).toEqual({ recovered: [], failing: [], disable: [] });
  });

  it('disables at once after 410 Gone, and after failing for the whole disable period', () => {
    const gone = [{ succeeded: false, gone: true, at: at('2026-12-06T10:00:00Z') }];
    expect(judgeEndpointHealth([endpoint({ attempts: gone })], 5 * DAY).disable).toEqual([{ id: 'e1', reason: 'gone' }]);
    expect(judgeEndpointHealth([endpoint({ failingSince: at('2026-12-01T10:00:00Z') })], 5 * DAY).disable).toEqual([{ id: 'e1', reason: 'failing' }]);
    expect(judgeEndpointHealth([endpoint({ failingSince: at('2026-12-01T10:00:01Z') })], 5 * DAY)).toEqual({ recovered: [], failing: [], disable: [] });
  });

  it('ignores disabled endpoints and endpoints without attempts', () => {
    expect(judgeEndpointHealth([endpoint({ enabled: false }), endpoint({ endpointId: 'e2', attempts: [] })], 5 * DAY)).toEqual({
      recovered: [],
      failing: [],
      disable: [],
    });
  });
});
