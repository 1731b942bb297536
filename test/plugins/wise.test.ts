import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { BUILTIN_EVENT_TYPES } from '../../src/modules/events/builtin-event-types.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import {
  generateScaKeyPair,
  startFakeWise,
  WISE_BUSINESS_PROFILE_ID,
  WISE_OTHER_USER_TOKEN,
  WISE_PERSONAL_PROFILE_ID,
  WISE_PUBLISHED_SANDBOX_DELIVERY,
  WISE_TEST_TOKEN,
  type FakeWise,
} from '../fixtures/providers/wise.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const CREDENTIALS = { apiToken: WISE_TEST_TOKEN };
const PROFILE = String(WISE_BUSINESS_PROFILE_ID);
const SANDBOX = { environment: 'sandbox', profileId: PROFILE, apiHost: 'api.sandbox.transferwise.tech' };
const GBP_RECIPIENT = {
  currency: 'GBP',
  type: 'sort_code',
  accountHolderName: 'Jane Speaker',
  details: { legalType: 'PRIVATE', sortCode: '040075', accountNumber: '37778842' },
};
const EUR_RECIPIENT = {
  currency: 'EUR',
  type: 'iban',
  accountHolderName: 'Studio Lumen GmbH',
  details: { legalType: 'BUSINESS', IBAN: 'DE89370400440532013000' },
};

let plugin: PluginDefinition;
let wise: Json;
let fake: FakeWise;

beforeAll(async () => {
  plugin = await loadBundledPlugin('wise');
  wise = plugin.providers[0];
  fake = await startFakeWise();
});
afterAll(() => fake.close());
beforeEach(() => fake.state.disableSca());

interface Options {
  credentials?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}
const harness = ({ credentials = CREDENTIALS, metadata = SANDBOX }: Options = {}) =>
  createHarness(plugin, { provider: 'wise', credentials, integration: { metadata }, http: forwardTo(fake.origins) });
const action = (name: string, input: unknown, options?: Options) => harness(options).action<Json>(name, input);
const since = (count: number) => fake.state.requests.slice(count);

/** A quote, a recipient and a transfer from them, as a payout is set up. */
async function transferTo(
  recipient: Json = GBP_RECIPIENT,
  quote: Json = { sourceCurrency: 'GBP', targetCurrency: 'GBP', sourceAmount: 25_000 },
  reference = 'Talk fee',
) {
  const created = await action('createQuote', quote);
  const account = await action('createRecipient', recipient);
  const transfer = await action('createTransfer', { quoteId: created.quoteId, recipientId: account.recipientId, reference });
  return { quote: created, account, transfer };
}

