import type { VerifyResult } from '../../../src/sdk/index.js';
import { lobKey, startFakeLob, type FakeLob } from '../../fixtures/providers/lob.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const WEBHOOK_SECRET = 'lob-host-webhook-secret-0123456789';

/**
 * Lob as the host runs it: the bundled plugin loaded by the real loader into a child process, the
 * API key applied by the host as the HTTP Basic username with an empty password,
 * PROVIDER_ORIGIN_OVERRIDES pointing https://api.lob.com at the local fake.
 */
describe('lob through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let lob: FakeLob;

  beforeAll(async () => {
    lob = await startFakeLob();
    host = await startProviderHost({ fakes: [lob], integration: { id: '8c0e2a4b-6d8f-4a1c-9e3b-5d7f9a1c3e5b', accountId: 'acct_lob' } });
  });
  afterAll(() => host?.close());

  it('verifies, sends a letter idempotently, checks tracking webhook signatures, and refuses a bad address as 422', async () => {
    const { runner } = host;
    const context = host.context({ apiKey: lob.testKey.key, webhookSecret: WEBHOOK_SECRET }, { useType: 'operational' });

    await expect(runner.invoke<VerifyResult>('lob', { kind: 'verify', context })).resolves.toEqual({
      displayName: 'Lob (test mode: nothing is mailed)',
      metadata: { mode: 'test', livemode: false, fromAddressId: null },
    });
    expect(lob.state.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from(`${lob.testKey.key}:`).toString('base64')}`);

    const input = {
      to: { name: 'Ana Lima', addressLine1: '1 Main St', city: 'Austin', state: 'TX', zip: '78701' },
      from: { company: 'Acme Events', addressLine1: '210 King St', city: 'San Francisco', state: 'CA', zip: '94107' },
      file: '<html><body>Your seat is confirmed.</body></html>',
      idempotencyKey: 'reg_42-confirmation',
    };
    const letter = await runner.invoke<Json>('lob', { kind: 'action', name: 'sendLetter', input, context });
    const stored = lob.state.mailPieces.at(-1)!;
    expect(letter).toMatchObject({ id: stored.id, idempotencyKey: 'reg_42-confirmation', mode: 'test' });
    expect(lob.state.requests.at(-1)!.headers['idempotency-key']).toBe('reg_42-confirmation');
    await expect(runner.invoke<Json>('lob', { kind: 'action', name: 'sendLetter', input, context })).resolves.toMatchObject({ id: stored.id });
    expect(lob.state.mailPieces.filter((piece) => piece.idempotencyKey === 'reg_42-confirmation')).toHaveLength(1);

    const delivered = lob.state.trackingWebhook(stored.id, 'letter.delivered', WEBHOOK_SECRET);
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: {}, rawBody: delivered.rawBody });
    await expect(runner.invoke('lob', { kind: 'webhookVerify', input: inbound(delivered.headers), context })).resolves.toBe(true);
    const forged = {
      ...delivered.headers,
      'lob-signature': lob.state.trackingWebhook(stored.id, 'letter.delivered', 'some-other-secret').headers['lob-signature'],
    };
    await expect(runner.invoke('lob', { kind: 'webhookVerify', input: inbound(forged), context })).resolves.toBe(false);
    await expect(runner.invoke('lob', { kind: 'webhookToEvents', input: inbound(delivered.headers), context })).resolves.toEqual([
      {
        event: 'mail_piece.delivered',
        data: expect.objectContaining({ mailPieceId: stored.id, provider: 'lob', kind: 'letter', trackingEvent: 'letter.delivered' }),
      },
    ]);

    await expect(
      runner.invoke('lob', {
        kind: 'action',
        name: 'sendLetter',
        input: { ...input, to: { ...input.to, addressLine1: '9 Undeliverable Rd' }, idempotencyKey: 'reg_43' },
        context,
      }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('failed_deliverability_strictness'),
    });
    await expect(runner.invoke('lob', { kind: 'verify', context: host.context({ apiKey: lobKey('live') }) })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('Your API key is not valid'),
    });
  });
});
