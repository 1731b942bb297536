import { decodeWords, GMAIL_SCOPES, parseMail, startFakeGmail, type FakeGmail } from '../fixtures/providers/gmail.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '9012-gmail.apps.googleusercontent.com', clientSecret: 'GOCSPX-gmail-client-secret', redirectUris: [REDIRECT_URI] };
const GRANTED = [GMAIL_SCOPES.send, GMAIL_SCOPES.compose, GMAIL_SCOPES.readonly, GMAIL_SCOPES.contacts].join(' ');

let plugin: PluginDefinition;
let gmail: Json;
let fake: FakeGmail;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('gmail');
  gmail = plugin.providers[0];
  fake = await startFakeGmail();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, GRANTED).accessToken;
});
afterAll(() => fake.close());

const connected = (token = accessToken, scope: string | undefined = GRANTED): Harness =>
  createHarness(plugin, {
    provider: 'gmail',
    credentials: { accessToken: token, tokenType: 'Bearer', ...(scope === undefined ? {} : { scope }) },
    integration: { metadata: { emailAddress: fake.state.user.emailAddress } },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url.split('?')[0]}`);
const lastOutgoing = () => fake.state.outgoing.at(-1)!;
/** The header block of a sent message, line by line as written. */
const headerLines = (source: string) => source.slice(0, source.indexOf('\r\n\r\n')).split('\r\n');

describe('gmail plugin: declaration and OAuth', () => {
  it('declares Google OAuth 2.0 (offline, PKCE), the Gmail API base, and Gmail’s per-user and per-project quotas', () => {
    expect(gmail).toMatchObject({
      id: 'gmail',
      category: 'email',
      baseUrl: 'https://gmail.googleapis.com/gmail/v1/users/me',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: [GMAIL_SCOPES.send, GMAIL_SCOPES.compose, GMAIL_SCOPES.readonly, GMAIL_SCOPES.contacts],
        pkce: true,
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
      },
      rateLimits: [
        { requests: 150, windowMs: 60_000, scope: 'account', accountKey: 'emailAddress', match: ['POST /messages/send'] },
        { requests: 1_500, windowMs: 60_000, scope: 'account', accountKey: 'emailAddress', match: ['POST /drafts', 'GET /threads'] },
        { requests: 15_000, windowMs: 60_000, scope: 'account', accountKey: 'emailAddress' },
        { requests: 12_000, windowMs: 60_000, scope: 'app', match: ['POST /messages/send'] },
      ],
    });
    expect(Object.keys(gmail.actions)).toEqual(['sendEmail', 'createDraft']);
    expect(gmail.onEvent).toBeUndefined();
    expect(gmail.webhook).toBeUndefined();
  });

  it('the fake runs Google’s flow: PKCE, a refresh token for offline access, an access token that expires and is refreshed', async () => {
    // RFC 7636, Appendix B: a known verifier and the S256 challenge the RFC derives from it.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const url = new URL(gmail.auth.authorizationUrl);
    const query = {
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: gmail.auth.scopes.join(' '),
      state: 'st-gmail',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...gmail.auth.authorizationParams,
    };
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value as string);
    const back = await followAuthorizationUrl(url, fake.origins);
    expect(back.searchParams.get('state')).toBe('st-gmail');
    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    };
    expect((await postTokenRequest(gmail.auth.tokenUrl, fake.origins, { ...exchange, code_verifier: 'x'.repeat(43) })).body.error).toBe('invalid_grant');
    const granted = await postTokenRequest(gmail.auth.tokenUrl, fake.origins, { ...exchange, code_verifier: verifier });
    expect(granted.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3599,
      scope: GRANTED,
      token_type: 'Bearer',
    });

    fake.state.oauth.expireAccessToken(granted.body.access_token);
    await expect(connected(granted.body.access_token, granted.body.scope).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Request had invalid authentication credentials\..* Connect Gmail again\.$/),
    });
    const refreshed = await postTokenRequest(gmail.auth.tokenUrl, fake.origins, {
      grant_type: 'refresh_token',
      refresh_token: granted.body.refresh_token,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    expect((await connected(refreshed.body.access_token, refreshed.body.scope).verify()).metadata).toEqual({ emailAddress: 'ana.lima@gmail.com' });
  });
});

describe('gmail plugin: verify and health', () => {
  it('verifies with users.getProfile and keeps the mailbox’s address, which tells a member’s connections apart', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({ displayName: 'ana.lima@gmail.com', metadata: { emailAddress: 'ana.lima@gmail.com' } });
    expect(h.requests.map((request) => request.url)).toEqual(['https://gmail.googleapis.com/gmail/v1/users/me/profile']);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const other = await startFakeGmail({ userEmail: 'ana@work.example' });
    try {
      other.state.oauth.registerClient(CLIENT);
      const { accessToken: work } = other.state.oauth.mintTokens(CLIENT.clientId, GRANTED);
      const second = createHarness(plugin, { credentials: { accessToken: work, scope: GRANTED }, http: forwardTo(other.origins) });
      expect((await second.verify()).metadata).toEqual({ emailAddress: 'ana@work.example' });
    } finally {
      await other.close();
    }
  });

  it('refuses a grant where permissions were unticked on Google’s consent screen, before any call; wider scopes count', async () => {
    const narrow = connected(accessToken, `${GMAIL_SCOPES.send} ${GMAIL_SCOPES.readonly}`);
    await expect(narrow.verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Google did not grant Plugboard permission to manage drafts and send emails, see and download your contacts: connect Gmail again and allow every permission asked for.',
    });
    expect(narrow.requests).toEqual([]);
    const { accessToken: wide } = fake.state.oauth.mintTokens(CLIENT.clientId, `${GMAIL_SCOPES.full} ${GMAIL_SCOPES.contactsWrite}`);
    expect((await connected(wide, `${GMAIL_SCOPES.full} ${GMAIL_SCOPES.contactsWrite}`).verify()).displayName).toBe('ana.lima@gmail.com');
  });

  it('checks health with getProfile (one quota unit) and passes Google’s refusals on with what to do', async () => {
    const h = connected();
    await h.healthCheck();
    expect(calls(h)).toEqual(['GET https://gmail.googleapis.com/gmail/v1/users/me/profile']);
    await expect(connected('ya29.unknown').healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Connect Gmail again.'),
    });

    const { accessToken: sendOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, GMAIL_SCOPES.send);
    await expect(connected(sendOnly, undefined).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Request had insufficient authentication scopes. Connect Gmail again and allow everything Plugboard asks for (send email, manage drafts, read email, see your contacts).',
    });

    fake.state.mailEnabled = false;
    try {
      await expect(connected().verify()).rejects.toMatchObject({
        code: 'provider_rejected',
        message: 'Mail service not enabled This Google account has no Gmail mailbox: connect an account that uses Gmail.',
      });
    } finally {
      fake.state.mailEnabled = true;
    }
    fake.state.domainPolicyBlocked = true;
    try {
      await expect(connected().healthCheck()).rejects.toMatchObject({
        code: 'provider_rejected',
        message: expect.stringContaining('ask them to allow Plugboard'),
      });
    } finally {
      fake.state.domainPolicyBlocked = false;
    }
  });
});

describe('gmail plugin: sendEmail', () => {
  it('sends text and HTML as multipart/alternative, with UTF-8 headers as RFC 2047 words, as base64url raw', async () => {
    const h = connected();
    const result = await h.action<Json>('sendEmail', {
      to: [{ email: 'zoe@example.com', name: 'Zoë Ångström' }, 'bob@example.com'],
      cc: [{ email: 'carol@example.com', name: 'Carol "CJ" Jones, PhD' }],
      bcc: ['audit@example.com'],
      replyTo: 'events@example.com',
      subject: 'Programme de la journée ✓',
      text: 'Bonjour Zoë,\nvoici le programme.',
      html: '<p>Bonjour Zoë,</p><p>voici le <b>programme</b>.</p>',
    });
    const sent = lastOutgoing();
    expect(result).toEqual({ id: sent.messageId, threadId: sent.threadId, labelIds: ['SENT'], inReplyTo: null });
    expect(calls(h)).toEqual(['POST https://gmail.googleapis.com/gmail/v1/users/me/messages/send']);
    const body = h.requests[0].json() as Json;
    expect(Object.keys(body)).toEqual(['raw']);
    expect(body.raw).toMatch(/^[A-Za-z0-9_-]+$/);

    const mail = sent.mime;
    expect(mail.lineEndings).toBe('CRLF');
    expect(mail.longestLine).toBeLessThanOrEqual(78);
    expect(mail.from).toEqual([{ email: 'ana.lima@gmail.com' }]);
    expect(mail.to).toEqual([{ name: 'Zoë Ångström', email: 'zoe@example.com' }, { email: 'bob@example.com' }]);
    expect(mail.cc).toEqual([{ name: 'Carol "CJ" Jones, PhD', email: 'carol@example.com' }]);
    expect(mail.bcc).toEqual([{ email: 'audit@example.com' }]);
    expect(mail.replyTo).toEqual([{ email: 'events@example.com' }]);
    expect(mail.subject).toBe('Programme de la journée ✓');
    expect(mail.header('Subject')).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    expect(mail.header('To')).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <zoe@example\.com>, bob@example\.com$/);
    expect(mail.header('Cc')).toBe('"Carol \\"CJ\\" Jones, PhD" <carol@example.com>');
    expect(mail.header('MIME-Version')).toBe('1.0');
    expect(Number.isNaN(Date.parse(mail.header('Date')!))).toBe(false);
    expect(mail.header('Date')).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.contentType).toBe('multipart/alternative');
    expect(mail.params.boundary).toMatch(/^plugboard-[0-9a-f]{32}$/);
    expect(mail.parts.map((part) => [part.contentType, part.params.charset, part.transferEncoding])).toEqual([
      ['text/plain', 'UTF-8', 'base64'],
      ['text/html', 'UTF-8', 'base64'],
    ]);
    expect(mail.text).toBe('Bonjour Zoë,\nvoici le programme.');
    expect(mail.html).toBe('<p>Bonjour Zoë,</p><p>voici le <b>programme</b>.</p>');
    // Gmail filed it in a thread of its own, as sent mail.
    expect(fake.state.threads.get(sent.threadId)!.messages.map((message) => message.labelIds)).toEqual([['SENT']]);
  });

  it('sends a single text/plain or text/html part when only one body is given', async () => {
    await connected().action('sendEmail', { to: 'bob@example.com', subject: 'Plain', text: 'Just text' });
    expect(lastOutgoing().mime).toMatchObject({
      contentType: 'text/plain',
      params: { charset: 'UTF-8' },
      transferEncoding: 'base64',
      body: 'Just text',
      parts: [],
    });
    await connected().action('sendEmail', { to: 'bob@example.com', subject: 'Rich', html: '<h1>Hi</h1>' });
    expect(lastOutgoing().mime).toMatchObject({ contentType: 'text/html', body: '<h1>Hi</h1>', text: undefined, html: '<h1>Hi</h1>' });
    expect(lastOutgoing().mime.header('Subject')).toBe('Rich');
  });

  it('folds long headers: a long non-ASCII subject in encoded words of at most 75 characters, many recipients on short lines', async () => {
    const subject = `Réservation confirmée — ${'café crème, '.repeat(12)}à bientôt 🎉`;
    const to = Array.from({ length: 12 }, (_, index) => ({ email: `guest${index}@example.com`, name: `Guest Number ${index}` }));
    await connected().action('sendEmail', { to, subject, text: 'x'.repeat(5000) });
    const { mime } = lastOutgoing();
    expect(mime.subject).toBe(subject);
    expect(mime.to).toEqual(to.map(({ email, name }) => ({ email, name })));
    const lines = headerLines(mime.source);
    const subjectLines = lines.slice(lines.findIndex((line) => line.startsWith('Subject:')));
    const words = subjectLines
      .slice(
        0,
        subjectLines.findIndex((line, index) => index > 0 && !line.startsWith(' ')),
      )
      .join('')
      .match(/=\?[^?]+\?B\?[^?]+\?=/g)!;
    expect(words.length).toBeGreaterThan(3);
    expect(words.every((word) => word.length <= 75)).toBe(true);
    expect(words.map(decodeWords).join('')).toBe(subject);
    expect(mime.longestLine).toBeLessThanOrEqual(78);
    expect(mime.text).toBe('x'.repeat(5000));
  });

  it('replies in a thread: reads its last message that is not a draft, sets In-Reply-To and References, and Gmail keeps it in the thread', async () => {
    const thread = fake.state.addThread('Venue for the meetup', [
      { from: 'Bob <bob@example.com>', to: 'ana.lima@gmail.com' },
      { from: 'ana.lima@gmail.com', to: 'bob@example.com' },
      { from: 'Bob <bob@example.com>', to: 'ana.lima@gmail.com' },
      { from: 'ana.lima@gmail.com', to: 'bob@example.com', draft: true },
    ]);
    const ids = thread.messages.map((message) => message.headers.find((header) => header.name === 'Message-ID')!.value);
    const h = connected();
    const result = await h.action<Json>('sendEmail', {
      to: 'bob@example.com',
      subject: 'Re: Venue for the meetup',
      text: 'The big room it is.',
      threadId: thread.id,
    });

    expect(calls(h)).toEqual([
      `GET https://gmail.googleapis.com/gmail/v1/users/me/threads/${thread.id}`,
      'POST https://gmail.googleapis.com/gmail/v1/users/me/messages/send',
    ]);
    const read = new URL(h.requests[0].url);
    expect(read.searchParams.get('format')).toBe('metadata');
    expect(read.searchParams.getAll('metadataHeaders')).toEqual(['Subject', 'Message-ID', 'In-Reply-To', 'References']);
    expect((h.requests[1].json() as Json).threadId).toBe(thread.id);

    const sent = lastOutgoing();
    expect(sent.mime.inReplyTo).toBe(ids[2]);
    expect(sent.mime.references).toEqual([ids[0], ids[1], ids[2]]);
    expect(sent.joinedThread).toBe(true);
    expect(result).toEqual({ id: sent.messageId, threadId: thread.id, labelIds: ['SENT'], inReplyTo: ids[2] });
    expect(thread.messages.at(-1)!.id).toBe(sent.messageId);
    expect(h.logs.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('warns when the subject differs from the thread’s: Gmail then starts a new thread', async () => {
    const thread = fake.state.addThread('Budget 2031', [{ from: 'carol@example.com', to: 'ana.lima@gmail.com' }]);
    const h = connected();
    const result = await h.action<Json>('sendEmail', { to: 'carol@example.com', subject: 'Something else', text: 'x', threadId: thread.id });
    expect(lastOutgoing()).toMatchObject({ requestedThreadId: thread.id, joinedThread: false });
    expect(result.threadId).not.toBe(thread.id);
    expect(result.inReplyTo).toBe(thread.messages[0].headers.find((header) => header.name === 'Message-ID')!.value);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'the subject differs from the thread’s: Gmail starts a new thread for it' }),
    );
  });

  it('refuses a thread that does not exist (404) or has nothing to reply to, without sending', async () => {
    const before = fake.state.outgoing.length;
    const h = connected();
    await expect(h.action('sendEmail', { to: 'bob@example.com', subject: 'x', text: 'x', threadId: '18c0ffee00000000' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Requested entity was not found. Check the id: it must belong to the connected mailbox.',
    });
    const drafts = fake.state.addThread('Only a draft', [{ from: 'ana.lima@gmail.com', to: 'bob@example.com', draft: true }]);
    await expect(connected().action('sendEmail', { to: 'bob@example.com', subject: 'Only a draft', text: 'x', threadId: drafts.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `The Gmail thread ${drafts.id} has no sent or received message to reply to.`,
    });
    expect(fake.state.outgoing.length).toBe(before);
  });

  it('refuses an address that is not one before building anything (the schema refuses it too)', async () => {
    const h = connected();
    await expect(h.action('sendEmail', { to: 'bob@example.com\r\nBcc: evil@example.com', subject: 'x', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
    });
    await expect(h.action('sendEmail', { to: [], subject: 'x', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The email needs at least one recipient in "to".',
    });
    await expect(h.action('sendEmail', { to: 'bob@example.com', subject: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The email needs a body: give html, text or both.',
    });
    expect(h.requests).toEqual([]);
  });

  it('keeps a header injection in a display name or subject on one line', async () => {
    await connected().action('sendEmail', {
      to: { email: 'bob@example.com', name: 'Bob\r\nBcc: evil@example.com' },
      subject: 'Hi\r\nBcc: evil@example.com',
      text: 'x',
    });
    const { mime } = lastOutgoing();
    expect(mime.bcc).toEqual([]);
    expect(mime.to).toEqual([{ name: 'Bob Bcc: evil@example.com', email: 'bob@example.com' }]);
    expect(mime.subject).toBe('Hi Bcc: evil@example.com');
  });
});

describe('gmail plugin: createDraft', () => {
  it('saves a draft (drafts.create with message.raw), also as a reply in a thread', async () => {
    const h = connected();
    const result = await h.action<Json>('createDraft', { to: 'dan@example.com', subject: 'Draft: agenda', html: '<p>Agenda</p>', text: 'Agenda' });
    const saved = lastOutgoing();
    expect(saved).toMatchObject({ via: 'draft', draftId: expect.stringMatching(/^r\d+$/) });
    expect(result).toEqual({ draftId: saved.draftId, messageId: saved.messageId, threadId: saved.threadId, inReplyTo: null });
    expect(calls(h)).toEqual(['POST https://gmail.googleapis.com/gmail/v1/users/me/drafts']);
    expect(Object.keys((h.requests[0].json() as Json).message)).toEqual(['raw']);
    expect(saved.mime).toMatchObject({
      subject: 'Draft: agenda',
      contentType: 'multipart/alternative',
      text: 'Agenda',
      html: '<p>Agenda</p>',
      to: [{ email: 'dan@example.com' }],
    });
    expect(fake.state.threads.get(saved.threadId)!.messages[0].labelIds).toEqual(['DRAFT']);

    const thread = fake.state.addThread('Quarterly review', [{ from: 'dan@example.com', to: 'ana.lima@gmail.com' }]);
    const reply = await connected().action<Json>('createDraft', {
      to: 'dan@example.com',
      subject: 'RE: Quarterly review',
      text: 'Draft reply',
      threadId: thread.id,
    });
    expect(lastOutgoing()).toMatchObject({ via: 'draft', joinedThread: true, threadId: thread.id });
    expect(reply).toMatchObject({ threadId: thread.id, inReplyTo: lastOutgoing().mime.inReplyTo });
  });

  it('refuses a draft with a grant that can only send (drafts.create needs gmail.compose)', async () => {
    const { accessToken: sendOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, `${GMAIL_SCOPES.send} ${GMAIL_SCOPES.readonly}`);
    const h = connected(sendOnly, undefined);
    await expect(h.action('createDraft', { to: 'dan@example.com', subject: 'x', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Request had insufficient authentication scopes.'),
    });
    // The same grant sends.
    await expect(h.action('sendEmail', { to: 'dan@example.com', subject: 'x', text: 'x' })).resolves.toMatchObject({ labelIds: ['SENT'] });
  });
});

describe('gmail plugin: quotas', () => {
  it('takes Gmail’s 403 userRateLimitExceeded as a rate limit (errors.classify)', async () => {
    fake.state.userQuotaPerMinute = 150;
    try {
      const { accessToken: fresh } = fake.state.oauth.mintTokens(CLIENT.clientId, GRANTED);
      const error = await connected(fresh)
        .action<Json>('sendEmail', { to: 'bob@example.com', subject: 'x', text: 'x' })
        .catch((caught: unknown) => caught as Json);
      expect(error).toMatchObject({ code: 'provider_rate_limited', message: 'User Rate Limit Exceeded' });
      // Gmail says no wait: none is made up (a missing Retry-After is not "0 seconds").
      expect(error.retryAfterSeconds).toBeUndefined();
      expect(fake.state.requests.at(-1)!.path).toBe('/gmail/v1/users/me/messages/send');
    } finally {
      fake.state.userQuotaPerMinute = 15_000;
    }
  });

  it('answers the sending limit’s 429 as a rate limit, with the wait read from “Retry after <time>”', async () => {
    fake.state.sendingLimitedUntil = new Date(Date.now() + 90_000).toISOString();
    try {
      const error = await connected()
        .action<Json>('sendEmail', { to: 'bob@example.com', subject: 'x', text: 'x' })
        .catch((caught: unknown) => caught as Json);
      expect(error).toMatchObject({ code: 'provider_rate_limited', message: `User-rate limit exceeded.  Retry after ${fake.state.sendingLimitedUntil}` });
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(89);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(90);
    } finally {
      fake.state.sendingLimitedUntil = null;
    }
  });
});

describe('gmail plugin: contacts sync', () => {
  let ana: string;
  let twin: string;
  let gone: string;

  beforeAll(() => {
    // 1,203 contacts: two pages of the People API’s largest page size.
    for (let index = 0; index < 1200; index += 1) fake.state.addContact({ name: `Guest ${index}`, emails: [`guest${index}@example.com`] });
    ana = fake.state.addContact({
      name: 'Ana Souza',
      emails: ['Ana.Souza@Example.com', 'ana@home.example'],
      phones: [{ value: '(11) 98765-4321', canonicalForm: '+5511987654321' }],
    }).resourceName;
    twin = fake.state.addContact({ name: 'Ana S.', emails: ['ana.souza@example.com'], phones: ['+44 20 7946 0018'] }).resourceName;
    gone = fake.state.addContact({ name: 'Leaving Soon', emails: ['leaving@example.com'] }).resourceName;
    fake.state.addContact({ name: 'No Address', phones: ['+15550100'] });
  });

  const syncWith = (h: Harness, mark?: string) => h.sync(mark ? { highWaterMarks: { contactsSyncToken: mark } } : undefined) as Promise<Json>;
  const byId = (records: Json[]): Record<string, Json> => Object.fromEntries(records.map((record) => [record.id, record]));

  it('lists every contact page by page with personFields and a sync token, one record per lower-cased email', async () => {
    const h = connected();
    const result = await syncWith(h);
    const urls = h.requests.map((request) => new URL(request.url));
    expect(urls.map((url) => `${url.origin}${url.pathname}`)).toEqual([
      'https://people.googleapis.com/v1/people/me/connections',
      'https://people.googleapis.com/v1/people/me/connections',
    ]);
    expect(Object.fromEntries(urls[0].searchParams)).toEqual({
      personFields: 'metadata,names,emailAddresses,phoneNumbers',
      pageSize: '1000',
      requestSyncToken: 'true',
    });
    expect(urls[1].searchParams.get('pageToken')).toEqual(expect.any(String));
    expect(h.requests.every((request) => request.headers.authorization === `Bearer ${accessToken}`)).toBe(true);

    const contacts = byId(result.records.contacts);
    expect(result.records.contacts).toHaveLength(1200 + 3);
    // Two people share ana.souza@example.com (in two cases): one record, the name of the first by resource name.
    const anaFirst = [ana, twin].sort()[0] === ana;
    expect(contacts['ana.souza@example.com']).toEqual({
      id: 'ana.souza@example.com',
      email: 'ana.souza@example.com',
      name: anaFirst ? 'Ana Souza' : 'Ana S.',
      givenName: 'Ana',
      familyName: anaFirst ? 'Souza' : 'S.',
      phoneNumbers: expect.arrayContaining(['+5511987654321', '+44 20 7946 0018']),
      resourceNames: [ana, twin].sort(),
      updatedAt: expect.any(String),
    });
    expect(contacts['ana@home.example']).toMatchObject({ name: 'Ana Souza', phoneNumbers: ['+5511987654321'], resourceNames: [ana] });
    expect(contacts['guest7@example.com']).toMatchObject({ name: 'Guest 7', phoneNumbers: [] });
    expect(Object.values(contacts).some((record) => record.name === 'No Address')).toBe(false);
    expect(result.highWaterMarks).toEqual({ contactsSyncToken: expect.any(String) });
    expect(result.highWaterMarks.contactsSyncToken.length).toBeLessThan(1000);
    expect(result.deleted).toBeUndefined();
  });

  it('with the last sync token and nothing changed, asks once and returns no records (every contact stays)', async () => {
    const { highWaterMarks } = await syncWith(connected());
    const h = connected();
    const result = await syncWith(h, highWaterMarks.contactsSyncToken);
    expect(h.requests).toHaveLength(1);
    expect(Object.fromEntries(new URL(h.requests[0].url).searchParams)).toEqual({
      personFields: 'metadata,names,emailAddresses,phoneNumbers',
      pageSize: '1000',
      requestSyncToken: 'true',
      syncToken: highWaterMarks.contactsSyncToken,
    });
    expect(result).toEqual({ highWaterMarks: { contactsSyncToken: expect.any(String) } });
  });

  it('when anything changed (an edit, a deletion), lists everything again so merges, new addresses and deletions come out right', async () => {
    const { highWaterMarks } = await syncWith(connected());
    fake.state.updateContact(twin, { emails: ['ana.s@newjob.example'] });
    fake.state.deleteContact(gone);
    const h = connected();
    const result = await syncWith(h, highWaterMarks.contactsSyncToken);
    const urls = h.requests.map((request) => new URL(request.url));
    expect(urls[0].searchParams.get('syncToken')).toBe(highWaterMarks.contactsSyncToken);
    expect(urls.slice(1).every((url) => url.searchParams.get('syncToken') === null)).toBe(true);
    expect(urls).toHaveLength(3);
    const contacts = byId(result.records.contacts);
    expect(contacts['ana.souza@example.com']).toMatchObject({ name: 'Ana Souza', resourceNames: [ana], phoneNumbers: ['+5511987654321'] });
    expect(contacts['ana.s@newjob.example']).toMatchObject({ name: 'Ana S.', resourceNames: [twin] });
    expect(contacts['leaving@example.com']).toBeUndefined();
    expect(result.highWaterMarks.contactsSyncToken).not.toBe(highWaterMarks.contactsSyncToken);
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'info', message: 'Google contacts changed since the last sync: listing them all again' }));
  });

  it.each([410, 400] as const)('falls back to a full sync when the sync token expired (answered %i with EXPIRED_SYNC_TOKEN)', async (status) => {
    const { highWaterMarks } = await syncWith(connected());
    fake.state.expireSyncTokens();
    fake.state.expiredSyncTokenStatus = status;
    try {
      const h = connected();
      const result = await syncWith(h, highWaterMarks.contactsSyncToken);
      const refused = fake.state.requests.find(
        (request) => request.query.syncToken === highWaterMarks.contactsSyncToken && request.path === '/v1/people/me/connections',
      );
      expect(refused).toBeDefined();
      expect(h.requests.map((request) => new URL(request.url).searchParams.has('syncToken'))).toEqual([true, false, false]);
      expect(result.records.contacts.length).toBeGreaterThan(1200);
      expect(result.highWaterMarks.contactsSyncToken).toEqual(expect.any(String));
      expect(h.logs).toContainEqual(expect.objectContaining({ message: 'the People API sync token expired: listing every contact again' }));
    } finally {
      fake.state.expiredSyncTokenStatus = 410;
    }
  });

  it('passes the People API’s refusals on: scope not granted, API not enabled, and 429 as a rate limit', async () => {
    const { accessToken: mailOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, `${GMAIL_SCOPES.send} ${GMAIL_SCOPES.readonly}`);
    await expect(connected(mailOnly, undefined).sync()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Request had insufficient authentication scopes\. Connect Gmail again/),
    });

    fake.state.peopleApiEnabled = false;
    try {
      await expect(connected().sync()).rejects.toMatchObject({
        code: 'provider_rejected',
        message: expect.stringContaining('an administrator must enable it'),
      });
    } finally {
      fake.state.peopleApiEnabled = true;
    }
    fake.state.peopleRateLimitNext = true;
    await expect(connected().sync()).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringContaining("quota metric 'Full sync requests'"),
    });
  });
});

