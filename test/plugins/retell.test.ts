import { jest } from '@jest/globals';
import { BUILTIN_EVENT_TYPES } from '../../src/modules/events/builtin-event-types.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { retellKey, signRetellWebhook, startFakeRetell, type FakeRetell, type FakeRetellAgent } from '../fixtures/providers/retell.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const FROM = '+14155550100';

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeRetell;
let agent: FakeRetellAgent;
let chatAgent: FakeRetellAgent;

beforeAll(async () => {
  plugin = await loadBundledPlugin('retell');
  provider = plugin.providers[0];
  fake = await startFakeRetell();
  agent = fake.state.addAgent('Webinar reminder agent');
  chatAgent = fake.state.addAgent('SMS concierge', 'chat');
  fake.state.addPhoneNumber(FROM, { outbound_agent_id: agent.agent_id, sms: true });
});
afterAll(() => fake.close());
afterEach(() => {
  jest.restoreAllMocks();
  fake.state.throttle = 0;
  fake.state.paymentRequired = false;
});

const harness = (credentials: Json = { apiKey: fake.apiKey }, settings: Json = {}) =>
  createHarness(plugin, { provider: 'retell', credentials, settings, http: forwardTo(fake.origins) });
const since = (before: number) => fake.state.requests.slice(before);

describe('retell plugin: declaration', () => {
  it('is a voice_ai API-key provider (Bearer) on api.retellai.com with no request budget', () => {
    expect(provider).toMatchObject({ id: 'retell', category: 'voice_ai', baseUrl: 'https://api.retellai.com', auth: { type: 'api_key' }, rateLimits: [] });
    // No `apply`: the SDK's default for api_key, Authorization: Bearer {apiKey}, is what Retell takes.
    expect(provider.auth.apply).toBeUndefined();
    for (const field of Object.values<Json>(provider.auth.credentialsSchema.properties)) expect(field.secret).toBe(true);
    expect(Object.keys(provider.actions).sort()).toEqual(['createPhoneCall', 'createSmsChat', 'listAgents']);
  });

  it('refuses malformed inputs and credentials at the schema', () => {
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(provider.auth.credentialsSchema);
    expect(credentials({ apiKey: retellKey() })).toBe(true);
    expect(credentials({ apiKey: retellKey(), webhookApiKey: retellKey() })).toBe(true);
    expect(credentials({ apiKey: 'key' })).toBe(false);
    expect(credentials({ webhookApiKey: retellKey() })).toBe(false);

    const call = ajv.compile(provider.actions.createPhoneCall.inputSchema);
    expect(call({ fromNumber: FROM, toNumber: '+14155550123' })).toBe(true);
    expect(
      call({
        fromNumber: FROM,
        toNumber: '+14155550123',
        agentId: agent.agent_id,
        agentVersion: 2,
        metadata: { sessionId: 'sess_9' },
        dynamicVariables: { first_name: 'Ana' },
      }),
    ).toBe(true);
    expect(call({ fromNumber: '4155550100', toNumber: '+14155550123' })).toBe(false);
    expect(call({ fromNumber: FROM, toNumber: '+1 415 555 0123' })).toBe(false);
    expect(call({ fromNumber: FROM })).toBe(false);
    expect(call({ fromNumber: FROM, toNumber: '+14155550123', agentId: 'agent/../x' })).toBe(false);
    expect(call({ fromNumber: FROM, toNumber: '+14155550123', dynamicVariables: { first_name: 3 } })).toBe(false);
    expect(call({ fromNumber: FROM, toNumber: '+14155550123', dynamicVariables: { 'first name': 'Ana' } })).toBe(false);
    expect(call({ fromNumber: FROM, toNumber: '+14155550123', webhookUrl: 'https://example.com' })).toBe(false);

    const agents = ajv.compile(provider.actions.listAgents.inputSchema);
    expect(agents({ channel: 'chat', limit: 1000, query: 'webinar' })).toBe(true);
    expect(agents({ limit: 1001 })).toBe(false);
    expect(agents({ channel: 'email' })).toBe(false);
    expect(ajv.compile(provider.settingsSchema)({ includeTranscript: 'yes' })).toBe(false);
  });
});