describe('wise plugin: declaration', () => {
  it('declares a payment provider with a bearer token, environment and profile inputs, and a host pinned by verify', () => {
    expect(wise).toMatchObject({
      id: 'wise',
      category: 'payment',
      auth: { type: 'api_key', apply: { headers: { Authorization: 'Bearer {apiToken}' } } },
      baseUrl: 'https://{apiHost}',
      connectionInputs: { required: ['environment', 'profileId'], properties: { environment: { enum: ['sandbox', 'live'] } } },
      rateLimits: [{ requests: 10, windowMs: 1000, scope: 'account', accountKey: 'profileId' }],
    });
    for (const field of Object.values<Json>(wise.auth.credentialsSchema.properties)) expect(field.secret).toBe(true);
    expect(Object.keys(wise.actions).sort()).toEqual(['createQuote', 'createRecipient', 'createTransfer', 'fundTransfer', 'getTransfer']);
  });

  it('refuses malformed inputs, credentials and connection inputs at the schema', () => {
    const ajv = createSchemaCompiler();
    const input = (name: string) => ajv.compile(wise.actions[name].inputSchema);
    const quote = input('createQuote');
    expect(quote({ sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 1999 })).toBe(true);
    expect(quote({ sourceCurrency: 'GBP', targetCurrency: 'EUR', targetAmount: 1999, recipientId: 40000000 })).toBe(true);
    expect(quote({ sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 1999, targetAmount: 1999 })).toBe(false);
    expect(quote({ sourceCurrency: 'GBP', targetCurrency: 'EUR' })).toBe(false);
    expect(quote({ sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 19.99 })).toBe(false);
    expect(quote({ sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 0 })).toBe(false);
    expect(quote({ sourceCurrency: 'gbp', targetCurrency: 'EUR', sourceAmount: 1999 })).toBe(false);
    expect(quote({ sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 1999, payIn: 'CARD' })).toBe(false);

    const recipient = input('createRecipient');
    expect(recipient(GBP_RECIPIENT)).toBe(true);
    expect(recipient({ ...GBP_RECIPIENT, details: { ...GBP_RECIPIENT.details, address: { city: 'London', postCode: 'EC1A 1BB' } } })).toBe(true);
    expect(recipient({ ...GBP_RECIPIENT, details: {} })).toBe(false);
    expect(recipient({ ...GBP_RECIPIENT, details: { ...GBP_RECIPIENT.details, sortCode: 'x'.repeat(201) } })).toBe(false);
    expect(recipient({ ...GBP_RECIPIENT, details: { ...GBP_RECIPIENT.details, nested: { deeper: { evenDeeper: 'x' } } } })).toBe(false);
    expect(recipient({ ...GBP_RECIPIENT, details: { ...GBP_RECIPIENT.details, 'bad key': 'x' } })).toBe(false);
    expect(recipient({ ...GBP_RECIPIENT, details: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`field${i}`, 'x'])) })).toBe(false);
    expect(recipient({ ...GBP_RECIPIENT, accountHolderName: 'Jane <script>' })).toBe(false);
    expect(recipient({ ...GBP_RECIPIENT, type: 'Sort Code' })).toBe(false);

    const transfer = input('createTransfer');
    const base = { quoteId: 'bd244a95-dcf8-4c31-aac8-bf5e2f3e54c0', recipientId: 40000000, reference: 'Talk fee' };
    expect(transfer(base)).toBe(true);
    expect(transfer({ ...base, customerTransactionId: '54a6bc09-cef9-49a8-9041-f1f0c654cd88' })).toBe(true);
    expect(transfer({ ...base, quoteId: 'not-a-quote' })).toBe(false);
    expect(transfer({ ...base, recipientId: '40000000' })).toBe(false);
    expect(transfer({ ...base, reference: 'x'.repeat(101) })).toBe(false);
    expect(transfer({ ...base, reference: 'line\nbreak' })).toBe(false);
    expect(transfer({ ...base, customerTransactionId: 'retry-1' })).toBe(false);
    expect(input('fundTransfer')({ transferId: 16521632 })).toBe(true);
    expect(input('fundTransfer')({ transferId: 0 })).toBe(false);
    expect(input('fundTransfer')({ transferId: 16521632, type: 'CARD' })).toBe(false);
    expect(input('getTransfer')({ transferId: '16521632' })).toBe(false);

    const credentials = ajv.compile(wise.auth.credentialsSchema);
    const { privateKeyPem } = generateScaKeyPair();
    expect(credentials(CREDENTIALS)).toBe(true);
    expect(credentials({ ...CREDENTIALS, scaPrivateKey: privateKeyPem })).toBe(true);
    expect(credentials({ apiToken: 'sk_live_not_a_wise_token' })).toBe(false);
    expect(credentials({ ...CREDENTIALS, scaPrivateKey: 'not a key' })).toBe(false);
    expect(credentials({ ...CREDENTIALS, scaPrivateKey: privateKeyPem.replace('PRIVATE KEY', 'ENCRYPTED PRIVATE KEY') })).toBe(false);

    const inputs = ajv.compile(wise.connectionInputs);
    expect(inputs({ environment: 'sandbox', profileId: PROFILE })).toBe(true);
    expect(inputs({ environment: 'staging', profileId: PROFILE })).toBe(false);
    expect(inputs({ environment: 'live', profileId: '16055450/../1' })).toBe(false);
    expect(inputs({ environment: 'live', profileId: PROFILE, apiHost: 'evil.example.com' })).toBe(false);
  });
});

