import { MARKETO_MUNCHKIN_ID, startFakeMarketo, type FakeMarketo, type MarketoClient, type MarketoProgram } from '../fixtures/providers/marketo.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

/** URLs carry the host name lower-cased. */
const ORIGIN = new URL(`https://${MARKETO_MUNCHKIN_ID}.mktorest.com`).origin;

let plugin: PluginDefinition;
let marketo: Json;
let fake: FakeMarketo;
let client: MarketoClient;
let program: MarketoProgram;

beforeAll(async () => {
  plugin = await loadBundledPlugin('marketo');
  marketo = plugin.providers[0];
  fake = await startFakeMarketo();
  client = fake.state.addClient({ apiUser: 'plugboard-api@acme.test' });
  program = fake.state.addProgram('Launch webinar');
});
afterAll(() => fake.close());

/** What a connection's metadata holds while connecting: the connection input alone. */
const CONNECTING = { munchkinId: MARKETO_MUNCHKIN_ID };
/** And once connected: what verify stored too. */
const CONNECTED = { munchkinId: MARKETO_MUNCHKIN_ID, munchkinHost: MARKETO_MUNCHKIN_ID.toLowerCase() };

const harness = ({
  credentials = { clientId: client.clientId, clientSecret: client.clientSecret },
  settings = {},
  metadata = CONNECTED,
}: { credentials?: Json; settings?: Json; metadata?: Json } = {}) =>
  createHarness(plugin, { provider: 'marketo', credentials, settings, integration: { metadata }, http: forwardTo(fake.origins) });
const calls = (h: Harness) =>
  h.requests.map((request) => {
    const url = new URL(request.url);
    expect(url.origin).toBe(ORIGIN);
    return `${request.method} ${url.pathname}${url.search}`;
  });
const rest = () => fake.state.requests.filter((request) => request.path.startsWith('/rest/'));
const leadByEmail = (email: string) => [...fake.state.leads.values()].find((lead) => lead.email.toLowerCase() === email.toLowerCase());
/** What a call was refused with (an empty object when it was not). */
const failure = (call: Promise<unknown>): Promise<Json> =>
  call.then(
    () => ({}),
    (error: unknown) => error as Json,
  );
