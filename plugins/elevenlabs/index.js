// ElevenLabs provider for Plugboard, written against the ElevenLabs API reference (https://elevenlabs.io/docs/api-reference; OpenAPI: github.com/elevenlabs/elevenlabs-docs fern/apis/api/openapi.json).
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiKey: string }} ElevenLabsCredentials
 * @typedef {import('plugboard/sdk').PluginContext<ElevenLabsCredentials, Record<string, never>>} ElevenLabsContext
 *
 * ElevenLabs' refusals: `{ detail: { status, message } }` (`status` is a code such as `quota_exceeded`),
 * or FastAPI's validation answer `{ detail: [{ loc, msg, type }] }` (422).
 * @typedef {{ detail?: { status?: string, message?: string } | Array<{ loc?: Array<string | number>, msg?: string }> | string }} ElevenLabsError
 */

/** The most audio textToSpeech hands back (it travels as base64, a third larger, inside the answer). */
const MAX_AUDIO_BYTES = 5 * 1024 * 1024;

/** ElevenLabs' default text-to-speech model (the API's own default for `model_id`). */
const DEFAULT_MODEL = 'eleven_multilingual_v2';

/**
 * The most characters one text-to-speech request may carry, per model, as the models page documents
 * (https://elevenlabs.io/docs/models#character-limits). Other model IDs are left to ElevenLabs to judge.
 */
const CHARACTER_LIMITS = {
  eleven_v3: 3_000,
  eleven_flash_v2_5: 40_000,
  eleven_turbo_v2_5: 40_000,
  eleven_flash_v2: 30_000,
  eleven_turbo_v2: 30_000,
  eleven_multilingual_v2: 10_000,
  eleven_multilingual_v1: 10_000,
};
const LONGEST_TEXT = Math.max(...Object.values(CHARACTER_LIMITS));

/** `output_format` values (codec_samplerate_bitrate). mp3_44100_192 needs the Creator plan or above, pcm_44100 Pro or above. */
const OUTPUT_FORMATS = [
  'mp3_22050_32',
  'mp3_44100_32',
  'mp3_44100_64',
  'mp3_44100_96',
  'mp3_44100_128',
  'mp3_44100_192',
  'pcm_8000',
  'pcm_16000',
  'pcm_22050',
  'pcm_24000',
  'pcm_44100',
  'pcm_48000',
  'ulaw_8000',
  'alaw_8000',
  'opus_48000_32',
  'opus_48000_64',
  'opus_48000_96',
  'opus_48000_128',
  'opus_48000_192',
];
const DEFAULT_FORMAT = 'mp3_44100_128';

/** What audio of a codec is, when the answer does not say (raw PCM is 16-bit little-endian mono). */
const CODEC_TYPES = { mp3: 'audio/mpeg', opus: 'audio/ogg', ulaw: 'audio/basic', alaw: 'audio/x-alaw-basic', pcm: 'application/octet-stream' };

const VOICE_ID = '^[A-Za-z0-9_-]{1,64}$';
const VOICE_TYPES = ['personal', 'community', 'default', 'workspace', 'non-default'];
const VOICE_CATEGORIES = ['premade', 'cloned', 'generated', 'professional'];

/** ElevenLabs' codes that mean "too much at once" rather than a refusal. */
const BUSY_CODES = new Set(['too_many_concurrent_requests', 'system_busy']);

/**
 * ElevenLabs' error body as a message a person can act on (the provider's own words, and what to do).
 * @param {ElevenLabsError | undefined} body
 */