describe('wise plugin: connection', () => {
  it('verifies against the sandbox: the business profile among the token’s profiles, named', async () => {
    const before = fake.state.requests.length;
    const h = harness({ metadata: { environment: 'sandbox', profileId: PROFILE } });
    await expect(h.verify()).resolves.toEqual({
      displayName: 'Wise sandbox: Acme Events Ltd',
      metadata: {
        apiHost: 'api.sandbox.transferwise.tech',
        profileId: PROFILE,
        profileName: 'Acme Events Ltd',
        profileType: 'business',
        scaKeyConfigured: false,
      },
    });
    expect(h.requests.map((request) => request.url)).toEqual(['https://api.sandbox.transferwise.tech/v2/profiles']);
    const [listed] = since(before);
    expect(listed).toMatchObject({ method: 'GET', path: '/v2/profiles' });
    expect(listed.headers.authorization).toBe(`Bearer ${WISE_TEST_TOKEN}`);
  });

  it('verifies a live connection against api.wise.com, and checks an SCA key when one is given', async () => {
    const { privateKeyPem } = generateScaKeyPair();
    const h = harness({ credentials: { ...CREDENTIALS, scaPrivateKey: privateKeyPem }, metadata: { environment: 'live', profileId: PROFILE } });
    expect((await h.verify()).metadata).toMatchObject({ apiHost: 'api.wise.com', scaKeyConfigured: true });
    expect(h.requests[0].url).toBe('https://api.wise.com/v2/profiles');

    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const before = fake.state.requests.length;
    await expect(
      harness({ credentials: { ...CREDENTIALS, scaPrivateKey: weak }, metadata: { environment: 'live', profileId: PROFILE } }).verify(),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The SCA private key must be an RSA key of at least 2048 bits, as Wise requires.',
    });
    const broken = `${privateKeyPem.split('\n').slice(0, 5).join('\n')}\n-----END PRIVATE KEY-----\n`;
    await expect(
      harness({ credentials: { ...CREDENTIALS, scaPrivateKey: broken }, metadata: { environment: 'live', profileId: PROFILE } }).verify(),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('The SCA private key cannot be read'),
    });
    expect(fake.state.requests).toHaveLength(before);
  });

  it('refuses a personal profile and a profile the token does not hold, naming the token’s profiles', async () => {
    await expect(harness({ metadata: { environment: 'sandbox', profileId: String(WISE_PERSONAL_PROFILE_ID) } }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `Wise profile ${WISE_PERSONAL_PROFILE_ID} is a personal profile: connect the business profile that pays (this token has: personal ${WISE_PERSONAL_PROFILE_ID}, business ${WISE_BUSINESS_PROFILE_ID}).`,
    });
    await expect(harness({ metadata: { environment: 'sandbox', profileId: '16077001' } }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `Wise profile 16077001 is not one of this API token’s profiles (it has: personal ${WISE_PERSONAL_PROFILE_ID}, business ${WISE_BUSINESS_PROFILE_ID}).`,
    });
  });

  it('refuses an unknown token with Wise’s invalid_token, naming the environment and never the token', async () => {
    const token = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
    const refusal = (await harness({ credentials: { apiToken: token }, metadata: { environment: 'live', profileId: PROFILE } })
      .verify()
      .catch((error: unknown) => error)) as Error;
    expect(refusal).toMatchObject({
      code: 'provider_rejected',
      message: 'Wise (live) refused the API token (invalid_token): use an active token created on the live environment.',
    });
    expect(refusal.message).not.toContain(token);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('refuses to verify without an environment or a profile, before calling Wise', async () => {
    const before = fake.state.requests.length;
    await expect(harness({ metadata: { profileId: PROFILE } }).verify()).rejects.toMatchObject({ message: expect.stringContaining('sandbox or live') });
    await expect(harness({ metadata: { environment: 'sandbox' } }).verify()).rejects.toMatchObject({ message: expect.stringContaining('business profile ID') });
    expect(fake.state.requests).toHaveLength(before);
  });

  it('health-checks with the token applied by the host under the verified host', async () => {
    const before = fake.state.requests.length;
    await harness().healthCheck();
    const [listed] = since(before);
    expect(listed).toMatchObject({ method: 'GET', path: '/v2/profiles' });
    expect(listed.headers.authorization).toBe(`Bearer ${WISE_TEST_TOKEN}`);
  });

  it('refuses calls on a connection that never stored its API host', async () => {
    const before = fake.state.requests.length;
    await expect(action('getTransfer', { transferId: 1 }, { metadata: { environment: 'live', profileId: PROFILE } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect it again'),
    });
    expect(fake.state.requests).toHaveLength(before);
  });
});

describe('wise plugin: quotes', () => {
  it('creates a quote from a source amount in minor units, priced for funding from the balance', async () => {
    const before = fake.state.requests.length;
    const result = await action('createQuote', { sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 125_000 });
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'POST', path: `/v3/profiles/${PROFILE}/quotes` });
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    expect(request.body).toEqual({ sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 1250, preferredPayIn: 'BALANCE' });
    const quote = fake.state.quotes.get(result.quoteId)!;
    const balance = quote.options.find((option) => option.payIn === 'BALANCE')!;
    expect(result).toMatchObject({
      quoteId: quote.id,
      sourceCurrency: 'GBP',
      targetCurrency: 'EUR',
      sourceAmount: 125_000,
      targetAmount: balance.target,
      fee: balance.fee,
      rate: 1.16,
      rateType: 'FIXED',
      payOut: 'BANK_TRANSFER',
      status: 'PENDING',
    });
    expect(balance.fee).toBe(513); // 0.41 % of £1,250.00, in pence
  });

  it('converts target amounts by each currency’s exponent (JPY 0, KWD 3), and passes the recipient', async () => {
    const body = async (input: Json) => {
      const before = fake.state.requests.length;
      const result = await action('createQuote', input);
      return { sent: since(before)[0].body as Json, result };
    };
    const yen = await body({ sourceCurrency: 'GBP', targetCurrency: 'JPY', targetAmount: 50_000, recipientId: 40_000_001 });
    expect(yen.sent).toEqual({ sourceCurrency: 'GBP', targetCurrency: 'JPY', targetAmount: 50_000, targetAccount: 40_000_001, preferredPayIn: 'BALANCE' });
    expect(yen.result.targetAmount).toBe(50_000);
    const dinar = await body({ sourceCurrency: 'GBP', targetCurrency: 'KWD', targetAmount: 12_345 });
    expect(dinar.sent.targetAmount).toBe(12.345);
    expect(dinar.result.targetAmount).toBe(12_345);
    const cents = await body({ sourceCurrency: 'EUR', targetCurrency: 'USD', sourceAmount: 5 });
    expect(cents.sent.sourceAmount).toBe(0.05);
  });

  it('refuses both or neither amount before calling Wise, and passes on Wise’s unsupported route', async () => {
    const before = fake.state.requests.length;
    await expect(action('createQuote', { sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 1, targetAmount: 1 })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Give exactly one of sourceAmount and targetAmount.',
    });
    expect(fake.state.requests).toHaveLength(before);
    await expect(action('createQuote', { sourceCurrency: 'USD', targetCurrency: 'JPY', sourceAmount: 1000 })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "We don't support sending money from USD to JPY at the moment. (targetCurrency: error.route.not.supported)",
    });
  });
});

