import type { VerifyResult } from '../../../src/sdk/index.js';
import { GMAIL_SCOPES, startFakeGmail, type FakeGmail } from '../../fixtures/providers/gmail.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The Gmail plugin as the host runs it: loaded from plugins/ by the real loader, called through the
 * PluginRunner in a child process, ctx.http performed by the host's SafeHttp (the bearer token added
 * under the Gmail base URL, the People API's set by the plugin), PROVIDER_ORIGIN_OVERRIDES pointing
 * Google's origins at the local fake.
 */
describe('gmail in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeGmail;

  beforeAll(async () => {
    fake = await startFakeGmail();
    host = await startProviderHost({ fakes: [fake], integration: { id: '2f6d8c1a-4b3e-4a7f-9c2d-8e1b0a3f5c7d', accountId: 'acct_gmail' } });
  });
  afterAll(() => host?.close());

  it('verifies, sends a multipart email, syncs contacts from the People API, refuses a draft without gmail.compose as 422 and the sending limit as 429', async () => {
    const { runner } = host;
    const scope = [GMAIL_SCOPES.send, GMAIL_SCOPES.compose, GMAIL_SCOPES.readonly, GMAIL_SCOPES.contacts].join(' ');
    fake.state.oauth.registerClient({ clientId: 'g-mail', clientSecret: 'g-mail-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('g-mail', scope);
    const connect = host.context({ accessToken, tokenType: 'Bearer', scope });
    const verified = await runner.invoke<VerifyResult>('gmail', { kind: 'verify', context: connect });
    expect(verified).toEqual({ displayName: 'ana.lima@gmail.com', metadata: { emailAddress: 'ana.lima@gmail.com' } });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const context = host.context(connect.credentials, {}, verified.metadata);
    const sent = await runner.invoke<Json>('gmail', {
      kind: 'action',
      name: 'sendEmail',
      input: { to: { email: 'zoe@example.com', name: 'Zoë' }, subject: 'Café at 10 ☕', text: 'See you there', html: '<p>See you <b>there</b></p>' },
      context,
    });
    const [outgoing] = fake.state.outgoing;
    expect(sent).toEqual({ id: outgoing.messageId, threadId: outgoing.threadId, labelIds: ['SENT'], inReplyTo: null });
    expect(outgoing.mime).toMatchObject({
      from: [{ email: 'ana.lima@gmail.com' }],
      to: [{ name: 'Zoë', email: 'zoe@example.com' }],
      subject: 'Café at 10 ☕',
      contentType: 'multipart/alternative',
      text: 'See you there',
      html: '<p>See you <b>there</b></p>',
      lineEndings: 'CRLF',
    });

    fake.state.addContact({ name: 'Bob Stone', emails: ['Bob@Example.com'] });
    fake.state.addContact({ name: 'Robert Stone', emails: ['bob@example.com'], phones: ['+44 20 7946 0018'] });
    const synced = await runner.invoke<Json>('gmail', { kind: 'sync', context });
    expect(synced.records.contacts).toEqual([expect.objectContaining({ id: 'bob@example.com', name: 'Bob Stone', phoneNumbers: ['+44 20 7946 0018'] })]);
    expect(synced.highWaterMarks).toEqual({ contactsSyncToken: expect.any(String) });
    const listed = fake.state.requests.filter((request) => request.path === '/v1/people/me/connections');
    expect(listed.map((request) => request.headers.authorization)).toEqual([`Bearer ${accessToken}`]);

    const { accessToken: sendOnly } = fake.state.oauth.mintTokens('g-mail', GMAIL_SCOPES.send);
    await expect(
      runner.invoke('gmail', {
        kind: 'action',
        name: 'createDraft',
        input: { to: 'zoe@example.com', subject: 'Draft', text: 'x' },
        context: { ...context, credentials: { accessToken: sendOnly, tokenType: 'Bearer' } },
      }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message:
        'Request had insufficient authentication scopes. Connect Gmail again and allow everything Plugboard asks for (send email, manage drafts, read email, see your contacts).',
    });

    // Gmail's sending limit says when in its message, not in a Retry-After header: the caller is told.
    fake.state.sendingLimitedUntil = new Date(Date.now() + 120_000).toISOString();
    await expect(
      runner.invoke('gmail', { kind: 'action', name: 'sendEmail', input: { to: 'zoe@example.com', subject: 'Again', text: 'x' }, context }),
    ).rejects.toMatchObject({
      status: 429,
      code: 'provider_rate_limited',
      headers: { 'Retry-After': expect.stringMatching(/^(119|120)$/) },
    });
  });
});
