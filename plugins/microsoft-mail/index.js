// Outlook mail provider for Plugboard, written against the Microsoft Graph REST API v1.0 mail and contacts reference (https://learn.microsoft.com/graph/api/resources/mail-api-overview?view=graph-rest-1.0) and the Microsoft identity platform authorization-code flow (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow).
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, Record<string, never>>} MailContext
 * @typedef {string | { email: string, name?: string }} Recipient
 * @typedef {{
 *   to?: Recipient | Recipient[], subject?: string, html?: string, text?: string,
 *   cc?: Recipient[], bcc?: Recipient[], replyTo?: Recipient | Recipient[], replyToMessageId?: string,
 * }} MailInput
 */

const GRAPH_BASE = 'https://graph.microsoft.com/v1.0';
const CONTACT_PAGE_SIZE = 1000;
/** Pages of contacts read at most (a million contacts): never a partial list, which would read as deletions. */
const MAX_PAGES = 1000;
const CONTACT_FIELDS = ['id', 'displayName', 'givenName', 'surname', 'emailAddresses', 'businessPhones', 'homePhones', 'mobilePhone', 'lastModifiedDateTime'].join(',');
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

/** What a person can do about Graph's refusals, by error code. */
const HINTS = {
  InvalidAuthenticationToken: 'Connect Outlook Mail again.',
  ErrorAccessDenied: 'Connect again and allow every permission Plugboard asks for (send mail, read and write mail, read contacts).',
  Authorization_RequestDenied: 'Connect again and allow Plugboard to read your profile (User.Read).',
  MailboxNotEnabledForRESTAPI: 'This account has no Exchange Online mailbox (no license, a guest account, or a mailbox hosted on-premises): connect an account with an Outlook mailbox.',
  ErrorItemNotFound: 'Check replyToMessageId: the message must be in the connected mailbox.',
  ErrorInvalidIdMalformed: 'Check replyToMessageId: it is not a Microsoft Graph message id.',
  ErrorInvalidRecipients: 'Check the recipients’ addresses.',
  ErrorMessageSizeExceeded: 'The message is larger than the mailbox allows.',
};

/**
 * Graph's errors read `{ error: { code, message, innerError } }`: refusals show the message, the code
 * and what to do about it. 429 (TooManyRequests, ApplicationThrottled) is a rate limit with Graph's
 * Retry-After (fractional seconds are read by the host).
 */
const errors = {
  message: (body) => {
    const error = body?.error;
    if (!error || typeof error !== 'object') return typeof body?.error_description === 'string' ? body.error_description : undefined;
    const code = typeof error.code === 'string' && error.code ? error.code : undefined;
    const message = typeof error.message === 'string' && error.message ? error.message : undefined;
    if (!code && !message) return undefined;
    const hint = code ? HINTS[code] : undefined;
    return [message ? `${message}${code ? ` (${code})` : ''}` : code, hint].filter(Boolean).join(' ');
  },
};

/**
 * Calls Graph (the host adds the bearer token under the base URL and refreshes it before it expires).
 * Answers the JSON (null for 202/204 without a body) and the response's headers.
 * @param {MailContext} ctx
 */
async function graph(ctx, url, init = {}) {
  const response = await ctx.http(url, { ...init, headers: { accept: 'application/json', ...init.headers } });
  return { body: await readJson(response, ctx, errors), headers: response.headers };
}

/** The next page of a Graph collection: `@odata.nextLink`, followed as it is, only under the Graph base URL. */
function nextLink(page) {
  const next = page?.['@odata.nextLink'];
  if (next === undefined || next === null) return undefined;
  if (typeof next !== 'string' || !next.startsWith(`${GRAPH_BASE}/`)) throw new Error('Microsoft Graph answered a next page link outside its API');
  return next;
}

// ---- Messages ---------------------------------------------------------------------------------------

