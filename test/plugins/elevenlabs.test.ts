import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { elevenLabsKey, speechLength, startFakeElevenLabs, type FakeElevenLabs, type FakeElevenLabsUser } from '../fixtures/providers/elevenlabs.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const RACHEL = '21m00Tcm4TlvDq8ikWAM';

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeElevenLabs;

/**
 * The SDK harness hands answers over as text, so binary audio would not survive it: here the fake speaks
 * in printable bytes of the same size. The host test (test/integration/providers/elevenlabs.test.ts)
 * checks real binary audio end to end.
 */
function printableSpeech(text: string, format: string): Buffer {
  const audio = Buffer.alloc(speechLength(text, format));
  for (let index = 0; index < audio.length; index += 1) audio[index] = 0x20 + ((index * 7 + text.length) % 0x5f);
  return audio;
}

beforeAll(async () => {
  plugin = await loadBundledPlugin('elevenlabs');
  provider = plugin.providers[0];
  fake = await startFakeElevenLabs();
  fake.state.synthesize = printableSpeech;
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.state.throttle = 0;
  fake.state.busy = 0;
});

const harness = (apiKey: string = fake.user.apiKey) =>
  createHarness(plugin, { provider: 'elevenlabs', credentials: { apiKey }, http: forwardTo(fake.origins) });
const since = (before: number) => fake.state.requests.slice(before);

describe('elevenlabs plugin: declaration', () => {
  it('is a voice_ai API-key provider sending xi-api-key, with no request budget (ElevenLabs limits concurrency)', () => {
    expect(provider).toMatchObject({
      id: 'elevenlabs',
      category: 'voice_ai',
      baseUrl: 'https://api.elevenlabs.io',
      auth: { type: 'api_key', apply: { headers: { 'xi-api-key': '{apiKey}' } } },
      rateLimits: [],
    });
    expect(provider.auth.credentialsSchema.properties.apiKey.secret).toBe(true);
    expect(Object.keys(provider.actions).sort()).toEqual(['listVoices', 'textToSpeech']);
    expect(provider.actions.textToSpeech.outputSchema.required).toContain('audioBase64');
  });

  it('refuses malformed credentials and inputs at the schema', () => {
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(provider.auth.credentialsSchema);
    expect(credentials({ apiKey: elevenLabsKey() })).toBe(true);
    expect(credentials({ apiKey: 'short' })).toBe(false);
    expect(credentials({ apiKey: 'has spaces in it, which no key has' })).toBe(false);

    const speak = ajv.compile(provider.actions.textToSpeech.inputSchema);
    expect(speak({ voiceId: RACHEL, text: 'Hello' })).toBe(true);
    expect(
      speak({
        voiceId: RACHEL,
        text: 'Hello',
        modelId: 'eleven_flash_v2_5',
        outputFormat: 'opus_48000_64',
        voiceSettings: { stability: 0.4, similarityBoost: 0.8, style: 0, speed: 1.1, useSpeakerBoost: true },
        seed: 42,
      }),
    ).toBe(true);
    expect(speak({ voiceId: RACHEL, text: '' })).toBe(false);
    expect(speak({ voiceId: RACHEL, text: 'x'.repeat(40_001) })).toBe(false);
    expect(speak({ voiceId: '../v1/user', text: 'Hello' })).toBe(false);
    expect(speak({ voiceId: RACHEL, text: 'Hello', outputFormat: 'wav_44100' })).toBe(false);
    expect(speak({ voiceId: RACHEL, text: 'Hello', voiceSettings: { speed: 2 } })).toBe(false);
    expect(speak({ voiceId: RACHEL, text: 'Hello', voiceSettings: { stability: 1.5 } })).toBe(false);
    expect(speak({ voiceId: RACHEL, text: 'Hello', modelId: 'Eleven V3' })).toBe(false);
    expect(speak({ voiceId: RACHEL, text: 'Hello', language: 'en' })).toBe(false);

    const voices = ajv.compile(provider.actions.listVoices.inputSchema);
    expect(voices({})).toBe(true);
    expect(voices({ search: 'calm', voiceType: 'personal', category: 'cloned', pageSize: 100, nextPageToken: 'MTA' })).toBe(true);
    expect(voices({ pageSize: 101 })).toBe(false);
    expect(voices({ voiceType: 'mine' })).toBe(false);
  });
});

