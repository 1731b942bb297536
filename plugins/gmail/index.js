// Gmail provider for Plugboard, written against the Gmail API v1 reference (https://developers.google.com/workspace/gmail/api/reference/rest) and the People API v1 reference (https://developers.google.com/people/api/rest/v1/people.connections/list).
import { randomBytes } from 'node:crypto';
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, Record<string, never>>} GmailContext
 * @typedef {string | { email: string, name?: string }} Recipient
 * @typedef {{
 *   to: Recipient | Recipient[], subject: string, html?: string, text?: string,
 *   cc?: Recipient[], bcc?: Recipient[], replyTo?: Recipient | Recipient[], threadId?: string,
 * }} MailInput
 * @typedef {{ threadId: string, inReplyTo?: string, references: string[], subject?: string }} ReplyContext
 */

/** Where the Gmail API is: every path of this plugin is under the connected user (`me`). */
const GMAIL_BASE = 'https://gmail.googleapis.com/gmail/v1/users/me';
/** The People API (contacts): another origin than the base URL, so its bearer token is set here. */
const PEOPLE_BASE = 'https://people.googleapis.com/v1';

const SCOPES = {
  send: 'https://www.googleapis.com/auth/gmail.send',
  // drafts.create takes gmail.compose (or gmail.modify, or full mail access): gmail.send alone cannot save a draft.
  compose: 'https://www.googleapis.com/auth/gmail.compose',
  readonly: 'https://www.googleapis.com/auth/gmail.readonly',
  contacts: 'https://www.googleapis.com/auth/contacts.readonly',
};
const FULL_MAIL = 'https://mail.google.com/';
const MODIFY = 'https://www.googleapis.com/auth/gmail.modify';
/** The granted scopes that allow what each asked-for scope allows (the wider Gmail scopes include the narrower). */
const SATISFIED_BY = {
  [SCOPES.send]: [SCOPES.send, SCOPES.compose, MODIFY, FULL_MAIL],
  [SCOPES.compose]: [SCOPES.compose, MODIFY, FULL_MAIL],
  [SCOPES.readonly]: [SCOPES.readonly, MODIFY, FULL_MAIL],
  [SCOPES.contacts]: [SCOPES.contacts, 'https://www.googleapis.com/auth/contacts'],
};
/** What each scope lets Plugboard do, in the words of Google's consent screen. */
const SCOPE_WORDS = {
  [SCOPES.send]: 'send email on your behalf',
  [SCOPES.compose]: 'manage drafts and send emails',
  [SCOPES.readonly]: 'view your email messages and settings',
  [SCOPES.contacts]: 'see and download your contacts',
};

/**
 * Person fields read for the contacts sync. `metadata` is what carries `deleted: true` on the people an
 * incremental listing reports deleted; a sync token only serves requests with these same fields.
 */
const PERSON_FIELDS = 'metadata,names,emailAddresses,phoneNumbers';
/** The largest page connections.list answers. */
const PEOPLE_PAGE_SIZE = 1000;
/** Google keeps at most 25,000 contacts per account: 26 pages of 1,000, and room to spare. */
const MAX_PAGES = 60;
/**
 * The high-water mark under which the People API sync token is kept. Not the records' model name on
 * purpose: the host treats a model returned without a mark of its own as listed in full (it marks the
 * records it did not see deleted), which is what every run that returns contacts does (see sync.run).
 */
const SYNC_MARK = 'contactsSyncToken';
/** References kept in a reply: the thread's first message and the most recent ones. */
const MAX_REFERENCES = 20;

const RATE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'dailyLimitExceeded', 'quotaExceeded', 'RATE_LIMIT_EXCEEDED']);
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;
const MESSAGE_ID = /<[^<>\s]+>/g;

// ---- Google's errors --------------------------------------------------------------------------------

/**
 * The reasons of a Google error envelope: Gmail's `error.errors[].reason` (`userRateLimitExceeded`,
 * `insufficientPermissions`, `notFound`…) and the `google.rpc.ErrorInfo` reasons of `error.details`
 * (`ACCESS_TOKEN_SCOPE_INSUFFICIENT`, `EXPIRED_SYNC_TOKEN`, `RATE_LIMIT_EXCEEDED`, `SERVICE_DISABLED`).
 */
