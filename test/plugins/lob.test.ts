import { jest } from '@jest/globals';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { lobKey, signLobWebhook, startFakeLob, type FakeLob, type FakeLobKey } from '../fixtures/providers/lob.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const WEBHOOK_SECRET = 'lob-webhook-secret-0123456789';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let plugin: PluginDefinition;
let lob: Json;
let fake: FakeLob;

beforeAll(async () => {
  plugin = await loadBundledPlugin('lob');
  lob = plugin.providers[0];
  fake = await startFakeLob();
});
afterAll(() => fake.close());
afterEach(() => {
  jest.restoreAllMocks();
  fake.state.throttle = 0;
});

const harness = (
  settings: Record<string, unknown> = { useType: 'operational' },
  key: FakeLobKey | string = fake.testKey,
  extra: Record<string, unknown> = {},
) =>
  createHarness(plugin, {
    provider: 'lob',
    credentials: { apiKey: typeof key === 'string' ? key : key.key, webhookSecret: WEBHOOK_SECRET, ...extra },
    settings,
    http: forwardTo(fake.origins),
  });

/** What the fake received since `before`: method, path, query and JSON body. */
const received = (before: number) =>
  fake.state.requests.slice(before).map((request) => ({ method: request.method, path: request.path, query: request.query, body: request.body }));

const ANA = { name: 'Ana Lima', addressLine1: '1 Main St', addressLine2: 'Apt 2', city: 'Austin', state: 'tx', zip: '78701' };
const ACME = { company: 'Acme Events', addressLine1: '210 King St', city: 'San Francisco', state: 'CA', zip: '94107' };
const LOB_ANA = {
  name: 'Ana Lima',
  address_line1: '1 Main St',
  address_line2: 'Apt 2',
  address_city: 'Austin',
  address_state: 'TX',
  address_zip: '78701',
  address_country: 'US',
};
const LOB_ACME = {
  company: 'Acme Events',
  address_line1: '210 King St',
  address_city: 'San Francisco',
  address_state: 'CA',
  address_zip: '94107',
  address_country: 'US',
};
const HTML = '<html><body><p>Your seat for the launch webinar is confirmed.</p></body></html>';

