import type { VerifyResult } from '../../../src/sdk/index.js';
import { RESEND_TEST_KEY, resendWebhookSecret, startFakeResend, type FakeResend } from '../../fixtures/providers/resend.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Resend as the host runs it: the bundled plugin loaded by the real loader into a child process, the
 * API key applied by the host as a bearer token, the declared rate limit applied by the host's
 * ctx.http, and PROVIDER_ORIGIN_OVERRIDES pointing https://api.resend.com at the local fake.
 */
describe('resend in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeResend;

  beforeAll(async () => {
    fake = await startFakeResend();
    fake.state.addDomain('acme.test');
    fake.state.addDomain('pending.test', 'pending');
    host = await startProviderHost({ fakes: [fake], integration: { id: '3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a0f9', accountId: 'acct_resend' } });
  });
  afterAll(() => host?.close());

  it('verifies, sends an idempotent email, checks Svix-signed webhooks, and refuses an unverified sender as 422', async () => {
    const { runner } = host;
    const credentials = { apiKey: RESEND_TEST_KEY, webhookSigningSecret: fake.state.webhookSecret };
    const verified = await runner.invoke<VerifyResult>('resend', { kind: 'verify', context: host.context(credentials) });
    expect(verified).toMatchObject({ displayName: 'Resend (acme.test)', metadata: { keyAccess: 'full_access', verifiedDomains: ['acme.test'] } });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${RESEND_TEST_KEY}`);

    const context = host.context(credentials, {}, verified.metadata);
    const input = {
      from: 'Acme Events <events@acme.test>',
      to: 'ana@example.com',
      subject: 'You are registered',
      html: '<p>See you</p>',
      idempotencyKey: 'reg/7',
    };
    const sent = await runner.invoke<Json>('resend', { kind: 'action', name: 'sendEmail', input, context });
    const again = await runner.invoke<Json>('resend', { kind: 'action', name: 'sendEmail', input, context });
    expect(again).toEqual(sent);
    expect(fake.state.emails).toHaveLength(1);
    expect(fake.state.emails[0]).toMatchObject({
      id: sent.id,
      idempotencyKey: 'reg/7',
      body: { from: 'Acme Events <events@acme.test>', subject: 'You are registered' },
    });
    expect(fake.state.requests.at(-1)!.headers['idempotency-key']).toBe('reg/7');

    const delivered = fake.state.webhook(sent.id, 'email.delivered');
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: {}, rawBody: delivered.rawBody, body: delivered.payload });
    await expect(runner.invoke('resend', { kind: 'webhookVerify', input: inbound(delivered.headers), context })).resolves.toBe(true);
    const forged = fake.state.webhook(sent.id, 'email.delivered', {}, { secret: resendWebhookSecret() });
    await expect(
      runner.invoke('resend', { kind: 'webhookVerify', input: inbound({ ...delivered.headers, 'svix-signature': forged.headers['svix-signature'] }), context }),
    ).resolves.toBe(false);
    await expect(runner.invoke('resend', { kind: 'webhookToEvents', input: inbound(delivered.headers), context })).resolves.toEqual([
      {
        event: 'email.delivered',
        data: expect.objectContaining({ messageId: sent.id, to: 'ana@example.com', provider: 'resend', subject: 'You are registered' }),
      },
    ]);

    await expect(
      runner.invoke('resend', {
        kind: 'action',
        name: 'sendEmail',
        input: { from: 'news@pending.test', to: 'ana@example.com', subject: 'x', text: 'x' },
        context,
      }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: expect.stringContaining('"pending.test" is not a verified sending domain') });
    expect(fake.state.emails).toHaveLength(1);
  });
});