function reasonsOf(body) {
  const error = body?.error;
  const reasons = new Set();
  if (!error || typeof error !== 'object') return reasons;
  for (const entry of Array.isArray(error.errors) ? error.errors : []) if (typeof entry?.reason === 'string') reasons.add(entry.reason);
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    if (typeof detail?.reason === 'string' && String(detail['@type'] ?? '').endsWith('google.rpc.ErrorInfo')) reasons.add(detail.reason);
  }
  return reasons;
}

/** What a person can do about a refusal, by what Google said. */
function hintFor(error, reasons) {
  if (error.code === 401 || error.status === 'UNAUTHENTICATED' || reasons.has('authError')) return 'Connect Gmail again.';
  if (reasons.has('insufficientPermissions') || reasons.has('ACCESS_TOKEN_SCOPE_INSUFFICIENT'))
    return 'Connect Gmail again and allow everything Plugboard asks for (send email, manage drafts, read email, see your contacts).';
  if (reasons.has('domainPolicy')) return 'Your Google Workspace administrator has turned off Gmail access for apps: ask them to allow Plugboard.';
  if (reasons.has('SERVICE_DISABLED') || reasons.has('accessNotConfigured'))
    return 'The Google Cloud project of the OAuth client does not have this API enabled: an administrator must enable it.';
  if (reasons.has('failedPrecondition') && /mail service not enabled/i.test(String(error.message))) return 'This Google account has no Gmail mailbox: connect an account that uses Gmail.';
  if (reasons.has('notFound') || error.status === 'NOT_FOUND') return 'Check the id: it must belong to the connected mailbox.';
  return undefined;
}

/** Google's message, and what to do about it. */
function googleMessage(body) {
  const error = body?.error;
  if (!error || typeof error !== 'object') return typeof body?.error_description === 'string' ? body.error_description : undefined;
  const said = typeof error.message === 'string' && error.message ? error.message : undefined;
  const hint = hintFor(error, reasonsOf(body));
  return [said, hint].filter(Boolean).join(' ') || undefined;
}

/**
 * How Google's errors read: `{ error: { code, message, status, errors: [{ reason }], details } }`.
 * Quota refusals come as 429, and as 403 with a usage-limit reason (`userRateLimitExceeded`,
 * `rateLimitExceeded`, `dailyLimitExceeded`): `classify` makes both rate limits.
 */
const errors = {
  message: googleMessage,
  classify: (body, status) => {
    if (status < 400) return undefined;
    const reasons = reasonsOf(body);
    if ([...reasons].some((reason) => RATE_REASONS.has(reason)) || body?.error?.status === 'RESOURCE_EXHAUSTED') return 'rate_limited';
    return undefined;
  },
};

/**
 * Gmail's sending limits answer without Retry-After but say when in the message
 * ("User-rate limit exceeded.  Retry after 2030-01-01T10:00:00.000Z"): the wait is read from there.
 */
