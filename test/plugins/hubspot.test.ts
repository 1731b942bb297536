import { HUBSPOT_SCOPES, startFakeHubSpot, type CrmRecord, type FakeHubSpot } from '../fixtures/providers/hubspot.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import { readJson, type PluginDefinition, type PlugboardEvent } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '5b7c0f2e-1d3a-4b6c-9e8f-0a1b2c3d4e5f', clientSecret: 'hubspot-client-secret', redirectUris: [REDIRECT_URI] };
const PIPELINE = '7654321';
const STAGES = { registered: '1001', attended: '1002', noShow: '1003', won: '1004' };
const MAPPING = {
  registered: 'webinar_registered',
  registeredAt: 'webinar_registered_at',
  attended: 'webinar_attended',
  lastJoinedAt: 'webinar_last_joined_at',
  watchTimeSeconds: 'webinar_watch_seconds',
  lastSessionId: 'webinar_last_session',
};
const DEAL_SETTINGS = {
  propertyMapping: MAPPING,
  pipelineId: PIPELINE,
  registeredStageId: STAGES.registered,
  attendedStageId: STAGES.attended,
  noShowStageId: STAGES.noShow,
  dealSessionProperty: 'plugboard_session_id',
  dealNamePrefix: 'Webinar',
};
const GENEROUS = { burst: 100_000, burstWindowMs: 10_000, search: 100_000, searchWindowMs: 1000 };

let plugin: PluginDefinition;
let hubspot: Json;
let fake: FakeHubSpot;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('hubspot');
  hubspot = plugin.providers[0];
  fake = await startFakeHubSpot();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, HUBSPOT_SCOPES).accessToken;
  fake.state.limits = { ...GENEROUS };
  fake.state.addPipeline(PIPELINE, 'Webinar funnel', [
    [STAGES.registered, 'Registered'],
    [STAGES.attended, 'Attended'],
    [STAGES.noShow, 'No-show'],
    [STAGES.won, 'Customer'],
  ]);
  fake.state.addProperty('contacts', { name: MAPPING.registered, label: 'Webinar registered', type: 'bool', groupName: 'webinars' });
  fake.state.addProperty('contacts', { name: MAPPING.registeredAt, label: 'Webinar registered at', type: 'datetime', groupName: 'webinars' });
  fake.state.addProperty('contacts', { name: MAPPING.attended, label: 'Webinar attended', type: 'bool', groupName: 'webinars' });
  fake.state.addProperty('contacts', { name: MAPPING.lastJoinedAt, label: 'Webinar last joined', type: 'datetime', groupName: 'webinars' });
  fake.state.addProperty('contacts', { name: MAPPING.watchTimeSeconds, label: 'Webinar watch time (s)', type: 'number', groupName: 'webinars' });
  fake.state.addProperty('contacts', { name: MAPPING.lastSessionId, label: 'Webinar last session', type: 'string', groupName: 'webinars' });
  fake.state.addProperty('deals', { name: 'plugboard_session_id', label: 'Session id', type: 'string', groupName: 'dealinformation' });
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.limits = { ...GENEROUS };
  fake.state.resetLimits();
});

const harness = ({ token = accessToken, settings = {}, metadata = { hubId: '62515' } }: { token?: string; settings?: Json; metadata?: Json } = {}) =>
  createHarness(plugin, {
    provider: 'hubspot',
    credentials: { accessToken: token, tokenType: 'bearer' },
    settings,
    integration: { metadata },
    http: forwardTo(fake.origins),
  });