describe('retell plugin: verify and health check', () => {
  it('verifies with the workspace’s numbers and concurrency, with the key as a Bearer token', async () => {
    const before = fake.state.requests.length;
    await expect(harness().verify()).resolves.toEqual({ displayName: `Retell AI (${FROM})`, metadata: { phoneNumbers: [FROM], concurrencyLimit: 20 } });
    const requests = since(before);
    expect(requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /v2/list-phone-numbers', 'GET /get-concurrency']);
    expect(requests[0].query).toEqual({ limit: '20', sort_order: 'ascending' });
    expect(requests[0].headers.authorization).toBe(`Bearer ${fake.apiKey}`);
  });

  it('counts the numbers when there are several', async () => {
    const second = fake.state.addPhoneNumber('+14155550111');
    await expect(harness().verify()).resolves.toMatchObject({ displayName: 'Retell AI (2 phone numbers)', metadata: { phoneNumbers: [FROM, '+14155550111'] } });
    fake.state.phoneNumbers.splice(fake.state.phoneNumbers.indexOf(second), 1);
  });

  it('refuses an unknown key with Retell’s message, without echoing it; checks health with GET /get-concurrency', async () => {
    const wrong = retellKey();
    const error = await harness({ apiKey: wrong })
      .verify()
      .then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
    expect(error).toMatchObject({
      code: 'provider_rejected',
      message: 'Retell refused the API key: API key is missing or invalid. Check the key in the Retell dashboard (Settings → API Keys).',
    });
    expect(String(error?.message)).not.toContain(wrong);
    const before = fake.state.requests.length;
    await harness().healthCheck();
    expect(since(before).map((request) => `${request.method} ${request.path}`)).toEqual(['GET /get-concurrency']);
    await expect(harness({ apiKey: wrong }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: error?.message });
  });
});

describe('retell plugin: actions', () => {
  it('creates a phone call with Retell’s field names and answers the registered call', async () => {
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('createPhoneCall', {
      fromNumber: FROM,
      toNumber: '+14155550123',
      metadata: { sessionId: 'sess_9' },
      dynamicVariables: { first_name: 'Ana', session_title: 'Launch webinar' },
    });
    const call = fake.state.calls.at(-1)!;
    expect(result).toEqual({
      callId: call.call_id,
      callStatus: 'registered',
      agentId: agent.agent_id,
      agentVersion: 0,
      direction: 'outbound',
      fromNumber: FROM,
      toNumber: '+14155550123',
    });
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'POST', path: '/v2/create-phone-call' });
    expect(request.body).toEqual({
      from_number: FROM,
      to_number: '+14155550123',
      metadata: { sessionId: 'sess_9' },
      retell_llm_dynamic_variables: { first_name: 'Ana', session_title: 'Launch webinar' },
    });
  });

  it('overrides the agent for one call', async () => {
    const other = fake.state.addAgent('Follow-up agent');
    const before = fake.state.requests.length;
    await expect(
      harness().action('createPhoneCall', { fromNumber: FROM, toNumber: '+14155550123', agentId: other.agent_id, agentVersion: 3 }),
    ).resolves.toMatchObject({
      agentId: other.agent_id,
      agentVersion: 3,
    });
    expect(since(before)[0].body).toEqual({ from_number: FROM, to_number: '+14155550123', override_agent_id: other.agent_id, override_agent_version: 3 });
  });

  it('turns Retell’s refusals into readable messages', async () => {
    const call = (input: Json) => harness().action('createPhoneCall', { fromNumber: FROM, toNumber: '+14155550123', ...input });
    await expect(call({ fromNumber: '+14155550999' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Retell: Cannot find requested asset under given api key. Check that the from number is a phone number of this Retell workspace (purchased or imported) and that the agent ID exists.',
    });
    await expect(call({ agentId: 'agent_doesnotexist' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Cannot find requested asset'),
    });
    await expect(call({ toNumber: '+447700900123' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Retell: Numbers purchased from Retell can only call US numbers; import a number to call other countries.',
    });
    fake.state.paymentRequired = true;
    await expect(call({})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Retell: Trial has ended, please add payment method. (402 Payment Required). Add a payment method or credits to the Retell workspace.',
    });
  });

  it('reports Retell’s 429 as a rate limit', async () => {
    fake.state.throttle = 1;
    const before = fake.state.calls.length;
    await expect(harness().action('createPhoneCall', { fromNumber: FROM, toNumber: '+14155550123' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'Retell is rate limiting this workspace: Account rate limited, please throttle your requests.',
    });
    expect(fake.state.calls.length).toBe(before);
  });

  it('starts an SMS chat with a chat agent, and refuses a voice agent', async () => {
    const before = fake.state.requests.length;
    const chat = await harness().action<Json>('createSmsChat', {
      fromNumber: FROM,
      toNumber: '+14155550123',
      agentId: chatAgent.agent_id,
      dynamicVariables: { first_name: 'Ana' },
    });
    expect(chat).toEqual({ chatId: fake.state.chats.at(-1)!.chat_id, chatStatus: 'ongoing', agentId: chatAgent.agent_id, chatType: 'sms_chat' });
    expect(since(before)[0]).toMatchObject({
      method: 'POST',
      path: '/create-sms-chat',
      body: { from_number: FROM, to_number: '+14155550123', override_agent_id: chatAgent.agent_id, retell_llm_dynamic_variables: { first_name: 'Ana' } },
    });
    await expect(harness().action('createSmsChat', { fromNumber: FROM, toNumber: '+14155550123' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `Retell: The agent must be a chat agent and ${FROM} must be able to send SMS.`,
    });
  });

  it('lists agents through POST /v2/list-agents, newest first, page by page, with filters in the body', async () => {
    const h = harness();
    const before = fake.state.requests.length;
    const first = await h.action<Json>('listAgents', { limit: 2 });
    expect(first.hasMore).toBe(true);
    expect(first.agents.map((entry: Json) => entry.agentName)).toEqual(['Follow-up agent', 'SMS concierge']);
    expect(first.agents[0]).toEqual({
      agentId: expect.stringMatching(/^agent_/),
      agentName: 'Follow-up agent',
      channel: 'voice',
      modifiedAt: expect.any(String),
    });
    const second = await h.action<Json>('listAgents', { limit: 2, paginationKey: first.paginationKey });
    expect(second).toMatchObject({ hasMore: false, paginationKey: null });
    expect(second.agents.map((entry: Json) => entry.agentName)).toEqual(['Webinar reminder agent']);
    const chats = await h.action<Json>('listAgents', { channel: 'chat', query: 'concierge' });
    expect(chats.agents.map((entry: Json) => entry.agentId)).toEqual([chatAgent.agent_id]);
    const requests = since(before);
    expect(requests.map((request) => [request.method, request.path, request.query, request.body])).toEqual([
      ['POST', '/v2/list-agents', { limit: '2', sort_order: 'descending' }, {}],
      ['POST', '/v2/list-agents', { limit: '2', sort_order: 'descending', pagination_key: first.paginationKey }, {}],
      [
        'POST',
        '/v2/list-agents',
        { limit: '50', sort_order: 'descending' },
        { filter_criteria: { query: 'concierge', channel: { type: 'string', op: 'eq', value: 'chat' } } },
      ],
    ]);
  });
});

describe('retell plugin: webhooks', () => {
  it('verify the signature vector of Retell’s SDK tests, and refuse a tampered body, another key and a stale timestamp', async () => {
    // From retell-typescript-sdk tests/webhook-auth.test.ts: body {"event":"call_ended"}, key "test-api-key",
    // timestamp 1700000000000 (ms) → digest 07024cab…823e.
    const vector = {
      rawBody: '{"event":"call_ended"}',
      headers: { 'x-retell-signature': 'v=1700000000000,d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e' },
    };
    expect(signRetellWebhook(vector.rawBody, 'test-api-key', 1_700_000_000_000)).toBe(vector.headers['x-retell-signature']);
    const h = createHarness(plugin, { credentials: { apiKey: 'test-api-key' } });
    jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000 + 4 * 60_000);
    await expect(h.webhookVerify(vector)).resolves.toBe(true);
    await expect(h.webhookVerify({ ...vector, rawBody: '{"event":"call_ended"} ' })).resolves.toBe(false);
    await expect(createHarness(plugin, { credentials: { apiKey: 'wrong-api-key' } }).webhookVerify(vector)).resolves.toBe(false);
    jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000 - 5 * 60_000 - 1);
    await expect(h.webhookVerify(vector)).resolves.toBe(false);
    jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000 + 5 * 60_000 + 1);
    await expect(h.webhookVerify(vector)).resolves.toBe(false);
    jest.restoreAllMocks();
    for (const signature of [
      '',
      'v=1700000000000',
      'd=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e,v=1700000000000',
      'v=1700000000000,d=not-hex',
    ]) {
      await expect(h.webhookVerify({ rawBody: vector.rawBody, headers: { 'x-retell-signature': signature } })).resolves.toBe(false);
    }
  });

  it('turn a signed call_ended into call.ended with the call’s numbers, duration, reason and transcript', async () => {
    const h = harness();
    const { callId } = await h.action<Json>('createPhoneCall', { fromNumber: FROM, toNumber: '+14155550123', metadata: { sessionId: 'sess_9' } });
    const webhook = fake.state.endCall(callId, { durationMs: 95_250, disconnectionReason: 'agent_hangup', transcript: 'Agent: Hello!\nUser: Hi.\n' });
    await expect(h.webhookVerify(webhook)).resolves.toBe(true);
    const call = fake.state.calls.find((candidate) => candidate.call_id === callId)!;
    await expect(h.webhookToEvents(webhook)).resolves.toEqual([
      {
        event: 'call.ended',
        data: {
          callId,
          provider: 'retell',
          agentId: agent.agent_id,
          fromNumber: FROM,
          toNumber: '+14155550123',
          durationSeconds: 95.25,
          disconnectionReason: 'agent_hangup',
          transcript: 'Agent: Hello!\nUser: Hi.\n',
          callType: 'phone_call',
          direction: 'outbound',
          callStatus: 'ended',
          startedAt: new Date(call.start_timestamp!).toISOString(),
          endedAt: new Date(call.end_timestamp!).toISOString(),
          metadata: { sessionId: 'sess_9' },
        },
      },
    ]);
    // What the host will publish: valid against the call.ended schema.
    const callEndedSchema = createSchemaCompiler().compile(BUILTIN_EVENT_TYPES.find((definition) => definition.type === 'call.ended')!.schema);
    const [published] = await h.webhookToEvents(webhook);
    expect(callEndedSchema(published.data)).toBe(true);
    // The transcript stays out when the settings say so, or when it is too long for an event.
    const [quiet] = await harness({ apiKey: fake.apiKey }, { includeTranscript: false }).webhookToEvents(webhook);
    expect(quiet.data).not.toHaveProperty('transcript');
    const long = fake.state.endCall(callId, { transcript: 'Agent: la\n'.repeat(6_000) });
    const [withoutLong] = await h.webhookToEvents(long);
    expect(withoutLong.data).not.toHaveProperty('transcript');
  });

  it('check signatures with the webhook key when it is another key than the API key', async () => {
    const { callId } = await harness().action<Json>('createPhoneCall', { fromNumber: FROM, toNumber: '+14155550123' });
    const webhookKey = retellKey();
    fake.state.apiKeys.add(webhookKey);
    fake.state.webhookKey = webhookKey;
    const webhook = fake.state.endCall(callId);
    await expect(harness().webhookVerify(webhook)).resolves.toBe(false);
    await expect(harness({ apiKey: fake.apiKey, webhookApiKey: webhookKey }).webhookVerify(webhook)).resolves.toBe(true);
    fake.state.webhookKey = fake.apiKey;
    // A signature from five minutes ago is too old.
    const stale = fake.state.endCall(callId, { signedAt: Date.now() - 5 * 60_000 - 1_000 });
    await expect(harness().webhookVerify(stale)).resolves.toBe(false);
  });

  it('acknowledge other events without publishing anything', async () => {
    const h = harness();
    const { callId } = await h.action<Json>('createPhoneCall', { fromNumber: FROM, toNumber: '+14155550123' });
    for (const event of ['call_started', 'call_analyzed', 'transcript_updated']) {
      const webhook = fake.state.callWebhook(event, callId);
      await expect(h.webhookVerify(webhook)).resolves.toBe(true);
      await expect(h.webhookToEvents(webhook)).resolves.toEqual([]);
    }
    expect(h.logs.at(-1)).toMatchObject({ level: 'debug', message: 'Retell webhook without a host event', fields: { event: 'transcript_updated', callId } });
  });
});
