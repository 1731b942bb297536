import type { VerifyResult } from '../../../src/sdk/index.js';
import { MAIL_SCOPES, startFakeMicrosoftMail, type FakeMicrosoftMail } from '../../fixtures/providers/microsoft-mail.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The Outlook Mail plugin as the host runs it: loaded from plugins/ by the real loader, called through
 * the PluginRunner in a child process, ctx.http performed by the host's SafeHttp with the declared
 * mailbox budget, and PROVIDER_ORIGIN_OVERRIDES pointing Microsoft's origins at the local fake.
 */
describe('microsoft mail in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeMicrosoftMail;

  beforeAll(async () => {
    fake = await startFakeMicrosoftMail();
    host = await startProviderHost({ fakes: [fake], integration: { id: '5a7c9e1b-3d2f-4b6a-8c0e-9f1d2b3c4a5e', accountId: 'acct_mail' } });
  });
  afterAll(() => host?.close());

  it('verifies, sends and replies, refuses a grant that cannot send as 422, and Graph’s 429 with its Retry-After', async () => {
    const { runner } = host;
    fake.state.oauth.registerClient({ clientId: 'ms-mail', clientSecret: 'ms-mail-secret' });
    const granted = [MAIL_SCOPES.send, MAIL_SCOPES.read, MAIL_SCOPES.readWrite, MAIL_SCOPES.user, MAIL_SCOPES.contacts].join(' ');
    const { accessToken } = fake.state.oauth.mintTokens('ms-mail', granted);
    const connect = host.context({ accessToken, tokenType: 'Bearer' });
    const verified = await runner.invoke<VerifyResult>('microsoft_mail', { kind: 'verify', context: connect });
    expect(verified).toEqual({
      displayName: 'Adele Vance <AdeleV@contoso.onmicrosoft.com>',
      metadata: {
        userId: fake.state.user.id,
        mail: 'AdeleV@contoso.onmicrosoft.com',
        displayName: 'Adele Vance',
        userPrincipalName: 'AdeleV@contoso.onmicrosoft.com',
      },
    });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const context = host.context(connect.credentials, {}, verified.metadata);
    const sent = await runner.invoke<Json>('microsoft_mail', {
      kind: 'action',
      name: 'sendEmail',
      input: { to: { email: 'zoe@example.com', name: 'Zoë' }, subject: 'Café at 10', html: '<p>See you <b>there</b></p>' },
      context,
    });
    expect(sent).toEqual({ accepted: true, replyToMessageId: null, requestId: expect.any(String) });
    expect(fake.state.submissions[0]).toMatchObject({
      via: 'sendMail',
      savedToSentItems: true,
      message: { subject: 'Café at 10', toRecipients: [{ emailAddress: { address: 'zoe@example.com', name: 'Zoë' } }] },
    });

    const original = fake.state.receive({ from: 'bob@example.com', subject: 'Venue?' });
    await runner.invoke('microsoft_mail', { kind: 'action', name: 'sendEmail', input: { replyToMessageId: original.id, text: 'The big room.' }, context });
    expect(fake.state.submissions[1].message).toMatchObject({
      conversationId: original.conversationId,
      inReplyTo: original.internetMessageId,
      subject: 'RE: Venue?',
    });

    const { accessToken: readOnly } = fake.state.oauth.mintTokens('ms-mail', `${MAIL_SCOPES.read} ${MAIL_SCOPES.user}`);
    await expect(
      runner.invoke('microsoft_mail', {
        kind: 'action',
        name: 'sendEmail',
        input: { to: 'zoe@example.com', subject: 'x', text: 'x' },
        context: { ...context, credentials: { accessToken: readOnly, tokenType: 'Bearer' } },
      }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message:
        'Access is denied. Check credentials and try again. (ErrorAccessDenied) Connect again and allow every permission Plugboard asks for (send mail, read and write mail, read contacts).',
    });

    // Longer than the host waits itself: the caller is told when to come back.
    fake.state.throttle(1, { retryAfter: '120' });
    await expect(runner.invoke('microsoft_mail', { kind: 'healthCheck', context })).rejects.toMatchObject({
      status: 429,
      code: 'provider_rate_limited',
      headers: { 'Retry-After': '120' },
    });
  });
});
