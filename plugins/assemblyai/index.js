// AssemblyAI provider for Plugboard, written against the AssemblyAI API reference (https://www.assemblyai.com/docs/api-reference; OpenAPI: github.com/AssemblyAI/assemblyai-api-spec openapi.json) and its pre-recorded audio webhook guide (https://www.assemblyai.com/docs/deployment/webhooks-for-pre-recorded-audio).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiKey: string, webhookSecret?: string }} AssemblyAICredentials
 * @typedef {{
 *   webhookUrl?: string,
 *   autoTranscribe?: boolean,
 *   speakerLabels?: boolean,
 *   languageCode?: string,
 *   speechModels?: string[],
 * }} AssemblyAISettings
 * @typedef {import('plugboard/sdk').PluginContext<AssemblyAICredentials, AssemblyAISettings>} AssemblyAIContext
 * @typedef {{ method: string, headers: Record<string, string>, query: Record<string, string>, rawBody: string, body?: unknown }} InboundRequest
 *
 * AssemblyAI's error body: `{ error: "…" }`.
 * @typedef {{ error?: string }} AssemblyAIError
 */

/** AssemblyAI's API hosts: the default (US) and the EU one, which keeps data in the EU. */
const API_HOSTS = { 'api.assemblyai.com': 'US', 'api.eu.assemblyai.com': 'EU' };
/** `speech_models` is required (there is no default model): these, in priority order, as AssemblyAI's model selection guide suggests. */
const SPEECH_MODELS = ['universal-3-pro', 'universal-2'];
/** The header AssemblyAI is asked to send back with its webhooks (`webhook_auth_header_name`), and checked on arrival. */
const WEBHOOK_HEADER = 'X-Plugboard-Webhook-Token';
const TRANSCRIPT_ID = '^[A-Za-z0-9-]{1,64}$';
const TRANSCRIPT_ID_PATTERN = new RegExp(TRANSCRIPT_ID);
const RECORDING_ID = '^[A-Za-z0-9._:-]{1,200}$';
const RECORDING_ID_PATTERN = new RegExp(RECORDING_ID);
/** transcript.completed carries the text up to this many characters; a longer one is left to getTranscript. */
const MAX_EVENT_TEXT = 10_000;
/** The transcript statuses that end a transcription (before them: queued, then processing). */
const FINAL_STATUSES = ['completed', 'error'];

/**
 * AssemblyAI's error body as a message a person can act on.
 * @param {AssemblyAIError | undefined} body
 * @param {number} [status]
 */
function describeError(body, status) {
  const said = typeof body?.error === 'string' ? body.error.trim() : '';
  if (!said && status === undefined) return undefined;
  const message = said || `HTTP ${status}`;
  switch (status) {
    case 401:
      return `AssemblyAI refused the API key: ${message}. Check the key in the AssemblyAI dashboard (API Keys).`;
    case 429:
      return `AssemblyAI is rate limiting this account (20,000 requests per 5 minutes): ${message}`;
    case 400:
      return `AssemblyAI refused the request: ${message}`;
    default:
      return `AssemblyAI: ${message}`;
  }
}

/** How AssemblyAI's errors read, for the host's declared requests. */
const errors = { message: (body) => describeError(body) };

/**
 * Calls the API (the host adds `authorization: <api key>` under the connection's API host).
 * @param {AssemblyAIContext} ctx
 * @param {string} path
 * @param {{ method?: string, body?: Record<string, unknown> }} [init]
 */
async function assemblyai(ctx, path, init = {}) {
  const response = await ctx.http(path, { method: init.method ?? 'GET', headers: { accept: 'application/json' }, ...(init.body ? { body: init.body } : {}) });
  return readJson(response, ctx, { message: (body) => describeError(body, response.status) });
}

/**
 * The value of the webhook header: the credential `webhookSecret` when given, else one derived from the
 * API key and this connection (so nothing more has to be entered, and each connection's differs).
 * @param {AssemblyAIContext} ctx
 */
