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

/** What email providers report about one message to one recipient. */
const emailFields = {
  messageId: id('The provider’s message id'),
  to: { type: 'string', format: 'email' },
  provider: id('Provider id, e.g. "resend"'),
  subject: { type: 'string', maxLength: 1000 },
  tags: { type: 'object', additionalProperties: { type: 'string' } },
  occurredAt: timestamp('When the provider saw it'),
};
const emailExample = {
  messageId: '4ef9a417-02e9-4d39-ad75-9611e0fcc33c',
  to: 'ana@example.com',
  provider: 'resend',
  subject: 'Your session starts soon',
  occurredAt: '2026-03-02T15:45:00Z',
};

const videoAssetFields = {
  assetId: id('The provider’s asset id'),
  provider: id('Provider id, e.g. "mux"'),
  playbackIds: { type: 'array', items: { type: 'string' } },
  durationSeconds: { type: 'number', minimum: 0 },
  recordingId: id('The recording it was made from, when known'),
};

const identityUserFields = {
  userId: id('The provider’s user id'),
  provider: id('Provider id, e.g. "clerk"'),
  email: { type: 'string', format: 'email' },
  name: { type: 'string' },
  organizationIds: { type: 'array', items: { type: 'string' } },
};
const identityUserExample = { userId: 'user_29w83sxmDNGwOuEthce5gg56FcC', provider: 'clerk', email: 'ana@example.com', name: 'Ana Lima' };

const incidentFields = {
  incidentId: id('The provider’s incident or issue id'),
  provider: id('Provider id, e.g. "sentry"'),
  title: { type: 'string', maxLength: 1000 },
  url: { type: 'string', format: 'uri' },
  severity: { type: 'string', maxLength: 50 },
  startedAt: timestamp('When it started'),
};
const incidentExample = {
  incidentId: '1170820242',
  provider: 'sentry',
  title: 'TypeError: Cannot read properties of undefined',
  url: 'https://acme.sentry.io/issues/1170820242/',
  severity: 'error',
  startedAt: '2026-03-05T15:00:00Z',
};

/** What commerce providers report about an order; money in the currency's minor unit. */
const orderFields = {
  orderId: id('The provider’s order id'),
  provider: id('Provider id, e.g. "shopify"'),
  orderNumber: { type: 'string', maxLength: 100 },
  email: { type: 'string', format: 'email' },
  totalAmount: { type: 'integer', minimum: 0, description: 'In the currency’s minor unit' },
  currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' },
  financialStatus: { type: 'string', maxLength: 50 },
  fulfillmentStatus: { type: 'string', maxLength: 50 },
  lineItems: {
    type: 'array',
    maxItems: 1000,
    items: object([], { productId: { type: 'string' }, title: { type: 'string' }, quantity: { type: 'integer', minimum: 0 } }),
  },
  createdAt: timestamp('When it was placed'),
};
const orderExample = {
  orderId: 'gid://shopify/Order/450789469',
  provider: 'shopify',
  orderNumber: '#1001',
  email: 'ana@example.com',
  totalAmount: 4900,
  currency: 'USD',
  createdAt: '2026-03-05T15:00:00Z',
};

