import { MAIL_SCOPES, startFakeMicrosoftMail, type FakeMicrosoftMail } from '../fixtures/providers/microsoft-mail.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '3f2a9c4e-7b1d-4e6a-9f0c-2d8b5a1e7c3f', clientSecret: 'mail-client-secret~value', redirectUris: [REDIRECT_URI] };
const GRANTED = [MAIL_SCOPES.send, MAIL_SCOPES.read, MAIL_SCOPES.readWrite, MAIL_SCOPES.user, MAIL_SCOPES.contacts].join(' ');

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeMicrosoftMail;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('microsoft-mail');
  provider = plugin.providers[0];
  fake = await startFakeMicrosoftMail();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, GRANTED).accessToken;
});
afterAll(() => fake.close());

const connected = (token = accessToken) =>
  createHarness(plugin, {
    provider: 'microsoft_mail',
    credentials: { accessToken: token, tokenType: 'Bearer' },
    integration: { metadata: { userId: fake.state.user.id } },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);
const token = (form: Record<string, string>) => postTokenRequest(provider.auth.tokenUrl, fake.origins, form);
const lastSubmission = () => fake.state.submissions.at(-1)!;

describe('microsoft mail plugin: declaration and OAuth', () => {
  it('declares the identity platform’s multi-tenant OAuth 2.0 with PKCE and offline_access, Graph v1.0, and Outlook’s mailbox limit', () => {
    expect(provider).toMatchObject({
      id: 'microsoft_mail',
      category: 'email',
      baseUrl: 'https://graph.microsoft.com/v1.0',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
        tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
        scopes: ['Mail.Send', 'Mail.Read', 'Mail.ReadWrite', 'User.Read', 'Contacts.Read', 'offline_access'],
        pkce: true,
        refresh: true,
      },
      rateLimits: [{ requests: 10_000, windowMs: 600_000, scope: 'account', accountKey: 'userId' }],
    });
    expect(Object.keys(provider.actions)).toEqual(['sendEmail', 'createDraft']);
  });

  it('the fake runs Microsoft’s flow: PKCE S256, a refresh token for offline_access (not echoed in scope), rotation; an expired token is refused', async () => {
    // RFC 7636, Appendix B: a known verifier and the S256 challenge the RFC derives from it.
    const url = new URL(provider.auth.authorizationUrl);
    const query = {
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: provider.auth.scopes.join(' '),
      state: 'st-mail',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...provider.auth.authorizationParams,
    };
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value as string);
    const back = await followAuthorizationUrl(url, fake.origins);
    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    };
    const granted = await token({ ...exchange, code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' });
    expect(granted).toEqual({
      status: 200,
      body: {
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 3599,
        ext_expires_in: 3599,
        scope: GRANTED,
        token_type: 'Bearer',
      },
    });
    expect(granted.body.scope).not.toContain('offline_access');

    fake.state.oauth.expireAccessToken(granted.body.access_token);
    await expect(connected(granted.body.access_token).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Lifetime validation failed, the token is expired. (InvalidAuthenticationToken) Connect Outlook Mail again.',
    });
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: granted.body.refresh_token,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    expect(refreshed.body.refresh_token).not.toBe(granted.body.refresh_token);
    expect((await connected(refreshed.body.access_token).verify()).metadata).toMatchObject({ userId: fake.state.user.id });
  });
});