describe('wise plugin: recipients', () => {
  it('creates a recipient account owned by the business profile', async () => {
    const before = fake.state.requests.length;
    const result = await action('createRecipient', GBP_RECIPIENT);
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'POST', path: '/v1/accounts' });
    expect(request.body).toEqual({ profile: WISE_BUSINESS_PROFILE_ID, ...GBP_RECIPIENT });
    expect(result).toEqual({
      recipientId: expect.any(Number),
      currency: 'GBP',
      country: 'GB',
      type: 'sort_code',
      accountHolderName: 'Jane Speaker',
      legalType: 'PRIVATE',
      active: true,
    });
    expect(fake.state.accounts.get(result.recipientId)).toMatchObject({ profile: WISE_BUSINESS_PROFILE_ID, details: GBP_RECIPIENT.details });
  });

  it('passes on Wise’s field errors, naming the field', async () => {
    await expect(action('createRecipient', { ...GBP_RECIPIENT, details: { ...GBP_RECIPIENT.details, sortCode: '0400' } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Please specify a valid sort code. (sortCode: NOT_VALID)',
    });
    await expect(action('createRecipient', { ...GBP_RECIPIENT, accountHolderName: 'Jane' })).rejects.toMatchObject({
      message: "Please enter the recipient's first and last name. (accountHolderName: NOT_VALID)",
    });
  });
});