function describeError(body) {
  const detail = body?.detail;
  if (typeof detail === 'string' && detail.trim()) return `ElevenLabs: ${detail.trim()}`;
  if (Array.isArray(detail)) {
    const problems = detail
      .slice(0, 5)
      .map((entry) => {
        const where = Array.isArray(entry?.loc) ? entry.loc.filter((part) => part !== 'body').join('.') : '';
        return typeof entry?.msg === 'string' ? (where ? `${where}: ${entry.msg}` : entry.msg) : undefined;
      })
      .filter(Boolean);
    return problems.length ? `ElevenLabs refused the request: ${problems.join('; ')}` : undefined;
  }
  if (!detail || typeof detail !== 'object') return undefined;
  const code = typeof detail.status === 'string' ? detail.status : '';
  const said = typeof detail.message === 'string' ? detail.message.trim() : '';
  const message = said || code.replace(/_/g, ' ');
  if (!message) return undefined;
  switch (code) {
    case 'invalid_api_key':
    case 'needs_authorization':
      return `ElevenLabs refused the API key: ${message} (${code}). Check the key, or create a new one in the ElevenLabs dashboard.`;
    case 'missing_permissions':
      return `ElevenLabs: ${message} (${code}). Give the API key that permission in the ElevenLabs dashboard, or use a key without restrictions.`;
    case 'quota_exceeded':
      return `ElevenLabs: the account has too few credits left for this request. ${message} (${code}). Wait for the quota to reset, upgrade the plan, or enable usage-based billing (Creator plan and above).`;
    case 'voice_not_found':
      return `ElevenLabs: ${message} (${code}). listVoices shows the voice IDs this account can use.`;
    case 'max_character_limit_exceeded':
      return `ElevenLabs: ${message} (${code}). Split the text into shorter requests.`;
    case 'only_for_creator+':
      return `ElevenLabs: ${message} (${code}). Professional voices need the Creator plan or above.`;
    case 'too_many_concurrent_requests':
      return `ElevenLabs: more requests at once than the plan's concurrency limit allows. ${message} (${code}). Try again in a moment.`;
    case 'system_busy':
      return `ElevenLabs is under heavy load and could not take the request. ${message} (${code}). Try again later.`;
  }
  return code ? `ElevenLabs: ${message} (${code})` : `ElevenLabs: ${message}`;
}

/** How ElevenLabs' errors read, for the host and `readJson`: its concurrency and load codes are rate limits whatever the status. */
const errors = {
  message: (body) => describeError(body),
  classify: (body) => (BUSY_CODES.has(body?.detail?.status) ? 'rate_limited' : undefined),
};

/**
 * Calls the API (the host adds `xi-api-key`); answers the JSON body or throws what a refusal means.
 * @param {ElevenLabsContext} ctx
 * @param {string} path relative to https://api.elevenlabs.io
 */
