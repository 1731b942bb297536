// Salesforce provider for Plugboard, written against Salesforce's REST API Developer Guide (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/), the SOQL and SOSL Reference, and Salesforce Help's OAuth 2.0 web server flow, UserInfo endpoint and API request limits pages.
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ registered?: string, registeredAt?: string, attended?: string, lastAttendedAt?: string, watchTimeSeconds?: string, lastSessionId?: string }} FieldMapping
 * @typedef {{
 *   object?: 'Lead' | 'Contact',
 *   fieldMapping?: FieldMapping,
 *   defaultCompany?: string,
 *   leadSource?: string,
 *   campaignId?: string,
 *   registeredStatus?: string,
 *   attendedStatus?: string,
 * }} SalesforceSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, SalesforceSettings>} SalesforceContext
 * @typedef {{ email: string, name?: string, values: Record<string, unknown> }} Person
 * @typedef {{ id: string, email: string, created: boolean }} SavedPerson
 */

/**
 * The REST API version every call uses (Spring '26). Salesforce keeps old versions for years, so a pinned
 * version keeps field and error shapes stable; newer releases reach every org within weeks of each other.
 */
const API_VERSION = 'v66.0';
const API_PATH = `/services/data/${API_VERSION}`;
/** sObject Collections take at most 200 records a request. */
const COLLECTION_SIZE = 200;
/** Emails per `IN (…)` filter: keeps the SOQL (100,000 characters at most) and its URL short. */
const IN_CHUNK = 100;
/** A query locator hands out at most 2,000 records a page; this many pages is 2,000,000 records. */
const MAX_PAGES = 1000;
/** A session end lists at most this many participants to record (the rest are logged and skipped). */
const MAX_PARTICIPANTS = 5000;
const DEFAULT_COMPANY = '[not provided]';

/** Field API names: standard (`Email`), custom (`Webinar_Attended__c`) and managed-package ones (`ns__Field__c`). */
const FIELD_NAME = '^[A-Za-z][A-Za-z0-9_]{0,79}$';
/** Campaign ids start with the Campaign key prefix 701; 15 or 18 characters. */
const CAMPAIGN_ID = '^701[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$';
/** The generic login hosts and My Domain ones (production, sandbox, Developer Edition, scratch, demo, patch, Trailhead orgs). */
const MY_DOMAIN = '^[a-z0-9]([a-z0-9-]{0,78}[a-z0-9])?(\\.(sandbox|develop|scratch|demo|patch|trailblaze))?\\.my\\.salesforce\\.com$';
const LOGIN_HOSTS = ['login.salesforce.com', 'test.salesforce.com'];
/** `instance_url` of token answers: an https origin under salesforce.com or force.com, nothing else. */
const INSTANCE_URL = '^https://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.(salesforce|force)\\.com$';
/** Warn when an org has spent this share of its 24-hour API allocation (`Sforce-Limit-Info`). */
const USAGE_WARNING = 0.9;

const OBJECTS = ['Lead', 'Contact'];
const DESCRIBED_OBJECTS = ['Lead', 'Contact', 'CampaignMember', 'Campaign'];

// --- errors --------------------------------------------------------------------------------------

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Salesforce's REST errors are arrays of `{ message, errorCode, fields }` (SaveResults use `statusCode`). */
function errorEntries(body) {
  if (Array.isArray(body)) return body.filter(isObject);
  return isObject(body) && (typeof body.errorCode === 'string' || typeof body.statusCode === 'string') ? [body] : [];
}

const codeOf = (entry) => entry.errorCode ?? entry.statusCode;

/** A SOQL error's message repeats the query with a caret under the spot: keep the position and the reason. */
function cleanMessage(message) {
  const text = typeof message === 'string' ? message : '';
  const at = text.indexOf('ERROR at Row');
  return (at >= 0 ? text.slice(at) : text).replace(/\s*\n\s*/g, ' ').trim();
}

/** One error as a person reads it: Salesforce's message, its code, and the fields it names. */
function describeError(entry) {
  const code = codeOf(entry);
  if (code === 'INVALID_SESSION_ID') {
    return `Salesforce refused the session (${cleanMessage(entry.message) || 'expired or invalid'}): refresh the connection, or connect the Salesforce account again.`;
  }
  const fields = Array.isArray(entry.fields) && entry.fields.length ? ` on ${entry.fields.join(', ')}` : '';
  const message = cleanMessage(entry.message);
  if (!code) return message || undefined;
  if (code === 'DUPLICATES_DETECTED') {
    const matches = (entry.duplicateResult?.matchResults ?? []).flatMap((result) => (result?.matchRecords ?? []).map((match) => match?.record?.Id)).filter(Boolean);
    return `Salesforce's duplicate rules block this record${matches.length ? ` (it matches ${matches.join(', ')})` : ''}: ${message} (${code})`;
  }
  return `${message || code} (${code}${fields})`;
}