describe('microsoft mail plugin: verify and health', () => {
  it('verifies with /me and the Inbox, and keeps which mailbox was connected', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({
      displayName: 'Adele Vance <AdeleV@contoso.onmicrosoft.com>',
      metadata: {
        userId: '87d349ed-44d7-43e1-9a83-5f2406dee5bd',
        mail: 'AdeleV@contoso.onmicrosoft.com',
        displayName: 'Adele Vance',
        userPrincipalName: 'AdeleV@contoso.onmicrosoft.com',
      },
    });
    expect(calls(h)).toEqual([
      'GET https://graph.microsoft.com/v1.0/me?$select=id,displayName,mail,userPrincipalName',
      'GET https://graph.microsoft.com/v1.0/me/mailFolders/inbox?$select=id',
    ]);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  it('uses the user principal name of a personal account without mail', async () => {
    const personal = await startFakeMicrosoftMail({
      user: { id: '00000000-0000-0000-0aa1-2b3c4d5e6f70', displayName: '', mail: null, userPrincipalName: 'ana@outlook.com' },
    });
    try {
      personal.state.oauth.registerClient(CLIENT);
      const { accessToken: personalToken } = personal.state.oauth.mintTokens(CLIENT.clientId, GRANTED);
      const h = createHarness(plugin, { credentials: { accessToken: personalToken }, http: forwardTo(personal.origins) });
      expect(await h.verify()).toEqual({
        displayName: 'ana@outlook.com',
        metadata: { userId: '00000000-0000-0000-0aa1-2b3c4d5e6f70', mail: 'ana@outlook.com', displayName: null, userPrincipalName: 'ana@outlook.com' },
      });
    } finally {
      await personal.close();
    }
  });

  it('refuses an account without an Exchange Online mailbox at connect time, with what to do', async () => {
    fake.state.hasMailbox = false;
    try {
      await expect(connected().verify()).rejects.toMatchObject({
        code: 'provider_rejected',
        message:
          'The mailbox is either inactive, soft-deleted, or is hosted on-premise. (MailboxNotEnabledForRESTAPI) This account has no Exchange Online mailbox (no license, a guest account, or a mailbox hosted on-premises): connect an account with an Outlook mailbox.',
      });
    } finally {
      fake.state.hasMailbox = true;
    }
  });

  it('checks health with one cheap /me call; refuses unknown, missing and profile-less grants', async () => {
    const h = connected();
    await h.healthCheck();
    expect(calls(h)).toEqual(['GET https://graph.microsoft.com/v1.0/me?%24select=id']);
    await expect(connected('not-a-token').healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('IDX14100') });
    await expect(connected('').healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('Access token is empty.') });
    const { accessToken: noProfile } = fake.state.oauth.mintTokens(CLIENT.clientId, MAIL_SCOPES.send);
    await expect(connected(noProfile).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('(Authorization_RequestDenied) Connect again and allow Plugboard to read your profile'),
    });
  });
});