describe('elevenlabs plugin: verify and health check', () => {
  it('verifies with GET /v1/user and keeps the plan and character usage, never the key ElevenLabs echoes', async () => {
    fake.user.characterCount = 1_234;
    const before = fake.state.requests.length;
    const result = await harness().verify();
    expect(result).toEqual({
      displayName: 'Ada (creator plan)',
      metadata: {
        userId: fake.user.userId,
        tier: 'creator',
        subscriptionStatus: 'active',
        characterCount: 1_234,
        characterLimit: 121_000,
        nextCharacterCountResetAt: new Date(fake.user.nextResetUnix * 1000).toISOString(),
      },
    });
    expect(JSON.stringify(result)).not.toContain(fake.user.apiKey);
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'GET', path: '/v1/user' });
    expect(request.headers['xi-api-key']).toBe(fake.user.apiKey);
    expect(request.headers.authorization).toBeUndefined();
  });

  it('names a user without a first name by the plan alone', async () => {
    const anonymous = fake.state.addUser({ firstName: null, tier: 'free', status: 'free', characterLimit: 10_000 });
    await expect(harness(anonymous.apiKey).verify()).resolves.toMatchObject({
      displayName: 'ElevenLabs (free plan)',
      metadata: { tier: 'free', characterLimit: 10_000 },
    });
  });

  it('refuses an unknown key with ElevenLabs’ invalid_api_key, without echoing it', async () => {
    const wrong = elevenLabsKey();
    const error = await harness(wrong)
      .verify()
      .then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
    expect(error).toMatchObject({
      code: 'provider_rejected',
      message: 'ElevenLabs refused the API key: Invalid API key (invalid_api_key). Check the key, or create a new one in the ElevenLabs dashboard.',
    });
    expect(String(error?.message)).not.toContain(wrong);
    expect(fake.state.requests.at(-1)!.headers['xi-api-key']).toBe(wrong);
  });

  it('checks health with the subscription alone', async () => {
    const before = fake.state.requests.length;
    await harness().healthCheck();
    expect(since(before).map((request) => `${request.method} ${request.path}`)).toEqual(['GET /v1/user/subscription']);
    await expect(harness(elevenLabsKey()).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });
});

describe('elevenlabs plugin: textToSpeech', () => {
  it('posts the text to the voice with the model and format, and returns the audio as base64 with its type and cost', async () => {
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('textToSpeech', { voiceId: RACHEL, text: 'Doors open at five. See you soon!' });
    const speech = fake.state.speeches.at(-1)!;
    expect(since(before)).toHaveLength(1);
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'POST', path: `/v1/text-to-speech/${RACHEL}`, query: { output_format: 'mp3_44100_128' } });
    expect(request.body).toEqual({ text: 'Doors open at five. See you soon!', model_id: 'eleven_multilingual_v2' });
    expect(request.headers['content-type']).toContain('application/json');
    expect(Buffer.from(result.audioBase64, 'base64').equals(speech.audio)).toBe(true);
    expect(result).toMatchObject({
      contentType: 'audio/mpeg',
      bytes: speech.audio.length,
      outputFormat: 'mp3_44100_128',
      modelId: 'eleven_multilingual_v2',
      characters: 33,
      characterCost: 33,
      requestId: speech.requestId,
    });
  });

  it('sends voice settings in ElevenLabs’ names, the seed, and another model and format', async () => {
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('textToSpeech', {
      voiceId: RACHEL,
      text: 'Bonjour à tous',
      modelId: 'eleven_flash_v2_5',
      outputFormat: 'pcm_16000',
      voiceSettings: { stability: 0.3, similarityBoost: 0.9, style: 0.1, speed: 0.8, useSpeakerBoost: false },
      seed: 7,
    });
    const [request] = since(before);
    expect(request.query).toEqual({ output_format: 'pcm_16000' });
    expect(request.body).toEqual({
      text: 'Bonjour à tous',
      model_id: 'eleven_flash_v2_5',
      voice_settings: { stability: 0.3, similarity_boost: 0.9, style: 0.1, speed: 0.8, use_speaker_boost: false },
      seed: 7,
    });
    expect(result).toMatchObject({ contentType: 'audio/pcm', outputFormat: 'pcm_16000', modelId: 'eleven_flash_v2_5', characters: 14 });
  });

  it('refuses a text longer than the model’s documented limit before spending any character', async () => {
    const before = fake.state.requests.length;
    await expect(harness().action('textToSpeech', { voiceId: RACHEL, text: 'a'.repeat(3_001), modelId: 'eleven_v3' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        "ElevenLabs' eleven_v3 takes at most 3,000 characters in one request; this text has 3,001. Split it, or use eleven_flash_v2_5 or eleven_turbo_v2_5 (40,000).",
    });
    await expect(harness().action('textToSpeech', { voiceId: RACHEL, text: 'ü'.repeat(10_001) })).rejects.toMatchObject({
      message: expect.stringContaining('eleven_multilingual_v2 takes at most 10,000 characters'),
    });
    expect(fake.state.requests.length).toBe(before);
  });

  it('turns ElevenLabs’ refusals into readable messages: unknown voice, unknown model, spent quota, bad parameters', async () => {
    await expect(harness().action('textToSpeech', { voiceId: 'NoSuchVoice000000000', text: 'Hi' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'ElevenLabs: A voice with the voice_id NoSuchVoice000000000 was not found. (voice_not_found). listVoices shows the voice IDs this account can use.',
    });
    await expect(harness().action('textToSpeech', { voiceId: RACHEL, text: 'Hi', modelId: 'eleven_future_v9' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "ElevenLabs: An invalid ID has been received: 'eleven_future_v9'. Make sure to provide a correct one. (invalid_uid)",
    });
    const spent = fake.state.addUser({ characterCount: 9_990, characterLimit: 10_000 });
    await expect(harness(spent.apiKey).action('textToSpeech', { voiceId: RACHEL, text: 'This needs more than ten credits' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^ElevenLabs: the account has too few credits left for this request\. This request exceeds your quota of 10000\. You have 10 credits remaining, while 32 credits are required for this request\. \(quota_exceeded\)\. /,
      ),
    });
    expect(spent.characterCount).toBe(9_990);
    // Past the schema (a caller that skips it): FastAPI's 422 list, made readable.
    await expect(harness().action('textToSpeech', { voiceId: RACHEL, text: 'Hi', outputFormat: 'wav_44100' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^ElevenLabs refused the request: query\.output_format: Input should be 'mp3_22050_32'/),
    });
  });

  it('refuses audio over 5 MB clearly, after ElevenLabs made it', async () => {
    const made = fake.state.speeches.length;
    // 6,000 characters are about 400 seconds of speech: 6.4 MB at 128 kbps.
    await expect(harness().action('textToSpeech', { voiceId: RACHEL, text: 'word '.repeat(1_200) })).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'ElevenLabs made 6.1 MB of audio, more than the 5 MB textToSpeech hands back (its characters still count against the quota). Send shorter text, or choose a smaller output format such as mp3_22050_32.',
    });
    expect(fake.state.speeches.length).toBe(made + 1);
    // The same text at 32 kbps fits.
    const small = await harness().action<Json>('textToSpeech', { voiceId: RACHEL, text: 'word '.repeat(1_200), outputFormat: 'mp3_22050_32' });
    expect(small).toMatchObject({ bytes: 1_600_000, outputFormat: 'mp3_22050_32' });
    expect(Buffer.from(small.audioBase64, 'base64').equals(fake.state.speeches.at(-1)!.audio)).toBe(true);
  });

  it('reports ElevenLabs’ concurrency and load answers (429) as rate limits with its own message', async () => {
    fake.state.throttle = 1;
    await expect(harness().action('textToSpeech', { voiceId: RACHEL, text: 'Hi' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringMatching(
        /^ElevenLabs: more requests at once than the plan's concurrency limit allows\. Too many concurrent requests\..*\(too_many_concurrent_requests\)\. Try again in a moment\.$/,
      ),
    });
    fake.state.busy = 1;
    await expect(harness().action('listVoices', {})).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message:
        'ElevenLabs is under heavy load and could not take the request. We are currently experiencing high traffic. Please try again later. (system_busy). Try again later.',
    });
    await expect(harness().action('textToSpeech', { voiceId: RACHEL, text: 'Hi' })).resolves.toMatchObject({ characters: 2 });
  });
});