describe('wise plugin: transfers', () => {
  it('creates a transfer from a quote, idempotent through a customerTransactionId derived from profile, quote and recipient', async () => {
    const quote = await action('createQuote', { sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 50_000 });
    const account = await action('createRecipient', EUR_RECIPIENT);
    const before = fake.state.requests.length;
    const created = await action('createTransfer', { quoteId: quote.quoteId, recipientId: account.recipientId, reference: 'Keynote 2026-05' });
    const [read, create] = since(before);
    expect(read).toMatchObject({ method: 'GET', path: `/v3/profiles/${PROFILE}/quotes/${quote.quoteId}` });
    expect(create).toMatchObject({ method: 'POST', path: '/v1/transfers' });
    const sent = create.body as Json;
    expect(sent).toEqual({
      targetAccount: account.recipientId,
      quoteUuid: quote.quoteId,
      customerTransactionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      details: { reference: 'Keynote 2026-05' },
    });
    expect(created).toMatchObject({
      transferId: expect.any(Number),
      status: 'incoming_payment_waiting',
      quoteId: quote.quoteId,
      recipientId: account.recipientId,
      reference: 'Keynote 2026-05',
      customerTransactionId: sent.customerTransactionId,
      sourceAmount: quote.sourceAmount,
      sourceCurrency: 'GBP',
      targetAmount: quote.targetAmount,
      targetCurrency: 'EUR',
      rate: 1.16,
    });

    // The same call again (a retry after a timeout): the same id, so Wise answers with the same transfer.
    const transfers = fake.state.transfers.size;
    const again = await action('createTransfer', { quoteId: quote.quoteId, recipientId: account.recipientId, reference: 'Keynote 2026-05' });
    expect(again.transferId).toBe(created.transferId);
    expect(fake.state.transfers.size).toBe(transfers);
    expect((fake.state.requests.at(-1)!.body as Json).customerTransactionId).toBe(sent.customerTransactionId);

    // Another key for the same quote is a second transfer, which Wise refuses.
    await expect(
      action('createTransfer', { quoteId: quote.quoteId, recipientId: account.recipientId, customerTransactionId: '54A6BC09-CEF9-49A8-9041-F1F0C654CD88' }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'This quote has already been used for a transfer. Please create a new quote. (quoteUuid: error.quote.already.used)',
    });
    expect((fake.state.requests.at(-1)!.body as Json).customerTransactionId).toBe('54a6bc09-cef9-49a8-9041-f1f0c654cd88');
  });

  it('refuses a reference longer than Wise passes on for the target currency, before creating anything', async () => {
    const quote = await action('createQuote', { sourceCurrency: 'EUR', targetCurrency: 'USD', sourceAmount: 10_000 });
    const account = await action('createRecipient', {
      currency: 'USD',
      type: 'aba',
      accountHolderName: 'Sam Rivera',
      details: {
        legalType: 'PRIVATE',
        abartn: '111000025',
        accountNumber: '12345678',
        accountType: 'CHECKING',
        address: { country: 'US', city: 'Austin', postCode: '78701', firstLine: '1 Main St', state: 'TX' },
      },
    });
    const before = fake.state.requests.length;
    await expect(action('createTransfer', { quoteId: quote.quoteId, recipientId: account.recipientId, reference: 'INV-2026-001' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Wise passes on at most 10 characters of reference with USD payouts; this one has 12. Shorten it.',
    });
    expect(since(before).map((request) => `${request.method} ${request.path}`)).toEqual([`GET /v3/profiles/${PROFILE}/quotes/${quote.quoteId}`]);
    const created = await action('createTransfer', { quoteId: quote.quoteId, recipientId: account.recipientId, reference: 'INV-26-001' });
    expect(created).toMatchObject({ targetCurrency: 'USD', reference: 'INV-26-001' });
  });

  it('reads a transfer, and passes on Wise’s not-found', async () => {
    const { transfer } = await transferTo();
    await expect(action('getTransfer', { transferId: transfer.transferId })).resolves.toEqual({ ...transfer, hasActiveIssues: false });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'GET', path: `/v1/transfers/${transfer.transferId}` });
    await expect(action('getTransfer', { transferId: 99 })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Transfer does not exist (transferId: transfer.not-found)',
    });
  });

  it('answers Wise’s 429 as a rate limit with its Retry-After', async () => {
    fake.state.rateLimit(1, 7);
    await expect(action('getTransfer', { transferId: 1 })).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 7 });
  });
});