function salesforceMessage(body) {
  const entries = errorEntries(body);
  if (entries.length) return [...new Set(entries.map(describeError).filter(Boolean))].join('; ') || undefined;
  if (isObject(body) && typeof body.error === 'string') return body.error_description ? `${body.error_description} (${body.error})` : body.error;
  return undefined;
}

/**
 * Refusals read as Salesforce words them; REQUEST_LIMIT_EXCEEDED (403, the org's 24-hour allocation or its
 * concurrent long-running requests) is a rate limit, INVALID_SESSION_ID (401) a refusal that asks for a new
 * session.
 */
const errors = {
  message: salesforceMessage,
  classify(body, status) {
    const codes = errorEntries(body).map(codeOf);
    if (codes.includes('REQUEST_LIMIT_EXCEEDED')) return 'rate_limited';
    if (codes.includes('INVALID_SESSION_ID') || (status === 401 && codes.length)) return 'rejected';
    return undefined;
  },
};

// --- HTTP ----------------------------------------------------------------------------------------

/** When each org was last warned about its API usage (at most hourly per org and process). */
const usageWarnings = new Map();

/** `Sforce-Limit-Info: api-usage=18/15000` comes with every REST answer: warn before the allocation runs out. */
function noteUsage(ctx, response) {
  const match = /api-usage=(\d+)\/(\d+)/.exec(response.headers.get('sforce-limit-info') ?? '');
  if (!match) return;
  const [used, max] = [Number(match[1]), Number(match[2])];
  const org = String(ctx.integration.metadata?.organizationId ?? ctx.integration.id);
  if (max > 0 && used / max >= USAGE_WARNING && Date.now() - (usageWarnings.get(org) ?? 0) > 3_600_000) {
    usageWarnings.set(org, Date.now());
    ctx.log.warn('the Salesforce org has spent most of its 24-hour API request allocation', { used, max });
  }
}

/**
 * Calls the REST API under `{instanceUrl}/services/data/v66.0` (the host adds the bearer token and waits for
 * the declared daily budget); answers the JSON (null for 204) or throws what Salesforce's answer means.
 * @param {SalesforceContext} ctx
 */
