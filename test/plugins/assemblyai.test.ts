import { BUILTIN_EVENT_TYPES } from '../../src/modules/events/builtin-event-types.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { assemblyAIKey, startFakeAssemblyAI, type FakeAssemblyAI } from '../fixtures/providers/assemblyai.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const INTEGRATION_ID = '3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d';
const HOOK_URL = `https://plugboard.example.com/v1/hooks/${INTEGRATION_ID}`;
const AUDIO = 'https://cdn.example.com/recordings/rec_123.mp4';
const US = 'api.assemblyai.com';
const EU = 'api.eu.assemblyai.com';

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeAssemblyAI;

beforeAll(async () => {
  plugin = await loadBundledPlugin('assemblyai');
  provider = plugin.providers[0];
  fake = await startFakeAssemblyAI();
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.throttle = 0;
  fake.state.holdProcessing = false;
});

const harness = (options: { settings?: Json; credentials?: Json; apiHost?: string; integrationId?: string } = {}) =>
  createHarness(plugin, {
    provider: 'assemblyai',
    credentials: options.credentials ?? { apiKey: fake.apiKey },
    settings: options.settings ?? {},
    integration: { id: options.integrationId ?? INTEGRATION_ID, metadata: { apiHost: options.apiHost ?? US } },
    http: forwardTo(fake.origins),
  });
const since = (before: number) => fake.state.requests.slice(before);
const event = (type: string, data: Json): PlugboardEvent => ({
  id: `evt_${type}`,
  event: type,
  timestamp: '2026-03-02T17:00:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});

describe('assemblyai plugin: declaration', () => {
  it('is a voice_ai API-key provider sending the raw key in authorization, on the region’s host, with the documented request budget', () => {
    expect(provider).toMatchObject({
      id: 'assemblyai',
      category: 'voice_ai',
      baseUrl: 'https://{apiHost}',
      auth: { type: 'api_key', apply: { headers: { authorization: '{apiKey}' } } },
      rateLimits: [{ requests: 20_000, windowMs: 300_000, scope: 'connection' }],
    });
    for (const field of Object.values<Json>(provider.auth.credentialsSchema.properties)) expect(field.secret).toBe(true);
    expect(Object.keys(provider.onEvent)).toEqual(['recording.completed']);
  });

  it('refuses malformed credentials, connection inputs, settings and inputs at the schema', () => {
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(provider.auth.credentialsSchema);
    expect(credentials({ apiKey: assemblyAIKey() })).toBe(true);
    expect(credentials({ apiKey: assemblyAIKey(), webhookSecret: 'a-long-enough-webhook-secret-value' })).toBe(true);
    expect(credentials({ apiKey: assemblyAIKey(), webhookSecret: 'short' })).toBe(false);
    expect(credentials({ apiKey: assemblyAIKey(), webhookSecret: 'has spaces which headers should not carry' })).toBe(false);

    const inputs = ajv.compile(provider.connectionInputs);
    expect(inputs({ apiHost: EU })).toBe(true);
    expect(inputs({ apiHost: 'api.assemblyai.example.com' })).toBe(false);
    expect(inputs({})).toBe(false);

    const settings = ajv.compile(provider.settingsSchema);
    expect(settings({ webhookUrl: HOOK_URL, autoTranscribe: true, speakerLabels: true, languageCode: 'en_us', speechModels: ['universal-2'] })).toBe(true);
    expect(settings({ webhookUrl: 'https://elsewhere.example.com/hooks' })).toBe(false);
    expect(settings({ speechModels: [] })).toBe(false);
    expect(settings({ speechModels: ['nano-9'] })).toBe(false);
    expect(settings({ languageCode: 'English' })).toBe(false);

    const transcribe = ajv.compile(provider.actions.transcribe.inputSchema);
    expect(transcribe({ audioUrl: AUDIO, languageCode: 'fr', speakerLabels: true, recordingId: 'rec_123' })).toBe(true);
    expect(transcribe({ audioUrl: 'ftp://files.example.com/a.mp3' })).toBe(false);
    expect(transcribe({ audioUrl: AUDIO, recordingId: 'rec 123' })).toBe(false);
    expect(transcribe({ audioUrl: AUDIO, webhook_url: HOOK_URL })).toBe(false);
    const get = ajv.compile(provider.actions.getTranscript.inputSchema);
    expect(get({ id: '5552493-16d8-42d8-8feb-c2a16b56f6e8' })).toBe(true);
    expect(get({ id: '../transcript' })).toBe(false);
  });
});

describe('assemblyai plugin: verify and health check', () => {
  it('verifies with GET /v2/transcript?limit=1 and the key as it is in authorization, naming the region', async () => {
    const before = fake.state.requests.length;
    await expect(harness().verify()).resolves.toEqual({ displayName: 'AssemblyAI (US)', metadata: { region: 'us', latestTranscriptAt: null } });
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'GET', path: '/v2/transcript', query: { limit: '1' }, host: US });
    expect(request.headers.authorization).toBe(fake.apiKey);
  });

  it('talks to the EU host for an EU connection', async () => {
    const before = fake.state.requests.length;
    await expect(harness({ apiHost: EU }).verify()).resolves.toEqual({ displayName: 'AssemblyAI (EU)', metadata: { region: 'eu', latestTranscriptAt: null } });
    expect(since(before).map((request) => request.host)).toEqual([EU]);
  });

  it('refuses an unknown key readably, without echoing it; checks health with the same cheap list', async () => {
    const wrong = assemblyAIKey();
    const error = await harness({ credentials: { apiKey: wrong } })
      .verify()
      .then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
    expect(error).toMatchObject({
      code: 'provider_rejected',
      message: 'AssemblyAI refused the API key: Authentication error, API token missing/invalid. Check the key in the AssemblyAI dashboard (API Keys).',
    });
    expect(String(error?.message)).not.toContain(wrong);
    const before = fake.state.requests.length;
    await harness().healthCheck();
    expect(since(before).map((request) => [request.method, request.path, request.query])).toEqual([['GET', '/v2/transcript', { limit: '1' }]]);
  });

  it('reports AssemblyAI’s 429 as a rate limit with its Retry-After', async () => {
    fake.state.throttle = 1;
    await expect(harness().healthCheck()).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 120,
      message: 'AssemblyAI is rate limiting this account (20,000 requests per 5 minutes): Too Many Requests',
    });
  });
});