function withRetryAfter(error, response) {
  // readJson reads a missing Retry-After as 0 seconds: only a header that was there is kept.
  if (error?.code !== 'provider_rate_limited' || response.headers.has('retry-after')) return error;
  const match = /retry after (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/i.exec(error.message);
  const at = match ? Date.parse(match[1]) : Number.NaN;
  return new ProviderRateLimitedError(error.message, Number.isNaN(at) ? undefined : Math.max(1, Math.ceil((at - Date.now()) / 1000)));
}

/**
 * Calls the Gmail API (the host adds the bearer token under the base URL and refreshes it before it
 * expires). Refusals become provider_rejected with Google's message, quota answers rate limits.
 * @param {GmailContext} ctx
 */
async function gmail(ctx, path, init = {}) {
  const response = await ctx.http(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  try {
    return await readJson(response, ctx, errors);
  } catch (error) {
    throw withRetryAfter(error, response);
  }
}

/** An expired People API sync token: the caller lists everything again. */
class SyncTokenExpiredError extends Error {}

/**
 * Calls the People API. It is not under the base URL, so the host does not add the token: it is set
 * here, for this one fixed Google origin only. An expired sync token answers 410 (the documented sync
 * example) or 400 FAILED_PRECONDITION, both with the ErrorInfo reason EXPIRED_SYNC_TOKEN.
 * @param {GmailContext} ctx
 */
async function people(ctx, path, query) {
  const token = ctx.credentials?.accessToken;
  const headers = { accept: 'application/json', ...(typeof token === 'string' && token ? { authorization: `Bearer ${token}` } : {}) };
  const response = await ctx.http(`${PEOPLE_BASE}${path}?${query}`, { headers });
  if (response.ok) return readJson(response, ctx, errors);
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status === 410 || reasonsOf(body).has('EXPIRED_SYNC_TOKEN')) throw new SyncTokenExpiredError(googleMessage(body) ?? 'the sync token expired');
  try {
    return await readJson(new Response(text, { status: response.status, headers: response.headers }), ctx, errors);
  } catch (error) {
    throw withRetryAfter(error, response);
  }
}

// ---- RFC 5322 / MIME messages ---------------------------------------------------------------------

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ATOMS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** UTF-8 bytes per RFC 2047 encoded word: 42 bytes are 56 base64 characters, 68 with `=?UTF-8?B?…?=`. */
const WORD_BYTES = 42;

/** RFC 2047 "B" encoded words, split between characters (never inside one), each within 75 characters. */
function encodedWords(text) {
  const words = [];
  let chunk = '';
  for (const char of text) {
    if (chunk && Buffer.byteLength(chunk + char) > WORD_BYTES) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`);
}

const oneLine = (text) => String(text).replace(/[\r\n]+/g, ' ');

/** An unstructured header value (Subject): as it is when printable ASCII, else encoded words on folded lines. */
function unstructured(text) {
  const value = oneLine(text);
  if (PRINTABLE_ASCII.test(value) && !value.includes('=?')) return value;
  return encodedWords(value).join('\r\n ');
}

/** A display name: atoms as they are, other ASCII quoted, anything else encoded words. */
function phrase(name) {
  const value = oneLine(name).trim();
  if (!value.includes('=?') && ATOMS.test(value)) return value;
  if (!value.includes('=?') && PRINTABLE_ASCII.test(value)) return `"${value.replace(/[\\"]/g, '\\$&')}"`;
  return encodedWords(value).join(' ');
}

/** @param {Recipient} recipient */
function mailbox(recipient) {
  const { email, name } = typeof recipient === 'string' ? { email: recipient, name: undefined } : recipient;
  if (typeof email !== 'string' || !EMAIL.test(email)) throw new ProviderRejectedError(`"${oneLine(email)}" is not an email address.`);
  return name && oneLine(name).trim() ? `${phrase(name)} <${email}>` : email;
}

const list = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A header of several items (addresses, message ids), folded between items to keep lines short. */
function foldedHeader(name, items, separator) {
  const lines = [];
  let line = `${name}:`;
  items.forEach((item, index) => {
    const piece = `${item}${index < items.length - 1 ? separator : ''}`;
    if (index > 0 && line.length + 1 + piece.length > 76) {
      lines.push(line);
      line = '';
    }
    line += ` ${piece}`;
  });
  lines.push(line);
  return lines.join('\r\n');
}

/** Base64 in lines of 76 characters (RFC 2045). */
const base64Lines = (text) =>
  Buffer.from(text, 'utf8')
    .toString('base64')
    .replace(/.{76}(?=.)/g, '$&\r\n');

const textPart = (type, content) => `Content-Type: ${type}; charset="UTF-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(content)}`;

/** RFC 5322 date of now, `Tue, 01 Jul 2030 10:00:00 +0000`. */
const rfc5322Date = () => new Date().toUTCString().replace(/GMT$/, '+0000');

/**
 * The RFC 5322 message Gmail sends: UTF-8 headers as RFC 2047 encoded words, the body base64-encoded,
 * `multipart/alternative` (text, then HTML: the last part is the preferred one) when both are given,
 * and `In-Reply-To`/`References` when it answers a thread.
 * @param {GmailContext} ctx
 * @param {MailInput} input
 * @param {ReplyContext | undefined} reply
 */