describe('microsoft mail plugin: sendEmail', () => {
  it('sends with sendMail, kept in Sent Items: HTML body, recipients with names, cc, bcc, reply-to', async () => {
    const h = connected();
    const result = await h.action<Json>('sendEmail', {
      to: [{ email: 'zoe@example.com', name: 'Zoë Ångström' }, 'bob@example.com'],
      cc: ['carol@example.com'],
      bcc: [{ email: 'audit@example.com' }],
      replyTo: 'events@example.com',
      subject: 'Programme de la journée ✓',
      html: '<p>Bonjour <b>Zoë</b></p>',
      text: 'Bonjour Zoë',
    });
    expect(calls(h)).toEqual(['POST https://graph.microsoft.com/v1.0/me/sendMail']);
    expect(h.requests[0].json()).toEqual({
      message: {
        subject: 'Programme de la journée ✓',
        body: { contentType: 'HTML', content: '<p>Bonjour <b>Zoë</b></p>' },
        toRecipients: [{ emailAddress: { address: 'zoe@example.com', name: 'Zoë Ångström' } }, { emailAddress: { address: 'bob@example.com' } }],
        ccRecipients: [{ emailAddress: { address: 'carol@example.com' } }],
        bccRecipients: [{ emailAddress: { address: 'audit@example.com' } }],
        replyTo: [{ emailAddress: { address: 'events@example.com' } }],
      },
      saveToSentItems: true,
    });
    const submission = lastSubmission();
    expect(submission).toMatchObject({ via: 'sendMail', savedToSentItems: true });
    expect(fake.state.messages.get(submission.message.id)).toMatchObject({ folder: 'sentitems', subject: 'Programme de la journée ✓' });
    expect(result).toEqual({ accepted: true, replyToMessageId: null, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('sends a plain-text email as a Text body', async () => {
    const h = connected();
    await h.action('sendEmail', { to: 'bob@example.com', subject: 'Plain', text: 'Line one\nLine two' });
    expect((h.requests[0].json() as Json).message.body).toEqual({ contentType: 'Text', content: 'Line one\nLine two' });
    expect(lastSubmission().message.body).toEqual({ contentType: 'text', content: 'Line one\nLine two' });
  });

  it('replies to a message of the mailbox: to its Reply-To by default, in its conversation, with the body given', async () => {
    const original = fake.state.receive({ from: 'bob@example.com', fromName: 'Bob', subject: 'Venue?', replyTo: 'bookings@example.com', text: 'Which room?' });
    const h = connected();
    const result = await h.action<Json>('sendEmail', { replyToMessageId: original.id, text: 'The big room.' });
    expect(calls(h)).toEqual([`POST https://graph.microsoft.com/v1.0/me/messages/${encodeURIComponent(original.id)}/reply`]);
    expect(h.requests[0].json()).toEqual({ message: { body: { contentType: 'Text', content: 'The big room.' } } });
    const { message } = lastSubmission();
    expect(message).toMatchObject({
      conversationId: original.conversationId,
      inReplyTo: original.internetMessageId,
      subject: 'RE: Venue?',
      toRecipients: [{ emailAddress: { address: 'bookings@example.com' } }],
      body: { contentType: 'text', content: 'The big room.' },
    });
    expect(result).toEqual({ accepted: true, replyToMessageId: original.id, requestId: expect.any(String) });

    // Recipients and subject given: they are the reply's.
    await connected().action('sendEmail', { replyToMessageId: original.id, to: 'bob@example.com', subject: 'RE: Venue? (final)', html: '<p>Confirmed</p>' });
    expect(lastSubmission().message).toMatchObject({
      toRecipients: [{ emailAddress: { address: 'bob@example.com' } }],
      subject: 'RE: Venue? (final)',
      conversationId: original.conversationId,
    });
  });

  it('passes Graph’s refusals on: unknown or malformed message id, a grant that cannot send, no mailbox', async () => {
    await expect(connected().action('sendEmail', { replyToMessageId: 'AAMkAGnotthere=', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The specified object was not found in the store. (ErrorItemNotFound) Check replyToMessageId: the message must be in the connected mailbox.',
    });
    await expect(connected().action('sendEmail', { replyToMessageId: 'bad id!', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('(ErrorInvalidIdMalformed)'),
    });
    const { accessToken: readOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, `${MAIL_SCOPES.read} ${MAIL_SCOPES.user}`);
    await expect(connected(readOnly).action('sendEmail', { to: 'bob@example.com', subject: 'x', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Access is denied. Check credentials and try again. (ErrorAccessDenied) Connect again and allow every permission Plugboard asks for (send mail, read and write mail, read contacts).',
    });
    fake.state.hasMailbox = false;
    try {
      await expect(connected().action('sendEmail', { to: 'bob@example.com', subject: 'x', text: 'x' })).rejects.toMatchObject({
        code: 'provider_rejected',
        message: expect.stringContaining('(MailboxNotEnabledForRESTAPI)'),
      });
    } finally {
      fake.state.hasMailbox = true;
    }
  });

  it('refuses what is not an email before any call', async () => {
    const h = connected();
    await expect(h.action('sendEmail', { to: 'nobody', subject: 'x', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: '"nobody" is not an email address.',
    });
    await expect(h.action('sendEmail', { to: 'bob@example.com', subject: 'x' })).rejects.toMatchObject({
      message: 'The email needs a body: give html, text or both.',
    });
    await expect(h.action('sendEmail', { subject: 'x', text: 'x' })).rejects.toMatchObject({ message: 'The email needs at least one recipient in "to".' });
    expect(h.requests).toEqual([]);
  });

  it('answers Graph’s 429 as a rate limit with its Retry-After, forced or over the mailbox limit', async () => {
    fake.state.throttle(1, { retryAfter: '2.5', code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' });
    await expect(connected().action('sendEmail', { to: 'bob@example.com', subject: 'x', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 2.5,
      message: expect.stringContaining('MailboxConcurrency'),
    });
    const before = fake.state.submissions.length;
    fake.state.mailboxLimit = { requests: 0, windowMs: 600_000 };
    try {
      await expect(connected().healthCheck()).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: expect.any(Number) });
    } finally {
      fake.state.mailboxLimit = { requests: 10_000, windowMs: 600_000 };
    }
    expect(fake.state.submissions.length).toBe(before);
  });
});

describe('microsoft mail plugin: createDraft', () => {
  it('saves a draft with POST /me/messages, and a reply draft with createReply in the conversation', async () => {
    const h = connected();
    const result = await h.action<Json>('createDraft', { to: 'dan@example.com', subject: 'Agenda', html: '<p>Agenda</p>' });
    expect(calls(h)).toEqual(['POST https://graph.microsoft.com/v1.0/me/messages']);
    expect(h.requests[0].json()).toEqual({
      subject: 'Agenda',
      body: { contentType: 'HTML', content: '<p>Agenda</p>' },
      toRecipients: [{ emailAddress: { address: 'dan@example.com' } }],
    });
    const stored = fake.state.messages.get(result.id)!;
    expect(stored).toMatchObject({ folder: 'drafts', isDraft: true, subject: 'Agenda' });
    expect(stored.body.content).toContain('<p>Agenda</p>');
    expect(result).toEqual({
      id: stored.id,
      conversationId: stored.conversationId,
      internetMessageId: stored.internetMessageId,
      subject: 'Agenda',
      webLink: expect.stringMatching(/^https:\/\/outlook\.office365\.com\/owa\/\?ItemID=/),
      replyToMessageId: null,
    });

    const original = fake.state.receive({ from: 'dan@example.com', subject: 'Quarterly review' });
    const reply = await connected().action<Json>('createDraft', { replyToMessageId: original.id, text: 'Draft reply' });
    expect(fake.state.messages.get(reply.id)).toMatchObject({
      folder: 'drafts',
      conversationId: original.conversationId,
      inReplyTo: original.internetMessageId,
      toRecipients: [{ emailAddress: { address: 'dan@example.com' } }],
    });
    expect(reply).toMatchObject({ subject: 'RE: Quarterly review', conversationId: original.conversationId, replyToMessageId: original.id });
  });

  it('refuses a draft with a grant that can only send (drafts take Mail.ReadWrite)', async () => {
    const { accessToken: sendOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, `${MAIL_SCOPES.send} ${MAIL_SCOPES.read} ${MAIL_SCOPES.user}`);
    await expect(connected(sendOnly).action('createDraft', { to: 'dan@example.com', subject: 'x', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('(ErrorAccessDenied)'),
    });
    await expect(connected(sendOnly).action('sendEmail', { to: 'dan@example.com', subject: 'x', text: 'x' })).resolves.toMatchObject({ accepted: true });
  });
});

describe('microsoft mail plugin: contacts sync', () => {
  it('lists every contact page by page (@odata.nextLink) and merges them into one record per lower-cased email', async () => {
    for (let index = 0; index < 1500; index += 1) fake.state.addContact({ displayName: `Guest ${index}`, emails: [`guest${index}@example.com`] });
    const first = fake.state.addContact({
      displayName: 'Ana Souza',
      givenName: 'Ana',
      surname: 'Souza',
      emails: ['Ana.Souza@Example.com', 'ana@home.example'],
      mobilePhone: '+55 11 98765-4321',
    });
    const second = fake.state.addContact({ displayName: 'Ana S.', emails: ['ana.souza@example.com'], businessPhones: ['+44 20 7946 0018'] });
    fake.state.addContact({ displayName: 'No Address', emails: [], mobilePhone: '+1 555 0100' });
    const h = connected();
    const { records } = (await h.sync()) as { records: Record<string, Json[]> };
    const urls = h.requests.map((request) => new URL(request.url));
    expect(urls).toHaveLength(2);
    expect(urls[0].pathname).toBe('/v1.0/me/contacts');
    expect(urls[0].searchParams.get('$top')).toBe('1000');
    expect(urls[0].searchParams.get('$select')).toBe(
      'id,displayName,givenName,surname,emailAddresses,businessPhones,homePhones,mobilePhone,lastModifiedDateTime',
    );
    expect(urls[1].searchParams.get('$skip')).toBe('1000');

    expect(records.contacts).toHaveLength(1500 + 2);
    const byId = Object.fromEntries(records.contacts.map((record) => [record.id, record]));
    const [earlier] = [first, second].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(byId['ana.souza@example.com']).toEqual({
      id: 'ana.souza@example.com',
      email: 'ana.souza@example.com',
      name: earlier.displayName,
      givenName: earlier.givenName,
      familyName: earlier.surname,
      phoneNumbers: expect.arrayContaining(['+55 11 98765-4321', '+44 20 7946 0018']),
      contactIds: [first.id, second.id].sort(),
      updatedAt: expect.any(String),
    });
    expect(byId['ana@home.example']).toMatchObject({ name: 'Ana Souza', contactIds: [first.id], phoneNumbers: ['+55 11 98765-4321'] });
    expect(records.contacts.some((record) => record.name === 'No Address')).toBe(false);
  });

  it('refuses a next link off Graph, and a grant without Contacts.Read', async () => {
    const hostile = createHarness(plugin, {
      credentials: { accessToken },
      http: (request) => ({ body: { value: [], '@odata.nextLink': `https://graph.example.com/v1.0/me/contacts?from=${encodeURIComponent(request.url)}` } }),
    });
    await expect(hostile.sync()).rejects.toThrow('outside its API');
    const { accessToken: mailOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, `${MAIL_SCOPES.send} ${MAIL_SCOPES.user}`);
    await expect(connected(mailOnly).sync()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('(ErrorAccessDenied)') });
  });
});

describe('microsoft mail plugin: schemas', () => {
  it('refuses malformed inputs before any call; a reply needs neither to nor subject', () => {
    const ajv = createSchemaCompiler();
    for (const action of ['sendEmail', 'createDraft']) {
      const valid = ajv.compile(provider.actions[action].inputSchema);
      const base = { to: 'ana@example.com', subject: 'Hello', text: 'Hi' };
      expect(valid(base)).toBe(true);
      expect(
        valid({
          ...base,
          to: [{ email: 'ana@example.com', name: 'Ana' }],
          cc: ['c@example.com'],
          bcc: ['d@example.com'],
          replyTo: 'r@example.com',
          html: '<p>Hi</p>',
        }),
      ).toBe(true);
      expect(valid({ replyToMessageId: 'AAMkAGI2TGuLAAA=', text: 'Hi' })).toBe(true);
      expect(valid({ to: 'ana@example.com', text: 'Hi' })).toBe(false);
      expect(valid({ subject: 'Hello', text: 'Hi' })).toBe(false);
      expect(valid({ to: 'ana@example.com', subject: 'Hello' })).toBe(false);
      expect(valid({ ...base, to: 'not-an-email' })).toBe(false);
      expect(valid({ ...base, subject: 'Hi\nBcc: x@example.com' })).toBe(false);
      expect(valid({ ...base, replyToMessageId: '../../users/x' })).toBe(false);
      expect(valid({ ...base, saveToSentItems: false })).toBe(false);
    }
  });
});