describe('lob plugin', () => {
  it('declares an API key sent as the Basic username with an empty password, Lob’s rate limits, and strict schemas', () => {
    expect(lob).toMatchObject({
      id: 'lob',
      category: 'communication',
      auth: { type: 'api_key', apply: { basic: { username: '{apiKey}', password: '' } } },
      baseUrl: 'https://api.lob.com/v1',
    });
    expect(lob.rateLimits).toEqual([
      { requests: 150, windowMs: 5000, scope: 'connection', match: ['POST /letters'] },
      { requests: 150, windowMs: 5000, scope: 'connection', match: ['GET /letters'] },
      { requests: 150, windowMs: 5000, scope: 'connection', match: ['POST /postcards'] },
      { requests: 150, windowMs: 5000, scope: 'connection', match: ['GET /postcards'] },
      { requests: 150, windowMs: 5000, scope: 'connection', match: ['GET /addresses'] },
      { requests: 300, windowMs: 5000, scope: 'connection', match: ['POST /us_verifications'] },
    ]);
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(lob.auth.credentialsSchema);
    expect(credentials({ apiKey: fake.testKey.key })).toBe(true);
    expect(credentials({ apiKey: fake.liveKey.key, webhookSecret: WEBHOOK_SECRET })).toBe(true);
    expect(credentials({ apiKey: `test_pub_${'a'.repeat(32)}` })).toBe(false);
    expect(credentials({ apiKey: `sk_${'a'.repeat(32)}` })).toBe(false);

    const letter = ajv.compile(lob.actions.sendLetter.inputSchema);
    expect(letter({ to: ANA, from: ACME, file: HTML })).toBe(true);
    expect(
      letter({
        to: 'adr_d3489cd64c791ab5',
        file: 'https://files.example.com/letters/ana.pdf',
        color: true,
        useType: 'marketing',
        metadata: { registrationId: 'reg_1' },
      }),
    ).toBe(true);
    expect(letter({ to: ANA, file: 'tmpl_c94e83ca2cd5121' })).toBe(true);
    expect(letter({ to: ANA, file: 'http://files.example.com/ana.pdf' })).toBe(false);
    expect(letter({ to: ANA, file: 'https://files.example.com/ana.pdf?token=1' })).toBe(false);
    expect(letter({ to: ANA, file: 'plain text without markup' })).toBe(false);
    expect(letter({ to: { ...ANA, name: undefined }, file: HTML })).toBe(false);
    expect(letter({ to: { ...ANA, zip: '7870' }, file: HTML })).toBe(false);
    expect(letter({ to: { ...ANA, country: 'CA' }, file: HTML })).toBe(false);
    expect(letter({ to: ANA, file: HTML, metadata: { 'bad"key': 'x' } })).toBe(false);
    expect(letter({ to: ANA, file: HTML, idempotencyKey: 'k'.repeat(257) })).toBe(false);

    const postcard = ajv.compile(lob.actions.sendPostcard.inputSchema);
    expect(postcard({ to: ANA, front: 'https://files.example.com/front.png', back: HTML, size: '6x9' })).toBe(true);
    expect(postcard({ to: ANA, front: HTML, back: HTML, size: '5x7' })).toBe(false);

    const verify = ajv.compile(lob.actions.verifyAddress.inputSchema);
    expect(verify({ primaryLine: '210 King Street', zipCode: '94107' })).toBe(true);
    expect(verify({ primaryLine: '210 King Street', city: 'San Francisco', state: 'CA' })).toBe(true);
    expect(verify({ primaryLine: '210 King Street', city: 'San Francisco' })).toBe(false);
    expect(verify({ primaryLine: '210 King Street', zipCode: 'ABCDE' })).toBe(false);
  });

  it('verifies with GET /addresses?limit=1, the key as Basic username and an empty password, and records test or live', async () => {
    const before = fake.state.requests.length;
    await expect(harness({}).verify()).resolves.toEqual({
      displayName: 'Lob (test mode: nothing is mailed)',
      metadata: { mode: 'test', livemode: false, fromAddressId: null },
    });
    const [request] = fake.state.requests.slice(before);
    expect(request).toMatchObject({ method: 'GET', path: '/v1/addresses', query: { limit: '1' } });
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${fake.testKey.key}:`).toString('base64')}`);

    const returnAddress = fake.state.addAddress(fake.liveKey);
    await expect(harness({ fromAddressId: returnAddress.id }, fake.liveKey).verify()).resolves.toEqual({
      displayName: 'Lob (live)',
      metadata: { mode: 'live', livemode: true, fromAddressId: returnAddress.id },
    });
    // A live address does not exist in test mode.
    await expect(harness({ fromAddressId: returnAddress.id }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `The return address ${returnAddress.id} is not a saved address of this Lob account in test mode (Lob: address not found (not_found)).`,
    });
  });

  it('refuses an unknown key readably, without echoing it', async () => {
    const unknown = lobKey('live');
    const error = (await harness({}, unknown)
      .verify()
      .catch((caught: unknown) => caught)) as Error;
    expect(error).toMatchObject({
      code: 'provider_rejected',
      message:
        'Lob: Your API key is not valid. Please sign up on lob.com to get a valid api key. (unauthorized): check the API key (Lob Dashboard → Settings → API Keys): a secret key, test_… or live_….',
    });
    expect(error.message).not.toContain(unknown);
    await expect(harness({}, unknown).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('checks health with one address', async () => {
    const before = fake.state.requests.length;
    await harness().healthCheck();
    expect(received(before)).toEqual([{ method: 'GET', path: '/v1/addresses', query: { limit: '1' }, body: undefined }]);
  });

  it('sends a letter with Lob’s field names and a fresh Idempotency-Key', async () => {
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('sendLetter', {
      to: ANA,
      from: ACME,
      file: HTML,
      description: 'Seat confirmation',
      metadata: { registrationId: 'reg_1' },
    });
    const stored = fake.state.mailPieces.at(-1)!;
    expect(received(before)).toEqual([
      {
        method: 'POST',
        path: '/v1/letters',
        query: {},
        body: {
          to: LOB_ANA,
          from: LOB_ACME,
          file: HTML,
          color: false,
          use_type: 'operational',
          description: 'Seat confirmation',
          metadata: { registrationId: 'reg_1' },
        },
      },
    ]);
    const key = fake.state.requests.at(-1)!.headers['idempotency-key'];
    expect(key).toMatch(UUID);
    expect(result).toEqual({
      id: stored.id,
      description: 'Seat confirmation',
      toAddressId: stored.to.id,
      fromAddressId: stored.from!.id,
      expectedDeliveryDate: stored.expected_delivery_date,
      sendDate: stored.send_date,
      dateCreated: stored.date_created,
      mailType: 'usps_first_class',
      carrier: 'USPS',
      trackingNumber: null,
      url: stored.url,
      idempotencyKey: key,
      mode: 'test',
    });
    await harness().action('sendLetter', { to: ANA, from: ACME, file: HTML });
    expect(fake.state.requests.at(-1)!.headers['idempotency-key']).not.toBe(key);
  });

  it('answers a repeated Idempotency-Key with the letter already created, and uses the configured return address', async () => {
    const returnAddress = fake.state.addAddress(fake.testKey);
    const h = harness({ useType: 'marketing', fromAddressId: returnAddress.id });
    const count = fake.state.mailPieces.length;
    const input = { to: 'adr_unused0000', file: 'https://files.example.com/letters/ana.pdf', color: true, idempotencyKey: 'reg_1-confirmation' };
    const recipient = fake.state.addAddress(fake.testKey, { name: 'BO CHEN' });
    const first = await h.action<Json>('sendLetter', { ...input, to: recipient.id });
    const again = await h.action<Json>('sendLetter', { ...input, to: recipient.id });
    expect(again.id).toBe(first.id);
    expect(fake.state.mailPieces.length).toBe(count + 1);
    const [one, two] = fake.state.requests.slice(-2);
    expect(one.headers['idempotency-key']).toBe('reg_1-confirmation');
    expect(two.headers['idempotency-key']).toBe('reg_1-confirmation');
    expect(one.body).toEqual({
      to: recipient.id,
      from: returnAddress.id,
      file: 'https://files.example.com/letters/ana.pdf',
      color: true,
      use_type: 'marketing',
    });
    expect(first).toMatchObject({ toAddressId: recipient.id, fromAddressId: returnAddress.id, idempotencyKey: 'reg_1-confirmation' });
  });

  it('refuses a letter without sender or use type before calling Lob, and reads Lob’s 404 and 422 address errors', async () => {
    const before = fake.state.requests.length;
    await expect(harness().action('sendLetter', { to: ANA, file: HTML })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('No sender'),
    });
    await expect(harness({}).action('sendLetter', { to: ANA, from: ACME, file: HTML })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('No use type'),
    });
    expect(fake.state.requests.length).toBe(before);

    await expect(harness().action('sendLetter', { to: { ...ANA, addressLine1: '1 Undeliverable Rd' }, from: ACME, file: HTML })).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Lob: The to address does not meet your account strictness setting. (failed_deliverability_strictness): the recipient address does not meet the account’s US Mail strictness setting; check it with verifyAddress, or relax strictness in Lob’s account settings.',
    });
    await expect(harness().action('sendLetter', { to: 'adr_0000000000000000', from: ACME, file: HTML })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Lob: to address not found (not_found)',
    });
    // The schema refuses this first in the host; the harness sends it, so Lob's own 422 is read.
    await expect(harness().action('sendLetter', { to: { ...ANA, zip: '7870' }, from: ACME, file: HTML })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Lob: to.address_zip must be in a valid zip code format (invalid)',
    });
  });

  it('sends a postcard, with the sender optional', async () => {
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('sendPostcard', {
      to: ANA,
      front: 'https://files.example.com/postcards/front.png',
      back: HTML,
      size: '6x9',
      mailType: 'usps_standard',
      sendDate: '2030-01-15T09:00:00.000Z',
    });
    expect(received(before)).toEqual([
      {
        method: 'POST',
        path: '/v1/postcards',
        query: {},
        body: {
          to: LOB_ANA,
          front: 'https://files.example.com/postcards/front.png',
          back: HTML,
          use_type: 'operational',
          size: '6x9',
          mail_type: 'usps_standard',
          send_date: '2030-01-15T09:00:00.000Z',
        },
      },
    ]);
    const stored = fake.state.mailPieces.at(-1)!;
    expect(result).toMatchObject({ id: stored.id, fromAddressId: null, mailType: 'usps_standard', sendDate: '2030-01-15T09:00:00.000Z', mode: 'test' });
    expect(result.id).toMatch(/^psc_/);
    expect(fake.state.requests.at(-1)!.headers['idempotency-key']).toMatch(UUID);
  });

  it('verifies addresses: Lob’s test-environment values with a test key, real answers with a live key', async () => {
    const before = fake.state.requests.length;
    await expect(harness().action<Json>('verifyAddress', { primaryLine: 'missing unit', zipCode: '11111' })).resolves.toMatchObject({
      deliverability: 'deliverable_missing_unit',
      deliverable: true,
      zipCode: '94102',
      mode: 'test',
    });
    expect(received(before)).toEqual([{ method: 'POST', path: '/v1/us_verifications', query: {}, body: { primary_line: 'missing unit', zip_code: '11111' } }]);
    await expect(harness().action<Json>('verifyAddress', { primaryLine: 'undeliverable no match', city: 'Nowhere', state: 'CA' })).resolves.toMatchObject({
      deliverability: 'undeliverable',
      deliverable: false,
      validAddress: false,
    });
    // Anything else, with a test key: Lob answers with empty values.
    await expect(harness().action<Json>('verifyAddress', { primaryLine: '210 King Street', zipCode: '94107' })).resolves.toMatchObject({
      deliverability: null,
      deliverable: false,
      primaryLine: null,
    });
    const live = await harness({}, fake.liveKey).action<Json>('verifyAddress', { primaryLine: '210 King Street', secondaryLine: 'Ste 6100', zipCode: '94107' });
    expect(live).toMatchObject({
      deliverability: 'deliverable',
      deliverable: true,
      primaryLine: '210 KING STREET',
      secondaryLine: 'STE 6100',
      zipCode: '94107',
      zipCodePlus4: '1741',
      confidenceLevel: 'high',
      mode: 'live',
    });
    expect(live.verificationId).toMatch(/^us_ver_/);
    await expect(harness().action('verifyAddress', { primaryLine: '210 King Street' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Lob: zip_code is required or both city and state are required (invalid)',
    });
  });

  it('syncs the window’s letters and postcards through next_url, with cancelled ones as deleted', async () => {
    const account = fake.state.addKey('test');
    const letters = Array.from({ length: 130 }, (_, index) =>
      fake.state.seedMailPiece(account, 'letter', { daysAgo: 1 + index / 10, trackingEvents: index === 0 ? ['In Transit', 'Delivered'] : [] }),
    );
    const old = fake.state.seedMailPiece(account, 'letter', { daysAgo: 40 });
    const cancelled = fake.state.seedMailPiece(account, 'letter', { daysAgo: 2, deleted: true });
    const postcard = fake.state.seedMailPiece(account, 'postcard', { daysAgo: 3 });
    const before = fake.state.requests.length;
    const result = await harness({ syncDays: 30 }, account).sync();
    const requests = received(before);
    expect(requests.map((request) => request.path)).toEqual(['/v1/letters', '/v1/letters', '/v1/postcards']);
    expect(requests[0].query).toEqual({ limit: '100', 'date_created[gte]': expect.any(String) });
    expect(Date.now() - Date.parse(requests[0].query['date_created[gte]'])).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(requests[1].query).toEqual({ ...requests[0].query, after: expect.any(String) });
    const synced = result.records!.letters;
    expect(synced).toHaveLength(130);
    expect(synced.map((record) => record.id).sort()).toEqual(letters.map((letter) => letter.id).sort());
    expect(synced.map((record) => record.id)).not.toContain(old.id);
    expect(synced.find((record) => record.id === letters[0].id)).toMatchObject({
      kind: 'letter',
      latestTrackingEvent: 'Delivered',
      carrier: 'USPS',
      useType: 'operational',
    });
    expect(result.deleted).toEqual({ letters: [cancelled.id] });
    expect(result.records!.postcards).toEqual([expect.objectContaining({ id: postcard.id, kind: 'postcard' })]);
  });

  it('checks Lob-Signature against a fixed vector and refuses tampering, another secret and stale timestamps', async () => {
    // Lob's scheme (no example is published): hex HMAC-SHA256 of `{Lob-Signature-Timestamp}.{raw body}`
    // keyed with the webhook secret. Computed independently for this fixed input.
    const rawBody =
      '{"id":"evt_d95ff8ffd2b5cfb4","body":{"id":"ltr_4868c3b754655f90","object":"letter"},"reference_id":"ltr_4868c3b754655f90","event_type":{"id":"letter.delivered","enabled_for_test":true,"resource":"letters","object":"event_type"},"date_created":"2026-03-05T15:00:00.000Z","object":"event"}';
    const vector = {
      rawBody,
      headers: { 'Lob-Signature': '7ef8242228cbf0a35cac71729f956177190cf74b988d3f7fb75e4b52ec90e6c7', 'Lob-Signature-Timestamp': '1772722800000' },
    };
    const h = harness({}, fake.testKey, { webhookSecret: 'lob_webhook_secret_example' });
    jest.spyOn(Date, 'now').mockReturnValue(1_772_722_800_000 + 60_000);
    await expect(h.webhookVerify(vector)).resolves.toBe(true);
    await expect(h.webhookVerify({ ...vector, rawBody: rawBody.replace('letter.delivered', 'letter.mailed') })).resolves.toBe(false);
    await expect(harness({}, fake.testKey, { webhookSecret: 'lob_webhook_secret_other' }).webhookVerify(vector)).resolves.toBe(false);
    // A timestamp in seconds is judged by the same window.
    await expect(
      h.webhookVerify({
        rawBody,
        headers: { 'lob-signature': signLobWebhook('lob_webhook_secret_example', '1772722800', rawBody), 'lob-signature-timestamp': '1772722800' },
      }),
    ).resolves.toBe(true);
    jest.spyOn(Date, 'now').mockReturnValue(1_772_722_800_000 + 5 * 60_000 + 1);
    await expect(h.webhookVerify(vector)).resolves.toBe(false);
    jest.restoreAllMocks();

    await expect(h.webhookVerify({ rawBody, headers: { 'lob-signature': vector.headers['Lob-Signature'] } })).resolves.toBe(false);
    const unconfigured = harness({}, fake.testKey, { webhookSecret: undefined });
    await expect(unconfigured.webhookVerify(vector)).resolves.toBe(false);
    expect(unconfigured.logs.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('no webhook secret') });
  });

  it('maps delivery events to mail_piece.delivered and ignores the rest', async () => {
    const h = harness({ useType: 'operational' });
    const letter = fake.state.seedMailPiece(fake.testKey, 'letter');
    const delivered = fake.state.trackingWebhook(letter.id, 'letter.delivered', WEBHOOK_SECRET);
    await expect(h.webhookVerify(delivered)).resolves.toBe(true);
    await expect(h.webhookToEvents(delivered)).resolves.toEqual([
      {
        event: 'mail_piece.delivered',
        data: {
          mailPieceId: letter.id,
          provider: 'lob',
          kind: 'letter',
          trackingEvent: 'letter.delivered',
          deliveredAt: letter.tracking_events.at(-1)!.time,
          lobEventId: delivered.event.id,
        },
      },
    ]);
    const stale = fake.state.trackingWebhook(letter.id, 'letter.delivered', WEBHOOK_SECRET, { timestamp: String(Date.now() - 10 * 60_000) });
    await expect(h.webhookVerify(stale)).resolves.toBe(false);

    const postcard = fake.state.seedMailPiece(fake.testKey, 'postcard');
    const processed = fake.state.trackingWebhook(postcard.id, 'postcard.processed_for_delivery', WEBHOOK_SECRET);
    await expect(h.webhookToEvents(processed)).resolves.toEqual([
      {
        event: 'mail_piece.delivered',
        data: expect.objectContaining({ mailPieceId: postcard.id, kind: 'postcard', trackingEvent: 'postcard.processed_for_delivery' }),
      },
    ]);
    await expect(harness({ processedForDeliveryCounts: false }).webhookToEvents(processed)).resolves.toEqual([]);
    const certified = fake.state.trackingWebhook(letter.id, 'letter.certified.delivered', WEBHOOK_SECRET);
    await expect(h.webhookToEvents(certified)).resolves.toEqual([
      { event: 'mail_piece.delivered', data: expect.objectContaining({ kind: 'letter', trackingEvent: 'letter.certified.delivered' }) },
    ]);
    for (const type of ['letter.in_local_area', 'letter.in_transit', 'letter.returned_to_sender', 'letter.return_envelope.delivered', 'letter.created']) {
      await expect(h.webhookToEvents(fake.state.trackingWebhook(letter.id, type, WEBHOOK_SECRET))).resolves.toEqual([]);
    }
  });

  it('reports Lob’s 429 as a rate limit with its wait', async () => {
    fake.state.throttle = 1;
    await expect(harness().action('verifyAddress', { primaryLine: 'deliverable', zipCode: '94107' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 5,
      message: 'Lob: Rate limit exceeded. Please wait 5 seconds and try your request again. (rate_limit_exceeded)',
    });
  });
});