const event = (type: string, data: Json): PlugboardEvent => ({
  id: `evt_${Math.random().toString(36).slice(2)}`,
  event: type,
  timestamp: '2026-01-05T10:00:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});

describe('marketo plugin: declaration', () => {
  it('is a crm provider using client credentials at the instance’s Identity, a REST base on the lower-cased Munchkin ID and the documented limits', () => {
    expect(marketo).toMatchObject({
      id: 'marketo',
      category: 'crm',
      baseUrl: 'https://{munchkinHost}.mktorest.com/rest',
      auth: { type: 'api_key', token: { url: 'https://{munchkinId}.mktorest.com/identity/oauth/token', grant: 'client_credentials', clientAuth: 'body' } },
      rateLimits: [
        { requests: 100, windowMs: 20_000, scope: 'account', accountKey: 'munchkinId' },
        { requests: 50_000, windowMs: 86_400_000, scope: 'account', accountKey: 'munchkinId' },
      ],
    });
    expect(Object.keys(marketo.actions).sort()).toEqual(['describeLeadFields', 'setProgramStatus', 'upsertLead']);
    expect(Object.keys(marketo.onEvent).sort()).toEqual(['participant.joined', 'registration.received']);
  });

  it('pins the Munchkin ID down and refuses malformed credentials and inputs at the schema', () => {
    const ajv = createSchemaCompiler();
    const inputs = ajv.compile(marketo.connectionInputs);
    expect(inputs({ munchkinId: '123-ABC-456' })).toBe(true);
    for (const munchkinId of ['123-abc-456', '123ABC456', 'evil.example/123-ABC-456', '123-ABC-456.mktorest.com', ''])
      expect(inputs({ munchkinId })).toBe(false);
    expect(inputs({})).toBe(false);
    const credentials = ajv.compile(marketo.auth.credentialsSchema);
    expect(credentials({ clientId: client.clientId, clientSecret: client.clientSecret })).toBe(true);
    expect(credentials({ clientId: client.clientId })).toBe(false);
    expect(credentials({ clientId: 'a b c d e f g h', clientSecret: client.clientSecret })).toBe(false);
    expect(Object.values<Json>(marketo.auth.credentialsSchema.properties).every((field) => field.secret === true)).toBe(true);
    const upsert = ajv.compile(marketo.actions.upsertLead.inputSchema);
    expect(upsert({ email: 'ana@example.com', fields: { company: 'Acme', numberOfEmployees: 12, unsubscribed: false } })).toBe(true);
    expect(upsert({ email: 'ana@example.com', fields: { email: 'other@example.com' } })).toBe(false);
    expect(upsert({ email: 'ana@example.com', fields: { 'bad name': 'x' } })).toBe(false);
    expect(upsert({ email: 'ana@example.com', fields: { company: { nested: true } } })).toBe(false);
    expect(upsert({ email: 'nope' })).toBe(false);
    const status = ajv.compile(marketo.actions.setProgramStatus.inputSchema);
    expect(status({ statusName: 'Registered', leadId: 5 })).toBe(true);
    expect(status({ statusName: 'Registered', email: 'ana@example.com', programId: 1044 })).toBe(true);
    expect(status({ statusName: 'Registered' })).toBe(false);
    expect(status({ statusName: 'Registered', leadId: 5, email: 'ana@example.com' })).toBe(false);
  });
});

describe('marketo plugin: tokens', () => {
  it('verifies by obtaining a token (which names the API user) and making one REST call with it in the header', async () => {
    const h = harness({ metadata: CONNECTING });
    expect(await h.verify()).toEqual({
      displayName: `Marketo ${MARKETO_MUNCHKIN_ID} (plugboard-api@acme.test)`,
      metadata: { ...CONNECTED, apiUser: 'plugboard-api@acme.test', restEndpoint: `https://${MARKETO_MUNCHKIN_ID}.mktorest.com/rest` },
    });
    expect(calls(h)).toEqual(['POST /identity/oauth/token', 'GET /rest/v1/stats/usage.json']);
    const [identity, usage] = fake.state.requests.slice(-2);
    expect(identity.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(identity.body).toEqual({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret });
    expect(identity.query).toEqual({});
    const token = [...fake.state.tokens.values()].find((candidate) => candidate.clientId === client.clientId)!.token;
    expect(usage.headers.authorization).toBe(`Bearer ${token}`);
    expect(usage.query).toEqual({});
  });

  it('once connected, lets the host obtain the token (client credentials in the form) and add it under the base URL', async () => {
    const h = harness();
    await h.healthCheck();
    await h.healthCheck();
    expect(calls(h)).toEqual(['POST /identity/oauth/token', 'GET /rest/v1/stats/usage.json', 'GET /rest/v1/stats/usage.json']);
    expect(h.requests[0]).toMatchObject({ url: `https://${MARKETO_MUNCHKIN_ID.toLowerCase()}.mktorest.com/identity/oauth/token` });
    expect(new URLSearchParams(h.requests[0].body).get('client_secret')).toBe(client.clientSecret);
    expect(h.requests[1].headers.authorization).toMatch(/^Bearer .+:ab$/);
  });

  it('works before verify has stored the REST host, with a token of its own', async () => {
    const h = harness({ metadata: CONNECTING });
    await expect(h.action<Json>('upsertLead', { email: 'early@example.com' })).resolves.toMatchObject({ status: 'created' });
    expect(calls(h)).toEqual(['POST /identity/oauth/token', 'POST /rest/v1/leads.json']);
    expect(h.requests[1].headers.authorization).toMatch(/^Bearer /);
  });

  it('refuses bad client credentials with Identity’s message, never echoing the secret', async () => {
    const wrong = harness({ credentials: { clientId: client.clientId, clientSecret: 'wrong-secret-123' } });
    const refusal = wrong.verify();
    await expect(refusal).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('Bad client credentials') });
    await expect(refusal).rejects.not.toMatchObject({ message: expect.stringContaining('wrong-secret-123') });
    await expect(wrong.healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('Bad client credentials') });
    expect(fake.state.requests.at(-1)!.path).toBe('/identity/oauth/token');
  });

  it('renews an expired token through Identity once (602, then 601 for the stale one) and sends the call again', async () => {
    const h = harness();
    await h.action('upsertLead', { email: 'renew@example.com' });
    const before = fake.state.requests.length;
    fake.state.expireTokens();
    await expect(h.action<Json>('upsertLead', { email: 'renew@example.com', firstName: 'Re' })).resolves.toMatchObject({ status: 'updated' });
    const sent = fake.state.requests.slice(before);
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /rest/v1/leads.json',
      'POST /identity/oauth/token',
      'POST /rest/v1/leads.json',
    ]);
    expect(sent[0].headers.authorization).not.toBe(sent[2].headers.authorization);
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'info', fields: { codes: ['602'] } }));
    // The harness (like the host) still holds the stale token until it renews it: Marketo now says 601.
    await h.action('upsertLead', { email: 'renew@example.com' });
    expect(h.logs.at(-1)).toMatchObject({ fields: { codes: ['601'] } });
    expect(leadByEmail('renew@example.com')!.firstName).toBe('Re');
  });

  it('refuses when a renewed token is refused too', async () => {
    const h = harness();
    fake.state.failNext.push({ code: '601', message: 'Access token invalid' }, { code: '601', message: 'Access token invalid' });
    await expect(h.healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('601 Access token invalid') });
    expect(calls(h).filter((call) => call.endsWith('usage.json'))).toHaveLength(2);
  });
});