describe('elevenlabs plugin: listVoices', () => {
  let owner: FakeElevenLabsUser;

  beforeAll(() => {
    owner = fake.state.addUser({ firstName: 'Bo' });
    fake.state.addVoice({ name: 'Bo’s narrator', category: 'cloned', description: 'Calm, warm narration', labels: { accent: 'irish' } }, owner);
    fake.state.addVoice({ name: 'Somebody else’s voice', category: 'cloned' }, fake.user);
  });

  it('pages through GET /v2/voices with next_page_token', async () => {
    const h = harness(owner.apiKey);
    const before = fake.state.requests.length;
    const first = await h.action<Json>('listVoices', { pageSize: 3 });
    expect(first).toMatchObject({ hasMore: true, totalCount: 5, nextPageToken: expect.any(String) });
    expect(first.voices).toHaveLength(3);
    expect(first.voices[0]).toEqual({
      voiceId: RACHEL,
      name: 'Rachel',
      category: 'premade',
      description: null,
      previewUrl: expect.stringMatching(/^https:\/\//),
      labels: { gender: 'female', accent: 'american' },
    });
    const second = await h.action<Json>('listVoices', { pageSize: 3, nextPageToken: first.nextPageToken });
    expect(second).toMatchObject({ hasMore: false, nextPageToken: null, totalCount: 5 });
    expect([...first.voices, ...second.voices].map((voice: Json) => voice.name)).toEqual(['Rachel', 'Sarah', 'Roger', 'George', 'Bo’s narrator']);
    expect(since(before).map((request) => request.query)).toEqual([{ page_size: '3' }, { page_size: '3', next_page_token: first.nextPageToken }]);
  });

  it('searches and filters, and sees only the account’s own voices besides the defaults', async () => {
    const before = fake.state.requests.length;
    const personal = await harness(owner.apiKey).action<Json>('listVoices', { voiceType: 'personal', search: 'calm' });
    expect(personal.voices.map((voice: Json) => voice.name)).toEqual(['Bo’s narrator']);
    expect(since(before)[0].query).toEqual({ page_size: '30', search: 'calm', voice_type: 'personal' });
    const british = await harness(owner.apiKey).action<Json>('listVoices', { search: 'british', category: 'premade' });
    expect(british.voices.map((voice: Json) => voice.voiceId)).toEqual(['JBFqnCBsd6RMkjVDRZzb']);
  });
});