async function elevenlabs(ctx, path, init = {}) {
  const response = await ctx.http(path, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  return readJson(response, ctx, errors);
}

/** Unix seconds as ISO 8601; null when absent. */
const isoFromUnix = (seconds) => (Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : null);

/**
 * The user behind the key and its subscription, without the key itself (GET /v1/user answers it too).
 * @param {ElevenLabsContext} ctx
 */
async function account(ctx) {
  const user = await elevenlabs(ctx, '/v1/user');
  const subscription = user?.subscription ?? {};
  const tier = typeof subscription.tier === 'string' ? subscription.tier : null;
  const name = typeof user?.first_name === 'string' && user.first_name.trim() ? user.first_name.trim() : null;
  return {
    displayName: `${name ?? 'ElevenLabs'}${tier ? ` (${tier} plan)` : ''}`,
    metadata: {
      userId: user?.user_id ?? null,
      tier,
      subscriptionStatus: subscription.status ?? null,
      characterCount: Number.isFinite(subscription.character_count) ? subscription.character_count : null,
      characterLimit: Number.isFinite(subscription.character_limit) ? subscription.character_limit : null,
      nextCharacterCountResetAt: isoFromUnix(subscription.next_character_count_reset_unix),
    },
  };
}

const codePoints = (text) => [...text].length;

/**
 * POST /v1/text-to-speech/{voice_id}?output_format=…: the whole audio in one answer. A text longer than
 * the model's documented limit is refused before any credit is spent; audio over 5 MB is refused after.
 * @param {ElevenLabsContext} ctx
 */
async function textToSpeech(ctx, input) {
  const model = input.modelId ?? DEFAULT_MODEL;
  const format = input.outputFormat ?? DEFAULT_FORMAT;
  const limit = CHARACTER_LIMITS[model];
  const length = codePoints(input.text);
  if (limit !== undefined && length > limit) {
    throw new ProviderRejectedError(
      `ElevenLabs' ${model} takes at most ${limit.toLocaleString('en-US')} characters in one request; this text has ${length.toLocaleString('en-US')}. Split it, or use eleven_flash_v2_5 or eleven_turbo_v2_5 (40,000).`,
    );
  }
  const settings = input.voiceSettings ?? {};
  const voiceSettings = Object.fromEntries(
    [
      ['stability', settings.stability],
      ['similarity_boost', settings.similarityBoost],
      ['style', settings.style],
      ['speed', settings.speed],
      ['use_speaker_boost', settings.useSpeakerBoost],
    ].filter(([, value]) => value !== undefined),
  );
  const body = {
    text: input.text,
    model_id: model,
    ...(Object.keys(voiceSettings).length ? { voice_settings: voiceSettings } : {}),
    ...(input.seed === undefined ? {} : { seed: input.seed }),
  };
  const path = `/v1/text-to-speech/${encodeURIComponent(input.voiceId)}?${new URLSearchParams({ output_format: format })}`;
  const response = await ctx.http(path, { method: 'POST', headers: { accept: 'audio/*, application/json' }, body });
  if (!response.ok) {
    await readJson(response, ctx, errors);
    throw new Error(`ElevenLabs answered ${response.status} without audio`);
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (contentType === 'application/json') throw new Error('ElevenLabs answered the speech request with JSON instead of audio');
  const audio = Buffer.from(await response.arrayBuffer());
  if (audio.length === 0) throw new Error('ElevenLabs answered the speech request without audio');
  if (audio.length > MAX_AUDIO_BYTES) {
    const size = (audio.length / (1024 * 1024)).toFixed(1);
    throw new ProviderRejectedError(
      `ElevenLabs made ${size} MB of audio, more than the 5 MB textToSpeech hands back (its characters still count against the quota). Send shorter text, or choose a smaller output format such as mp3_22050_32.`,
    );
  }
  const cost = Number(response.headers.get('character-cost'));
  return {
    audioBase64: audio.toString('base64'),
    contentType: contentType && contentType !== 'application/octet-stream' ? contentType : CODEC_TYPES[format.split('_')[0]],
    bytes: audio.length,
    outputFormat: format,
    modelId: model,
    characters: length,
    characterCost: response.headers.has('character-cost') && Number.isFinite(cost) ? cost : null,
    requestId: response.headers.get('request-id') || null,
  };
}

function voiceSummary(voice) {
  return {
    voiceId: voice.voice_id,
    name: voice.name ?? null,
    category: voice.category ?? null,
    description: voice.description ?? null,
    previewUrl: voice.preview_url ?? null,
    labels: voice.labels && typeof voice.labels === 'object' ? voice.labels : {},
  };
}

/**
 * One page of GET /v2/voices (the account's voices, searchable; `next_page_token` continues).
 * @param {ElevenLabsContext} ctx
 */
async function listVoices(ctx, input = {}) {
  const query = new URLSearchParams({ page_size: String(input.pageSize ?? 30) });
  if (input.search) query.set('search', input.search);
  if (input.voiceType) query.set('voice_type', input.voiceType);
  if (input.category) query.set('category', input.category);
  if (input.nextPageToken) query.set('next_page_token', input.nextPageToken);
  const page = await elevenlabs(ctx, `/v2/voices?${query}`);
  const voices = Array.isArray(page?.voices) ? page.voices : [];
  return {
    voices: voices.filter((voice) => typeof voice?.voice_id === 'string').map(voiceSummary),
    hasMore: page?.has_more === true,
    nextPageToken: page?.has_more === true && typeof page?.next_page_token === 'string' ? page.next_page_token : null,
    totalCount: Number.isFinite(page?.total_count) ? page.total_count : null,
  };
}

const nullable = (type) => ({ type: [type, 'null'] });
const unit = { type: 'number', minimum: 0, maximum: 1 };

export default definePlugin({
  providers: [
    {
      id: 'elevenlabs',
      name: 'ElevenLabs',
      category: 'voice_ai',
      description: 'Turn text into natural speech with the voices of your ElevenLabs account, and keep an eye on its character quota.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiKey'],
          additionalProperties: false,
          properties: {
            apiKey: {
              type: 'string',
              title: 'API key',
              description: 'An ElevenLabs API key (ElevenLabs dashboard → Developers → API keys) allowed text to speech, voices (read) and user (read)',
              pattern: '^[A-Za-z0-9_-]{20,128}$',
              secret: true,
            },
          },
        },
        apply: { headers: { 'xi-api-key': '{apiKey}' } },
      },
      baseUrl: 'https://api.elevenlabs.io',
      errors,
      // ElevenLabs documents no request budget (no requests per window): its limit is concurrency, set by
      // the plan (Free 2 requests at once with Multilingual v2 and 4 with Turbo/Flash, Starter 3/6,
      // Creator 5/10, Pro 10/20, Scale and Business 15/30; https://elevenlabs.io/docs/models#concurrency-and-priority).
      // A request-per-window budget cannot express "N in flight", so none is declared: past the limit
      // ElevenLabs queues a little, then answers 429 too_many_concurrent_requests (or system_busy under load),
      // which becomes provider_rate_limited with ElevenLabs' own message.
      rateLimits: [],

      /** GET /v1/user: the user, its plan and the characters used of this period's quota. @param {ElevenLabsContext} ctx */
      verify: (ctx) => account(ctx),

      /** The cheapest authenticated call: the subscription alone. */
      healthCheck: { request: { path: '/v1/user/subscription' } },

      actions: {
        textToSpeech: {
          description:
            'Speaks the text with an ElevenLabs voice and returns the audio as base64 with its content type (at most 5 MB of audio). Characters are counted against the account’s quota.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['voiceId', 'text'],
            properties: {
              voiceId: { type: 'string', pattern: VOICE_ID, description: 'The voice to speak with (listVoices gives the IDs), e.g. 21m00Tcm4TlvDq8ikWAM' },
              text: {
                type: 'string',
                minLength: 1,
                maxLength: LONGEST_TEXT,
                description:
                  'What to say. Per request at most 10,000 characters with eleven_multilingual_v2, 3,000 with eleven_v3, 40,000 with the Flash/Turbo v2.5 models',
              },
              modelId: {
                type: 'string',
                pattern: '^[a-z0-9_]{1,64}$',
                default: DEFAULT_MODEL,
                description: 'The model, e.g. eleven_multilingual_v2 (default), eleven_v3, eleven_flash_v2_5, eleven_turbo_v2_5',
              },
              outputFormat: {
                type: 'string',
                enum: OUTPUT_FORMATS,
                default: DEFAULT_FORMAT,
                description: 'codec_samplerate_bitrate; mp3_44100_192 needs the Creator plan or above, pcm_44100 the Pro plan or above',
              },
              voiceSettings: {
                type: 'object',
                additionalProperties: false,
                description: 'Overrides the voice’s stored settings for this request only',
                properties: {
                  stability: { ...unit, description: 'Lower: broader emotional range; higher: steadier, more monotonous' },
                  similarityBoost: { ...unit, description: 'How closely to keep to the original voice' },
                  style: { ...unit, description: 'Style exaggeration (0 keeps latency lowest)' },
                  speed: { type: 'number', minimum: 0.7, maximum: 1.2, description: '1.0 is the voice’s normal speed' },
                  useSpeakerBoost: { type: 'boolean' },
                },
              },
              seed: { type: 'integer', minimum: 0, maximum: 4_294_967_295, description: 'Best-effort deterministic sampling' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['audioBase64', 'contentType', 'bytes', 'outputFormat', 'modelId', 'characters'],
            properties: {
              audioBase64: { type: 'string', contentEncoding: 'base64', description: 'The audio file' },
              contentType: { type: 'string', description: 'e.g. audio/mpeg' },
              bytes: { type: 'integer', minimum: 1, maximum: MAX_AUDIO_BYTES },
              outputFormat: { type: 'string', enum: OUTPUT_FORMATS },
              modelId: { type: 'string' },
              characters: { type: 'integer', description: 'Characters of the text' },
              characterCost: { ...nullable('integer'), description: 'What ElevenLabs charged for it (its character-cost header)' },
              requestId: { ...nullable('string'), description: 'ElevenLabs’ request-id, for request stitching and support' },
            },
          },
          /** @param {ElevenLabsContext} ctx */
          run: (ctx, input) => textToSpeech(ctx, input),
        },

        listVoices: {
          description: 'Lists the voices this account can use (its own, the default and saved library voices), a page at a time.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              search: { type: 'string', minLength: 1, maxLength: 200, description: 'Matches name, description, labels and category' },
              voiceType: { type: 'string', enum: VOICE_TYPES },
              category: { type: 'string', enum: VOICE_CATEGORIES },
              pageSize: { type: 'integer', minimum: 1, maximum: 100, default: 30 },
              nextPageToken: { type: 'string', minLength: 1, maxLength: 1000, description: 'nextPageToken of the previous page' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['voices', 'hasMore', 'nextPageToken'],
            properties: {
              voices: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['voiceId'],
                  properties: {
                    voiceId: { type: 'string' },
                    name: nullable('string'),
                    category: nullable('string'),
                    description: nullable('string'),
                    previewUrl: nullable('string'),
                    labels: { type: 'object', additionalProperties: { type: 'string' } },
                  },
                },
              },
              hasMore: { type: 'boolean' },
              nextPageToken: nullable('string'),
              totalCount: nullable('integer'),
            },
          },
          /** @param {ElevenLabsContext} ctx */
          run: (ctx, input) => listVoices(ctx, input),
        },
      },
    },
  ],
});