const urls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);
const event = (type: string, data: Json, id = `evt_${Math.random().toString(36).slice(2)}`): PlugboardEvent => ({
  id,
  event: type,
  timestamp: '2026-03-02T16:00:00.000Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});
const react = (h: Harness, type: string, data: Json): Promise<void> => hubspot.onEvent[type](h.context(), event(type, data));
const contactByEmail = (email: string): CrmRecord | undefined =>
  [...fake.state.contacts.values()].find((record) => record.properties.email === email.toLowerCase());
const dealsOf = (contactId: string) => fake.state.dealContacts.filter((link) => link.contactId === contactId).map((link) => fake.state.deals.get(link.dealId)!);
const token = (form: Record<string, string>, path = hubspot.auth.tokenUrl) => postTokenRequest(path, fake.origins, form);

describe('hubspot plugin: OAuth', () => {
  it('declares OAuth 2.0 against app.hubspot.com and the date-versioned token endpoint, with refresh and CRM scopes', () => {
    expect(hubspot).toMatchObject({
      id: 'hubspot',
      category: 'crm',
      baseUrl: 'https://api.hubapi.com',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://app.hubspot.com/oauth/authorize',
        tokenUrl: 'https://api.hubapi.com/oauth/2026-03/token',
        scopes: HUBSPOT_SCOPES.split(' '),
        refresh: true,
      },
      rateLimits: [
        { requests: 110, windowMs: 10_000, scope: 'account', accountKey: 'hubId' },
        {
          requests: 5,
          windowMs: 1000,
          scope: 'account',
          accountKey: 'hubId',
          match: ['POST /crm/v3/objects/contacts/search', 'POST /crm/v3/objects/deals/search'],
        },
      ],
    });
  });

  it('the fake runs HubSpot’s flow: a refresh token on every grant, 30-minute tokens, hub_id and scopes in the answer, refresh, invalid_grant once revoked', async () => {
    const authorize = new URL(hubspot.auth.authorizationUrl);
    for (const [key, value] of Object.entries({
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: hubspot.auth.scopes.join(' '),
      response_type: 'code',
      state: 'st-1',
    }))
      authorize.searchParams.set(key, value);
    const back = await followAuthorizationUrl(authorize, fake.origins);
    expect(back.searchParams.get('state')).toBe('st-1');
    const exchange = {
      grant_type: 'authorization_code',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      redirect_uri: REDIRECT_URI,
      code: back.searchParams.get('code')!,
    };
    const granted = await token(exchange);
    expect(granted).toEqual({
      status: 200,
      body: {
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 1800,
        token_type: 'bearer',
        hub_id: 62515,
        scopes: HUBSPOT_SCOPES.split(' '),
      },
    });
    expect(await token(exchange)).toMatchObject({ status: 400, body: { error: 'invalid_grant', status: 'BAD_AUTH_CODE' } });

    const refresh = { grant_type: 'refresh_token', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, refresh_token: granted.body.refresh_token };
    const refreshed = await token(refresh);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).not.toBe(granted.body.access_token);
    // The legacy v1 endpoint answers the same way until its sunset.
    expect((await token(refresh, 'https://api.hubapi.com/oauth/v1/token')).body).toMatchObject({ hub_id: 62515, expires_in: 1800 });

    fake.state.oauth.revokeRefreshToken(granted.body.refresh_token);
    expect(await token(refresh)).toEqual({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: 'refresh token is invalid, expired or revoked',
        status: 'BAD_REFRESH_TOKEN',
        message: 'refresh token is invalid, expired or revoked',
      },
    });
    expect((await token({ ...refresh, client_secret: 'wrong' })).body).toMatchObject({ error: 'invalid_client', status: 'BAD_CLIENT_ID' });
    await expect(harness({ token: refreshed.body.access_token }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });
});

describe('hubspot plugin: verify and health', () => {
  it('verifies through the token metadata: account, installing user, scopes', async () => {
    const h = harness({ metadata: {} });
    expect(await h.verify()).toEqual({
      displayName: 'acme-events.hubspot.com (owner@acme.test)',
      metadata: {
        hubId: '62515',
        hubDomain: 'acme-events.hubspot.com',
        user: 'owner@acme.test',
        userId: 123456,
        appId: 456789,
        scopes: HUBSPOT_SCOPES.split(' '),
        canManageDeals: true,
      },
    });
    expect(urls(h)).toEqual([`GET https://api.hubapi.com/oauth/v1/access-tokens/${accessToken}`]);
  });

  it('refuses a grant without contact scopes, and a token HubSpot does not know or that expired', async () => {
    const { accessToken: narrow } = fake.state.oauth.mintTokens(CLIENT.clientId, 'oauth crm.objects.contacts.read');
    await expect(harness({ token: narrow }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('crm.objects.contacts.write'),
    });
    await expect(harness({ token: 'CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQ' }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect the account again'),
    });
    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, HUBSPOT_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(harness({ token: stale }).verify()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('checks health with one contact read, and passes HubSpot’s EXPIRED_AUTHENTICATION on readably', async () => {
    const h = harness();
    await h.healthCheck();
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'GET', path: '/crm/v3/objects/contacts', query: { limit: '1', properties: 'email' } });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, HUBSPOT_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(harness({ token: stale }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^The OAuth token used to make this call expired \d+ second\(s\) ago\. \(HubSpot correlation id [0-9a-f-]{36}\)$/),
    });
    await expect(harness({ token: 'not-a-token' }).healthCheck()).rejects.toMatchObject({
      message: expect.stringContaining('Authentication credentials not found'),
    });
  });
});

describe('hubspot plugin: actions', () => {
  it('upserts a contact by email: created first, then updated in place', async () => {
    const h = harness();
    const created = await h.action<Json>('upsertContact', {
      email: 'Ana.Lima@Example.com',
      properties: { firstname: 'Ana', [MAPPING.watchTimeSeconds]: 120, [MAPPING.attended]: true },
    });
    expect(created).toMatchObject({ id: expect.stringMatching(/^\d+$/), email: 'ana.lima@example.com', created: true });
    const upsert = fake.state.requests.at(-1)!;
    expect(`${upsert.method} ${upsert.path}`).toBe('POST /crm/v3/objects/contacts/batch/upsert');
    expect(upsert.body).toEqual({
      inputs: [
        { idProperty: 'email', id: 'Ana.Lima@Example.com', properties: { firstname: 'Ana', [MAPPING.watchTimeSeconds]: '120', [MAPPING.attended]: 'true' } },
      ],
    });

    const updated = await h.action<Json>('upsertContact', { email: 'ana.lima@example.com', properties: { lastname: 'Lima', firstname: null } });
    expect(updated).toMatchObject({ id: created.id, created: false, properties: { lastname: 'Lima' } });
    expect(fake.state.contacts.get(created.id)!.properties).toMatchObject({
      email: 'ana.lima@example.com',
      lastname: 'Lima',
      [MAPPING.watchTimeSeconds]: '120',
    });
    expect(fake.state.contacts.get(created.id)!.properties.firstname).toBeUndefined();
  });

  it('passes HubSpot’s VALIDATION_ERROR on as a readable refusal, unwrapping the property list', async () => {
    const h = harness();
    await expect(
      h.action('upsertContact', { email: 'bo@example.com', properties: { favourite_colour: 'teal', createdate: '2020-01-01' } }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^Property "favourite_colour" does not exist; createdate is a read only property; its value cannot be set\. \(HubSpot correlation id .+\)$/,
      ),
    });
    await expect(h.action('upsertContact', { email: 'bo@example.com', properties: { [MAPPING.watchTimeSeconds]: 'a while' } })).rejects.toMatchObject({
      message: expect.stringContaining('a while was not a valid number.'),
    });
    expect(contactByEmail('bo@example.com')).toBeUndefined();
  });

  it('refuses malformed inputs at the schema, before any call', () => {
    const ajv = createSchemaCompiler();
    const upsert = ajv.compile(hubspot.actions.upsertContact.inputSchema);
    expect(upsert({ email: 'ana@example.com', properties: { firstname: 'Ana', webinar_attended: true, phone: null } })).toBe(true);
    expect(upsert({ email: 'not-an-email' })).toBe(false);
    expect(upsert({ email: 'ana@example.com', properties: { email: 'other@example.com' } })).toBe(false);
    expect(upsert({ email: 'ana@example.com', properties: { 'First Name': 'Ana' } })).toBe(false);
    expect(upsert({ email: 'ana@example.com', properties: { firstname: { nested: true } } })).toBe(false);
    expect(upsert({ email: 'ana@example.com', extra: 1 })).toBe(false);
    const list = ajv.compile(hubspot.actions.listProperties.inputSchema);
    expect(list({ objectType: 'deals' })).toBe(true);
    expect(list({ objectType: 'tickets' })).toBe(false);
    const settings = ajv.compile(hubspot.settingsSchema);
    expect(settings(DEAL_SETTINGS)).toBe(true);
    expect(settings({ propertyMapping: { attended: 'Webinar Attended' } })).toBe(false);
    expect(settings({ noShowStageId: STAGES.noShow, pipelineId: PIPELINE, registeredStageId: STAGES.registered })).toBe(false);
    expect(settings({ registeredStageId: STAGES.registered })).toBe(false);
  });

  it('lists properties for the mapping, hiding hidden ones unless asked', async () => {
    const h = harness();
    const { properties } = await h.action<Json>('listProperties', { objectType: 'contacts' });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'GET', path: '/crm/v3/properties/contacts', query: { archived: 'false' } });
    expect(properties).toEqual(
      expect.arrayContaining([
        {
          name: 'email',
          label: 'Email',
          type: 'string',
          fieldType: 'text',
          groupName: 'contactinformation',
          description: null,
          options: [],
          readOnly: false,
          hidden: false,
          custom: false,
        },
        expect.objectContaining({
          name: MAPPING.attended,
          type: 'bool',
          fieldType: 'booleancheckbox',
          custom: true,
          options: [
            { label: 'Yes', value: 'true' },
            { label: 'No', value: 'false' },
          ],
        }),
        expect.objectContaining({ name: 'createdate', readOnly: true }),
      ]),
    );
    expect(properties.map((property: Json) => property.name)).not.toContain('hs_all_contact_vids');
    const all = await h.action<Json>('listProperties', { objectType: 'contacts', includeHidden: true });
    expect(all.properties.map((property: Json) => property.name)).toContain('hs_all_contact_vids');
    const deals = await h.action<Json>('listProperties', { objectType: 'deals' });
    expect(deals.properties.find((property: Json) => property.name === 'pipeline').options).toEqual(
      expect.arrayContaining([
        { label: 'Sales Pipeline', value: 'default' },
        { label: 'Webinar funnel', value: PIPELINE },
      ]),
    );
  });

  it('says which scope a call lacked (HubSpot’s MISSING_SCOPES)', async () => {
    const { accessToken: contactsOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, 'oauth crm.objects.contacts.read crm.objects.contacts.write');
    await expect(harness({ token: contactsOnly }).action('listProperties', { objectType: 'companies' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining(
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes. Required scopes: crm.schemas.companies.read, crm.objects.companies.read, crm.objects.companies.write.",
      ),
    });
  });

  it('lists deal pipelines with their stages in order', async () => {
    const { pipelines } = await harness().action<Json>('listDealPipelines', {});
    expect(pipelines).toEqual([
      {
        id: 'default',
        label: 'Sales Pipeline',
        stages: [
          { id: 'appointmentscheduled', label: 'Appointment Scheduled', closed: false },
          { id: 'qualifiedtobuy', label: 'Qualified To Buy', closed: false },
          { id: 'closedwon', label: 'Closed Won', closed: true },
        ],
      },
      {
        id: PIPELINE,
        label: 'Webinar funnel',
        stages: [
          { id: STAGES.registered, label: 'Registered', closed: false },
          { id: STAGES.attended, label: 'Attended', closed: false },
          { id: STAGES.noShow, label: 'No-show', closed: false },
          { id: STAGES.won, label: 'Customer', closed: true },
        ],
      },
    ]);
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'GET', path: '/crm/v3/pipelines/deals' });
  });
});