describe('gmail plugin: schemas', () => {
  it('refuses malformed inputs before any call', () => {
    const ajv = createSchemaCompiler();
    for (const action of ['sendEmail', 'createDraft']) {
      const valid = ajv.compile(gmail.actions[action].inputSchema);
      const base = { to: 'ana@example.com', subject: 'Hello', text: 'Hi' };
      expect(valid(base)).toBe(true);
      expect(
        valid({
          ...base,
          to: [{ email: 'ana@example.com', name: 'Ana' }, 'bob@example.com'],
          cc: ['c@example.com'],
          bcc: [{ email: 'd@example.com' }],
          replyTo: 'r@example.com',
          html: '<p>Hi</p>',
          threadId: '18c3f2a5b7d9e0f1',
        }),
      ).toBe(true);
      expect(valid({ to: 'ana@example.com', subject: 'Hello' })).toBe(false);
      expect(valid({ ...base, to: 'not-an-email' })).toBe(false);
      expect(valid({ ...base, to: [] })).toBe(false);
      expect(valid({ ...base, subject: 'Hi\r\nBcc: evil@example.com' })).toBe(false);
      expect(valid({ ...base, subject: '' })).toBe(false);
      expect(valid({ ...base, to: { email: 'ana@example.com', name: 'Ana\nBcc: x' } })).toBe(false);
      expect(valid({ ...base, threadId: '../drafts' })).toBe(false);
      expect(valid({ ...base, from: 'boss@example.com' })).toBe(false);
      expect(valid({ ...base, cc: Array.from({ length: 101 }, (_, index) => `c${index}@example.com`) })).toBe(false);
    }
  });
});

describe('gmail fake: MIME reading', () => {
  it('reads LF-only messages, quoted-printable bodies and Q-encoded words as Gmail would', () => {
    const mail = parseMail(
      'To: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\nSubject: =?UTF-8?Q?Caf=C3=A9_cr=C3=A8me?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9 =\ncr=C3=A8me',
    );
    expect(mail).toMatchObject({ lineEndings: 'LF', subject: 'Café crème', to: [{ name: 'André', email: 'andre@example.com' }], text: 'Café crème' });
    expect(parseMail('To: not an address\r\n\r\nx').addressError).toBe('To');
  });
});