const payoutFields = {
  payoutId: id('The provider’s payout or transfer id'),
  provider: id('Provider id, e.g. "stripe"'),
  amount: { type: 'integer', minimum: 0, description: 'In the currency’s minor unit' },
  currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' },
  recipient: id('Who was paid (a connected account, an email, a recipient id)'),
  arrivalDate: { type: 'string', maxLength: 40 },
};
const payoutExample = { payoutId: 'po_1OaFDbEcg9tTZuTgNYmX0PKB', provider: 'stripe', amount: 125000, currency: 'USD', recipient: 'acct_1Nv0FGQ9RKHgCVdK' };

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
    type: 'email.delivered',
    description: 'An email provider reports a message delivered to the recipient’s mail server.',
    schema: object(['messageId', 'to', 'provider'], emailFields),
    example: emailExample,
    publishedBy: 'host',
  },
  {
    type: 'email.opened',
    description: 'An email provider reports a message opened (as far as tracking pixels can tell).',
    schema: object(['messageId', 'to', 'provider'], emailFields),
    example: emailExample,
    publishedBy: 'host',
  },
  {
    type: 'email.clicked',
    description: 'An email provider reports a link in a message clicked.',
    schema: object(['messageId', 'to', 'provider'], { ...emailFields, url: { type: 'string', format: 'uri', description: 'The link clicked' } }),
    example: { ...emailExample, url: 'https://app.example.com/rooms/room_123' },
    publishedBy: 'host',
  },
  {
    type: 'email.bounced',
    description: 'An email provider reports a message bounced: the address should not be mailed again (hard) or for now (soft).',
    schema: object(['messageId', 'to', 'provider'], {
      ...emailFields,
      bounceType: { type: 'string', enum: ['hard', 'soft', 'undetermined'] },
      reason: { type: 'string', maxLength: 2000 },
    }),
    example: { ...emailExample, bounceType: 'hard', reason: 'Mailbox does not exist' },
    publishedBy: 'host',
  },
  {
    type: 'email.complained',
    description: 'An email provider reports the recipient marked a message as spam: stop mailing them.',
    schema: object(['messageId', 'to', 'provider'], emailFields),
    example: emailExample,
    publishedBy: 'host',
  },
  {
    type: 'transcript.completed',
    description: 'A transcription finished (or failed: `status`).',
    schema: object(['transcriptId', 'status', 'provider'], {
      transcriptId: id('The provider’s transcript id'),
      status: { type: 'string', enum: ['completed', 'error'] },
      provider: id('Provider id, e.g. "assemblyai"'),
      recordingId: id('The recording transcribed, when known'),
      text: { type: 'string', description: 'The transcript, when short enough to carry' },
      languageCode: { type: 'string', maxLength: 20 },
      durationSeconds: { type: 'number', minimum: 0 },
      error: { type: 'string' },
    }),
    example: { transcriptId: 'tr_5f2c', status: 'completed', provider: 'assemblyai', recordingId: 'rec_123', languageCode: 'en', durationSeconds: 3600 },
    publishedBy: 'host',
  },
  {
    type: 'video.asset.ready',
    description: 'A video provider finished processing an asset: it can be played.',
    schema: object(['assetId', 'provider'], videoAssetFields),
    example: { assetId: 'asset_01', provider: 'mux', playbackIds: ['pb_01'], durationSeconds: 3600, recordingId: 'rec_123' },
    publishedBy: 'host',
  },
  {
    type: 'video.asset.errored',
    description: 'A video provider could not process an asset.',
    schema: object(['assetId', 'provider'], { ...videoAssetFields, error: { type: 'string', maxLength: 2000 } }),
    example: { assetId: 'asset_01', provider: 'mux', error: 'The input file is not a video' },
    publishedBy: 'host',
  },
  {
    type: 'call.ended',
    description: 'A voice AI call ended.',
    schema: object(['callId', 'provider'], {
      callId: id('The provider’s call id'),
      provider: id('Provider id, e.g. "retell"'),
      agentId: id('The agent that took the call'),
      fromNumber: { type: 'string', pattern: '^\\+[1-9]\\d{1,14}$' },
      toNumber: { type: 'string', pattern: '^\\+[1-9]\\d{1,14}$' },
      durationSeconds: { type: 'number', minimum: 0 },
      disconnectionReason: { type: 'string', maxLength: 200 },
      transcript: { type: 'string' },
    }),
    example: {
      callId: 'call_8f2',
      provider: 'retell',
      agentId: 'agent_1',
      fromNumber: '+14155550100',
      toNumber: '+14155550123',
      durationSeconds: 95,
      disconnectionReason: 'user_hangup',
    },
    publishedBy: 'host',
  },
  {
    type: 'mail_piece.delivered',
    description: 'A postal provider reports a letter or postcard delivered (or processed for delivery).',
    schema: object(['mailPieceId', 'provider'], {
      mailPieceId: id('The provider’s letter or postcard id'),
      provider: id('Provider id, e.g. "lob"'),
      kind: { type: 'string', enum: ['letter', 'postcard', 'check', 'self_mailer'] },
      trackingEvent: { type: 'string', maxLength: 100 },
      deliveredAt: timestamp('When the provider reported it'),
    }),
    example: { mailPieceId: 'ltr_4868c3b754655f90', provider: 'lob', kind: 'letter', trackingEvent: 'letter.delivered', deliveredAt: '2026-03-05T15:00:00Z' },
    publishedBy: 'host',
  },
  {
    type: 'user.created',
    description: 'An identity provider reports a user created.',
    schema: object(['userId', 'provider'], identityUserFields),
    example: identityUserExample,
    publishedBy: 'host',
  },
  {
    type: 'user.updated',
    description: 'An identity provider reports a user changed.',
    schema: object(['userId', 'provider'], identityUserFields),
    example: identityUserExample,
    publishedBy: 'host',
  },
  {
    type: 'monitoring.incident.opened',
    description: 'A monitoring provider opened an incident (an alert fired, a monitor went down).',
    schema: object(['incidentId', 'provider'], incidentFields),
    example: incidentExample,
    publishedBy: 'host',
  },
  {
    type: 'monitoring.incident.resolved',
    description: 'A monitoring provider resolved an incident.',
    schema: object(['incidentId', 'provider'], { ...incidentFields, resolvedAt: timestamp('When it was resolved') }),
    example: { ...incidentExample, resolvedAt: '2026-03-05T15:20:00Z' },
    publishedBy: 'host',
  },
  {
    type: 'order.created',
    description: 'A commerce provider reports an order placed.',
    schema: object(['orderId', 'provider'], orderFields),
    example: orderExample,
    publishedBy: 'host',
  },
  {
    type: 'order.paid',
    description: 'A commerce provider reports an order paid.',
    schema: object(['orderId', 'provider'], orderFields),
    example: { ...orderExample, financialStatus: 'paid' },
    publishedBy: 'host',
  },
  {
    type: 'order.fulfilled',
    description: 'A commerce provider reports an order fulfilled (shipped or delivered).',
    schema: object(['orderId', 'provider'], orderFields),
    example: { ...orderExample, fulfillmentStatus: 'fulfilled' },
    publishedBy: 'host',
  },
  {
    type: 'product.updated',
    description: 'A commerce provider reports a product created or changed.',
    schema: object(['productId', 'provider'], {
      productId: id('The provider’s product id'),
      provider: id('Provider id, e.g. "shopify"'),
      title: { type: 'string', maxLength: 1000 },
      status: { type: 'string', maxLength: 50 },
      updatedAt: timestamp('When it changed'),
    }),
    example: {
      productId: 'gid://shopify/Product/108828309',
      provider: 'shopify',
      title: 'Ticket: launch webinar',
      status: 'ACTIVE',
      updatedAt: '2026-03-05T15:00:00Z',
    },
    publishedBy: 'host',
  },
  {
    type: 'review.created',
    description: 'A reviews provider reports a new review.',
    schema: object(['reviewId', 'provider'], {
      reviewId: id('The provider’s review id'),
      provider: id('Provider id, e.g. "yotpo"'),
      productId: id('The product reviewed, when it is one'),
      score: { type: 'number', minimum: 0, maximum: 5 },
      title: { type: 'string', maxLength: 1000 },
      content: { type: 'string', maxLength: 20_000 },
      email: { type: 'string', format: 'email' },
      createdAt: timestamp('When it was written'),
    }),
    example: { reviewId: '248596013', provider: 'yotpo', productId: 'ticket-launch', score: 5, title: 'Great session', createdAt: '2026-03-05T15:00:00Z' },
    publishedBy: 'host',
  },
  {
    type: 'survey.response.received',
    description: 'A survey provider reports a response.',
    schema: object(['responseId', 'provider'], {
      responseId: id('The provider’s response id'),
      provider: id('Provider id, e.g. "fairing"'),
      questionId: id('The question answered'),
      question: { type: 'string', maxLength: 2000 },
      answer: { type: 'string', maxLength: 10_000 },
      orderId: id('The order the survey followed, when it did'),
      email: { type: 'string', format: 'email' },
      respondedAt: timestamp('When it was answered'),
    }),
    example: { responseId: 'resp_1', provider: 'fairing', question: 'How did you hear about us?', answer: 'A podcast', respondedAt: '2026-03-05T15:00:00Z' },
    publishedBy: 'host',
  },
  {
    type: 'payout.paid',
    description: 'A payments provider reports a payout (or transfer) paid to its recipient.',
    schema: object(['payoutId', 'provider', 'amount', 'currency'], payoutFields),
    example: payoutExample,
    publishedBy: 'host',
  },
  {
    type: 'payout.failed',
    description: 'A payments provider reports a payout (or transfer) failed or returned.',
    schema: object(['payoutId', 'provider', 'amount', 'currency'], { ...payoutFields, failureReason: { type: 'string', maxLength: 2000 } }),
    example: { ...payoutExample, failureReason: 'The bank account could not be found' },
    publishedBy: 'host',
  },
  {
    type: 'bank_account.verified',
    description: 'A bank verification provider reports an end user’s bank account verified.',
    schema: object(['provider'], {
      provider: id('Provider id, e.g. "plaid"'),
      itemId: id('The provider’s item or account link id'),
      accountIds: { type: 'array', items: { type: 'string' } },
      endUserId: id('The host platform’s end user, when known'),
      verificationStatus: { type: 'string', maxLength: 100 },
    }),
    example: {
      provider: 'plaid',
      itemId: 'eVBnVMp7zdTJLkRNr33Rs6zr7KNJqBFL9DrE6',
      accountIds: ['vzeNDwK7KQIm4yEog683uElbp9GRLEFXGK98D'],
      endUserId: 'creator_42',
      verificationStatus: 'automatically_verified',
    },
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
    type: 'integration.attention_needed',
    description:
      'One of the account’s connections needs a person: it expired, the provider refused it, a token nothing can refresh expires soon, or its syncs keep failing. Sent once per cause; `message` says what to do.',
    schema: object(['noticeId', 'connectionId', 'provider', 'cause', 'message'], {
      noticeId: { type: 'string', format: 'uuid', description: 'The notice (GET /v1/notices/{id})' },
      connectionId: { type: 'string', format: 'uuid' },
      integrationId: { type: 'string', format: 'uuid', description: 'The same as connectionId' },
      provider: id('Provider id, e.g. "mailchimp"'),
      category: id('Provider category, e.g. "email"'),
      cause: { type: 'string', enum: ['expired', 'error', 'token_expiring', 'sync_failing'] },
      message: { type: 'string', description: 'What is wrong and what to do' },
    }),
    example: {
      noticeId: '3c9d7a1e-52b4-4f0e-9a8d-6e1f2b3c4d5e',
      connectionId: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b',
      integrationId: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b',
      provider: 'mailchimp',
      category: 'email',
      cause: 'expired',
      message: 'Re-connect Mailchimp: the refresh token was revoked or has expired',
    },
    publishedBy: 'plugboard',
  },
  {
    type: 'integration.attention_resolved',
    description: 'A notice closed: the connection was reconnected or works again, a sync succeeded, it was disconnected, or someone dismissed the notice.',
    schema: object(['noticeId', 'connectionId', 'provider', 'cause', 'resolution'], {
      noticeId: { type: 'string', format: 'uuid' },
      connectionId: { type: 'string', format: 'uuid' },
      integrationId: { type: 'string', format: 'uuid' },
      provider: id('Provider id, e.g. "mailchimp"'),
      cause: { type: 'string', enum: ['expired', 'error', 'token_expiring', 'sync_failing'] },
      message: { type: 'string', description: 'What the notice said' },
      resolution: { type: 'string', enum: ['reconnected', 'recovered', 'sync_succeeded', 'token_renewed', 'disconnected', 'superseded', 'dismissed'] },
      resolutionMessage: { type: 'string', description: 'What closed it, in words' },
    }),
    example: {
      noticeId: '3c9d7a1e-52b4-4f0e-9a8d-6e1f2b3c4d5e',
      connectionId: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b',
      integrationId: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b',
      provider: 'mailchimp',
      cause: 'expired',
      message: 'Re-connect Mailchimp: the refresh token was revoked or has expired',
      resolution: 'reconnected',
      resolutionMessage: 'Mailchimp is connected again',
    },
    publishedBy: 'plugboard',
  },
  {
    type: 'onboarding.completed',
    description: 'The account finished onboarding (launched) in this mode: every required integration was connected.',
    schema: object(['completedAt'], {
      completedAt: timestamp('When'),
      completedBy: object(['type', 'id'], { type: { type: 'string', enum: ['member', 'api_key'] }, id: { type: 'string' } }),
      connected: { type: 'array', items: { type: 'string' }, description: 'Onboarding providers connected then' },
      skipped: { type: 'array', items: { type: 'string' }, description: 'Onboarding providers set up later' },
    }),
    example: {
      completedAt: '2026-03-02T16:00:00Z',
      completedBy: { type: 'member', id: 'user_1' },
      connected: ['shopify', 'stripe_connect'],
      skipped: ['klaviyo'],
    },
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
