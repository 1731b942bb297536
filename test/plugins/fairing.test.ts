import { FAIRING_TEST_KEY, startFakeFairing, type FakeFairing } from '../fixtures/providers/fairing.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const WEBHOOK_TOKEN = 'wh_3f9a1c7e5b2d8f4a6c0e9b1d7f3a5c8e2b4d6f';

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeFairing;

beforeAll(async () => {
  plugin = await loadBundledPlugin('fairing');
  provider = plugin.providers[0];
  fake = await startFakeFairing();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.state.questions.length = 0;
  fake.state.responses.length = 0;
  fake.state.requests.length = 0;
  fake.state.throttleNext = 0;
});

const harness = (credentials: Json = { apiKey: FAIRING_TEST_KEY, webhookToken: WEBHOOK_TOKEN }) =>
  createHarness(plugin, { provider: 'fairing', credentials, http: forwardTo(fake.origins) });
const hourly = (hour: number) => new Date(Date.UTC(2026, 2, 1, hour)).toISOString();

describe('fairing plugin: declaration', () => {
  it('sends the key as it is in Authorization to app.fairing.co/api', () => {
    expect(provider).toMatchObject({
      id: 'fairing',
      category: 'surveys',
      baseUrl: 'https://app.fairing.co/api',
      auth: { apply: { headers: { Authorization: '{apiKey}' } } },
    });
    expect(provider.auth.credentialsSchema.properties.apiKey.secret).toBe(true);
    expect(provider.auth.credentialsSchema.properties.webhookToken.secret).toBe(true);
  });

  it('refuses malformed inputs at the schema', () => {
    const ajv = createSchemaCompiler();
    const list = ajv.compile(provider.actions.listResponses.inputSchema);
    expect(list({ since: '2026-03-01T00:00:00Z', limit: 10 })).toBe(true);
    expect(list({ since: 'last week' })).toBe(false);
    expect(list({ limit: 500 })).toBe(false);
    expect(list({ next: 'https://evil.example/api/responses?before=1' })).toBe(false);
    expect(ajv.compile(provider.actions.listQuestions.inputSchema)({ any: 1 })).toBe(false);
  });
});

describe('fairing plugin: verify and errors', () => {
  it('verifies with a questions read carrying the raw key', async () => {
    fake.state.addQuestion('How did you hear about us?', ['Podcast', 'Friend']);
    await expect(harness().verify()).resolves.toEqual({ displayName: 'Fairing', metadata: { questionCount: 1 } });
    expect(fake.state.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/api/questions',
      headers: expect.objectContaining({ authorization: FAIRING_TEST_KEY }),
    });
    await harness().healthCheck();
  });

  it('refuses a wrong key with Fairing’s message and reads 429 as a rate limit', async () => {
    await expect(harness({ apiKey: 'fk_live_not_a_real_key_000' }).verify()).rejects.toMatchObject({ code: 'provider_rejected', message: 'Invalid API key' });
    fake.state.throttleNext = 1;
    await expect(harness().action('listQuestions')).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 1 });
  });
});

describe('fairing plugin: actions', () => {
  it('lists questions', async () => {
    const question = fake.state.addQuestion('How did you hear about us?', ['Podcast']);
    const questions = await harness().action<Json[]>('listQuestions');
    expect(questions).toEqual([expect.objectContaining({ id: question.id, prompt: 'How did you hear about us?' })]);
  });

  it('lists responses since a time across pages, newest first, stopping at older ones', async () => {
    const question = fake.state.addQuestion('How did you hear about us?', ['Podcast', 'Friend']);
    for (let hour = 0; hour < 7; hour += 1) fake.state.addResponse(question, hour % 2 ? 'Podcast' : 'My aunt', hourly(hour));
    const h = harness();
    const result = await h.action<Json>('listResponses', { since: hourly(2), limit: 2 });
    expect(result.responses.map((response: Json) => response.insertedAt)).toEqual([6, 5, 4, 3, 2].map(hourly));
    expect(result.responses[0]).toMatchObject({ questionId: String(question.id), answer: 'My aunt', other: true, orderTotal: '42.50' });
    expect(result.next).toBeNull();
    const pages = fake.state.requests.filter((request) => request.path === '/api/responses');
    expect(pages).toHaveLength(3);
    expect(pages[1].query).toMatchObject({ limit: '2', before: expect.any(String) });
  });

  it('returns one page with its next cursor without since, and continues from it', async () => {
    const question = fake.state.addQuestion('How did you hear about us?', ['Podcast']);
    for (let hour = 0; hour < 3; hour += 1) fake.state.addResponse(question, 'Podcast', hourly(hour));
    const h = harness();
    const first = await h.action<Json>('listResponses', { limit: 2 });
    expect(first.responses).toHaveLength(2);
    expect(first.next).toMatch(/^https:\/\/app\.fairing\.co\/api\/responses\?/);
    const second = await h.action<Json>('listResponses', { next: first.next });
    expect(second).toEqual({ responses: [expect.objectContaining({ insertedAt: hourly(0) })], next: null });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(FAIRING_TEST_KEY);
  });
});

describe('fairing plugin: sync', () => {
  it('syncs all responses, then only newer ones', async () => {
    const question = fake.state.addQuestion('How did you hear about us?', ['Podcast']);
    for (let hour = 0; hour < 150; hour += 1) fake.state.addResponse(question, 'Podcast', hourly(hour));
    const h = harness();
    const first = await h.sync();
    expect(first.records!.responses).toHaveLength(150);
    expect(first.highWaterMarks).toEqual({ responses: hourly(149) });
    fake.state.addResponse(question, 'Podcast', hourly(151));
    const before = fake.state.requests.length;
    const next = await h.sync({ highWaterMarks: first.highWaterMarks });
    expect(next.records!.responses.map((record) => record.insertedAt)).toEqual([hourly(151)]);
    expect(next.highWaterMarks).toEqual({ responses: hourly(151) });
    expect(fake.state.requests.length - before).toBe(1);
  });
});

describe('fairing plugin: webhook', () => {
  const payload = {
    id: '90123',
    question_id: 2001,
    question: 'How did you hear about us?',
    response: 'Podcast',
    other_response: null,
    order_id: '5000123',
    email: 'ana@example.com',
    inserted_at: '2026-03-05T15:00:00.000000Z',
    response_provided_at: '2026-03-05T15:00:00.000000Z',
  };

  it('accepts only requests carrying the configured token, compared in constant time', async () => {
    const h = harness();
    await expect(h.webhookVerify({ body: payload, query: { token: WEBHOOK_TOKEN } })).resolves.toBe(true);
    await expect(h.webhookVerify({ body: payload, query: { token: `${WEBHOOK_TOKEN.slice(0, -1)}x` } })).resolves.toBe(false);
    await expect(h.webhookVerify({ body: payload, query: {} })).resolves.toBe(false);
    await expect(harness({ apiKey: FAIRING_TEST_KEY }).webhookVerify({ body: payload, query: { token: WEBHOOK_TOKEN } })).resolves.toBe(false);
  });

  it('maps a response to survey.response.received', async () => {
    await expect(harness().webhookToEvents({ body: payload })).resolves.toEqual([
      {
        event: 'survey.response.received',
        data: {
          responseId: '90123',
          provider: 'fairing',
          questionId: '2001',
          question: 'How did you hear about us?',
          answer: 'Podcast',
          orderId: '5000123',
          email: 'ana@example.com',
          respondedAt: '2026-03-05T15:00:00.000Z',
        },
      },
    ]);
  });
});