describe('hubspot plugin: reactions', () => {
  it('registration.received upserts the registrant with the mapped properties and opens a deal at the registered stage', async () => {
    const h = harness({ settings: DEAL_SETTINGS });
    await react(h, 'registration.received', {
      registrationId: 'reg_1',
      sessionId: 'sess_9',
      email: 'Cy.Ng@Example.com',
      name: 'Cy  van Ng',
      registeredAt: '2026-03-01T09:30:00Z',
    });
    const contact = contactByEmail('cy.ng@example.com')!;
    expect(contact.properties).toMatchObject({
      firstname: 'Cy',
      lastname: 'van Ng',
      [MAPPING.registered]: 'true',
      [MAPPING.registeredAt]: '2026-03-01T09:30:00Z',
      [MAPPING.lastSessionId]: 'sess_9',
    });
    const [deal] = dealsOf(contact.id);
    expect(deal.properties).toMatchObject({
      dealname: 'Webinar sess_9 – Cy van Ng',
      pipeline: PIPELINE,
      dealstage: STAGES.registered,
      plugboard_session_id: 'sess_9',
    });
    const create = fake.state.requests.find(
      (request) =>
        request.method === 'POST' &&
        request.path === '/crm/v3/objects/deals' &&
        (request.body as Json).properties.dealstage === STAGES.registered &&
        (request.body as Json).associations[0].to.id === contact.id,
    )!;
    expect((create.body as Json).associations).toEqual([{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }] }]);

    // The same registration again (a redelivery) finds the deal instead of opening a second one.
    await react(h, 'registration.received', { registrationId: 'reg_1', sessionId: 'sess_9', email: 'cy.ng@example.com', name: 'Cy van Ng' });
    expect(dealsOf(contact.id)).toHaveLength(1);
    expect(urls(h).slice(-3)).toEqual([
      'POST https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert',
      `GET https://api.hubapi.com/crm/v4/objects/contacts/${contact.id}/associations/deals?limit=500`,
      'POST https://api.hubapi.com/crm/v3/objects/deals/batch/read',
    ]);
  });

  it('participant.joined marks the contact attended and moves the deal; a later registration never moves it back', async () => {
    const h = harness({ settings: DEAL_SETTINGS });
    await react(h, 'registration.received', { registrationId: 'reg_2', sessionId: 'sess_9', email: 'dee@example.com', name: 'Dee' });
    const contact = contactByEmail('dee@example.com')!;
    await react(h, 'participant.joined', {
      participantId: 'p_2',
      sessionId: 'sess_9',
      email: 'dee@example.com',
      name: 'Dee (iPad)',
      joinedAt: '2026-03-02T16:01:00Z',
    });
    expect(contact.properties).toMatchObject({ [MAPPING.attended]: 'true', [MAPPING.lastJoinedAt]: '2026-03-02T16:01:00Z', firstname: 'Dee' });
    expect(dealsOf(contact.id).map((deal) => deal.properties.dealstage)).toEqual([STAGES.attended]);
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'PATCH', body: { properties: { dealstage: STAGES.attended } } });

    await react(h, 'registration.received', { registrationId: 'reg_2', sessionId: 'sess_9', email: 'dee@example.com' });
    expect(dealsOf(contact.id).map((deal) => deal.properties.dealstage)).toEqual([STAGES.attended]);
    expect(h.requests.at(-1)!.method).toBe('POST');

    // Another session gets a deal of its own.
    await react(h, 'participant.joined', { participantId: 'p_3', sessionId: 'sess_10', email: 'dee@example.com' });
    expect(dealsOf(contact.id).map((deal) => [deal.properties.plugboard_session_id, deal.properties.dealstage])).toEqual([
      ['sess_9', STAGES.attended],
      ['sess_10', STAGES.attended],
    ]);
  });

  it('never pulls a deal out of a stage sales moved it to', async () => {
    const h = harness({ settings: DEAL_SETTINGS });
    await react(h, 'registration.received', { registrationId: 'reg_w', sessionId: 'sess_12', email: 'won@example.com' });
    const contact = contactByEmail('won@example.com')!;
    const [deal] = dealsOf(contact.id);
    deal.properties.dealstage = STAGES.won;
    const before = fake.state.requests.length;
    await react(h, 'participant.joined', { participantId: 'p_w', sessionId: 'sess_12', email: 'won@example.com' });
    await react(h, 'registration.received', { registrationId: 'reg_w', sessionId: 'sess_12', email: 'won@example.com' });
    expect(dealsOf(contact.id).map((candidate) => candidate.properties.dealstage)).toEqual([STAGES.won]);
    expect(fake.state.requests.slice(before).filter((request) => request.method === 'PATCH' || request.path === '/crm/v3/objects/deals')).toEqual([]);
  });

  it('opens a new deal when the one associated was deleted (HubSpot’s 207 for missing ids)', async () => {
    const h = harness({ settings: DEAL_SETTINGS });
    await react(h, 'registration.received', { registrationId: 'reg_3', sessionId: 'sess_11', email: 'eve@example.com' });
    const contact = contactByEmail('eve@example.com')!;
    const [gone] = dealsOf(contact.id);
    fake.state.deals.delete(gone.id);
    await react(h, 'participant.joined', { participantId: 'p_4', sessionId: 'sess_11', email: 'eve@example.com' });
    const read = [...fake.state.requests].reverse().find((request) => request.path === '/crm/v3/objects/deals/batch/read')!;
    expect((read.body as Json).inputs).toEqual([{ id: gone.id }]);
    const live = dealsOf(contact.id).filter(Boolean);
    expect(live.map((deal) => deal.properties.dealstage)).toEqual([STAGES.attended]);
  });

  it('updates only the contact when no pipeline is configured, and skips events without an email', async () => {
    const h = harness({ settings: { propertyMapping: { attended: MAPPING.attended } } });
    await react(h, 'participant.joined', { participantId: 'p_5', sessionId: 'sess_9', email: 'fay@example.com' });
    const contact = contactByEmail('fay@example.com')!;
    expect(contact.properties[MAPPING.attended]).toBe('true');
    expect(contact.properties[MAPPING.lastSessionId]).toBeUndefined();
    expect(dealsOf(contact.id)).toEqual([]);
    expect(urls(h)).toEqual(['POST https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert']);

    const quiet = harness({ settings: DEAL_SETTINGS });
    await react(quiet, 'participant.joined', { participantId: 'p_6', sessionId: 'sess_9', name: 'Anonymous' });
    expect(quiet.requests).toEqual([]);
    expect(quiet.logs).toEqual([expect.objectContaining({ level: 'warn', message: 'participant without an email: no contact to update' })]);
  });

  it('session.ended records watch time when the payload lists participants, and moves this session’s still-registered deals to no-show', async () => {
    const h = harness({ settings: DEAL_SETTINGS });
    for (const email of ['gus@example.com', 'hal@example.com', 'ivy@example.com'])
      await react(h, 'registration.received', { registrationId: email, sessionId: 'sess_20', email });
    await react(h, 'registration.received', { registrationId: 'other', sessionId: 'sess_21', email: 'jo@example.com' });
    await react(h, 'participant.joined', { participantId: 'p_7', sessionId: 'sess_20', email: 'gus@example.com' });

    const before = fake.state.requests.length;
    await react(h, 'session.ended', {
      sessionId: 'sess_20',
      endedAt: '2026-03-02T17:00:00Z',
      durationSeconds: 3600,
      participants: [
        { email: 'gus@example.com', watchTimeSeconds: 1799.6 },
        { email: 'GUS@example.com', watchTimeSeconds: 1900 },
        { email: 'kim@example.com', durationSeconds: 60 },
        { name: 'no email' },
      ],
    });
    const sent = fake.state.requests.slice(before);
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /crm/v3/objects/contacts/batch/upsert',
      'POST /crm/v3/objects/deals/search',
      'POST /crm/v3/objects/deals/batch/update',
    ]);
    expect(sent[0].body).toEqual({
      inputs: [
        { idProperty: 'email', id: 'GUS@example.com', properties: { [MAPPING.attended]: 'true', [MAPPING.watchTimeSeconds]: '1900' } },
        { idProperty: 'email', id: 'kim@example.com', properties: { [MAPPING.attended]: 'true', [MAPPING.watchTimeSeconds]: '60' } },
      ],
    });
    expect(sent[1].body).toEqual({
      filterGroups: [
        {
          filters: [
            { propertyName: 'pipeline', operator: 'EQ', value: PIPELINE },
            { propertyName: 'dealstage', operator: 'EQ', value: STAGES.registered },
            { propertyName: 'plugboard_session_id', operator: 'EQ', value: 'sess_20' },
          ],
        },
      ],
      properties: ['dealstage'],
      limit: 200,
    });
    const stage = (email: string) => dealsOf(contactByEmail(email)!.id)[0].properties.dealstage;
    expect([stage('gus@example.com'), stage('hal@example.com'), stage('ivy@example.com'), stage('jo@example.com')]).toEqual([
      STAGES.attended,
      STAGES.noShow,
      STAGES.noShow,
      STAGES.registered,
    ]);
    expect(contactByEmail('gus@example.com')!.properties[MAPPING.watchTimeSeconds]).toBe('1900');
  });

  it('session.ended leaves deals alone without a deal session property to tell sessions apart', async () => {
    const { dealSessionProperty: _omitted, noShowStageId: _none, ...settings } = DEAL_SETTINGS;
    const h = harness({ settings: { ...settings, noShowStageId: STAGES.noShow } });
    await react(h, 'session.ended', { sessionId: 'sess_20' });
    expect(h.requests).toEqual([]);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('no deal session property') })]);
  });
});