function buildMessage(ctx, input, reply) {
  const from = ctx.integration?.metadata?.emailAddress;
  const headers = [];
  // Gmail sends from the connected address whatever the From says (unless it is one of its send-as aliases).
  if (typeof from === 'string' && EMAIL.test(from)) headers.push(`From: ${from}`);
  const to = list(input.to).map(mailbox);
  if (to.length === 0) throw new ProviderRejectedError('The email needs at least one recipient in "to".');
  headers.push(foldedHeader('To', to, ','));
  if (input.cc?.length) headers.push(foldedHeader('Cc', input.cc.map(mailbox), ','));
  // Gmail delivers to the Bcc addresses and takes the header out of the copies it sends.
  if (input.bcc?.length) headers.push(foldedHeader('Bcc', input.bcc.map(mailbox), ','));
  const replyTo = list(input.replyTo).map(mailbox);
  if (replyTo.length) headers.push(foldedHeader('Reply-To', replyTo, ','));
  headers.push(`Subject: ${unstructured(input.subject)}`);
  headers.push(`Date: ${rfc5322Date()}`);
  if (reply?.inReplyTo) headers.push(`In-Reply-To: ${reply.inReplyTo}`);
  if (reply?.references.length) headers.push(foldedHeader('References', reply.references, ''));
  headers.push('MIME-Version: 1.0');
  if (input.text !== undefined && input.html !== undefined) {
    const boundary = `plugboard-${randomBytes(16).toString('hex')}`;
    headers.push(`Content-Type: multipart/alternative;\r\n boundary="${boundary}"`);
    const body = [
      `--${boundary}`,
      textPart('text/plain', input.text),
      `--${boundary}`,
      textPart('text/html', input.html),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    return `${headers.join('\r\n')}\r\n\r\n${body}`;
  }
  const [type, content] = input.html !== undefined ? ['text/html', input.html] : ['text/plain', input.text ?? ''];
  return `${headers.join('\r\n')}\r\n${textPart(type, content)}`;
}

/** Gmail's `raw`: the whole message, base64url-encoded. */
const raw = (message) => Buffer.from(message, 'utf8').toString('base64url');

/** A subject without its reply and forward prefixes, for comparing with the thread's. */
const baseSubject = (subject) =>
  String(subject ?? '')
    .replace(/^\s*((re|fwd?|aw|wg|sv|vs)\s*(\[\d+\])?\s*:\s*)+/i, '')
    .trim()
    .toLowerCase();

/**
 * What a reply in a thread needs, from the thread's last message that is not a draft: its Message-ID
 * (In-Reply-To), and its References followed by that id. Gmail puts a message in a thread only when
 * the threadId is given, these two headers follow RFC 2822, and the subjects match.
 * @param {GmailContext} ctx
 * @returns {Promise<ReplyContext>}
 */
async function replyContext(ctx, threadId, subject) {
  const query = new URLSearchParams({ format: 'metadata' });
  for (const header of ['Subject', 'Message-ID', 'In-Reply-To', 'References']) query.append('metadataHeaders', header);
  const thread = await gmail(ctx, `/threads/${encodeURIComponent(threadId)}?${query}`);
  const messages = (Array.isArray(thread?.messages) ? thread.messages : []).filter((message) => !(message.labelIds ?? []).includes('DRAFT'));
  const last = messages.at(-1);
  if (!last) throw new ProviderRejectedError(`The Gmail thread ${threadId} has no sent or received message to reply to.`);
  const header = (name) => (last.payload?.headers ?? []).find((entry) => String(entry?.name).toLowerCase() === name.toLowerCase())?.value;
  const inReplyTo = String(header('Message-ID') ?? '').match(MESSAGE_ID)?.[0];
  const earlier = String(header('References') ?? header('In-Reply-To') ?? '').match(MESSAGE_ID) ?? [];
  let references = [...new Set([...earlier, ...(inReplyTo ? [inReplyTo] : [])])];
  if (references.length > MAX_REFERENCES) references = [references[0], ...references.slice(-(MAX_REFERENCES - 1))];
  if (!inReplyTo) ctx.log.warn('the last message of the thread has no Message-ID: the reply cannot name it', { threadId, messageId: last.id });
  const threadSubject = header('Subject');
  if (threadSubject !== undefined && baseSubject(threadSubject) !== baseSubject(subject)) {
    ctx.log.warn('the subject differs from the thread’s: Gmail starts a new thread for it', { threadId });
  }
  return { threadId, ...(inReplyTo ? { inReplyTo } : {}), references, ...(threadSubject !== undefined ? { subject: threadSubject } : {}) };
}

/**
 * Builds the message (reading the thread first when it answers one) and sends it or saves it as a draft.
 * @param {GmailContext} ctx
 * @param {MailInput} input
 */
async function compose(ctx, input, as) {
  if (input.html === undefined && input.text === undefined) throw new ProviderRejectedError('The email needs a body: give html, text or both.');
  const reply = input.threadId ? await replyContext(ctx, input.threadId, input.subject) : undefined;
  const message = { raw: raw(buildMessage(ctx, input, reply)), ...(input.threadId ? { threadId: input.threadId } : {}) };
  const inReplyTo = reply?.inReplyTo ?? null;
  if (as === 'draft') {
    const draft = await gmail(ctx, '/drafts', { method: 'POST', body: { message } });
    return { draftId: draft.id, messageId: draft.message?.id ?? null, threadId: draft.message?.threadId ?? null, inReplyTo };
  }
  const sent = await gmail(ctx, '/messages/send', { method: 'POST', body: message });
  return { id: sent.id, threadId: sent.threadId ?? null, labelIds: Array.isArray(sent.labelIds) ? sent.labelIds : [], inReplyTo };
}

// ---- Contacts ---------------------------------------------------------------------------------------

/**
 * Every page of people/me/connections, from a sync token when given (what changed since), asking for
 * the next sync token. `stopAtChange`: stop at the first page that reports anything.
 * @param {GmailContext} ctx
 */
async function listConnections(ctx, syncToken, { stopAtChange = false } = {}) {
  const persons = [];
  let pageToken;
  let nextSyncToken;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    // On later pages and with a sync token, every other parameter must be those of the first call.
    const query = new URLSearchParams({ personFields: PERSON_FIELDS, pageSize: String(PEOPLE_PAGE_SIZE), requestSyncToken: 'true' });
    if (syncToken) query.set('syncToken', syncToken);
    if (pageToken) query.set('pageToken', pageToken);
    const body = await people(ctx, '/people/me/connections', query);
    const connections = Array.isArray(body?.connections) ? body.connections : [];
    persons.push(...connections);
    if (stopAtChange && connections.length > 0) return { persons, changed: true };
    if (typeof body?.nextSyncToken === 'string' && body.nextSyncToken) nextSyncToken = body.nextSyncToken;
    pageToken = typeof body?.nextPageToken === 'string' && body.nextPageToken ? body.nextPageToken : undefined;
    if (!pageToken) return { persons, changed: persons.length > 0, nextSyncToken };
  }
  // Never a partial list: the host would take the contacts it did not see as deleted.
  throw new Error(`the People API answered more than ${MAX_PAGES} pages of contacts`);
}