const list = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A Graph recipient: `{ emailAddress: { address, name } }`. @param {Recipient} entry */
function recipient(entry) {
  const { email, name } = typeof entry === 'string' ? { email: entry, name: undefined } : entry;
  if (typeof email !== 'string' || !EMAIL.test(email)) throw new ProviderRejectedError(`"${String(email)}" is not an email address.`);
  const label = typeof name === 'string' ? name.replace(/[\r\n]+/g, ' ').trim() : '';
  return { emailAddress: { address: email, ...(label ? { name: label } : {}) } };
}

/**
 * The Graph message of an input. A Graph message has one body: with both, the HTML one is sent and
 * the text is not.
 * @param {MailInput} input
 */
function graphMessage(input) {
  const to = list(input.to).map(recipient);
  const cc = list(input.cc).map(recipient);
  const bcc = list(input.bcc).map(recipient);
  const replyTo = list(input.replyTo).map(recipient);
  return {
    ...(input.subject !== undefined ? { subject: input.subject.replace(/[\r\n]+/g, ' ') } : {}),
    body: input.html !== undefined ? { contentType: 'HTML', content: input.html } : { contentType: 'Text', content: input.text ?? '' },
    ...(to.length ? { toRecipients: to } : {}),
    ...(cc.length ? { ccRecipients: cc } : {}),
    ...(bcc.length ? { bccRecipients: bcc } : {}),
    ...(replyTo.length ? { replyTo } : {}),
  };
}

/** @param {MailInput} input */
function checkInput(input) {
  if (input.html === undefined && input.text === undefined) throw new ProviderRejectedError('The email needs a body: give html, text or both.');
  if (!input.replyToMessageId && list(input.to).length === 0) throw new ProviderRejectedError('The email needs at least one recipient in "to".');
  if (!input.replyToMessageId && !input.subject) throw new ProviderRejectedError('The email needs a subject.');
}

const messagePath = (id) => `/me/messages/${encodeURIComponent(id)}`;

/**
 * Sends with sendMail (kept in Sent Items), or replies to a message of the mailbox with `reply`: its
 * body is the message body (Graph takes a comment or a body, not both), the reply goes to `to` when
 * given, else to the original's Reply-To or sender, and keeps the conversation (In-Reply-To,
 * References). Both answer 202 without a body: the outcome is that Exchange accepted it.
 * @param {MailContext} ctx
 * @param {MailInput} input
 */
async function send(ctx, input) {
  checkInput(input);
  const message = graphMessage(input);
  const { headers } = input.replyToMessageId
    ? await graph(ctx, `${messagePath(input.replyToMessageId)}/reply`, { method: 'POST', body: { message } })
    : await graph(ctx, '/me/sendMail', { method: 'POST', body: { message, saveToSentItems: true } });
  return { accepted: true, replyToMessageId: input.replyToMessageId ?? null, requestId: headers.get('request-id') };
}

/**
 * Saves a draft in the Drafts folder (POST /me/messages), or a reply draft in the message's
 * conversation (createReply, then the draft carries the input's body and recipients).
 * @param {MailContext} ctx
 * @param {MailInput} input
 */
async function draft(ctx, input) {
  checkInput(input);
  const message = graphMessage(input);
  const { body } = input.replyToMessageId
    ? await graph(ctx, `${messagePath(input.replyToMessageId)}/createReply`, { method: 'POST', body: { message } })
    : await graph(ctx, '/me/messages', { method: 'POST', body: message });
  return {
    id: body?.id,
    conversationId: body?.conversationId ?? null,
    internetMessageId: body?.internetMessageId ?? null,
    subject: body?.subject ?? null,
    webLink: body?.webLink ?? null,
    replyToMessageId: input.replyToMessageId ?? null,
  };
}

// ---- Contacts ---------------------------------------------------------------------------------------

/**
 * One record per email address (lower-cased): contacts that share an address are merged (phone
 * numbers and contact ids gathered, the name of the first that has one), in id order so that the merge
 * does not change when one of them is edited. Contacts without an address are left out.
 */
