/** A JSON Schema object as stored in the catalog (draft 2020-12, as OpenAPI 3.1 uses). */
export type JsonSchema = Record<string, unknown>;

export interface EventTypeDefinition {
  type: string;
  description: string;
  schema: JsonSchema;
  /** A payload that satisfies the schema: used by test sends and shown in the catalog. */
  example: Record<string, unknown>;
  /** `plugboard`: only Plugboard publishes it (POST /v1/events refuses it); `host`: the host platform does. */
  publishedBy: 'host' | 'plugboard';
}

const id = (description: string) => ({ type: 'string', minLength: 1, maxLength: 200, description });
const timestamp = (description: string) => ({ type: 'string', format: 'date-time', description });

/**
 * Payload objects stay open (additionalProperties allowed) so publishers can add fields without
 * breaking receivers; the listed fields are what receivers may rely on.
 */
function object(required: string[], properties: Record<string, unknown>): JsonSchema {
  return { type: 'object', required, properties, additionalProperties: true };
}

const integrationFields = {
  integrationId: { type: 'string', format: 'uuid', description: 'The integration record' },
  provider: id('Provider id, e.g. "stripe"'),
  category: id('Provider category, e.g. "payment"'),
};

const errorObject = {
  type: 'object',
  required: ['message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  additionalProperties: true,
};

const integrationExample = { integrationId: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b', provider: 'stripe', category: 'payment' };

/** What the host platform says about a scheduled session. */
const sessionFields = {
  sessionId: id('Session id'),
  roomId: id('Room id'),
  title: { type: 'string', minLength: 1, maxLength: 500 },
  description: { type: 'string', maxLength: 10_000 },
  start: timestamp('Start time'),
  end: timestamp('End time'),
  timeZone: { type: 'string', maxLength: 100, description: 'IANA time zone, e.g. "Europe/Paris"' },
  joinUrl: { type: 'string', format: 'uri', description: 'Where participants join' },
  host: object([], { name: { type: 'string' }, email: { type: 'string', format: 'email' } }),
};

const recipients = {
  type: 'array',
  maxItems: 1000,
  items: object([], {
    name: { type: 'string' },
    email: { type: 'string', format: 'email' },
    phone: { type: 'string', pattern: '^\\+[1-9]\\d{1,14}$', description: 'E.164' },
  }),
};

const destinations = {
  type: 'array',
  maxItems: 50,
  items: object(['provider'], { provider: id('Provider id, e.g. "youtube"'), id: id('The provider’s broadcast or live video id') }),
};

const sessionExample = {
  sessionId: 'sess_9',
  roomId: 'room_123',
  title: 'Launch webinar',
  description: 'What is new this quarter',
  start: '2026-03-02T16:00:00Z',
  end: '2026-03-02T17:00:00Z',
  timeZone: 'Europe/Paris',
  joinUrl: 'https://app.example.com/rooms/room_123',
  host: { name: 'Bo', email: 'bo@example.com' },
};

/** Event types every installation knows: the host platform's and Plugboard's own lifecycle events. */
export const BUILTIN_EVENT_TYPES: readonly EventTypeDefinition[] = [
  {
    type: 'room.created',
    description: 'A room was created on the host platform.',
    schema: object(['roomId'], { roomId: id('Room id'), name: { type: 'string' }, hostId: id('User who created the room') }),
    example: { roomId: 'room_123', name: 'Weekly demo', hostId: 'user_42' },
    publishedBy: 'host',
  },
  {
    type: 'recording.completed',
    description: 'A recording finished processing and can be downloaded.',
    schema: object(['recordingId'], {
      recordingId: id('Recording id'),
      roomId: id('Room id'),
      sessionId: id('Session id'),
      url: { type: 'string', format: 'uri', description: 'Where the recording can be fetched' },
      durationSeconds: { type: 'number', minimum: 0 },
    }),
    example: { recordingId: 'rec_123', roomId: 'room_123', url: 'https://cdn.example.com/rec_123.mp4', durationSeconds: 3600 },
    publishedBy: 'host',
  },
  {
    type: 'participant.joined',
    description: 'A participant joined a session.',
    schema: object(['participantId', 'sessionId'], {
      participantId: id('Participant id'),
      sessionId: id('Session id'),
      roomId: id('Room id'),
      name: { type: 'string' },
      email: { type: 'string', format: 'email' },
      joinedAt: timestamp('When the participant joined'),
    }),
    example: { participantId: 'p_1', sessionId: 'sess_9', name: 'Ana', email: 'ana@example.com', joinedAt: '2026-01-01T10:00:00Z' },
    publishedBy: 'host',
  },
  {
    type: 'session.started',
    description: 'A live session started.',
    schema: object(['sessionId'], { sessionId: id('Session id'), roomId: id('Room id'), title: { type: 'string' }, startedAt: timestamp('Start time') }),
    example: { sessionId: 'sess_9', roomId: 'room_123', title: 'Launch webinar', startedAt: '2026-01-01T10:00:00Z' },
    publishedBy: 'host',
  },
  {
    type: 'session.ended',
    description: 'A live session ended.',
    schema: object(['sessionId'], {
      sessionId: id('Session id'),
      roomId: id('Room id'),
      endedAt: timestamp('End time'),
      durationSeconds: { type: 'number', minimum: 0 },
    }),
    example: { sessionId: 'sess_9', endedAt: '2026-01-01T11:00:00Z', durationSeconds: 3600 },
    publishedBy: 'host',
  },
  {
    type: 'session.scheduled',
    description: 'A session was scheduled: calendar providers create an event for it.',
    schema: object(['sessionId', 'title', 'start', 'end'], sessionFields),
    example: sessionExample,
    publishedBy: 'host',
  },
  {
    type: 'session.updated',
    description: 'A scheduled session changed (time, title, link): calendar providers update their event, SMS providers tell recipients.',
    schema: object(['sessionId', 'title', 'start', 'end'], { ...sessionFields, recipients }),
    example: { ...sessionExample, start: '2026-03-02T16:30:00Z', end: '2026-03-02T17:30:00Z' },
    publishedBy: 'host',
  },
  {
    type: 'session.cancelled',
    description: 'A scheduled session was cancelled: calendar providers cancel their event.',
    schema: object(['sessionId'], { ...sessionFields, reason: { type: 'string', maxLength: 1000 } }),
    example: { sessionId: 'sess_9', roomId: 'room_123', title: 'Launch webinar', reason: 'Speaker unavailable' },
    publishedBy: 'host',
  },
  {
    type: 'session.reminder',
    description: 'The host platform asks for a reminder of a session to be sent to these recipients (email and SMS providers send it).',
    schema: object(['sessionId', 'title', 'start', 'recipients'], { ...sessionFields, recipients }),
    example: { ...sessionExample, recipients: [{ name: 'Ana', email: 'ana@example.com', phone: '+14155550123' }] },
    publishedBy: 'host',
  },
  {
    type: 'livestream.started',
    description: 'A session started streaming to external destinations.',
    schema: object(['sessionId'], { sessionId: id('Session id'), roomId: id('Room id'), destinations }),
    example: { sessionId: 'sess_9', roomId: 'room_123', destinations: [{ provider: 'youtube', id: 'yt_broadcast_1' }] },
    publishedBy: 'host',
  },
  {
    type: 'livestream.ended',
    description: 'A session stopped streaming to external destinations.',
    schema: object(['sessionId'], { sessionId: id('Session id'), roomId: id('Room id'), destinations }),
    example: { sessionId: 'sess_9', roomId: 'room_123', destinations: [{ provider: 'youtube', id: 'yt_broadcast_1' }] },
    publishedBy: 'host',
  },
  {
    type: 'registration.received',
    description: 'Someone registered for a session or event.',
    schema: object(['registrationId', 'email'], {
      registrationId: id('Registration id'),
      sessionId: id('Session id'),
      email: { type: 'string', format: 'email' },
      name: { type: 'string' },
      registeredAt: timestamp('Registration time'),
    }),
    example: { registrationId: 'reg_7', sessionId: 'sess_9', email: 'ana@example.com', name: 'Ana' },
    publishedBy: 'host',
  },
  {
    type: 'payment.completed',
    description: 'A payment succeeded.',
    schema: object(['paymentId', 'amount', 'currency'], {
      paymentId: id('Payment id'),
      amount: { type: 'integer', minimum: 0, description: 'In the currency’s minor unit (cents)' },
      currency: { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code' },
      customerEmail: { type: 'string', format: 'email' },
      provider: { type: 'string', description: 'Payment provider, e.g. "stripe"' },
    }),
    example: { paymentId: 'pay_1', amount: 4900, currency: 'USD', customerEmail: 'ana@example.com', provider: 'stripe' },
    publishedBy: 'host',
  },
  {
    type: 'integration.connected',
    description: 'An integration was connected (or reconnected).',
    schema: object(['integrationId', 'provider'], integrationFields),
    example: integrationExample,
    publishedBy: 'plugboard',
  },
  {
    type: 'connect.session.completed',
    description: 'An end user finished a hosted connect session: the connection it made (or re-authorised) is connectionId.',
    schema: object(['sessionId', 'connectionId', 'provider', 'endUserId'], {
      sessionId: { type: 'string', format: 'uuid' },
      connectionId: { type: 'string', format: 'uuid' },
      provider: id('Provider id, e.g. "stripe"'),
      endUserId: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
    }),
    example: {
      sessionId: '5e0f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
      connectionId: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b',
      provider: 'stripe',
      endUserId: 'creator_42',
      tags: ['creator'],
    },
    publishedBy: 'plugboard',
  },
  {
    type: 'integration.disconnected',
    description: 'An integration was disconnected; its record and history remain.',
    schema: object(['integrationId', 'provider'], { ...integrationFields, reason: { type: 'string' } }),
    example: { ...integrationExample, reason: 'manual' },
    publishedBy: 'plugboard',
  },
  {
    type: 'integration.expired',
    description: 'An integration’s credentials expired and could not be refreshed; it needs reconnecting.',
    schema: object(['integrationId', 'provider'], integrationFields),
    example: integrationExample,
    publishedBy: 'plugboard',
  },
  {
    type: 'integration.error',
    description: 'An integration failed (provider refused credentials, health check failed, …).',
    schema: object(['integrationId', 'provider'], { ...integrationFields, error: errorObject }),
    example: { ...integrationExample, error: { code: 'provider_rejected', message: 'Invalid API key' } },
    publishedBy: 'plugboard',
  },
  {
    type: 'integration.sync.completed',
    description: 'A sync run finished.',
    schema: object(['integrationId', 'provider'], {
      ...integrationFields,
      syncRunId: { type: 'string', format: 'uuid' },
      records: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Records synced per model' },
    }),
    example: { ...integrationExample, syncRunId: '5a1d3c6e-0e0b-4c55-9d47-2f0a8f1e3b21', records: { customers: 12 } },
    publishedBy: 'plugboard',
  },
  {
    type: 'integration.sync.failed',
    description: 'A sync run failed.',
    schema: object(['integrationId', 'provider'], { ...integrationFields, syncRunId: { type: 'string', format: 'uuid' }, error: errorObject }),
    example: { ...integrationExample, syncRunId: '5a1d3c6e-0e0b-4c55-9d47-2f0a8f1e3b21', error: { message: 'Rate limited by the provider' } },
    publishedBy: 'plugboard',
  },
  {
    type: 'webhook.endpoint.disabled',
    description: 'A webhook endpoint was disabled automatically (it kept failing, or answered 410 Gone).',
    schema: object(['endpointId', 'url', 'reason'], {
      endpointId: { type: 'string', format: 'uuid' },
      url: { type: 'string', format: 'uri' },
      reason: { type: 'string', enum: ['failing', 'gone'] },
      failingSince: { type: ['string', 'null'], format: 'date-time' },
    }),
    example: { endpointId: '9c2b7d0e-7a51-4d33-8f0e-6b1a2c3d4e5f', url: 'https://example.com/hooks', reason: 'failing', failingSince: '2026-01-01T00:00:00Z' },
    publishedBy: 'plugboard',
  },
];