describe('marketo plugin: leads', () => {
  it('creates then updates a lead, deduplicated on email', async () => {
    const h = harness();
    const created = await h.action<Json>('upsertLead', {
      email: 'Ana.Lima@Example.com',
      firstName: 'Ana',
      fields: { company: 'Acme', webinarSource: 'plugboard' },
    });
    const lead = leadByEmail('ana.lima@example.com')!;
    expect(created).toEqual({ id: lead.id, status: 'created', email: 'Ana.Lima@Example.com' });
    expect(rest().at(-1)!.body).toEqual({
      action: 'createOrUpdate',
      lookupField: 'email',
      input: [{ company: 'Acme', webinarSource: 'plugboard', email: 'Ana.Lima@Example.com', firstName: 'Ana' }],
    });
    expect(rest().at(-1)!.headers['content-type']).toContain('application/json');
    const updated = await harness().action<Json>('upsertLead', { email: 'ana.lima@example.com', lastName: 'Lima' });
    expect(updated).toMatchObject({ id: lead.id, status: 'updated' });
    expect(lead).toMatchObject({ firstName: 'Ana', lastName: 'Lima', company: 'Acme' });
  });

  it('turns a skipped record into a refusal with Marketo’s reasons', async () => {
    await expect(harness().action('upsertLead', { email: 'x@example.com', fields: { favouriteColour: 'teal' } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "Marketo skipped the lead: 1006 Field 'favouriteColour' not found",
    });
    await expect(harness().action('upsertLead', { email: 'not-an-email' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('1003'),
    });
    expect(leadByEmail('x@example.com')).toBeUndefined();
  });

  it('refuses a lead write for a role without Read-Write Lead (603), and a request over 1 MB (HTTP 413)', async () => {
    const reader = fake.state.addClient({ access: 'read' });
    await expect(
      harness({ credentials: { clientId: reader.clientId, clientSecret: reader.clientSecret } }).action('upsertLead', { email: 'ro@example.com' }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/603 Access denied.*Read-Write Lead/),
    });
    await expect(harness().action('upsertLead', { email: 'big@example.com', fields: { company: 'x'.repeat(1_100_000) } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('HTTP 413'),
    });
  });

  it('describes the lead fields, optionally only those it can write', async () => {
    const all = await harness().action<Json>('describeLeadFields');
    expect(all.fields).toContainEqual({ name: 'email', displayName: 'Email Address', dataType: 'email', length: 255, updateable: true });
    expect(all.fields.map((field: Json) => field.name)).toContain('id');
    expect(all.searchableFields).toContainEqual(['email']);
    const writable = await harness().action<Json>('describeLeadFields', { updateableOnly: true });
    expect(writable.fields.map((field: Json) => field.name)).not.toContain('id');
    expect(rest().at(-1)!.path).toBe('/rest/v1/leads/describe2.json');
  });
});

describe('marketo plugin: program membership', () => {
  it('sets a status by email (found with Get Leads by Filter Type), then leaves a lead already in or past it', async () => {
    const { id } = await harness().action<Json>('upsertLead', { email: 'member@example.com' });
    const h = harness({ settings: { programId: program.id } });
    expect(await h.action('setProgramStatus', { email: 'member@example.com', statusName: 'Registered' })).toEqual({
      leadId: id,
      programId: program.id,
      statusName: 'Registered',
      changed: true,
      status: 'created',
    });
    expect(calls(h)).toEqual([
      'POST /identity/oauth/token',
      'GET /rest/v1/leads.json?filterType=email&filterValues=member%40example.com&fields=id%2Cemail%2CupdatedAt',
      `POST /rest/v1/programs/${program.id}/members/status.json`,
    ]);
    expect(rest().at(-1)!.body).toEqual({ statusName: 'Registered', input: [{ leadId: id }] });
    expect(program.members.get(id)).toMatchObject({ progressionStatus: 'Registered' });
    expect(await harness().action<Json>('setProgramStatus', { programId: program.id, leadId: id, statusName: 'Invited' })).toMatchObject({
      changed: false,
      status: 'skipped',
    });
    expect(program.members.get(id)).toMatchObject({ progressionStatus: 'Registered' });
  });

  it('refuses an unknown status, an unknown program, an unknown email and a missing program', async () => {
    const { id } = await harness().action<Json>('upsertLead', { email: 'refuse@example.com' });
    await expect(harness().action('setProgramStatus', { programId: program.id, leadId: id, statusName: 'Bought a boat' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Marketo did not set the program status "Bought a boat": 1025 Program status not found',
    });
    await expect(harness().action('setProgramStatus', { programId: 9, leadId: id, statusName: 'Registered' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Marketo refused the request: 1013 Program 9 not found',
    });
    await expect(harness().action('setProgramStatus', { programId: program.id, email: 'nobody@example.com', statusName: 'Registered' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('no lead with the email nobody@example.com'),
    });
    const none = harness();
    await expect(none.action('setProgramStatus', { leadId: id, statusName: 'Registered' })).rejects.toMatchObject({ code: 'provider_rejected' });
    expect(none.requests).toEqual([]);
  });

  it('registration.received upserts the registrant as "Registered"; participant.joined makes them "Attended"; a late registration leaves them', async () => {
    const settings = { programId: program.id };
    const h = harness({ settings });
    await marketo.onEvent['registration.received'](
      h.context(),
      event('registration.received', { registrationId: 'reg_1', sessionId: 's', email: 'bo@example.com', name: 'Bo da Silva' }),
    );
    const lead = leadByEmail('bo@example.com')!;
    expect(lead).toMatchObject({ firstName: 'Bo', lastName: 'da Silva' });
    expect(program.members.get(lead.id)).toMatchObject({ progressionStatus: 'Registered', reachedSuccess: false });
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', fields: { leadId: lead.id, statusName: 'Registered', changed: true } });

    await marketo.onEvent['participant.joined'](
      harness({ settings }).context(),
      event('participant.joined', { participantId: 'p', sessionId: 's', email: 'BO@example.com' }),
    );
    expect(program.members.get(lead.id)).toMatchObject({ progressionStatus: 'Attended', reachedSuccess: true });

    const late = harness({ settings });
    await marketo.onEvent['registration.received'](
      late.context(),
      event('registration.received', { registrationId: 'reg_1', email: 'bo@example.com', name: 'Bo da Silva' }),
    );
    expect(program.members.get(lead.id)).toMatchObject({ progressionStatus: 'Attended' });
    expect(late.logs.at(-1)).toMatchObject({ fields: { changed: false } });
  });

  it('uses the configured status names, only upserts without a program, and skips people without an email', async () => {
    const event_ = fake.state.addProgram('Roadshow', 'Event');
    const h = harness({ settings: { programId: event_.id, attendedStatus: 'Attended' } });
    await marketo.onEvent['participant.joined'](h.context(), event('participant.joined', { participantId: 'p', sessionId: 's', email: 'walkin@example.com' }));
    expect(event_.members.get(leadByEmail('walkin@example.com')!.id)).toMatchObject({ progressionStatus: 'Attended' });

    const plain = harness();
    await marketo.onEvent['registration.received'](plain.context(), event('registration.received', { registrationId: 'r', email: 'plain@example.com' }));
    expect(calls(plain)).toEqual(['POST /identity/oauth/token', 'POST /rest/v1/leads.json']);
    expect(plain.logs.at(-1)).toMatchObject({ message: 'lead upserted in Marketo (no program configured)' });

    const anonymous = harness({ settings: { programId: program.id } });
    await marketo.onEvent['participant.joined'](anonymous.context(), event('participant.joined', { participantId: 'p', sessionId: 's' }));
    expect(anonymous.requests).toEqual([]);
    expect(anonymous.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });

  it('syncs the program’s members page by page with nextPageToken', async () => {
    const big = fake.state.addProgram('Big webinar');
    for (let index = 0; index < 650; index += 1) {
      const lead = fake.state.addLead({ email: `member${index}@example.com` });
      big.members.set(lead.id, {
        progressionStatus: index % 2 ? 'Attended' : 'Registered',
        step: index % 2 ? 30 : 20,
        acquiredBy: true,
        reachedSuccess: index % 2 === 1,
        membershipDate: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
      });
    }
    const h = harness({ settings: { programId: big.id } });
    const { records } = await h.sync();
    expect(records!.programMembers).toHaveLength(650);
    expect(new Set(records!.programMembers.map((member) => member.id)).size).toBe(650);
    expect(records!.programMembers.filter((member) => member.progressionStatus === 'Attended')).toHaveLength(325);
    const pages = h.requests.filter((request) => request.url.includes('/leads/programs/')).map((request) => new URL(request.url).searchParams);
    expect(pages).toHaveLength(3);
    expect(pages[0].get('nextPageToken')).toBeNull();
    expect(pages.slice(1).every((query) => /^[A-Z2-7]+=+$/.test(query.get('nextPageToken')!))).toBe(true);
    expect(await harness().sync()).toEqual({});
  });
});

describe('marketo plugin: limits and outages answered with HTTP 200', () => {
  it('606 (100 calls per 20 s) is provider_rate_limited for the window', async () => {
    const before = fake.state.rateLimit.calls;
    fake.state.rateLimit.calls = 0;
    try {
      await expect(harness().healthCheck()).rejects.toMatchObject({
        code: 'provider_rate_limited',
        retryAfterSeconds: 20,
        message: expect.stringContaining('606 Max rate limit'),
      });
    } finally {
      fake.state.rateLimit.calls = before;
    }
  });

  it('607 (daily quota) is provider_rate_limited until the quota resets', async () => {
    const before = fake.state.dailyQuota;
    fake.state.dailyQuota = fake.state.callsToday();
    try {
      const refusal = await failure(harness().healthCheck());
      expect(refusal).toMatchObject({ code: 'provider_rate_limited', message: expect.stringContaining('607 Daily quota reached') });
      expect(refusal.retryAfterSeconds).toBeGreaterThan(0);
      expect(refusal.retryAfterSeconds).toBeLessThanOrEqual(86_400);
    } finally {
      fake.state.dailyQuota = before;
    }
  });

  it('615 (more than 10 calls at once) is provider_rate_limited', async () => {
    const h = harness();
    await h.healthCheck();
    fake.state.concurrencyLimit = 2;
    fake.state.delayMs = 200;
    try {
      const outcomes = await Promise.allSettled([h.healthCheck(), h.healthCheck(), h.healthCheck()]);
      const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect(refused[0].reason).toMatchObject({
        code: 'provider_rate_limited',
        retryAfterSeconds: 1,
        message: expect.stringContaining('615 Concurrent access limit reached'),
      });
    } finally {
      fake.state.concurrencyLimit = 10;
      fake.state.delayMs = 0;
    }
  });

  it('a system error (611) is an outage, not a refusal', async () => {
    fake.state.failNext.push({ code: '611', message: 'System error' });
    const outage = await failure(harness().healthCheck());
    expect(outage).toBeInstanceOf(Error);
    expect(outage.code).toBeUndefined();
    expect(outage.message).toContain('611 System error');
  });
});