async function salesforce(ctx, path, init = {}) {
  const response = await ctx.http(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  noteUsage(ctx, response);
  return readJson(response, ctx, errors);
}

/** A SOQL string literal: the reserved `'` and `\` and the control characters escaped. */
function soqlString(value) {
  const escapes = { '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
  return `'${String(value).replace(/[\\'"\n\r\t\b\f]/g, (char) => escapes[char])}'`;
}

/** A SOQL date-time literal (`2026-03-02T16:00:00Z`: whole seconds, UTC, unquoted). */
function soqlDateTime(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Every record a SOQL query finds: the first page from `/query` (or `/queryAll`, which includes deleted
 * records), then each `nextRecordsUrl` until `done`.
 * @param {SalesforceContext} ctx
 * @returns {AsyncGenerator<Record<string, any>>}
 */
async function* query(ctx, soql, { all = false } = {}) {
  let path = `/${all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const body = await salesforce(ctx, path);
    for (const record of Array.isArray(body?.records) ? body.records : []) yield record;
    const next = body?.nextRecordsUrl;
    if (body?.done !== false || typeof next !== 'string' || !next) return;
    // The locator's URL is absolute from the instance root (/services/data/v66.0/query/01g…-2000).
    if (!next.startsWith(`${API_PATH}/`)) throw new Error(`Salesforce answered a nextRecordsUrl outside ${API_PATH}: ${next}`);
    path = next.slice(API_PATH.length);
  }
  ctx.log.warn('stopped following nextRecordsUrl after the page limit', { pages: MAX_PAGES });
}

async function queryList(ctx, soql, options) {
  const records = [];
  for await (const record of query(ctx, soql, options)) records.push(record);
  return records;
}

const chunks = (items, size) => Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));

/**
 * Creates (POST) or updates (PATCH) records with sObject Collections, 200 a request, each record on its own
 * (`allOrNone: false`). Answers one SaveResult per record, in order.
 * @param {SalesforceContext} ctx
 * @param {'POST' | 'PATCH'} method
 */
async function saveCollection(ctx, method, records) {
  const results = [];
  for (const batch of chunks(records, COLLECTION_SIZE)) {
    const body = await salesforce(ctx, '/composite/sobjects', { method, body: { allOrNone: false, records: batch } });
    if (!Array.isArray(body) || body.length !== batch.length) throw new Error('Salesforce answered sObject Collections without one result per record');
    results.push(...body);
  }
  return results;
}

const saveErrors = (result) => (Array.isArray(result?.errors) ? result.errors.map(describeError).filter(Boolean).join('; ') : '') || 'refused';

// --- people and campaign members -----------------------------------------------------------------

/** @param {SalesforceSettings} settings */
const objectOf = (settings) => (settings?.object === 'Contact' ? 'Contact' : 'Lead');
const isEmail = (value) => typeof value === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && value.length <= 80;
const truncate = (value, max) => (value.length > max ? value.slice(0, max) : value);

/** First and last name from a display name; Salesforce requires a last name, so the email's local part stands in. */
function nameFields(name, email) {
  const parts = typeof name === 'string' ? name.trim().split(/\s+/).filter(Boolean) : [];
  if (parts.length === 0) return { LastName: truncate(email.split('@')[0], 80) };
  if (parts.length === 1) return { LastName: truncate(parts[0], 80) };
  return { FirstName: truncate(parts[0], 40), LastName: truncate(parts.slice(1).join(' '), 80) };
}

/** The mapped engagement fields with their Salesforce values (checkbox, date/time, number, text). */
function engagementFields(settings, values) {
  const mapping = settings?.fieldMapping ?? {};
  const fields = {};
  for (const [key, value] of Object.entries(values)) {
    const target = mapping[key];
    if (!target || value === undefined || value === null) continue;
    if (key === 'registered' || key === 'attended') fields[target] = value === true;
    else if (key === 'registeredAt' || key === 'lastAttendedAt') {
      const at = Date.parse(String(value));
      if (!Number.isNaN(at)) fields[target] = new Date(at).toISOString();
    } else if (key === 'watchTimeSeconds') {
      const seconds = Number(value);
      if (Number.isFinite(seconds) && seconds >= 0) fields[target] = Math.round(seconds);
    } else fields[target] = truncate(String(value), 255);
  }
  return fields;
}

/**
 * The records of these emails (case-insensitive, as SOQL compares text), the most recently modified one
 * per email; converted leads are left alone (Salesforce refuses to update them).
 * @param {SalesforceContext} ctx
 * @returns {Promise<Map<string, { Id: string, Email: string }>>}
 */
async function findPeople(ctx, object, emails) {
  const found = new Map();
  for (const batch of chunks(emails, IN_CHUNK)) {
    const soql =
      `SELECT Id, Email FROM ${object} WHERE Email IN (${batch.map(soqlString).join(', ')})` +
      `${object === 'Lead' ? ' AND IsConverted = false' : ''} ORDER BY LastModifiedDate DESC`;
    for await (const record of query(ctx, soql)) {
      const key = String(record.Email ?? '').toLowerCase();
      if (key && !found.has(key)) found.set(key, record);
    }
  }
  return found;
}

/**
 * Creates or updates the Lead or Contact of each person by email: new records get a name (and for leads a
 * company and lead source) besides the engagement fields; existing ones only the engagement fields.
 * Records Salesforce refuses are logged; when it refuses every one, the call fails with its reasons.
 * @param {SalesforceContext} ctx
 * @param {Person[]} people
 * @returns {Promise<SavedPerson[]>}
 */
async function savePeople(ctx, people, eventId) {
  const settings = ctx.settings ?? {};
  const object = objectOf(settings);
  /** @type {Map<string, Person>} */
  const byEmail = new Map();
  for (const person of people) {
    const key = person.email.toLowerCase();
    const earlier = byEmail.get(key);
    byEmail.set(key, { email: earlier?.email ?? person.email, name: earlier?.name ?? person.name, values: { ...earlier?.values, ...person.values } });
  }
  const found = await findPeople(ctx, object, [...byEmail.values()].map((person) => person.email));
  const creates = [];
  const updates = [];
  for (const [key, person] of byEmail) {
    const fields = engagementFields(settings, person.values);
    const existing = found.get(key);
    if (existing) {
      updates.push({ person, id: existing.Id, record: { attributes: { type: object }, id: existing.Id, ...fields } });
      continue;
    }
    const lead = object === 'Lead' ? { Company: settings.defaultCompany || DEFAULT_COMPANY, ...(settings.leadSource ? { LeadSource: settings.leadSource } : {}) } : {};
    creates.push({ person, record: { attributes: { type: object }, Email: person.email, ...nameFields(person.name, person.email), ...lead, ...fields } });
  }

  /** @type {SavedPerson[]} */
  const saved = [];
  const refused = [];
  // Records with nothing to change need no write.
  const changing = updates.filter((update) => Object.keys(update.record).length > 2);
  for (const update of updates) if (!changing.includes(update)) saved.push({ id: update.id, email: update.person.email, created: false });
  const updated = await saveCollection(
    ctx,
    'PATCH',
    changing.map((update) => update.record),
  );
  updated.forEach((result, index) => {
    const { person, id } = changing[index];
    if (result?.success) saved.push({ id, email: person.email, created: false });
    else refused.push(`${person.email}: ${saveErrors(result)}`);
  });
  const created = await saveCollection(
    ctx,
    'POST',
    creates.map((create) => create.record),
  );
  created.forEach((result, index) => {
    const { person } = creates[index];
    if (result?.success && result.id) saved.push({ id: result.id, email: person.email, created: true });
    else refused.push(`${person.email}: ${saveErrors(result)}`);
  });
  if (refused.length && saved.length === 0) throw new ProviderRejectedError(`Salesforce refused the ${object.toLowerCase()}: ${refused.join('; ')}`);
  if (refused.length) ctx.log.warn(`Salesforce refused some ${object.toLowerCase()}s`, { eventId, refused });
  ctx.log.info(`${object.toLowerCase()}s saved`, { eventId, created: saved.filter((person) => person.created).length, updated: saved.filter((person) => !person.created).length });
  return saved;
}

/**
 * The campaign members of these people on the configured campaign, by person id.
 * @param {SalesforceContext} ctx
 */
async function findMembers(ctx, campaignId, idField, ids) {
  const members = new Map();
  for (const batch of chunks(ids, IN_CHUNK)) {
    const soql = `SELECT Id, ${idField}, Status, HasResponded FROM CampaignMember WHERE CampaignId = ${soqlString(campaignId)} AND ${idField} IN (${batch.map(soqlString).join(', ')})`;
    for await (const member of query(ctx, soql)) members.set(String(member[idField]).slice(0, 15), member);
  }
  return members;
}

/**
 * Puts each person on the configured campaign at the status of `step`: new members get it (or the campaign's
 * default status when none is configured); an existing member moves to the attended status only from the
 * registered status or a status that counts as no response, never back and never out of one sales chose.
 * A member created meanwhile by another event (DUPLICATE_VALUE) is found again and updated.
 * @param {SalesforceContext} ctx
 * @param {SavedPerson[]} people
 * @param {'registered' | 'attended'} step
 */
async function saveMembers(ctx, people, step, eventId) {
  const settings = ctx.settings ?? {};
  const campaignId = settings.campaignId;
  if (!campaignId || people.length === 0) return { created: 0, moved: 0 };
  const idField = objectOf(settings) === 'Contact' ? 'ContactId' : 'LeadId';
  const status = step === 'attended' ? settings.attendedStatus : settings.registeredStatus;
  const movable = (member) => step === 'attended' && status && member.Status !== status && (member.Status === settings.registeredStatus || member.HasResponded === false);

  const apply = async (persons, members) => {
    const creates = persons.filter((person) => !members.has(person.id.slice(0, 15)));
    const moves = persons.map((person) => members.get(person.id.slice(0, 15))).filter((member) => member && movable(member));
    const created = await saveCollection(
      ctx,
      'POST',
      creates.map((person) => ({ attributes: { type: 'CampaignMember' }, CampaignId: campaignId, [idField]: person.id, ...(status ? { Status: status } : {}) })),
    );
    const moved = await saveCollection(
      ctx,
      'PATCH',
      moves.map((member) => ({ attributes: { type: 'CampaignMember' }, id: member.Id, Status: status })),
    );
    const duplicates = [];
    const refused = [];
    created.forEach((result, index) => {
      if (result?.success) return;
      if ((result?.errors ?? []).some((error) => error?.statusCode === 'DUPLICATE_VALUE')) duplicates.push(creates[index]);
      else refused.push(`${creates[index].email}: ${saveErrors(result)}`);
    });
    moved.forEach((result, index) => {
      if (!result?.success) refused.push(`${moves[index].Id}: ${saveErrors(result)}`);
    });
    return {
      created: created.filter((result) => result?.success).length,
      moved: moved.filter((result) => result?.success).length,
      duplicates,
      refused,
    };
  };

  const first = await apply(people, await findMembers(ctx, campaignId, idField, people.map((person) => person.id)));
  let { created, moved } = first;
  const refused = [...first.refused];
  if (first.duplicates.length) {
    const again = await apply(first.duplicates, await findMembers(ctx, campaignId, idField, first.duplicates.map((person) => person.id)));
    created += again.created;
    moved += again.moved;
    refused.push(...again.refused, ...again.duplicates.map((person) => `${person.email}: already a campaign member`));
  }
  if (refused.length && created + moved === 0 && refused.length === people.length) {
    throw new ProviderRejectedError(`Salesforce refused the campaign members: ${refused.join('; ')}`);
  }
  if (refused.length) ctx.log.warn('Salesforce refused some campaign members', { eventId, refused });
  ctx.log.info('campaign members saved', { eventId, campaignId, created, moved });
  return { created, moved };
}

// --- sync ----------------------------------------------------------------------------------------

const MODELS = {
  leads: { object: 'Lead', fields: ['Id', 'FirstName', 'LastName', 'Email', 'Company', 'Status', 'LeadSource', 'IsConverted', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp'] },
  contacts: { object: 'Contact', fields: ['Id', 'FirstName', 'LastName', 'Email', 'AccountId', 'LeadSource', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp'] },
};
const BASE_FIELDS = new Set(['Id', 'FirstName', 'LastName', 'Email', 'Company', 'Status', 'LeadSource', 'IsConverted', 'AccountId', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp', 'IsDeleted']);

function personRecord(object, record, mapped) {
  return {
    id: String(record.Id),
    email: record.Email ?? null,
    firstName: record.FirstName ?? null,
    lastName: record.LastName ?? null,
    ...(object === 'Lead' ? { company: record.Company ?? null, status: record.Status ?? null, isConverted: record.IsConverted === true } : { accountId: record.AccountId ?? null }),
    leadSource: record.LeadSource ?? null,
    createdAt: record.CreatedDate ?? null,
    updatedAt: record.LastModifiedDate ?? null,
    systemModstamp: record.SystemModstamp ?? null,
    fields: Object.fromEntries(mapped.map((name) => [name, record[name] ?? null])),
  };
}

/**
 * One model: the whole table the first time (`/query`, oldest change first), later what changed since the
 * mark (`/queryAll` with `SystemModstamp >=` the mark, so records deleted since are reported too). Marks are
 * whole seconds, so the records of the mark's second come again: syncing them twice is harmless.
 * @param {SalesforceContext} ctx
 */
async function syncModel(ctx, model, since) {
  const { object, fields } = MODELS[model];
  const mapped = objectOf(ctx.settings) === object ? [...new Set(Object.values(ctx.settings?.fieldMapping ?? {}).filter((name) => name && !BASE_FIELDS.has(name)))] : [];
  const sinceMs = since ? Date.parse(since) : NaN;
  const incremental = !Number.isNaN(sinceMs);
  const select = [...fields, ...(incremental ? ['IsDeleted'] : []), ...mapped].join(', ');
  const where = incremental ? ` WHERE SystemModstamp >= ${soqlDateTime(sinceMs)}` : '';
  const soql = `SELECT ${select} FROM ${object}${where} ORDER BY SystemModstamp ASC, Id ASC`;
  const records = [];
  const deleted = [];
  let mark = incremental ? new Date(sinceMs).toISOString() : undefined;
  for await (const record of query(ctx, soql, { all: incremental })) {
    const stamp = Date.parse(record.SystemModstamp ?? '');
    if (!Number.isNaN(stamp) && (!mark || stamp > Date.parse(mark))) mark = new Date(stamp).toISOString();
    if (record.IsDeleted === true) deleted.push(String(record.Id));
    else records.push(personRecord(object, record, mapped));
  }
  return { records, deleted, mark };
}

// --- schemas -------------------------------------------------------------------------------------

const fieldName = (title, description) => ({ type: 'string', pattern: FIELD_NAME, title, description });
const memberStatus = (title, description) => ({ type: 'string', minLength: 1, maxLength: 40, title, description });

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    object: {
      type: 'string',
      enum: OBJECTS,
      default: 'Lead',
      title: 'Record type',
      description: 'Whether registrants and participants become Leads or Contacts. They are found by email; converted leads are left alone.',
    },
    fieldMapping: {
      type: 'object',
      additionalProperties: false,
      title: 'Engagement fields',
      description: 'Which fields of that record type (API names such as Webinar_Attended__c, see describeFields) receive what a session reports; leave one empty to skip it',
      properties: {
        registered: fieldName('Registered', 'A checkbox field set when someone registers'),
        registeredAt: fieldName('Registration time', 'A date/time field set to when they registered'),
        attended: fieldName('Attended', 'A checkbox field set when they join a session'),
        lastAttendedAt: fieldName('Last attended', 'A date/time field set to when they last joined a session'),
        watchTimeSeconds: fieldName('Watch time (seconds)', 'A number field set to the seconds they watched, when the session end reports it'),
        lastSessionId: fieldName('Last session', 'A text field set to the id of the session they last registered for or joined'),
      },
    },
    defaultCompany: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      default: DEFAULT_COMPANY,
      title: 'Company for new leads',
      description: 'Salesforce requires a company on every lead: new leads made from sessions get this one (and upsertLead uses it when given none)',
    },
    leadSource: { type: 'string', minLength: 1, maxLength: 255, title: 'Lead source', description: 'A Lead Source picklist value that new leads get, e.g. Webinar' },
    campaignId: {
      type: 'string',
      pattern: CAMPAIGN_ID,
      title: 'Campaign',
      description: 'The id of the Campaign (starts with 701) that registrants and participants join as members; leave empty for none',
    },
    registeredStatus: memberStatus(
      'Registered member status',
      'The campaign member status registrants get (campaignStatuses lists the campaign’s); empty uses the campaign’s default status',
    ),
    attendedStatus: memberStatus('Attended member status', 'The campaign member status participants move to, e.g. Attended'),
  },
  dependencies: { registeredStatus: ['campaignId'], attendedStatus: ['campaignId'] },
};

const connectionInputs = {
  type: 'object',
  additionalProperties: false,
  required: ['loginHost'],
  properties: {
    loginHost: {
      type: 'string',
      title: 'Salesforce login',
      description:
        'login.salesforce.com for a production org, test.salesforce.com for a sandbox, or the org’s My Domain host in lower case (e.g. acme.my.salesforce.com) when it allows no other login',
      default: 'login.salesforce.com',
      anyOf: [
        { const: 'login.salesforce.com', title: 'Production (login.salesforce.com)' },
        { const: 'test.salesforce.com', title: 'Sandbox (test.salesforce.com)' },
        { pattern: MY_DOMAIN, title: 'My Domain' },
      ],
    },
  },
};

const fieldValues = {
  type: 'object',
  maxProperties: 100,
  description: 'More Lead field values by API name, e.g. { "Title": "CTO", "Webinar_Attended__c": true }; null clears a value',
  propertyNames: { pattern: FIELD_NAME, not: { enum: ['Id', 'Email', 'FirstName', 'LastName', 'Company', 'LeadSource'] } },
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: 131_072 },
};

/** The login host to ask who is connected: a kept connection input, checked again, else the instance. */
function identityOrigin(metadata) {
  const host = metadata?.loginHost;
  if (typeof host === 'string' && (LOGIN_HOSTS.includes(host) || new RegExp(MY_DOMAIN).test(host))) return `https://${host}`;
  const instance = metadata?.instanceUrl;
  return typeof instance === 'string' && new RegExp(INSTANCE_URL).test(instance) ? instance : undefined;
}

export default definePlugin({
  providers: [
    {
      id: 'salesforce',
      name: 'Salesforce',
      category: 'crm',
      description:
        'Create or update Salesforce Leads or Contacts when people register for and attend sessions, keep them on a campaign with registered and attended member statuses, push engagement fields, and sync leads and contacts.',
      connectionInputs,
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://{loginHost}/services/oauth2/authorize',
        tokenUrl: 'https://{loginHost}/services/oauth2/token',
        // api: REST API access; refresh_token: a refresh token with the grant; openid: the UserInfo endpoint.
        scopes: ['api', 'refresh_token', 'openid'],
        pkce: true,
        // Salesforce's token answers carry no expires_in: an access token is a session that ends after the
        // org's session timeout (2 hours of inactivity by default) or when revoked; the refresh token stays
        // valid until revoked or the connected app's refresh token policy expires it. Taken to last an hour,
        // so the host refreshes it well within the default timeout.
        refresh: true,
        assumedLifetimeSeconds: 3600,
        tokenMetadata: { instanceUrl: { pointer: '/instance_url', pattern: INSTANCE_URL } },
      },
      baseUrl: `{+instanceUrl}${API_PATH}`,
      settingsSchema,
      errors,
      // Salesforce meters API requests per org over a rolling 24 hours: 15,000 for Developer Edition,
      // 100,000 plus 1,000 per Salesforce license for Enterprise and Professional (5,000 per license for
      // Unlimited and Performance); once spent it answers 403 REQUEST_LIMIT_EXCEEDED. The allocation is the
      // org's, shared with its other integrations, so connections to one org keep to 10,000 a day: two thirds
      // of the smallest allocation. (Orgs also allow 25 concurrent requests of 20 seconds or more, 5 for
      // Developer Edition; the calls made here are short.)
      rateLimits: [{ requests: 10_000, windowMs: 86_400_000, scope: 'account', accountKey: 'organizationId' }],

      /**
       * Who is connected: the UserInfo endpoint of the login host (user, username, org), then the REST API's
       * resources of the pinned version, which also proves the user has API access.
       * @param {SalesforceContext} ctx
       */
      async verify(ctx) {
        const token = ctx.credentials?.accessToken;
        if (typeof token !== 'string' || !token) throw new ProviderRejectedError('No Salesforce access token: connect the Salesforce account again.');
        const metadata = ctx.integration.metadata ?? {};
        if (typeof metadata.instanceUrl !== 'string' || !new RegExp(INSTANCE_URL).test(metadata.instanceUrl)) {
          throw new ProviderRejectedError('This connection has no Salesforce instance URL: connect the Salesforce account again.');
        }
        // Outside the REST base URL, so the bearer token goes along explicitly (to the org's own login host).
        const response = await ctx.http(`${identityOrigin(metadata)}/services/oauth2/userinfo`, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        });
        if (response.status === 401 || response.status === 403) {
          await response.body?.cancel();
          throw new ProviderRejectedError('Salesforce does not accept this access token (expired or revoked): connect the Salesforce account again.');
        }
        const info = await readJson(response, ctx, errors);
        if (!info?.organization_id || !info?.user_id) throw new Error('Salesforce UserInfo answered without an organization or user id');
        await salesforce(ctx, '/');
        const username = info.preferred_username ?? null;
        const name = info.name ?? username ?? info.user_id;
        return {
          displayName: username && username !== name ? `${name} (${username})` : String(name),
          metadata: {
            organizationId: String(info.organization_id),
            userId: String(info.user_id),
            username,
            name: info.name ?? null,
            email: info.email ?? null,
            identityUrl: typeof info.sub === 'string' ? info.sub : null,
          },
        };
      },

      /** The REST API's resources of the pinned version: the cheapest authenticated call. @param {SalesforceContext} ctx */
      async healthCheck(ctx) {
        await salesforce(ctx, '/');
      },

      actions: {
        upsertLead: {
          description:
            'Finds the lead with this email (not converted; SOQL) and updates it, or creates one. Salesforce requires a last name and a company on new leads (the settings’ company is used when none is given).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email', 'lastName'],
            properties: {
              email: { type: 'string', format: 'email', maxLength: 80 },
              firstName: { type: 'string', minLength: 1, maxLength: 40 },
              lastName: { type: 'string', minLength: 1, maxLength: 80 },
              company: { type: 'string', minLength: 1, maxLength: 255 },
              leadSource: { type: 'string', minLength: 1, maxLength: 255, description: 'A Lead Source picklist value' },
              fields: fieldValues,
            },
          },
          /** @param {SalesforceContext} ctx */
          async run(ctx, input) {
            const [lead] = await queryList(
              ctx,
              `SELECT Id, Email FROM Lead WHERE Email = ${soqlString(input.email)} AND IsConverted = false ORDER BY LastModifiedDate DESC LIMIT 1`,
            );
            const company = input.company ?? ctx.settings?.defaultCompany;
            const values = {
              ...input.fields,
              ...(input.firstName !== undefined ? { FirstName: input.firstName } : {}),
              LastName: input.lastName,
              ...(company !== undefined && (!lead || input.company !== undefined) ? { Company: company } : {}),
              ...(input.leadSource !== undefined ? { LeadSource: input.leadSource } : {}),
            };
            if (lead) {
              await salesforce(ctx, `/sobjects/Lead/${encodeURIComponent(lead.Id)}`, { method: 'PATCH', body: values });
              return { id: lead.Id, email: lead.Email ?? input.email, created: false };
            }
            const created = await salesforce(ctx, '/sobjects/Lead', { method: 'POST', body: { Email: input.email, ...values } });
            if (!created?.id) throw new Error('Salesforce created the lead without answering its id');
            return { id: created.id, email: input.email, created: true };
          },
        },
        describeFields: {
          description:
            'Lists the fields of Lead, Contact, CampaignMember or Campaign in this org (API name, label, type, whether it can be set, picklist values), e.g. to choose the engagement field mapping.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['object'],
            properties: {
              object: { type: 'string', enum: DESCRIBED_OBJECTS },
              updateableOnly: { type: 'boolean', default: false, description: 'Only fields this connection can set on existing records' },
            },
          },
          /** @param {SalesforceContext} ctx */
          async run(ctx, input) {
            const body = await salesforce(ctx, `/sobjects/${encodeURIComponent(input.object)}/describe`);
            const fields = (Array.isArray(body?.fields) ? body.fields : [])
              .filter((described) => !input.updateableOnly || described.updateable === true)
              .map((described) => ({
                name: described.name,
                label: described.label,
                type: described.type,
                updateable: described.updateable === true,
                createable: described.createable === true,
                nillable: described.nillable === true,
                custom: described.custom === true,
                ...(described.length ? { length: described.length } : {}),
                picklistValues: (Array.isArray(described.picklistValues) ? described.picklistValues : [])
                  .filter((value) => value.active !== false)
                  .map((value) => ({ value: value.value, label: value.label, default: value.defaultValue === true })),
              }));
            return { object: body?.name ?? input.object, label: body?.label ?? input.object, fields };
          },
        },
        campaignStatuses: {
          description: 'Lists the member statuses of a campaign (label, default, counts as responded), for the registered and attended status settings.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['campaignId'],
            properties: { campaignId: { type: 'string', pattern: CAMPAIGN_ID } },
          },
          /** @param {SalesforceContext} ctx */
          async run(ctx, input) {
            const statuses = await queryList(
              ctx,
              `SELECT Id, Label, IsDefault, HasResponded, SortOrder FROM CampaignMemberStatus WHERE CampaignId = ${soqlString(input.campaignId)} ORDER BY SortOrder ASC`,
            );
            // Every campaign has member statuses: none means no such campaign, or none this user can see.
            if (statuses.length === 0) throw new ProviderRejectedError(`Salesforce has no campaign ${input.campaignId} that this user can see.`);
            return {
              campaignId: input.campaignId,
              statuses: statuses.map((status) => ({ label: status.Label, isDefault: status.IsDefault === true, hasResponded: status.HasResponded === true })),
            };
          },
        },
      },

      onEvent: {
        /** The registrant's Lead or Contact is created or updated (registered fields) and joins the campaign at the registered status. @param {SalesforceContext} ctx */
        async 'registration.received'(ctx, event) {
          const data = event.data ?? {};
          if (!isEmail(data.email)) {
            ctx.log.warn('registration without a usable email: no record to update', { eventId: event.id });
            return;
          }
          const people = await savePeople(
            ctx,
            [{ email: data.email, name: data.name, values: { registered: true, registeredAt: data.registeredAt ?? event.timestamp, lastSessionId: data.sessionId } }],
            event.id,
          );
          await saveMembers(ctx, people, 'registered', event.id);
        },

        /** The participant's record is marked attended and their campaign member moves to the attended status. @param {SalesforceContext} ctx */
        async 'participant.joined'(ctx, event) {
          const data = event.data ?? {};
          if (!isEmail(data.email)) {
            ctx.log.warn('participant without a usable email: no record to update', { eventId: event.id });
            return;
          }
          const people = await savePeople(
            ctx,
            [{ email: data.email, name: data.name, values: { attended: true, lastAttendedAt: data.joinedAt ?? event.timestamp, lastSessionId: data.sessionId } }],
            event.id,
          );
          await saveMembers(ctx, people, 'attended', event.id);
        },

        /**
         * The session end names no attendees in its documented payload: when a publisher adds
         * `participants: [{ email, name?, watchTimeSeconds | durationSeconds }]`, each is recorded as
         * attended with their watch time, in bulk (one SOQL per 100 emails, sObject Collections per 200
         * records), and moves to the attended member status.
         * @param {SalesforceContext} ctx
         */
        async 'session.ended'(ctx, event) {
          const data = event.data ?? {};
          let participants = (Array.isArray(data.participants) ? data.participants : []).filter((participant) => isEmail(participant?.email));
          if (participants.length === 0) {
            ctx.log.debug('the session end lists no participants with an email: nothing to record', { eventId: event.id });
            return;
          }
          if (participants.length > MAX_PARTICIPANTS) {
            ctx.log.warn('too many participants in one session end: the rest are skipped', { eventId: event.id, recorded: MAX_PARTICIPANTS, skipped: participants.length - MAX_PARTICIPANTS });
            participants = participants.slice(0, MAX_PARTICIPANTS);
          }
          const people = await savePeople(
            ctx,
            participants.map((participant) => ({
              email: participant.email,
              name: participant.name,
              values: {
                attended: true,
                watchTimeSeconds: participant.watchTimeSeconds ?? participant.durationSeconds,
                lastSessionId: data.sessionId,
              },
            })),
            event.id,
          );
          await saveMembers(ctx, people, 'attended', event.id);
        },
      },

      sync: {
        defaultFrequency: '1h',
        /** Leads and contacts, incrementally by SystemModstamp. @param {SalesforceContext} ctx */
        async run(ctx, input) {
          const records = {};
          const deleted = {};
          const highWaterMarks = {};
          for (const model of Object.keys(MODELS)) {
            const result = await syncModel(ctx, model, input?.highWaterMarks?.[model]);
            records[model] = result.records;
            if (result.deleted.length) deleted[model] = result.deleted;
            if (result.mark) highWaterMarks[model] = result.mark;
          }
          return { records, ...(Object.keys(deleted).length ? { deleted } : {}), ...(Object.keys(highWaterMarks).length ? { highWaterMarks } : {}) };
        },
      },
    },
  ],
});