describe('assemblyai plugin: transcribe and getTranscript', () => {
  it('queues a transcript with the speech models, language detection and no webhook when none is set', async () => {
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('transcribe', { audioUrl: AUDIO });
    const transcript = fake.state.transcripts.at(-1)!;
    expect(result).toEqual({ transcriptId: transcript.id, status: 'queued', audioUrl: AUDIO, languageCode: null, webhook: false, recordingId: null });
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'POST', path: '/v2/transcript' });
    expect(request.body).toEqual({ audio_url: AUDIO, speech_models: ['universal-3-pro', 'universal-2'], language_detection: true, speaker_labels: false });
  });

  it('asks for the webhook with the connection’s header, and follows the transcript from queued to completed', async () => {
    const h = harness({ settings: { webhookUrl: HOOK_URL, speechModels: ['universal-2'] } });
    const before = fake.state.requests.length;
    const started = await h.action<Json>('transcribe', { audioUrl: AUDIO, languageCode: 'en_us', speakerLabels: true, recordingId: 'rec_123' });
    expect(started).toMatchObject({ status: 'queued', webhook: true, recordingId: 'rec_123', languageCode: 'en_us' });
    const body = since(before)[0].body as Json;
    expect(body).toEqual({
      audio_url: AUDIO,
      speech_models: ['universal-2'],
      language_code: 'en_us',
      speaker_labels: true,
      webhook_url: `${HOOK_URL}?recordingId=rec_123`,
      webhook_auth_header_name: 'X-Plugboard-Webhook-Token',
      webhook_auth_header_value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    // Derived from the key and the connection: not the key, the same every time, another for another connection.
    expect(body.webhook_auth_header_value).not.toContain(fake.apiKey);
    await harness({ settings: { webhookUrl: HOOK_URL } }).action('transcribe', { audioUrl: AUDIO });
    expect((fake.state.requests.at(-1)!.body as Json).webhook_auth_header_value).toBe(body.webhook_auth_header_value);
    const otherHook = HOOK_URL.replace(INTEGRATION_ID, '0f0e0d0c-0b0a-4908-8706-050403020100');
    await harness({ settings: { webhookUrl: otherHook }, integrationId: '0f0e0d0c-0b0a-4908-8706-050403020100' }).action('transcribe', { audioUrl: AUDIO });
    expect((fake.state.requests.at(-1)!.body as Json).webhook_auth_header_value).not.toBe(body.webhook_auth_header_value);

    const processing = await h.action<Json>('getTranscript', { id: started.transcriptId });
    expect(processing).toMatchObject({ transcriptId: started.transcriptId, status: 'processing', text: null, durationSeconds: null, recordingId: 'rec_123' });
    const done = await h.action<Json>('getTranscript', { id: started.transcriptId });
    expect(done).toEqual({
      transcriptId: started.transcriptId,
      status: 'completed',
      text: 'Welcome everyone to the launch webinar. Today we will walk through the new release. Questions are welcome at the end.',
      languageCode: 'en_us',
      durationSeconds: 42,
      error: null,
      audioUrl: AUDIO,
      speechModel: 'universal-2',
      utterances: [
        { speaker: 'A', text: 'Welcome everyone to the launch webinar.', startMs: 0, endMs: 14_000 },
        { speaker: 'B', text: 'Today we will walk through the new release.', startMs: 14_000, endMs: 28_000 },
        { speaker: 'A', text: 'Questions are welcome at the end.', startMs: 28_000, endMs: 42_000 },
      ],
      recordingId: 'rec_123',
    });
    expect(
      since(before)
        .filter((request) => request.method === 'GET')
        .map((request) => request.path),
    ).toEqual([`/v2/transcript/${started.transcriptId}`, `/v2/transcript/${started.transcriptId}`]);
  });

  it('reports a transcript AssemblyAI could not make with its error', async () => {
    const broken = 'https://cdn.example.com/recordings/missing.mp4';
    fake.state.audio.set(broken, { text: '', durationSeconds: 0, language: 'en', unreachable: true });
    const h = harness();
    const { transcriptId } = await h.action<Json>('transcribe', { audioUrl: broken });
    await h.action('getTranscript', { id: transcriptId });
    await expect(h.action('getTranscript', { id: transcriptId })).resolves.toMatchObject({
      status: 'error',
      text: null,
      error: `Download error, unable to download ${broken}. Please make sure the file exists and is accessible from the internet.`,
    });
  });

  it('refuses unknown transcripts, other accounts’ and other regions’ ones, and AssemblyAI’s own 400s', async () => {
    await expect(harness().action('getTranscript', { id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'AssemblyAI: Transcript not found',
    });
    const { transcriptId } = await harness().action<Json>('transcribe', { audioUrl: AUDIO });
    const stranger = assemblyAIKey();
    fake.state.keys.add(stranger);
    await expect(harness({ credentials: { apiKey: stranger } }).action('getTranscript', { id: transcriptId })).rejects.toMatchObject({
      code: 'provider_rejected',
    });
    await expect(harness({ apiHost: EU }).action('getTranscript', { id: transcriptId })).rejects.toMatchObject({ message: 'AssemblyAI: Transcript not found' });
    // A caller past the schema: AssemblyAI's own refusal, in its words.
    await expect(harness().action('transcribe', { audioUrl: 'file:///etc/passwd' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'AssemblyAI refused the request: Invalid audio_url. Provide a URL that starts with http:// or https://.',
    });
  });
});

describe('assemblyai plugin: completion webhooks', () => {
  it('accept AssemblyAI’s delivery with the connection’s header, and refuse a missing or wrong one', async () => {
    const h = harness({ settings: { webhookUrl: HOOK_URL } });
    const { transcriptId } = await h.action<Json>('transcribe', { audioUrl: AUDIO, recordingId: 'rec_9' });
    const delivery = fake.state.finish(transcriptId)!;
    expect(delivery.url).toBe(`${HOOK_URL}?recordingId=rec_9`);
    await expect(h.webhookVerify(delivery)).resolves.toBe(true);
    const token = delivery.headers['x-plugboard-webhook-token'];
    await expect(h.webhookVerify({ ...delivery, headers: { ...delivery.headers, 'x-plugboard-webhook-token': `${token.slice(0, -1)}x` } })).resolves.toBe(
      false,
    );
    await expect(h.webhookVerify({ ...delivery, headers: { 'content-type': 'application/json' } })).resolves.toBe(false);
    await expect(harness({ credentials: { apiKey: assemblyAIKey() } }).webhookVerify(delivery)).resolves.toBe(false);
    await expect(harness({ integrationId: '0f0e0d0c-0b0a-4908-8706-050403020100' }).webhookVerify(delivery)).resolves.toBe(false);
  });

  it('use the webhook secret credential instead of a derived value when one is set', async () => {
    const secret = 'plugboard-assemblyai-webhook-secret-0001';
    const h = harness({ settings: { webhookUrl: HOOK_URL }, credentials: { apiKey: fake.apiKey, webhookSecret: secret } });
    const before = fake.state.requests.length;
    const { transcriptId } = await h.action<Json>('transcribe', { audioUrl: AUDIO });
    expect((since(before)[0].body as Json).webhook_auth_header_value).toBe(secret);
    const delivery = fake.state.finish(transcriptId)!;
    await expect(h.webhookVerify(delivery)).resolves.toBe(true);
    await expect(harness().webhookVerify(delivery)).resolves.toBe(false);
  });

  it('read the finished transcript and publish transcript.completed with its text, language, duration and recording', async () => {
    const h = harness({ settings: { webhookUrl: HOOK_URL } });
    const { transcriptId } = await h.action<Json>('transcribe', { audioUrl: AUDIO, recordingId: 'rec_123' });
    const delivery = fake.state.finish(transcriptId)!;
    expect(JSON.parse(delivery.rawBody)).toEqual({ transcript_id: transcriptId, status: 'completed' });
    const before = fake.state.requests.length;
    await expect(h.webhookToEvents(delivery)).resolves.toEqual([
      {
        event: 'transcript.completed',
        data: {
          transcriptId,
          status: 'completed',
          provider: 'assemblyai',
          recordingId: 'rec_123',
          text: 'Welcome everyone to the launch webinar. Today we will walk through the new release. Questions are welcome at the end.',
          textLength: 117,
          languageCode: 'en',
          durationSeconds: 42,
        },
      },
    ]);
    expect(since(before).map((request) => `${request.method} ${request.path}`)).toEqual([`GET /v2/transcript/${transcriptId}`]);
  });

  it('leave a long text out of the event, and report failed transcripts with their error', async () => {
    const long = 'https://cdn.example.com/recordings/keynote.mp4';
    const text = 'A long keynote sentence that goes on. '.repeat(300);
    fake.state.audio.set(long, { text, durationSeconds: 5_400, language: 'es' });
    const h = harness({ settings: { webhookUrl: HOOK_URL } });
    const first = await h.action<Json>('transcribe', { audioUrl: long });
    const [completed] = await h.webhookToEvents(fake.state.finish(first.transcriptId)!);
    expect(completed.data).toEqual({
      transcriptId: first.transcriptId,
      status: 'completed',
      provider: 'assemblyai',
      textLength: text.length,
      languageCode: 'es',
      durationSeconds: 5_400,
    });

    const transcriptCompleted = createSchemaCompiler().compile(BUILTIN_EVENT_TYPES.find((definition) => definition.type === 'transcript.completed')!.schema);
    expect(transcriptCompleted(completed.data)).toBe(true);

    const broken = 'https://cdn.example.com/recordings/gone.mp4';
    fake.state.audio.set(broken, { text: '', durationSeconds: 0, language: 'en', unreachable: true });
    const second = await h.action<Json>('transcribe', { audioUrl: broken, recordingId: 'rec_404' });
    const delivery = fake.state.finish(second.transcriptId)!;
    expect(JSON.parse(delivery.rawBody)).toEqual({ transcript_id: second.transcriptId, status: 'error' });
    await expect(h.webhookToEvents(delivery)).resolves.toEqual([
      {
        event: 'transcript.completed',
        data: {
          transcriptId: second.transcriptId,
          status: 'error',
          provider: 'assemblyai',
          recordingId: 'rec_404',
          error: `Download error, unable to download ${broken}. Please make sure the file exists and is accessible from the internet.`,
        },
      },
    ]);
    const [failed] = await h.webhookToEvents(delivery);
    expect(transcriptCompleted(failed.data)).toBe(true);
  });

  it('ignore deliveries that are not a finished transcript, and a transcript still processing', async () => {
    const h = harness({ settings: { webhookUrl: HOOK_URL } });
    const before = fake.state.requests.length;
    await expect(
      h.webhookToEvents({ rawBody: JSON.stringify({ redacted_audio_url: 'https://cdn.example.com/r.mp3', status: 'redacted_audio_ready' }) }),
    ).resolves.toEqual([]);
    await expect(h.webhookToEvents({ rawBody: '{"transcript_id":"../x","status":"completed"}' })).resolves.toEqual([]);
    expect(fake.state.requests.length).toBe(before);
    fake.state.holdProcessing = true;
    const { transcriptId } = await h.action<Json>('transcribe', { audioUrl: AUDIO });
    await h.action('getTranscript', { id: transcriptId });
    await expect(h.webhookToEvents({ rawBody: JSON.stringify({ transcript_id: transcriptId, status: 'completed' }) })).resolves.toEqual([]);
    expect(h.logs.at(-1)).toMatchObject({ level: 'warn', fields: { transcriptId, status: 'processing' } });
  });
});

describe('assemblyai plugin: recording.completed', () => {
  const recording = event('recording.completed', { recordingId: 'rec_777', roomId: 'room_1', sessionId: 'sess_9', url: AUDIO, durationSeconds: 3600 });

  it('does nothing while automatic transcription is off', async () => {
    const h = harness({ settings: { webhookUrl: HOOK_URL } });
    const before = fake.state.requests.length;
    await provider.onEvent['recording.completed'](h.context(), recording);
    expect(fake.state.requests.length).toBe(before);
    expect(h.logs.at(-1)).toMatchObject({ level: 'debug', message: 'automatic transcription is off: recording left alone' });
  });

  it('transcribes the recording when it is on, with the recording ID carried to the webhook', async () => {
    const h = harness({ settings: { webhookUrl: HOOK_URL, autoTranscribe: true, speakerLabels: true, languageCode: 'en_us' } });
    const before = fake.state.requests.length;
    await provider.onEvent['recording.completed'](h.context(), recording);
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'POST', path: '/v2/transcript' });
    expect(request.body).toMatchObject({ audio_url: AUDIO, language_code: 'en_us', speaker_labels: true, webhook_url: `${HOOK_URL}?recordingId=rec_777` });
    const transcript = fake.state.transcripts.at(-1)!;
    expect(h.logs.at(-1)).toMatchObject({
      level: 'info',
      message: 'AssemblyAI transcript started',
      fields: { recordingId: 'rec_777', transcriptId: transcript.id },
    });
    const [published] = await h.webhookToEvents(fake.state.finish(transcript.id)!);
    expect(published.data).toMatchObject({ transcriptId: transcript.id, recordingId: 'rec_777', status: 'completed' });
  });

  it('skips a recording without a URL, and warns when no webhook URL will bring the result back', async () => {
    const before = fake.state.requests.length;
    const h = harness({ settings: { autoTranscribe: true } });
    await provider.onEvent['recording.completed'](h.context(), event('recording.completed', { recordingId: 'rec_1' }));
    expect(fake.state.requests.length).toBe(before);
    expect(h.logs.at(-1)).toMatchObject({ level: 'warn', message: 'recording without an http(s) URL: nothing to transcribe' });
    await provider.onEvent['recording.completed'](h.context(), recording);
    expect(h.logs.find((line) => line.message.startsWith('no webhook URL set'))).toBeDefined();
    expect(since(before).map((request) => request.body)).toEqual([
      { audio_url: AUDIO, speech_models: ['universal-3-pro', 'universal-2'], language_detection: true, speaker_labels: false },
    ]);
  });

  it('fails the event (for the host to retry) when AssemblyAI refuses the key', async () => {
    const h = harness({ settings: { autoTranscribe: true }, credentials: { apiKey: assemblyAIKey() } });
    await expect(provider.onEvent['recording.completed'](h.context(), recording)).rejects.toMatchObject({ code: 'provider_rejected' });
  });
});