const primaryOf = (entries) => (Array.isArray(entries) ? (entries.find((entry) => entry?.metadata?.primary) ?? entries[0]) : undefined);

/**
 * One record per email address (lower-cased): the people that share an address are merged (their
 * phone numbers and resource names gathered, the name of the first that has one), in resource-name
 * order so that the merge does not change when one of them is edited. People without an address are
 * left out.
 */
function contactsByEmail(persons) {
  const records = new Map();
  const ordered = persons.filter((person) => person && !person.metadata?.deleted).sort((a, b) => String(a.resourceName).localeCompare(String(b.resourceName)));
  for (const person of ordered) {
    const name = primaryOf(person.names);
    const phones = (Array.isArray(person.phoneNumbers) ? person.phoneNumbers : []).map((phone) => phone?.canonicalForm || phone?.value).filter((phone) => typeof phone === 'string' && phone);
    const updated = (person.metadata?.sources ?? []).map((source) => source?.updateTime).filter((time) => typeof time === 'string');
    const emails = new Set(
      (Array.isArray(person.emailAddresses) ? person.emailAddresses : [])
        .map((entry) => (typeof entry?.value === 'string' ? entry.value.trim().toLowerCase() : ''))
        .filter((email) => email.includes('@')),
    );
    for (const email of emails) {
      let record = records.get(email);
      if (!record) {
        record = { id: email, email, name: null, givenName: null, familyName: null, phoneNumbers: [], resourceNames: [], updatedAt: null };
        records.set(email, record);
      }
      if (!record.name && name?.displayName) {
        record.name = name.displayName;
        record.givenName = name.givenName ?? null;
        record.familyName = name.familyName ?? null;
      }
      for (const phone of phones) if (!record.phoneNumbers.includes(phone)) record.phoneNumbers.push(phone);
      if (typeof person.resourceName === 'string' && !record.resourceNames.includes(person.resourceName)) record.resourceNames.push(person.resourceName);
      for (const time of updated) if (!record.updatedAt || time > record.updatedAt) record.updatedAt = time;
    }
  }
  return [...records.values()];
}