describe('hubspot plugin: contact sync', () => {
  it('lists every contact with the after cursor, then syncs only what changed through the search API', async () => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let index = 0; index < 230; index += 1)
      fake.state.addContact({ email: `sync${index}@example.com`, firstname: `S${index}` }, new Date(base + index * 1000).toISOString());
    const h = harness({ settings: { propertyMapping: { attended: MAPPING.attended } } });
    const first = await h.sync();
    const contacts = first.records!.contacts;
    expect(contacts.length).toBe(fake.state.contacts.size);
    expect(new Set(contacts.map((record) => record.id)).size).toBe(contacts.length);
    const listed = h.requests.map((request) => new URL(request.url));
    expect(listed.every((url) => url.pathname === '/crm/v3/objects/contacts' && url.searchParams.get('limit') === '100')).toBe(true);
    expect(listed[0].searchParams.get('properties')).toBe(`email,firstname,lastname,createdate,lastmodifieddate,${MAPPING.attended}`);
    const cursors = listed.map((url) => url.searchParams.get('after'));
    expect(cursors[0]).toBeNull();
    expect(new Set(cursors.slice(1)).size).toBe(listed.length - 1);
    expect(cursors.slice(1).every((cursor) => cursor !== null && fake.state.contacts.has(cursor))).toBe(true);
    expect(listed.length).toBe(Math.ceil(fake.state.contacts.size / 100));
    const sample = contacts.find((record) => record.email === 'sync7@example.com')!;
    expect(sample).toEqual({
      id: expect.any(String),
      email: 'sync7@example.com',
      firstName: 'S7',
      lastName: null,
      createdAt: '2026-01-01T00:00:07.000Z',
      updatedAt: '2026-01-01T00:00:07.000Z',
      archived: false,
      properties: expect.objectContaining({ email: 'sync7@example.com', [MAPPING.attended]: null }),
    });
    const mark = first.highWaterMarks!.contacts;
    expect(mark).toBe(
      [...fake.state.contacts.values()]
        .map((record) => record.updatedAt)
        .sort()
        .at(-1),
    );

    // Two contacts change; one more appears.
    const later = Date.parse(mark) + 60 * 60_000;
    const changed = contactByEmail('sync3@example.com')!;
    changed.properties.firstname = 'Changed';
    changed.properties.lastmodifieddate = changed.updatedAt = new Date(later).toISOString();
    const added = fake.state.addContact({ email: 'late@example.com' }, new Date(later + 1000).toISOString());
    const next = harness();
    const second = await next.sync({ highWaterMarks: { contacts: mark } });
    expect(second.records!.contacts.map((record) => record.email).sort()).toEqual(expect.arrayContaining(['late@example.com', 'sync3@example.com']));
    expect(second.records!.contacts.find((record) => record.id === changed.id)!.firstName).toBe('Changed');
    expect(second.highWaterMarks).toEqual({ contacts: added.updatedAt });
    expect(next.requests).toHaveLength(1);
    expect(next.requests[0].url).toBe('https://api.hubapi.com/crm/v3/objects/contacts/search');
    expect(next.requests[0].json()).toEqual({
      filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(Date.parse(mark) - 5 * 60_000) }] }],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['email', 'firstname', 'lastname', 'createdate', 'lastmodifieddate'],
      limit: 200,
    });
    // Nothing new: the mark stays.
    const third = await harness().sync({ highWaterMarks: { contacts: added.updatedAt } });
    expect(third.highWaterMarks).toEqual({ contacts: added.updatedAt });
  });

  it('continues past the 10,000-result search cap with a new query from the last modification time', async () => {
    const start = Date.parse('2099-06-01T00:00:00Z');
    const total = 10_150;
    for (let index = 0; index < total; index += 1) fake.state.addContact({ email: `bulk${index}@example.com` }, new Date(start + index * 1000).toISOString());
    const h = harness();
    const result = await h.sync({ highWaterMarks: { contacts: new Date(start - 10 * 60_000).toISOString() } });
    const bulk = result.records!.contacts.filter((record) => String(record.email).startsWith('bulk'));
    expect(bulk).toHaveLength(total);
    const bodies = h.requests.map((request) => request.json() as Json);
    const queries = bodies.filter((body) => body.after === undefined).map((body) => body.filterGroups[0].filters[0].value);
    expect(queries).toHaveLength(2);
    expect(Number(queries[1])).toBeGreaterThan(Number(queries[0]));
    expect(bodies.every((body) => Number(body.after ?? 0) + body.limit <= 10_000)).toBe(true);
    expect(result.highWaterMarks).toEqual({ contacts: new Date(start + (total - 1) * 1000).toISOString() });
  });
});