describe('wise plugin: funding', () => {
  it('funds a transfer from the balance', async () => {
    const { transfer } = await transferTo();
    fake.state.setBalance(WISE_BUSINESS_PROFILE_ID, 'GBP', 100_000);
    const before = fake.state.requests.length;
    const funded = await action('fundTransfer', { transferId: transfer.transferId });
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'POST', path: `/v3/profiles/${PROFILE}/transfers/${transfer.transferId}/payments`, body: { type: 'BALANCE' } });
    expect(request.headers['x-2fa-approval']).toBeUndefined();
    expect(funded).toEqual({
      transferId: transfer.transferId,
      type: 'BALANCE',
      status: 'COMPLETED',
      balanceTransactionId: expect.any(Number),
      scaSigned: false,
    });
    expect(fake.state.balance(WISE_BUSINESS_PROFILE_ID, 'GBP')).toBe(100_000 - transfer.sourceAmount);
    expect(fake.state.transfers.get(transfer.transferId)!.status).toBe('processing');

    await expect(action('fundTransfer', { transferId: transfer.transferId })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `Transfer ${transfer.transferId} cannot be funded in status processing. (transferId: transfer.invalid-state)`,
    });
  });

  it('refuses a REJECTED funding (insufficient balance) with Wise’s reason and what to do', async () => {
    const { transfer } = await transferTo();
    fake.state.setBalance(WISE_BUSINESS_PROFILE_ID, 'GBP', 10);
    await expect(action('fundTransfer', { transferId: transfer.transferId })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `Wise did not fund transfer ${transfer.transferId} from the balance (transfer.insufficient_funds): add funds to the balance in the source currency and fund again.`,
    });
    expect(fake.state.transfers.get(transfer.transferId)!.status).toBe('incoming_payment_waiting');
  });

  it('answers Wise’s SCA challenge: signs the one-time token with the account’s key and repeats the request', async () => {
    const { privateKeyPem, publicKeyPem } = generateScaKeyPair();
    const { transfer } = await transferTo();
    fake.state.setBalance(WISE_BUSINESS_PROFILE_ID, 'GBP', 100_000);
    fake.state.enableSca(publicKeyPem);
    const before = fake.state.requests.length;
    const funded = await action('fundTransfer', { transferId: transfer.transferId }, { credentials: { ...CREDENTIALS, scaPrivateKey: privateKeyPem } });
    expect(funded).toMatchObject({ status: 'COMPLETED', scaSigned: true });
    const [challenged, signed] = since(before);
    expect(challenged.headers['x-2fa-approval']).toBeUndefined();
    expect(signed).toMatchObject({ method: 'POST', path: challenged.path, body: { type: 'BALANCE' } });
    expect(signed.headers.authorization).toBe(`Bearer ${WISE_TEST_TOKEN}`);
    const ott = signed.headers['x-2fa-approval'];
    expect(ott).toMatch(/^[0-9a-f-]{36}$/);
    expect(verify('sha256', Buffer.from(ott), createPublicKey(publicKeyPem), Buffer.from(signed.headers['x-signature'], 'base64'))).toBe(true);
    expect(fake.state.oneTimeTokens.has(ott)).toBe(false);
  });

  it('refuses an SCA challenge without a key, or signed with a key Wise does not hold', async () => {
    const { publicKeyPem } = generateScaKeyPair();
    const other = generateScaKeyPair();
    const { transfer } = await transferTo();
    fake.state.setBalance(WISE_BUSINESS_PROFILE_ID, 'GBP', 100_000);
    fake.state.enableSca(publicKeyPem);
    let before = fake.state.requests.length;
    await expect(action('fundTransfer', { transferId: transfer.transferId })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Wise requires strong customer authentication for this request: add the SCA private key/),
    });
    expect(since(before)).toHaveLength(1);

    before = fake.state.requests.length;
    await expect(
      action('fundTransfer', { transferId: transfer.transferId }, { credentials: { ...CREDENTIALS, scaPrivateKey: other.privateKeyPem } }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Wise refused the signed one-time token: the SCA private key does not match/),
    });
    expect(since(before)).toHaveLength(2);
    expect(fake.state.transfers.get(transfer.transferId)!.status).toBe('incoming_payment_waiting');
  });

  it('passes on Wise’s refusal to fund another user’s transfer', async () => {
    const { transfer } = await transferTo();
    await expect(action('fundTransfer', { transferId: transfer.transferId }, { credentials: { apiToken: WISE_OTHER_USER_TOKEN } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'You can only fund a transfer you own. (transferId: transfer.not-accessible-for-user)',
    });
  });
});