// ---- Declarations -----------------------------------------------------------------------------------

const address = { type: 'string', format: 'email', maxLength: 254 };
const recipient = {
  oneOf: [
    address,
    {
      type: 'object',
      additionalProperties: false,
      required: ['email'],
      properties: { email: address, name: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]*$' } },
    },
  ],
};
const recipients = { type: 'array', minItems: 1, maxItems: 100, items: recipient };

/** @param {string} what */
const mailInput = (what) => ({
  type: 'object',
  additionalProperties: false,
  required: ['to', 'subject'],
  anyOf: [{ required: ['html'] }, { required: ['text'] }],
  properties: {
    to: { oneOf: [recipient, recipients], description: 'An address ("ana@example.com" or { email, name }) or a list of them' },
    subject: { type: 'string', minLength: 1, maxLength: 900, pattern: '^[^\\r\\n]*$' },
    html: { type: 'string', minLength: 1, maxLength: 1_000_000, description: `The HTML body (with text as well, the ${what} is multipart/alternative)` },
    text: { type: 'string', minLength: 1, maxLength: 1_000_000, description: 'The plain-text body' },
    cc: recipients,
    bcc: recipients,
    replyTo: { oneOf: [recipient, { type: 'array', minItems: 1, maxItems: 10, items: recipient }], description: 'Where replies go, if not to you' },
    threadId: {
      type: 'string',
      pattern: '^[0-9A-Za-z]{1,64}$',
      description: `A thread of the connected mailbox to answer in: the ${what} replies to its last message (In-Reply-To, References). Keep its subject (with or without "Re:"), or Gmail starts a new thread.`,
    },
  },
});

const nullableString = { type: ['string', 'null'] };