function webhookToken(ctx) {
  const secret = ctx.credentials?.webhookSecret;
  if (typeof secret === 'string' && secret) return secret;
  const apiKey = ctx.credentials?.apiKey;
  if (typeof apiKey !== 'string' || !apiKey) return undefined;
  return createHmac('sha256', apiKey)
    .update(`plugboard:assemblyai:webhook:${ctx.integration?.id ?? ''}`)
    .digest('base64url');
}

/** Constant-time equality of two strings (false when their lengths differ). */
function sameText(a, b) {
  const left = Buffer.from(String(a), 'utf8');
  const right = Buffer.from(String(b), 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The recording a transcript was made for: carried in its webhook URL's query, which AssemblyAI keeps with the transcript. */
function recordingIdOf(transcript) {
  try {
    const value = new URL(transcript?.webhook_url ?? '').searchParams.get('recordingId');
    return value && RECORDING_ID_PATTERN.test(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POST /v2/transcript: queues the transcription of audio at a URL AssemblyAI can download. With a webhook
 * URL in the settings, AssemblyAI calls it when the transcript is done, with the webhook header.
 * @param {AssemblyAIContext} ctx
 * @param {{ audioUrl: string, languageCode?: string, speakerLabels?: boolean, recordingId?: string }} input
 */
async function transcribe(ctx, input) {
  const settings = ctx.settings ?? {};
  const languageCode = input.languageCode ?? settings.languageCode;
  const body = {
    audio_url: input.audioUrl,
    speech_models: settings.speechModels?.length ? settings.speechModels : SPEECH_MODELS,
    ...(languageCode ? { language_code: languageCode } : { language_detection: true }),
    speaker_labels: input.speakerLabels ?? settings.speakerLabels ?? false,
  };
  if (settings.webhookUrl) {
    const token = webhookToken(ctx);
    if (!token) throw new ProviderRejectedError('AssemblyAI: no API key to sign webhooks with.');
    const hook = new URL(settings.webhookUrl);
    if (input.recordingId) hook.searchParams.set('recordingId', input.recordingId);
    Object.assign(body, { webhook_url: hook.href, webhook_auth_header_name: WEBHOOK_HEADER, webhook_auth_header_value: token });
  }
  const transcript = await assemblyai(ctx, '/v2/transcript', { method: 'POST', body });
  if (typeof transcript?.id !== 'string') throw new Error('AssemblyAI answered the transcription request without a transcript id');
  return {
    transcriptId: transcript.id,
    status: transcript.status ?? 'queued',
    audioUrl: transcript.audio_url ?? input.audioUrl,
    languageCode: transcript.language_code ?? null,
    webhook: Boolean(body.webhook_url),
    recordingId: input.recordingId ?? null,
  };
}

/** A transcript as the actions answer it (times in ms, as AssemblyAI gives them). */
function transcriptSummary(transcript) {
  const utterances = Array.isArray(transcript.utterances)
    ? transcript.utterances.map((utterance) => ({
        speaker: utterance.speaker ?? null,
        text: utterance.text ?? '',
        startMs: Number.isFinite(utterance.start) ? utterance.start : null,
        endMs: Number.isFinite(utterance.end) ? utterance.end : null,
      }))
    : null;
  return {
    transcriptId: transcript.id,
    status: transcript.status,
    text: typeof transcript.text === 'string' ? transcript.text : null,
    languageCode: transcript.language_code ?? null,
    durationSeconds: Number.isFinite(transcript.audio_duration) ? transcript.audio_duration : null,
    error: transcript.status === 'error' && typeof transcript.error === 'string' ? transcript.error : null,
    audioUrl: transcript.audio_url ?? null,
    speechModel: transcript.speech_model_used ?? null,
    utterances,
    recordingId: recordingIdOf(transcript) ?? null,
  };
}

/** GET /v2/transcript/{id}. @param {AssemblyAIContext} ctx */
async function readTranscript(ctx, id) {
  const transcript = await assemblyai(ctx, `/v2/transcript/${encodeURIComponent(id)}`);
  if (typeof transcript?.id !== 'string' || typeof transcript.status !== 'string') throw new Error('AssemblyAI answered without a transcript');
  return transcript;
}

/** A finished transcript as `transcript.completed` data. */
function completedEvent(transcript) {
  const data = { transcriptId: transcript.id, status: transcript.status, provider: 'assemblyai' };
  const recordingId = recordingIdOf(transcript);
  if (recordingId) data.recordingId = recordingId;
  if (transcript.status === 'completed' && typeof transcript.text === 'string') {
    if (transcript.text.length <= MAX_EVENT_TEXT) data.text = transcript.text;
    data.textLength = transcript.text.length;
  }
  if (typeof transcript.language_code === 'string' && transcript.language_code.length <= 20) data.languageCode = transcript.language_code;
  if (Number.isFinite(transcript.audio_duration) && transcript.audio_duration >= 0) data.durationSeconds = transcript.audio_duration;
  if (transcript.status === 'error')
    data.error = typeof transcript.error === 'string' && transcript.error ? transcript.error.slice(0, 2000) : 'AssemblyAI could not transcribe the audio';
  return data;
}

function parseBody(req) {
  if (req?.body && typeof req.body === 'object') return req.body;
  try {
    return JSON.parse(req?.rawBody ?? '');
  } catch {
    return undefined;
  }
}

const transcriptOutput = {
  type: 'object',
  required: ['transcriptId', 'status'],
  properties: {
    transcriptId: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'processing', 'completed', 'error'] },
    text: { type: ['string', 'null'], description: 'The transcript, once completed' },
    languageCode: { type: ['string', 'null'] },
    durationSeconds: { type: ['integer', 'null'], description: 'Length of the audio' },
    error: { type: ['string', 'null'], description: 'Why the transcription failed (status error)' },
    audioUrl: { type: ['string', 'null'] },
    speechModel: { type: ['string', 'null'], description: 'The model AssemblyAI used' },
    utterances: {
      type: ['array', 'null'],
      description: 'Turn by turn, with speaker labels on',
      items: {
        type: 'object',
        properties: {
          speaker: { type: ['string', 'null'] },
          text: { type: 'string' },
          startMs: { type: ['integer', 'null'] },
          endMs: { type: ['integer', 'null'] },
        },
      },
    },
    recordingId: { type: ['string', 'null'] },
  },
};

const languageCode = {
  type: 'string',
  pattern: '^[a-z]{2,3}(_[a-z]{2})?$',
  description: 'The audio’s language as AssemblyAI names it (en_us, en_uk, es, fr, de, …); without one AssemblyAI detects it',
};

export default definePlugin({
  providers: [
    {
      id: 'assemblyai',
      name: 'AssemblyAI',
      category: 'voice_ai',
      description:
        'Transcribe session recordings with AssemblyAI, automatically when a recording completes, and receive finished transcripts as transcript.completed events.',
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
              description: 'An AssemblyAI API key (AssemblyAI dashboard → API Keys), sent as it is in the authorization header',
              pattern: '^[A-Za-z0-9_-]{20,128}$',
              secret: true,
            },
            webhookSecret: {
              type: 'string',
              title: 'Webhook secret',
              description:
                'Optional: the value AssemblyAI sends back in the X-Plugboard-Webhook-Token header of its webhooks. Without it one is derived from the API key; set one to keep webhooks of transcripts in progress valid across a key change.',
              minLength: 24,
              maxLength: 200,
              pattern: '^[\\x21-\\x7e]+$',
              secret: true,
            },
          },
        },
        apply: { headers: { authorization: '{apiKey}' } },
      },
      connectionInputs: {
        type: 'object',
        required: ['apiHost'],
        additionalProperties: false,
        properties: {
          apiHost: {
            type: 'string',
            enum: Object.keys(API_HOSTS),
            default: 'api.assemblyai.com',
            title: 'Region',
            description: 'api.assemblyai.com (US, the default) or api.eu.assemblyai.com (EU: audio and transcripts stay in the EU)',
          },
        },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          webhookUrl: {
            type: 'string',
            format: 'uri',
            maxLength: 2048,
            pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?/v1/hooks/[0-9a-fA-F-]{36}$',
            title: 'Webhook URL',
            description:
              'This connection’s webhook URL (https://<your Plugboard>/v1/hooks/<connection id>): AssemblyAI calls it when a transcript is done, which publishes transcript.completed',
          },
          autoTranscribe: {
            type: 'boolean',
            default: false,
            title: 'Transcribe recordings automatically',
            description: 'Start a transcript whenever a recording completes (its URL must be reachable by AssemblyAI)',
          },
          speakerLabels: {
            type: 'boolean',
            default: false,
            title: 'Speaker labels',
            description: 'Tell speakers apart (speaker diarization) unless a request says otherwise',
          },
          languageCode: { ...languageCode, title: 'Language', description: 'The recordings’ language (en_us, es, fr, …); empty: AssemblyAI detects it' },
          speechModels: {
            type: 'array',
            items: { type: 'string', enum: SPEECH_MODELS },
            minItems: 1,
            uniqueItems: true,
            default: SPEECH_MODELS,
            title: 'Speech models',
            description:
              'In priority order: AssemblyAI uses the first that supports the audio’s language (Universal-3 Pro covers English, Spanish, Portuguese, French, German and Italian)',
          },
        },
      },
      baseUrl: 'https://{apiHost}',
      errors,
      // AssemblyAI documents an HTTP rate limit of 20,000 requests per five minutes, applied to the whole
      // account (every API key of it mirrors the account's limit), and a transcription concurrency limit
      // (Free 5, paid 200+ jobs at once) past which new transcripts simply queue, FIFO, instead of being
      // refused: only the request budget is declared (https://www.assemblyai.com/docs/pre-recorded-audio/concurrency).
      rateLimits: [{ requests: 20_000, windowMs: 5 * 60_000, scope: 'connection' }],

      /**
       * The one transcript list request (GET /v2/transcript?limit=1): AssemblyAI has no account endpoint,
       * so the connection is named by its region.
       * @param {AssemblyAIContext} ctx
       */
      async verify(ctx) {
        const list = await assemblyai(ctx, '/v2/transcript?limit=1');
        const host = String(ctx.integration?.metadata?.apiHost ?? 'api.assemblyai.com');
        const latest = Array.isArray(list?.transcripts) ? list.transcripts[0] : undefined;
        return {
          displayName: `AssemblyAI (${API_HOSTS[host] ?? host})`,
          metadata: { region: (API_HOSTS[host] ?? 'US').toLowerCase(), latestTranscriptAt: typeof latest?.created === 'string' ? latest.created : null },
        };
      },

      /** The same cheap list. @param {AssemblyAIContext} ctx */
      async healthCheck(ctx) {
        await assemblyai(ctx, '/v2/transcript?limit=1');
      },

      actions: {
        transcribe: {
          description:
            'Queues the transcription of an audio or video file at a public URL. Answers at once with the transcript ID (status queued); with a webhook URL set, transcript.completed follows when it is done, else poll getTranscript.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['audioUrl'],
            properties: {
              audioUrl: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 4096, description: 'Where AssemblyAI downloads the audio from' },
              languageCode,
              speakerLabels: { type: 'boolean', description: 'Tell speakers apart (defaults to the setting)' },
              recordingId: { type: 'string', pattern: RECORDING_ID, description: 'The recording this is, echoed in transcript.completed' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['transcriptId', 'status', 'webhook'],
            properties: {
              transcriptId: { type: 'string' },
              status: { type: 'string', enum: ['queued', 'processing', 'completed', 'error'] },
              audioUrl: { type: 'string' },
              languageCode: { type: ['string', 'null'] },
              webhook: { type: 'boolean', description: 'Whether AssemblyAI will call the webhook URL when done' },
              recordingId: { type: ['string', 'null'] },
            },
          },
          /** @param {AssemblyAIContext} ctx */
          run: (ctx, input) => transcribe(ctx, input),
        },

        getTranscript: {
          description:
            'Reads a transcript: its status (queued, processing, completed or error), and once completed its text, language, duration and utterances.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['id'],
            properties: { id: { type: 'string', pattern: TRANSCRIPT_ID, description: 'The transcript ID transcribe answered' } },
          },
          outputSchema: transcriptOutput,
          /** @param {AssemblyAIContext} ctx */
          run: async (ctx, input) => transcriptSummary(await readTranscript(ctx, input.id)),
        },
      },

      onEvent: {
        /**
         * With "Transcribe recordings automatically" on, transcribes the recording at its URL; the
         * transcript's webhook carries the recording ID back into transcript.completed.
         * @param {AssemblyAIContext} ctx
         */
        async 'recording.completed'(ctx, event) {
          const data = event?.data ?? {};
          if (ctx.settings?.autoTranscribe !== true) {
            ctx.log.debug('automatic transcription is off: recording left alone', { eventId: event?.id });
            return;
          }
          if (typeof data.url !== 'string' || !/^https?:\/\//i.test(data.url)) {
            ctx.log.warn('recording without an http(s) URL: nothing to transcribe', { eventId: event?.id, recordingId: data.recordingId ?? null });
            return;
          }
          if (!ctx.settings?.webhookUrl)
            ctx.log.warn('no webhook URL set: transcript.completed will not be published for this recording; getTranscript reads it', { eventId: event?.id });
          const recordingId = typeof data.recordingId === 'string' && RECORDING_ID_PATTERN.test(data.recordingId) ? data.recordingId : undefined;
          const started = await transcribe(ctx, { audioUrl: data.url, ...(recordingId ? { recordingId } : {}) });
          ctx.log.info('AssemblyAI transcript started', { eventId: event?.id, recordingId: recordingId ?? null, transcriptId: started.transcriptId });
        },
      },

      webhook: {
        /**
         * AssemblyAI signs nothing: it sends back the header it was given at transcript creation
         * (`webhook_auth_header_name`/`_value`), compared here in constant time.
         * @param {AssemblyAIContext} ctx
         * @param {InboundRequest} req
         */
        verify(ctx, req) {
          const expected = webhookToken(ctx);
          const given = req?.headers?.[WEBHOOK_HEADER.toLowerCase()];
          return typeof expected === 'string' && typeof given === 'string' && sameText(given, expected);
        },

        /**
         * `{ transcript_id, status }` of a finished transcript: the transcript is read from AssemblyAI (the
         * webhook itself says nothing more) and published as transcript.completed.
         * @param {AssemblyAIContext} ctx
         * @param {InboundRequest} req
         */
        async toEvents(ctx, req) {
          const body = parseBody(req);
          const id = body?.transcript_id;
          if (typeof id !== 'string' || !TRANSCRIPT_ID_PATTERN.test(id) || !FINAL_STATUSES.includes(body?.status)) {
            ctx.log.info('AssemblyAI webhook that is not a finished transcript: ignored', { status: typeof body?.status === 'string' ? body.status : null });
            return [];
          }
          const transcript = await readTranscript(ctx, id);
          if (!FINAL_STATUSES.includes(transcript.status)) {
            ctx.log.warn('AssemblyAI reported a transcript done that is not finished yet: ignored', { transcriptId: id, status: transcript.status });
            return [];
          }
          return [{ event: 'transcript.completed', data: completedEvent(transcript) }];
        },
      },
    },
  ],
});