function contactsByEmail(contacts) {
  const records = new Map();
  // By id, code point by code point: the same order whatever the locale.
  const ordered = contacts.filter(Boolean).sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
  for (const contact of ordered) {
    const phones = [...(contact.businessPhones ?? []), ...(contact.homePhones ?? []), contact.mobilePhone].filter((phone) => typeof phone === 'string' && phone.trim());
    const emails = new Set(
      (Array.isArray(contact.emailAddresses) ? contact.emailAddresses : [])
        .map((entry) => (typeof entry?.address === 'string' ? entry.address.trim().toLowerCase() : ''))
        .filter((email) => email.includes('@')),
    );
    const name = contact.displayName || [contact.givenName, contact.surname].filter(Boolean).join(' ') || null;
    for (const email of emails) {
      let record = records.get(email);
      if (!record) {
        record = { id: email, email, name: null, givenName: null, familyName: null, phoneNumbers: [], contactIds: [], updatedAt: null };
        records.set(email, record);
      }
      if (!record.name && name) {
        record.name = name;
        record.givenName = contact.givenName || null;
        record.familyName = contact.surname || null;
      }
      for (const phone of phones) if (!record.phoneNumbers.includes(phone.trim())) record.phoneNumbers.push(phone.trim());
      if (!record.contactIds.includes(contact.id)) record.contactIds.push(contact.id);
      const modified = contact.lastModifiedDateTime;
      if (typeof modified === 'string' && (!record.updatedAt || modified > record.updatedAt)) record.updatedAt = modified;
    }
  }
  return [...records.values()];
}

// ---- Declarations -----------------------------------------------------------------------------------