describe('wise plugin: webhooks', () => {
  const payoutPaid = createSchemaCompiler().compile(BUILTIN_EVENT_TYPES.find((definition) => definition.type === 'payout.paid')!.schema);
  const payoutFailed = createSchemaCompiler().compile(BUILTIN_EVENT_TYPES.find((definition) => definition.type === 'payout.failed')!.schema);
  const delivery = (rawBody: string, signature?: string, extra: Record<string, string> = {}) => ({
    headers: {
      'content-type': 'application/json',
      'x-delivery-id': 'd5c7e0a2-1b3f-4e5a-9c8d-7f6e5d4c3b2a',
      ...(signature ? { 'X-Signature-SHA256': signature } : {}),
      ...extra,
    },
    rawBody,
  });

  it('accepts the delivery Wise publishes, signed with Wise’s sandbox key (the docs’ test vector)', async () => {
    const { rawBody, signature } = WISE_PUBLISHED_SANDBOX_DELIVERY;
    await expect(harness().webhookVerify(delivery(rawBody, signature))).resolves.toBe(true);
  });

  it('refuses a tampered body, another key’s signature, the sandbox key on a live connection, and no signature', async () => {
    const { rawBody, signature } = WISE_PUBLISHED_SANDBOX_DELIVERY;
    const h = harness();
    await expect(h.webhookVerify(delivery(rawBody.replace('incoming_payment_waiting', 'outgoing_payment_sent'), signature))).resolves.toBe(false);
    await expect(h.webhookVerify(delivery(`${rawBody} `, signature))).resolves.toBe(false);
    await expect(h.webhookVerify(delivery(rawBody, fake.state.signWithForeignKey(rawBody)))).resolves.toBe(false);
    await expect(h.webhookVerify(delivery(rawBody))).resolves.toBe(false);
    await expect(h.webhookVerify(delivery(rawBody, 'not base64 at all!'))).resolves.toBe(false);
    await expect(harness({ metadata: { ...SANDBOX, environment: 'live', apiHost: 'api.wise.com' } }).webhookVerify(delivery(rawBody, signature))).resolves.toBe(
      false,
    );
    await expect(harness({ metadata: { profileId: PROFILE } }).webhookVerify(delivery(rawBody, signature))).resolves.toBe(false);
  });

  it('drops states that end nothing, without asking Wise', async () => {
    const before = fake.state.requests.length;
    await expect(harness().webhookToEvents(delivery(WISE_PUBLISHED_SANDBOX_DELIVERY.rawBody))).resolves.toEqual([]);
    expect(fake.state.requests).toHaveLength(before);
  });

  it('outgoing_payment_sent → payout.paid with the amount the recipient gets, read back from Wise', async () => {
    const { transfer, account } = await transferTo(EUR_RECIPIENT, { sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 80_000 }, 'Keynote fee');
    fake.state.advance(transfer.transferId, 'outgoing_payment_sent');
    const rawBody = fake.state.stateChangeEvent(transfer.transferId, 'outgoing_payment_sent', 'funds_converted');
    const before = fake.state.requests.length;
    const events = await harness().webhookToEvents(delivery(rawBody));
    expect(since(before).map((request) => `${request.method} ${request.path}`)).toEqual([`GET /v1/transfers/${transfer.transferId}`]);
    expect(events).toEqual([
      {
        event: 'payout.paid',
        data: {
          payoutId: String(transfer.transferId),
          provider: 'wise',
          amount: transfer.targetAmount,
          currency: 'EUR',
          recipient: String(account.recipientId),
          sourceAmount: 80_000,
          sourceCurrency: 'GBP',
          wiseState: 'outgoing_payment_sent',
          wisePreviousState: 'funds_converted',
          occurredAt: expect.any(String),
          reference: 'Keynote fee',
          customerTransactionId: transfer.customerTransactionId,
          wiseProfileId: PROFILE,
          wiseDeliveryId: 'd5c7e0a2-1b3f-4e5a-9c8d-7f6e5d4c3b2a',
        },
      },
    ]);
    expect(Number.isInteger(events[0].data && (events[0].data as Json).amount)).toBe(true);
    expect(payoutPaid(events[0].data)).toBe(true);
  });

  it('bounced_back, cancelled and funds_refunded → payout.failed with a reason', async () => {
    const { transfer } = await transferTo(GBP_RECIPIENT, { sourceCurrency: 'GBP', targetCurrency: 'GBP', sourceAmount: 12_000 });
    const h = harness();
    const reasons = [];
    for (const [state, previous] of [
      ['bounced_back', 'outgoing_payment_sent'],
      ['cancelled', 'processing'],
      ['funds_refunded', 'cancelled'],
    ]) {
      const [event] = await h.webhookToEvents(delivery(fake.state.stateChangeEvent(transfer.transferId, state, previous)));
      expect(event).toMatchObject({
        event: 'payout.failed',
        data: { payoutId: String(transfer.transferId), amount: transfer.targetAmount, currency: 'GBP', wiseState: state },
      });
      expect(payoutFailed(event.data)).toBe(true);
      reasons.push((event.data as Json).failureReason);
    }
    expect(reasons[0]).toBe('The recipient’s bank returned the payment (bounced_back): check the recipient’s account details');
    expect(new Set(reasons).size).toBe(3);
  });

  it('drops test notifications, other profiles’ transfers, other event types, and transfers Wise does not know', async () => {
    const { transfer } = await transferTo();
    const h = harness();
    const rawBody = fake.state.stateChangeEvent(transfer.transferId, 'outgoing_payment_sent', 'funds_converted');
    const before = fake.state.requests.length;
    await expect(h.webhookToEvents(delivery(rawBody, undefined, { 'x-test-notification': 'true' }))).resolves.toEqual([]);
    await expect(h.webhookToEvents(delivery(rawBody.replace(`"profile_id":${WISE_BUSINESS_PROFILE_ID}`, '"profile_id":16077001')))).resolves.toEqual([]);
    await expect(h.webhookToEvents(delivery(rawBody.replace('transfers#state-change', 'balances#credit')))).resolves.toEqual([]);
    expect(fake.state.requests).toHaveLength(before);
    await expect(h.webhookToEvents(delivery(rawBody.replace(`"id":${transfer.transferId}`, '"id":123')))).resolves.toEqual([]);
    expect(h.logs.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('could not be read') });
  });
});