describe('hubspot plugin: HubSpot’s refusals and limits', () => {
  it('turns a 429 into provider_rate_limited, waiting out the window HubSpot’s headers name', async () => {
    fake.state.limits = { ...GENEROUS, burst: 2 };
    fake.state.resetLimits();
    const h = harness();
    await h.healthCheck();
    await h.action('listDealPipelines', {});
    await expect(h.action('upsertContact', { email: 'limit@example.com' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 10,
      message: 'HubSpot rate limit reached: You have reached your ten_secondly_rolling limit.',
    });
    const refused = await fetch(`${fake.url}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(refused.status).toBe(429);
    expect(Object.fromEntries([...refused.headers].filter(([name]) => name.startsWith('x-hubspot')))).toEqual({
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-max': '2',
      'x-hubspot-ratelimit-remaining': '0',
    });
    expect(await refused.json()).toEqual({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: expect.any(String),
      policyName: 'TEN_SECONDLY_ROLLING',
      requestId: expect.any(String),
    });
    expect(contactByEmail('limit@example.com')).toBeUndefined();
  });

  it('limits the search endpoints separately, a second at a time', async () => {
    fake.state.limits = { ...GENEROUS, search: 1 };
    fake.state.resetLimits();
    const h = harness({ settings: DEAL_SETTINGS });
    await react(h, 'session.ended', { sessionId: 'sess_none' });
    await expect(react(h, 'session.ended', { sessionId: 'sess_none' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 1,
      message: expect.stringContaining('secondly limit'),
    });
  });

  it('the fake answers a duplicate create with 409 CONFLICT, which the plugin’s error mapping reads', async () => {
    const existing = fake.state.addContact({ email: 'dup@example.com' });
    const h = harness();
    const response = await h.context().http('/crm/v3/objects/contacts', { method: 'POST', body: { properties: { email: 'DUP@example.com' } } });
    expect(response.status).toBe(409);
    await expect(readJson(response, { credentials: {} }, hubspot.errors)).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(new RegExp(`^Contact already exists\\. Existing ID: ${existing.id} \\(HubSpot correlation id .+\\)$`)),
    });
  });

  it('the fake refuses an upsert by a non-unique property and a batch naming one email twice', async () => {
    const post = (body: Json) =>
      fetch(`${fake.url}/crm/v3/objects/contacts/batch/upsert`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const nonUnique = await post({ inputs: [{ idProperty: 'firstname', id: 'Ana', properties: {} }] });
    expect(nonUnique.status).toBe(400);
    expect(await nonUnique.json()).toMatchObject({
      category: 'VALIDATION_ERROR',
      message: 'Unable to perform update/upsert by non-unique 0-1 property firstname in portal ID 62515',
    });
    const twice = await post({
      inputs: [
        { idProperty: 'email', id: 'a@example.com', properties: {} },
        { idProperty: 'email', id: 'A@example.com', properties: {} },
      ],
    });
    expect(await twice.json()).toMatchObject({ category: 'VALIDATION_ERROR', message: expect.stringContaining('Duplicate IDs') });
  });
});
