import type { VerifyResult } from '../../../src/sdk/index.js';
import { signTwilioRequest, startFakeTwilio, twilioAuthToken, type FakeTwilio } from '../../fixtures/providers/twilio.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const INTEGRATION_ID = '2d4f6a8c-1b3e-4c5d-9e7f-0a1b2c3d4e5f';
const HOOK_URL = `https://plugboard.example.com/v1/hooks/${INTEGRATION_ID}`;

/** The Twilio plugin as the host runs it: the real loader, a sandboxed child process, the host's HTTP client. */
describe('twilio through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let twilio: FakeTwilio;

  beforeAll(async () => {
    twilio = await startFakeTwilio();
    host = await startProviderHost({ fakes: [twilio], integration: { id: INTEGRATION_ID, accountId: 'acct_twilio' } });
  });
  afterAll(() => host?.close());

  it('verifies, sends an SMS, checks status callback signatures, and refuses a bad number as 422', async () => {
    const { runner } = host;
    const context = host.context(
      { accountSid: twilio.account.sid, authToken: twilio.account.authToken },
      { from: '+14155550100', statusCallbackUrl: HOOK_URL },
    );
    await expect(runner.invoke<VerifyResult>('twilio', { kind: 'verify', context })).resolves.toMatchObject({
      displayName: 'Acme Events',
      metadata: { accountSid: twilio.account.sid, status: 'active' },
    });
    expect(twilio.state.requests.at(-1)!.headers.authorization).toBe(
      `Basic ${Buffer.from(`${twilio.account.sid}:${twilio.account.authToken}`).toString('base64')}`,
    );

    const sent = await runner.invoke<Json>('twilio', { kind: 'action', name: 'sendSms', input: { to: '+14155550123', body: 'See you at 5' }, context });
    expect(sent).toMatchObject({ sid: twilio.state.messages.at(-1)!.sid, status: 'queued', to: '+14155550123' });
    expect(twilio.state.requests.at(-1)!.body).toEqual({ To: '+14155550123', From: '+14155550100', Body: 'See you at 5', StatusCallback: HOOK_URL });

    const callback = twilio.state.statusCallback(sent.sid, 'delivered');
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: {}, rawBody: callback.rawBody });
    await expect(runner.invoke('twilio', { kind: 'webhookVerify', input: inbound(callback.headers), context })).resolves.toBe(true);
    const forged = { ...callback.headers, 'x-twilio-signature': signTwilioRequest(twilioAuthToken(), HOOK_URL, callback.params) };
    await expect(runner.invoke('twilio', { kind: 'webhookVerify', input: inbound(forged), context })).resolves.toBe(false);
    await expect(runner.invoke('twilio', { kind: 'webhookToEvents', input: inbound(callback.headers), context })).resolves.toEqual([]);

    await expect(runner.invoke('twilio', { kind: 'action', name: 'sendSms', input: { to: '+15005550001', body: 'Hi' }, context })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: "Twilio: the 'To' number +15005550001 is not a valid phone number (error 21211).",
    });
  });
});