const address = { type: 'string', format: 'email', maxLength: 254 };
const recipientSchema = {
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
const recipients = { type: 'array', minItems: 1, maxItems: 100, items: recipientSchema };

/** @param {string} what */
const mailInput = (what) => ({
  type: 'object',
  additionalProperties: false,
  allOf: [
    { anyOf: [{ required: ['html'] }, { required: ['text'] }] },
    // A new message needs recipients and a subject; a reply has the original's by default.
    { anyOf: [{ required: ['to', 'subject'] }, { required: ['replyToMessageId'] }] },
  ],
  properties: {
    to: {
      oneOf: [recipientSchema, recipients],
      description: 'An address ("ana@example.com" or { email, name }) or a list of them; for a reply, defaults to the original’s Reply-To or sender',
    },
    subject: { type: 'string', minLength: 1, maxLength: 900, pattern: '^[^\\r\\n]*$', description: 'For a reply, defaults to "RE: " and the original’s' },
    html: { type: 'string', minLength: 1, maxLength: 1_000_000, description: `The HTML body (Graph takes one body: with text as well, the HTML one is the ${what}’s)` },
    text: { type: 'string', minLength: 1, maxLength: 1_000_000, description: 'The plain-text body' },
    cc: recipients,
    bcc: recipients,
    replyTo: { oneOf: [recipientSchema, { type: 'array', minItems: 1, maxItems: 10, items: recipientSchema }], description: 'Where replies go, if not to you' },
    replyToMessageId: {
      type: 'string',
      minLength: 1,
      maxLength: 512,
      pattern: '^[A-Za-z0-9+/=_-]+$',
      description: `The Graph id of a message of the connected mailbox: the ${what} is a reply to it, in its conversation`,
    },
  },
});

const nullableString = { type: ['string', 'null'] };

export default definePlugin({
  providers: [
    {
      id: 'microsoft_mail',
      name: 'Outlook Mail',
      category: 'email',
      description:
        'Send email, reply and save drafts as your own Outlook address (Microsoft 365 or Outlook.com) through Microsoft Graph, and sync your Outlook contacts, merged by email address.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
        tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
        // Mail.ReadWrite: creating a draft (POST /me/messages, createReply) takes it; Mail.Send alone only sends.
        // offline_access: Microsoft issues a refresh token only when it is asked for.
        scopes: ['Mail.Send', 'Mail.Read', 'Mail.ReadWrite', 'User.Read', 'Contacts.Read', 'offline_access'],
        scopeSeparator: ' ',
        pkce: true,
        authorizationParams: { prompt: 'select_account' },
        refresh: true,
      },
      baseUrl: GRAPH_BASE,
      errors,
      // Outlook service limits: 10,000 requests per 10 minutes per app and mailbox (the connected user,
      // `userId` from verify). Its other limit, 4 concurrent requests per app and mailbox, is not a rate
      // and cannot be declared here; this plugin sends its requests one at a time.
      rateLimits: [{ requests: 10_000, windowMs: 600_000, scope: 'account', accountKey: 'userId' }],

      /**
       * Who connected (/me), and that the account has a mailbox Graph can reach (its Inbox): an account
       * without one (no Exchange Online license, a guest, on-premises) is refused now, not at its first send.
       * @param {MailContext} ctx
       */
      async verify(ctx) {
        const { body: me } = await graph(ctx, '/me?$select=id,displayName,mail,userPrincipalName');
        if (typeof me?.id !== 'string') throw new Error('Microsoft Graph answered /me without an id');
        await graph(ctx, '/me/mailFolders/inbox?$select=id');
        const mail = me.mail || me.userPrincipalName || null;
        return {
          displayName: me.displayName ? `${me.displayName}${mail ? ` <${mail}>` : ''}` : (mail ?? 'Outlook Mail'),
          metadata: { userId: me.id, mail, displayName: me.displayName || null, userPrincipalName: me.userPrincipalName ?? null },
        };
      },

      healthCheck: { request: { path: '/me', query: { $select: 'id' } } },

      actions: {
        sendEmail: {
          description:
            'Sends an email from the connected Outlook mailbox (kept in Sent Items). With replyToMessageId, it is a reply to that message, in its conversation.',
          inputSchema: mailInput('email'),
          outputSchema: {
            type: 'object',
            required: ['accepted', 'replyToMessageId', 'requestId'],
            properties: {
              accepted: { const: true, description: 'Exchange accepted the message for delivery (Graph answers 202, not the message id)' },
              replyToMessageId: nullableString,
              requestId: { ...nullableString, description: 'Graph’s request-id, for Microsoft support' },
            },
          },
          /** @param {MailContext} ctx @param {MailInput} input */
          run: send,
        },
        createDraft: {
          description: 'Saves an email as a draft in the connected mailbox’s Drafts folder, for a person to review and send; with replyToMessageId, a reply draft in that conversation.',
          inputSchema: mailInput('draft'),
          outputSchema: {
            type: 'object',
            required: ['id', 'conversationId', 'internetMessageId', 'subject', 'webLink', 'replyToMessageId'],
            properties: {
              id: { type: 'string', description: 'The draft’s Graph message id' },
              conversationId: nullableString,
              internetMessageId: nullableString,
              subject: nullableString,
              webLink: { ...nullableString, description: 'Opens the draft in Outlook on the web' },
              replyToMessageId: nullableString,
            },
          },
          /** @param {MailContext} ctx @param {MailInput} input */
          run: draft,
        },
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * The contacts of the default Contacts folder, page by page (`@odata.nextLink`), one record per
         * email address. Listed in full each run: a contact no longer there is taken as deleted.
         * @param {MailContext} ctx
         */
        async run(ctx) {
          const contacts = [];
          let next = `/me/contacts?$select=${CONTACT_FIELDS}&$top=${CONTACT_PAGE_SIZE}`;
          for (let page = 0; next; page += 1) {
            if (page >= MAX_PAGES) throw new Error(`Microsoft Graph answered more than ${MAX_PAGES} pages of contacts`);
            const { body } = await graph(ctx, next);
            if (!Array.isArray(body?.value)) throw new Error('Microsoft Graph answered a collection without a value array');
            contacts.push(...body.value);
            next = nextLink(body);
          }
          return { records: { contacts: contactsByEmail(contacts) } };
        },
      },
    },
  ],
});