export default definePlugin({
  providers: [
    {
      id: 'gmail',
      name: 'Gmail',
      category: 'email',
      description: 'Send email and save drafts as your own Gmail address (replies stay in their thread), and sync your Google contacts, merged by email address.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: [SCOPES.send, SCOPES.compose, SCOPES.readonly, SCOPES.contacts],
        scopeSeparator: ' ',
        pkce: true,
        // offline + consent: Google issues a refresh token on every connection, not only the first.
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
      },
      baseUrl: GMAIL_BASE,
      errors,
      // Gmail's usage limits: 15,000 quota units per user per minute (250 a second on average) and
      // 1,200,000 per project per minute. messages.send costs 100 units, drafts.create and threads.get
      // 10, getProfile 1: per user, at most 150 sends, 1,500 drafts or thread reads, and 15,000 requests
      // a minute. A mix can still pass the user's budget: Gmail then answers 403/429 with a rate-limit
      // reason, which is a rate limit to the caller. The People API is on another origin, outside these.
      rateLimits: [
        { requests: 150, windowMs: 60_000, scope: 'account', accountKey: 'emailAddress', match: ['POST /messages/send'] },
        { requests: 1_500, windowMs: 60_000, scope: 'account', accountKey: 'emailAddress', match: ['POST /drafts', 'GET /threads'] },
        { requests: 15_000, windowMs: 60_000, scope: 'account', accountKey: 'emailAddress' },
        { requests: 12_000, windowMs: 60_000, scope: 'app', match: ['POST /messages/send'] },
      ],

      /**
       * Checks what Google granted (its consent screen lets people untick permissions) and reads the
       * mailbox's address: the connection's name, and what tells a member's Gmail connections apart.
       * @param {GmailContext} ctx
       */
      async verify(ctx) {
        const granted = ctx.credentials?.scope;
        if (typeof granted === 'string') {
          const have = new Set(granted.split(/\s+/));
          const missing = Object.values(SCOPES).filter((scope) => !SATISFIED_BY[scope].some((wider) => have.has(wider)));
          if (missing.length > 0) {
            throw new ProviderRejectedError(
              `Google did not grant Plugboard permission to ${missing.map((scope) => SCOPE_WORDS[scope]).join(', ')}: connect Gmail again and allow every permission asked for.`,
            );
          }
        }
        const profile = await gmail(ctx, '/profile');
        if (typeof profile?.emailAddress !== 'string' || !profile.emailAddress) throw new Error('Gmail answered a profile without an email address');
        return {
          displayName: profile.emailAddress,
          metadata: { emailAddress: profile.emailAddress },
        };
      },

      // getProfile: one quota unit.
      healthCheck: { request: { path: '/profile' } },

      actions: {
        sendEmail: {
          description:
            'Sends an email from the connected Gmail address (HTML, text or both; cc, bcc, reply-to). With threadId, it is a reply in that thread: it answers the thread’s last message.',
          inputSchema: mailInput('email'),
          outputSchema: {
            type: 'object',
            required: ['id', 'threadId', 'labelIds', 'inReplyTo'],
            properties: {
              id: { type: 'string', description: 'The Gmail message id' },
              threadId: { ...nullableString, description: 'The thread it is in (the one given, when Gmail put it there)' },
              labelIds: { type: 'array', items: { type: 'string' } },
              inReplyTo: { ...nullableString, description: 'The Message-ID it replies to' },
            },
          },
          /** @param {GmailContext} ctx @param {MailInput} input */
          run: (ctx, input) => compose(ctx, input, 'send'),
        },
        createDraft: {
          description: 'Saves an email as a draft in the connected Gmail mailbox, for a person to review and send; with threadId, a reply draft in that thread.',
          inputSchema: mailInput('draft'),
          outputSchema: {
            type: 'object',
            required: ['draftId', 'messageId', 'threadId', 'inReplyTo'],
            properties: {
              draftId: { type: 'string' },
              messageId: nullableString,
              threadId: nullableString,
              inReplyTo: nullableString,
            },
          },
          /** @param {GmailContext} ctx @param {MailInput} input */
          run: (ctx, input) => compose(ctx, input, 'draft'),
        },
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * Google contacts, one record per email address. With the People API sync token of the last
         * run, it first asks what changed: nothing, and the run returns no records (every contact is
         * kept as it is); anything (an edit, a deletion), and every contact is listed again, so that
         * merged records, changed addresses and deletions come out right (the host takes a contact it
         * no longer sees as deleted). An expired token (seven days) means the same full listing.
         * @param {GmailContext} ctx
         */
        async run(ctx, input) {
          const since = input?.highWaterMarks?.[SYNC_MARK];
          if (since) {
            try {
              const changes = await listConnections(ctx, since, { stopAtChange: true });
              if (!changes.changed) return { highWaterMarks: { [SYNC_MARK]: changes.nextSyncToken ?? since } };
              ctx.log.info('Google contacts changed since the last sync: listing them all again');
            } catch (error) {
              if (!(error instanceof SyncTokenExpiredError)) throw error;
              ctx.log.info('the People API sync token expired: listing every contact again');
            }
          }
          const { persons, nextSyncToken } = await listConnections(ctx, undefined);
          return { records: { contacts: contactsByEmail(persons) }, ...(nextSyncToken ? { highWaterMarks: { [SYNC_MARK]: nextSyncToken } } : {}) };
        },
      },
    },
  ],
});
