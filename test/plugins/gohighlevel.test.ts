import {
  GHL_API_VERSION,
  GHL_CLIENT,
  GHL_SCOPES,
  startFakeHighLevel,
  type FakeHighLevel,
  type GhlLocation,
  type GhlPipeline,
} from '../fixtures/providers/gohighlevel.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { readTokenMetadata } from '../../src/sdk/provider-auth.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';

let plugin: PluginDefinition;
let ghl: Json;
let fake: FakeHighLevel;
let location: GhlLocation;
let pipeline: GhlPipeline;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('gohighlevel');
  ghl = plugin.providers[0];
  fake = await startFakeHighLevel();
  location = fake.state.addLocation('Acme Webinars');
  pipeline = fake.state.addPipeline(location.id, 'Webinar funnel', ['Registered', 'Attended', 'Customer']);
  accessToken = fake.state.mintTokens(location.id).accessToken;
});
afterAll(() => fake.close());

const stage = (name: string) => pipeline.stages.find((candidate) => candidate.name === name)!.id;

/** A connected sub-account: the token and the locationId kept from the token response. */
const harness = ({
  token = accessToken,
  settings = {},
  metadata = { locationId: location.id },
  raw,
}: { token?: string; settings?: Json; metadata?: Json; raw?: Json } = {}) =>
  createHarness(plugin, {
    provider: 'gohighlevel',
    credentials: { accessToken: token, tokenType: 'Bearer', ...(raw ? { raw } : {}) },
    settings,
    integration: { metadata },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url.replace('https://services.leadconnectorhq.com', '')}`);
const received = () => fake.state.requests.at(-1)!;
const event = (type: string, data: Json, id = `evt_${Math.random().toString(36).slice(2)}`): PlugboardEvent => ({
  id,
  event: type,
  timestamp: '2026-01-05T10:00:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});
const contactByEmail = (email: string) => [...fake.state.contacts.values()].find((contact) => contact.email?.toLowerCase() === email.toLowerCase());

describe('gohighlevel plugin: declaration', () => {
  it('is a crm provider on HighLevel OAuth 2.0 for sub-accounts, with API 2.0 as base and the documented limits per location', () => {
    expect(ghl).toMatchObject({
      id: 'gohighlevel',
      category: 'crm',
      baseUrl: 'https://services.leadconnectorhq.com',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://marketplace.gohighlevel.com/v2/oauth/chooselocation',
        tokenUrl: 'https://services.leadconnectorhq.com/oauth/token',
        tokenMetadata: { locationId: { pointer: '/locationId' }, userType: { pointer: '/userType' } },
      },
      rateLimits: [
        { requests: 100, windowMs: 10_000, scope: 'account', accountKey: 'locationId' },
        { requests: 200_000, windowMs: 86_400_000, scope: 'account', accountKey: 'locationId' },
      ],
    });
    expect(ghl.auth.scopes).toEqual(expect.arrayContaining(['contacts.write', 'opportunities.write', 'workflows.readonly', 'locations.readonly']));
    expect(Object.keys(ghl.actions).sort()).toEqual(['addToWorkflow', 'listPipelines', 'listWorkflows', 'moveOpportunity', 'upsertContact']);
    expect(Object.keys(ghl.onEvent).sort()).toEqual(['participant.joined', 'registration.received']);
  });

  it('refuses malformed inputs and settings at the schema', () => {
    const ajv = createSchemaCompiler();
    const upsert = ajv.compile(ghl.actions.upsertContact.inputSchema);
    expect(upsert({ email: 'ana@example.com', tags: ['webinar'] })).toBe(true);
    expect(upsert({ phone: '+14155550123' })).toBe(true);
    expect(upsert({ name: 'Ana' })).toBe(false);
    expect(upsert({ email: 'not-an-email' })).toBe(false);
    expect(upsert({ phone: '0415 555 0123' })).toBe(false);
    expect(upsert({ email: 'ana@example.com', company: 'Acme' })).toBe(false);
    const workflow = ajv.compile(ghl.actions.addToWorkflow.inputSchema);
    expect(workflow({ contactId: 'abc', workflowId: '78559bb3-b920-461e-b010-7b2a2816d2a9' })).toBe(true);
    expect(workflow({ contactId: 'abc/../x', workflowId: 'w' })).toBe(false);
    expect(workflow({ contactId: 'abc', workflowId: 'w', eventStartTime: 'tomorrow' })).toBe(false);
    const settings = ajv.compile(ghl.settingsSchema);
    expect(settings({ pipelineId: pipeline.id, registeredStageId: stage('Registered'), registrationTags: ['a'] })).toBe(true);
    expect(settings({ pipelineId: pipeline.id, extra: true })).toBe(false);
  });
});

describe('gohighlevel plugin: installing on a sub-account', () => {
  const authorize = (query: Record<string, string>) =>
    followAuthorizationUrl(`${ghl.auth.authorizationUrl}?${new URLSearchParams(query).toString()}`, fake.origins);
  const token = (form: Record<string, string>) => postTokenRequest(ghl.auth.tokenUrl, fake.origins, form);
  const install = async () => {
    const back = await authorize({
      response_type: 'code',
      client_id: GHL_CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: GHL_SCOPES.join(' '),
      state: 'st-1',
    });
    expect(back.searchParams.get('state')).toBe('st-1');
    const form = {
      grant_type: 'authorization_code',
      client_id: GHL_CLIENT.clientId,
      client_secret: GHL_CLIENT.clientSecret,
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      user_type: 'Location',
    };
    return token(form);
  };

  it('exchanges the code for a day-long token naming the location, which tokenMetadata keeps and verify reads', async () => {
    const granted = await install();
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 86_399,
      userType: 'Location',
      locationId: location.id,
      companyId: location.companyId,
      refresh_token: expect.any(String),
    });
    const metadata = readTokenMetadata(ghl.auth.tokenMetadata, granted.body);
    expect(metadata).toEqual({ locationId: location.id, userType: 'Location' });
    const h = harness({ token: granted.body.access_token, metadata });
    expect(await h.verify()).toEqual({
      displayName: 'Acme Webinars',
      metadata: { locationId: location.id, companyId: location.companyId, locationName: 'Acme Webinars', timezone: 'America/Chicago' },
    });
    expect(calls(h)).toEqual([`GET /locations/${location.id}`]);
    expect(received().headers).toMatchObject({ version: GHL_API_VERSION, authorization: `Bearer ${granted.body.access_token}` });
  });

  it('rotates refresh tokens: each refresh answers a new one and the spent one is refused', async () => {
    const granted = await install();
    const refresh = {
      grant_type: 'refresh_token',
      client_id: GHL_CLIENT.clientId,
      client_secret: GHL_CLIENT.clientSecret,
      refresh_token: granted.body.refresh_token,
      user_type: 'Location',
    };
    const refreshed = await token(refresh);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ locationId: location.id, userType: 'Location' });
    expect(refreshed.body.refresh_token).not.toBe(granted.body.refresh_token);
    expect(await token(refresh)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
    await expect(harness({ token: refreshed.body.access_token }).healthCheck()).resolves.toBeUndefined();
    const again = await token({ ...refresh, refresh_token: refreshed.body.refresh_token });
    expect(again.status).toBe(200);
  });

  it('refuses an agency install: its token names no location', async () => {
    fake.state.installAs = 'Company';
    try {
      const granted = await install();
      expect(granted.body).toMatchObject({ userType: 'Company', companyId: location.companyId });
      expect(granted.body.locationId).toBeUndefined();
      expect(() => readTokenMetadata(ghl.auth.tokenMetadata, granted.body)).toThrow(expect.objectContaining({ code: 'provider_rejected' }));
      const h = harness({ token: granted.body.access_token, metadata: {}, raw: { userType: 'Company', companyId: location.companyId } });
      await expect(h.verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('sub-account') });
      expect(h.requests).toEqual([]);
    } finally {
      fake.state.installAs = 'Location';
    }
  });

  it('reads the location from the stored token response when the metadata lacks it', async () => {
    const h = harness({ metadata: {}, raw: { userType: 'Location', locationId: location.id, companyId: location.companyId } });
    expect((await h.verify()).metadata).toMatchObject({ locationId: location.id });
  });

  it('passes HighLevel’s refusals on: an unknown or expired token, another location, a missing scope', async () => {
    await expect(harness({ token: 'not-a-token' }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Invalid token: access token is invalid'),
    });
    const { accessToken: expiring } = fake.state.mintTokens(location.id);
    fake.state.oauth.expireAccessToken(expiring);
    await expect(harness({ token: expiring }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Reconnect'),
    });

    const other = fake.state.addLocation('Other sub-account');
    await expect(harness({ metadata: { locationId: other.id } }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The token does not have access to this location.',
    });
    expect(fake.state.requests.at(-1)!.path).toBe(`/locations/${other.id}`);

    const { accessToken: readOnly } = fake.state.mintTokens(location.id, ['contacts.readonly', 'locations.readonly']);
    await expect(harness({ token: readOnly }).action('upsertContact', { email: 'scope@example.com' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('The token is not authorized for this scope.'),
    });
    expect(contactByEmail('scope@example.com')).toBeUndefined();
  });
});

describe('gohighlevel plugin: contacts and workflows', () => {
  it('upserts a contact by email with the location id, then adds the tags without replacing existing ones', async () => {
    const h = harness();
    const first = await h.action<Json>('upsertContact', { email: 'Ana.Lima@Example.com', name: 'Ana  Lima', tags: ['webinar'] });
    const contact = contactByEmail('ana.lima@example.com')!;
    expect(first).toEqual({ id: contact.id, created: true, email: 'Ana.Lima@Example.com', phone: null, tags: ['webinar'] });
    expect(calls(h)).toEqual(['POST /contacts/upsert', `POST /contacts/${contact.id}/tags`]);
    const upsert = fake.state.requests.at(-2)!;
    expect(upsert.headers.version).toBe(GHL_API_VERSION);
    expect(upsert.body).toEqual({ locationId: location.id, email: 'Ana.Lima@Example.com', name: 'Ana  Lima', firstName: 'Ana', lastName: 'Lima' });
    expect(received().body).toEqual({ tags: ['webinar'] });

    const second = await harness().action<Json>('upsertContact', { email: 'ana.lima@example.com', phone: '+14155550123', tags: ['vip'] });
    expect(second).toMatchObject({ id: contact.id, created: false, phone: '+14155550123', tags: ['webinar', 'vip'] });
    expect(contact.tags).toEqual(['webinar', 'vip']);
  });

  it('upserts by phone alone and sends no tag call without tags', async () => {
    const h = harness();
    const result = await h.action<Json>('upsertContact', { phone: '+447700900123' });
    expect(result).toMatchObject({ created: true, phone: '+447700900123', email: null, tags: [] });
    expect(calls(h)).toEqual(['POST /contacts/upsert']);
  });

  it('turns HighLevel’s validation list into one readable refusal', async () => {
    await expect(harness().action('upsertContact', { email: 'not-an-email' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'email must be an email',
    });
    expect(received()).toMatchObject({ path: '/contacts/upsert', body: { email: 'not-an-email' } });
  });

  it('adds a contact to a workflow, and refuses an unknown workflow with HighLevel’s message', async () => {
    const workflow = fake.state.addWorkflow(location.id, 'Webinar reminders');
    const { id } = await harness().action<Json>('upsertContact', { email: 'wf@example.com' });
    const h = harness();
    expect(await h.action('addToWorkflow', { contactId: id, workflowId: workflow.id, eventStartTime: '2026-02-01T10:00:00Z' })).toEqual({ enrolled: true });
    expect(calls(h)).toEqual([`POST /contacts/${id}/workflow/${workflow.id}`]);
    expect(received()).toMatchObject({ headers: { version: GHL_API_VERSION }, body: { eventStartTime: '2026-02-01T10:00:00Z' } });
    expect(fake.state.enrollments.at(-1)).toEqual({ contactId: id, workflowId: workflow.id, eventStartTime: '2026-02-01T10:00:00Z' });
    await expect(harness().action('addToWorkflow', { contactId: id, workflowId: 'no-such-workflow' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Workflow not found',
    });
  });

  it('lists the pipelines with their stages and the workflows of the location', async () => {
    const h = harness();
    const { pipelines } = await h.action<Json>('listPipelines');
    expect(pipelines).toContainEqual({
      id: pipeline.id,
      name: 'Webinar funnel',
      stages: pipeline.stages.map(({ id, name, position }) => ({ id, name, position })),
    });
    const { workflows } = await h.action<Json>('listWorkflows');
    expect(workflows.map((workflow: Json) => workflow.name)).toContain('Webinar reminders');
    expect(calls(h)).toEqual([`GET /opportunities/pipelines?locationId=${location.id}`, `GET /workflows/?locationId=${location.id}`]);
  });
});

describe('gohighlevel plugin: opportunities', () => {
  it('creates the contact’s opportunity in a stage, then moves it, and leaves it when already there', async () => {
    const { id: contactId } = await harness().action<Json>('upsertContact', { email: 'opp@example.com' });
    const h = harness({ settings: { pipelineId: pipeline.id } });
    const created = await h.action<Json>('moveOpportunity', { contactId, pipelineStageId: stage('Registered'), name: 'Opp' });
    expect(created).toMatchObject({ created: true, moved: true, pipelineStageId: stage('Registered') });
    expect(received()).toMatchObject({
      method: 'POST',
      path: '/opportunities/',
      body: { pipelineId: pipeline.id, locationId: location.id, name: 'Opp', pipelineStageId: stage('Registered'), status: 'open', contactId },
    });
    const moved = await harness({ settings: { pipelineId: pipeline.id } }).action<Json>('moveOpportunity', { contactId, pipelineStageId: stage('Attended') });
    expect(moved).toEqual({ id: created.id, created: false, moved: true, pipelineId: pipeline.id, pipelineStageId: stage('Attended') });
    expect(fake.state.opportunities.find((opportunity) => opportunity.id === created.id)!.pipelineStageId).toBe(stage('Attended'));
    const again = harness({ settings: { pipelineId: pipeline.id } });
    expect(await again.action<Json>('moveOpportunity', { contactId, pipelineStageId: stage('Attended') })).toMatchObject({ moved: false });
    expect(calls(again)).toEqual([
      `GET /opportunities/search?location_id=${location.id}&pipeline_id=${pipeline.id}&contact_id=${contactId}&status=open&limit=100`,
    ]);
    await expect(harness().action('moveOpportunity', { contactId, pipelineStageId: stage('Attended') })).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('refuses a stage of another pipeline with HighLevel’s message', async () => {
    const { id: contactId } = await harness().action<Json>('upsertContact', { email: 'stage@example.com' });
    await expect(harness().action('moveOpportunity', { contactId, pipelineId: pipeline.id, pipelineStageId: 'not-a-stage' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Pipeline stage not found in the pipeline',
    });
  });

  it('syncs every opportunity of the configured pipeline, paging with startAfter and startAfterId', async () => {
    const big = fake.state.addPipeline(location.id, 'Big', ['New']);
    for (let index = 0; index < 230; index += 1) {
      fake.state.addOpportunity({
        locationId: location.id,
        pipelineId: big.id,
        pipelineStageId: big.stages[0].id,
        contactId: `c${index}`,
        name: `Deal ${index}`,
        status: index % 10 === 0 ? 'won' : 'open',
      });
    }
    const h = harness({ settings: { pipelineId: big.id } });
    const { records } = await h.sync();
    expect(records!.opportunities).toHaveLength(230);
    expect(new Set(records!.opportunities.map((record) => record.id)).size).toBe(230);
    expect(records!.opportunities.filter((record) => record.status === 'won')).toHaveLength(23);
    const pages = h.requests.map((request) => new URL(request.url).searchParams);
    expect(pages.map((query) => query.get('startAfterId'))).toEqual([null, records!.opportunities[99].id, records!.opportunities[199].id]);
    expect(pages.every((query) => query.get('pipeline_id') === big.id && query.get('status') === 'all' && query.get('limit') === '100')).toBe(true);
  });

  it('skips the sync without a configured pipeline', async () => {
    const h = harness();
    expect(await h.sync()).toEqual({});
    expect(h.requests).toEqual([]);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });
});

describe('gohighlevel plugin: reactions', () => {
  it('a registration upserts the contact with tags, enrols them and puts the opportunity at "registered"; joining moves it to "attended"', async () => {
    const workflow = fake.state.addWorkflow(location.id, 'Registration confirmation');
    const settings = {
      pipelineId: pipeline.id,
      registeredStageId: stage('Registered'),
      attendedStageId: stage('Attended'),
      registrationWorkflowId: workflow.id,
      registrationTags: ['registered'],
    };
    const h = harness({ settings });
    await ghl.onEvent['registration.received'](
      h.context(),
      event('registration.received', { registrationId: 'reg_1', sessionId: 'sess_9', email: 'bo@example.com', name: 'Bo da Silva' }),
    );
    const contact = contactByEmail('bo@example.com')!;
    expect(contact).toMatchObject({ firstName: 'Bo', lastName: 'da Silva', tags: ['registered'], source: 'Plugboard' });
    expect(fake.state.enrollments.at(-1)).toMatchObject({ contactId: contact.id, workflowId: workflow.id });
    const opportunity = () => fake.state.opportunities.find((candidate) => candidate.contactId === contact.id && candidate.pipelineId === pipeline.id)!;
    expect(opportunity()).toMatchObject({ pipelineStageId: stage('Registered'), status: 'open', name: 'Bo da Silva · session sess_9' });
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'registrant upserted in HighLevel', fields: { contactId: contact.id, created: true } });

    await ghl.onEvent['participant.joined'](
      harness({ settings }).context(),
      event('participant.joined', { participantId: 'p_1', sessionId: 'sess_9', email: 'BO@example.com', name: 'Bo da Silva' }),
    );
    expect(opportunity().pipelineStageId).toBe(stage('Attended'));

    // A registration that arrives late does not move an attendee back.
    const late = harness({ settings });
    await ghl.onEvent['registration.received'](
      late.context(),
      event('registration.received', { registrationId: 'reg_1', sessionId: 'sess_9', email: 'bo@example.com', name: 'Bo da Silva' }),
    );
    expect(opportunity().pipelineStageId).toBe(stage('Attended'));
    expect(late.requests.filter((request) => request.method === 'PUT')).toEqual([]);
    expect(fake.state.opportunities.filter((candidate) => candidate.contactId === contact.id)).toHaveLength(1);
  });

  it('only upserts the contact when no pipeline is configured, and skips people without an email', async () => {
    const h = harness();
    await ghl.onEvent['registration.received'](h.context(), event('registration.received', { registrationId: 'reg_2', email: 'plain@example.com' }));
    expect(calls(h)).toEqual(['POST /contacts/upsert']);
    const none = harness({ settings: { pipelineId: pipeline.id, attendedStageId: stage('Attended') } });
    await ghl.onEvent['participant.joined'](none.context(), event('participant.joined', { participantId: 'p_2', sessionId: 'sess_9', name: 'Anonymous' }));
    expect(none.requests).toEqual([]);
    expect(none.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });
});

describe('gohighlevel plugin: rate limits', () => {
  it('answers HighLevel’s 429 as provider_rate_limited, waiting out the burst window it reports', async () => {
    const busy = fake.state.addLocation('Busy sub-account');
    const { accessToken: token } = fake.state.mintTokens(busy.id);
    fake.state.burstLimit = 2;
    try {
      const h = harness({ token, metadata: { locationId: busy.id } });
      await h.healthCheck();
      await h.healthCheck();
      await expect(h.healthCheck()).rejects.toMatchObject({
        code: 'provider_rate_limited',
        retryAfterSeconds: 10,
        message: expect.stringContaining('Too Many Requests'),
      });
      expect(fake.state.requests.at(-1)!.path).toBe(`/locations/${busy.id}`);
      // Other sub-accounts have budgets of their own.
      const calm = fake.state.addLocation('Calm sub-account');
      await expect(harness({ token: fake.state.mintTokens(calm.id).accessToken, metadata: { locationId: calm.id } }).healthCheck()).resolves.toBeUndefined();
    } finally {
      fake.state.burstLimit = 100;
    }
  });

  it('says when the daily limit is used up', async () => {
    const daily = fake.state.addLocation('Daily sub-account');
    const { accessToken: token } = fake.state.mintTokens(daily.id);
    const before = fake.state.dailyLimit;
    fake.state.dailyLimit = 1;
    try {
      const h = harness({ token, metadata: { locationId: daily.id } });
      await h.healthCheck();
      await expect(h.healthCheck()).rejects.toMatchObject({
        code: 'provider_rate_limited',
        retryAfterSeconds: 3600,
        message: expect.stringContaining('daily'),
      });
    } finally {
      fake.state.dailyLimit = before;
    }
  });
});
