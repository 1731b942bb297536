// Wise provider for Plugboard, written against the Wise Platform API reference (https://docs.wise.com/api-reference,
// formerly api-docs.wise.com): personal/business API tokens, profiles, quotes (v3), recipient accounts (v1),
// transfers (v1), funding from the balance (v3) with strong customer authentication for personal tokens
// (one-time token signed with the account's RSA key), and webhook deliveries signed with Wise's published keys.
import { Buffer } from 'node:buffer';
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {'sandbox' | 'live'} WiseEnvironment
 * @typedef {{ apiToken: string, scaPrivateKey?: string }} WiseCredentials
 * @typedef {import('plugboard/sdk').PluginContext<WiseCredentials, Record<string, unknown>>} WiseContext
 */

/**
 * The API host of each environment. The connection input `environment` picks one; `verify` stores it as
 * the metadata key `apiHost`, which fills `{apiHost}` in the base URL. It is only ever one of these two
 * values, never text a user typed.
 */
const API_HOSTS = { sandbox: 'api.sandbox.transferwise.tech', live: 'api.wise.com' };

/**
 * The public keys Wise signs webhook deliveries with (X-Signature-SHA256: RSA over the SHA-256 of the raw
 * body, base64), as Wise publishes them in "Event handling" (docs.wise.com/guides/developer/webhooks/event-handling)
 * and in github.com/transferwise/digital-signatures-examples. Which one applies is decided by the
 * connection's environment only.
 *
 * There is deliberately no way to replace them (no setting, no metadata, no environment variable):
 * whoever could swap the key could forge `payout.paid`. Tests check signatures against these very keys
 * with the signed sandbox delivery Wise publishes as its example, and a fake's own key is refused.
 */
const WEBHOOK_PUBLIC_KEYS = Object.freeze({
  live: createPublicKey(`-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvO8vXV+JksBzZAY6GhSO
XdoTCfhXaaiZ+qAbtaDBiu2AGkGVpmEygFmWP4Li9m5+Ni85BhVvZOodM9epgW3F
bA5Q1SexvAF1PPjX4JpMstak/QhAgl1qMSqEevL8cmUeTgcMuVWCJmlge9h7B1CS
D4rtlimGZozG39rUBDg6Qt2K+P4wBfLblL0k4C4YUdLnpGYEDIth+i8XsRpFlogx
CAFyH9+knYsDbR43UJ9shtc42Ybd40Afihj8KnYKXzchyQ42aC8aZ/h5hyZ28yVy
Oj3Vos0VdBIs/gAyJ/4yyQFCXYte64I7ssrlbGRaco4nKF3HmaNhxwyKyJafz19e
HwIDAQAB
-----END PUBLIC KEY-----`),
  sandbox: createPublicKey(`-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwpb91cEYuyJNQepZAVfP
ZIlPZfNUefH+n6w9SW3fykqKu938cR7WadQv87oF2VuT+fDt7kqeRziTmPSUhqPU
ys/V2Q1rlfJuXbE+Gga37t7zwd0egQ+KyOEHQOpcTwKmtZ81ieGHynAQzsn1We3j
wt760MsCPJ7GMT141ByQM+yW1Bx+4SG3IGjXWyqOWrcXsxAvIXkpUD/jK/L958Cg
nZEgz0BSEh0QxYLITnW1lLokSx/dTianWPFEhMC9BgijempgNXHNfcVirg1lPSyg
z7KqoKUN0oHqWLr2U1A+7kqrl6O2nx3CKs1bj1hToT1+p4kcMoHXA7kA+VBLUpEs
VwIDAQAB
-----END PUBLIC KEY-----`),
});

/** ISO 4217 currencies whose minor unit is not the hundredth (what Plugboard's integer amounts count). */
const EXPONENTS = {
  ...Object.fromEntries(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'].map((code) => [code, 0])),
  ...Object.fromEntries(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((code) => [code, 3])),
};
const exponentOf = (currency) => EXPONENTS[currency] ?? 2;

/**
 * How many characters of payment reference Wise passes on per target currency ("The recipient of my
 * business transfer needs to receive a specific reference", Wise Help Centre; where its versions differ,
 * the current wise.com table). Other currencies are left to Wise to judge.
 */
const REFERENCE_LIMITS = {
  AED: 35, AUD: 18, BGN: 35, CAD: 50, CHF: 50, CZK: 25, DKK: 35, EUR: 35, GBP: 18, GEL: 35, HKD: 50, HUF: 35, IDR: 35, INR: 16,
  KRW: 35, LKR: 35, MAD: 50, MXN: 100, MYR: 35, NGN: 14, NOK: 35, NZD: 12, PHP: 35, PLN: 35, RON: 30, SEK: 25, SGD: 25, THB: 50,
  USD: 10, ZAR: 18,
};

/** Transfer states (transfers#state-change `current_state`) that end a payout, and the event each means. */
const PAID_STATES = new Set(['outgoing_payment_sent']);
const FAILED_STATES = {
  bounced_back: 'The recipient’s bank returned the payment (bounced_back): check the recipient’s account details',
  cancelled: 'The transfer was cancelled (cancelled)',
  funds_refunded: 'Wise refunded the transfer to the sender (funds_refunded)',
};

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const isUuid = (value) => typeof value === 'string' && new RegExp(UUID).test(value);

/**
 * Wise's error bodies, as its error-handling guide lists them: client errors
 * `{ errors: [{ code, message, path, arguments }] }`, OAuth/system errors `{ error, error_description }`,
 * and plain Spring answers `{ timestamp, status, error, message, path }`. A refusal reads as each
 * message with the field and code it concerns.
 */
function wiseMessage(body) {
  if (!body || typeof body !== 'object') return undefined;
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    const parts = body.errors.slice(0, 10).map((error) => {
      const text = typeof error?.message === 'string' && error.message ? error.message : error?.code;
      if (!text) return undefined;
      const where = [typeof error?.path === 'string' && error.path ? error.path : undefined, typeof error?.code === 'string' && error.code !== text ? error.code : undefined]
        .filter(Boolean)
        .join(': ');
      return where ? `${text} (${where})` : String(text);
    });
    const joined = parts.filter(Boolean).join('; ');
    if (joined) return joined;
  }
  if (body.error === 'invalid_token' || body.error === 'unauthorized') {
    return `Wise refused the API token (${body.error}): check that it is active and belongs to this environment`;
  }
  if (typeof body.error === 'string' && typeof body.error_description === 'string' && body.error_description && !isUuid(body.error_description)) {
    return `${body.error_description} (${body.error})`;
  }
  if (typeof body.message === 'string' && body.message) return typeof body.error === 'string' && body.error ? `${body.error}: ${body.message}` : body.message;
  if (typeof body.errorCode === 'string' && body.errorCode) return body.errorCode;
  if (typeof body.error === 'string' && body.error) return body.error;
  return undefined;
}

const errors = { message: wiseMessage };

/** @param {WiseContext} ctx */
function environmentOf(ctx) {
  const environment = ctx.integration.metadata?.environment;
  if (!Object.hasOwn(API_HOSTS, environment)) {
    throw new ProviderRejectedError('No Wise environment: choose sandbox or live for this connection and connect again.');
  }
  return /** @type {WiseEnvironment} */ (environment);
}

/** @param {WiseContext} ctx */
function profileIdOf(ctx) {
  const profileId = String(ctx.integration.metadata?.profileId ?? '');
  if (!/^[1-9][0-9]{0,18}$/.test(profileId)) throw new ProviderRejectedError('No Wise business profile ID: enter it for this connection and connect again.');
  return profileId;
}

/**
 * The connection's SCA private key, read and checked (RSA, at least 2048 bits, as Wise requires); undefined
 * when none is configured.
 * @param {WiseContext} ctx
 */
function scaKeyOf(ctx) {
  const pem = ctx.credentials?.scaPrivateKey;
  if (pem === undefined || pem === null || pem === '') return undefined;
  let key;
  try {
    key = createPrivateKey({ key: String(pem), format: 'pem' });
  } catch {
    throw new ProviderRejectedError('The SCA private key cannot be read: paste the whole unencrypted PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY).');
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new ProviderRejectedError('The SCA private key must be an RSA key of at least 2048 bits, as Wise requires.');
  }
  return key;
}

/**
 * Sends one request under the connection's host. When Wise asks for strong customer authentication
 * (403 with `x-2fa-approval-result: REJECTED` and a one-time token in `x-2fa-approval`), the token is
 * signed with the connection's private key (SHA256withRSA, base64) and the request repeated once with
 * `x-2fa-approval` and `X-Signature`, as Wise documents for personal tokens.
 * @param {WiseContext} ctx
 * @returns {Promise<{ body: any, scaSigned: boolean }>}
 */
async function wise(ctx, path, init = {}) {
  const environment = environmentOf(ctx);
  if (ctx.integration.metadata?.apiHost !== API_HOSTS[environment]) {
    throw new ProviderRejectedError('This Wise connection has not been verified for its environment: connect it again.');
  }
  const headers = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers };
  let response = await ctx.http(path, { ...init, headers });
  let scaSigned = false;
  const challenge = scaChallenge(response);
  if (challenge) {
    await response.body?.cancel();
    const key = scaKeyOf(ctx);
    if (!key) {
      throw new ProviderRejectedError(
        'Wise requires strong customer authentication for this request: add the SCA private key whose public key is uploaded to Wise (Settings → API tokens → Manage public keys) to this connection.',
      );
    }
    const signature = sign('sha256', Buffer.from(challenge, 'utf8'), key).toString('base64');
    response = await ctx.http(path, { ...init, headers: { ...headers, 'x-2fa-approval': challenge, 'X-Signature': signature } });
    scaSigned = true;
    if (scaChallenge(response)) {
      await response.body?.cancel();
      throw new ProviderRejectedError(
        'Wise refused the signed one-time token: the SCA private key does not match a public key uploaded to this Wise account (Settings → API tokens → Manage public keys).',
      );
    }
  }
  return { body: await readJson(response, ctx, errors), scaSigned };
}

/** The one-time token of an SCA challenge, when the answer is one. */
function scaChallenge(response) {
  if (response.status !== 403 || response.headers.get('x-2fa-approval-result')?.toUpperCase() !== 'REJECTED') return undefined;
  const token = response.headers.get('x-2fa-approval');
  return token && token.length <= 500 && /^[\x21-\x7e]+$/.test(token) ? token : undefined;
}

/**
 * An amount in the currency's ISO minor unit as the decimal number Wise takes: 1999 GBP → 19.99,
 * 500 JPY → 500, 12345 KWD → 12.345. Built from its digits, so no binary rounding creeps in.
 */
function toWiseAmount(minor, currency) {
  const exponent = exponentOf(currency);
  if (exponent === 0) return minor;
  const digits = String(minor).padStart(exponent + 1, '0');
  return Number(`${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`);
}

/** Wise's decimal amount back in the currency's minor unit (19.99 GBP → 1999); undefined when it is not one. */
function fromWiseAmount(value, currency) {
  if (typeof currency !== 'string') return undefined;
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const exponent = exponentOf(currency.toUpperCase());
  const fraction = match[2] ?? '';
  if (fraction.length > exponent && !/^0*$/.test(fraction.slice(exponent))) return undefined;
  const minor = Number(match[1]) * 10 ** exponent + Number(fraction.slice(0, exponent).padEnd(exponent, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : undefined;
}

/**
 * A `customerTransactionId` derived from what identifies the transfer (profile, quote, recipient: Wise
 * makes at most one transfer of a quote), so that repeating the same call after a timeout is recognised by
 * Wise as a repeat: a name-based UUID (SHA-256, RFC 4122 version-5 layout).
 */
function derivedTransactionId(profileId, quoteId, recipientId) {
  const bytes = createHash('sha256').update(`plugboard:wise:transfer:${profileId}:${quoteId.toLowerCase()}:${recipientId}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A Wise transfer as this plugin returns it (amounts in minor units). */
function transferResult(transfer, extra = {}) {
  const sourceCurrency = typeof transfer?.sourceCurrency === 'string' ? transfer.sourceCurrency : null;
  const targetCurrency = typeof transfer?.targetCurrency === 'string' ? transfer.targetCurrency : null;
  return {
    transferId: transfer.id,
    status: transfer.status ?? null,
    quoteId: transfer.quoteUuid ?? null,
    recipientId: transfer.targetAccount ?? null,
    reference: transfer.details?.reference ?? transfer.reference ?? null,
    customerTransactionId: transfer.customerTransactionId ?? null,
    sourceAmount: fromWiseAmount(transfer.sourceValue, sourceCurrency) ?? null,
    sourceCurrency,
    targetAmount: fromWiseAmount(transfer.targetValue, targetCurrency) ?? null,
    targetCurrency,
    rate: typeof transfer.rate === 'number' ? transfer.rate : null,
    created: transfer.created ?? null,
    hasActiveIssues: transfer.hasActiveIssues === true,
    ...extra,
  };
}

function header(headers, name) {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(',') : value;
  return undefined;
}

function eventOf(req) {
  if (req.body && typeof req.body === 'object' && !Array.isArray(req.body)) return req.body;
  try {
    const parsed = JSON.parse(req.rawBody);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const currency = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR' };
const minorAmount = { type: 'integer', minimum: 1, maximum: 10_000_000_000_000, description: 'In the currency’s minor unit (cents; yen for JPY; fils for KWD)' };
const transferId = { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991, description: 'A Wise transfer ID (as createTransfer returned it)' };
const recipientId = { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991, description: 'A Wise recipient account ID (as createRecipient returned it)' };
const detailText = { type: 'string', maxLength: 200, pattern: '^[^\\u0000-\\u001f]*$' };

const transferOutput = {
  type: 'object',
  properties: {
    transferId: { type: 'integer' },
    status: { type: ['string', 'null'] },
    quoteId: { type: ['string', 'null'] },
    recipientId: { type: ['integer', 'null'] },
    reference: { type: ['string', 'null'] },
    customerTransactionId: { type: ['string', 'null'] },
    sourceAmount: { type: ['integer', 'null'] },
    sourceCurrency: { type: ['string', 'null'] },
    targetAmount: { type: ['integer', 'null'] },
    targetCurrency: { type: ['string', 'null'] },
    rate: { type: ['number', 'null'] },
    created: { type: ['string', 'null'] },
    hasActiveIssues: { type: 'boolean' },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'wise',
      name: 'Wise',
      category: 'payment',
      description:
        'Send international payouts from a Wise business account: quotes, recipients, transfers funded from the Wise balance (strong customer authentication signed with your key), and transfer state changes as payout events.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiToken'],
          additionalProperties: false,
          properties: {
            apiToken: {
              type: 'string',
              title: 'API token',
              description: 'A Wise API token (wise.com → your business profile → Settings → API tokens), of the environment chosen for this connection',
              pattern: UUID,
              secret: true,
            },
            scaPrivateKey: {
              type: 'string',
              title: 'SCA private key',
              description:
                'Optional: the unencrypted PEM private key (RSA, 2048 bits or more) whose public key is uploaded under Settings → API tokens → Manage public keys; signs Wise’s strong customer authentication challenges (funding transfers)',
              minLength: 200,
              maxLength: 10_000,
              pattern: '^\\s*-----BEGIN (RSA )?PRIVATE KEY-----[A-Za-z0-9+/=\\s]+-----END (RSA )?PRIVATE KEY-----\\s*$',
              secret: true,
            },
          },
        },
        apply: { headers: { Authorization: 'Bearer {apiToken}' } },
      },
      connectionInputs: {
        type: 'object',
        required: ['environment', 'profileId'],
        additionalProperties: false,
        properties: {
          environment: {
            type: 'string',
            enum: ['sandbox', 'live'],
            title: 'Environment',
            description: 'Sandbox (api.sandbox.transferwise.tech, test money) or live (api.wise.com, real payouts); the API token must be of the same environment',
          },
          profileId: {
            type: 'string',
            pattern: '^[1-9][0-9]{0,18}$',
            title: 'Business profile ID',
            description: 'The ID of the Wise business profile that pays (GET /v2/profiles lists them; shown in the URL of the business account on wise.com)',
          },
        },
      },
      baseUrl: 'https://{apiHost}',
      errors,
      // Wise publishes no numeric request limits: it throttles per account and answers 429 (handled as a
      // rate limit, with Retry-After when sent). This is a conservative budget of our own per Wise profile.
      rateLimits: [{ requests: 10, windowMs: 1_000, scope: 'account', accountKey: 'profileId' }],

      /**
       * Lists the token's profiles (`GET /v2/profiles`) on the chosen environment's host: the configured
       * profile must be one of them and a business profile. Checks the SCA key when one is given.
       * @param {WiseContext} ctx
       */
      async verify(ctx) {
        const environment = environmentOf(ctx);
        const profileId = profileIdOf(ctx);
        const scaKey = scaKeyOf(ctx);
        const response = await ctx.http(`https://${API_HOSTS[environment]}/v2/profiles`, {
          headers: { accept: 'application/json', authorization: `Bearer ${ctx.credentials?.apiToken ?? ''}` },
        });
        let profiles;
        try {
          profiles = await readJson(response, ctx, errors);
        } catch (error) {
          if (response.status === 401 && error?.code === 'provider_rejected') {
            const own = /^Wise refused the API token (\(\w+\))/.exec(error.message);
            throw new ProviderRejectedError(
              own
                ? `Wise (${environment}) refused the API token ${own[1]}: use an active token created on the ${environment} environment.`
                : `Wise (${environment}) refused the API token: ${error.message}. Use an active token created on the ${environment} environment.`,
            );
          }
          throw error;
        }
        if (!Array.isArray(profiles)) throw new Error('Wise answered the profile list with something that is not a list');
        const profile = profiles.find((candidate) => String(candidate?.id) === profileId);
        const listed = profiles
          .filter((candidate) => candidate && candidate.id !== undefined)
          .map((candidate) => `${String(candidate.type ?? '').toLowerCase() || 'unknown'} ${candidate.id}`)
          .join(', ');
        if (!profile) {
          throw new ProviderRejectedError(`Wise profile ${profileId} is not one of this API token’s profiles${listed ? ` (it has: ${listed})` : ''}.`);
        }
        const type = String(profile.type ?? '').toLowerCase();
        if (type !== 'business') {
          throw new ProviderRejectedError(`Wise profile ${profileId} is a ${type || 'non-business'} profile: connect the business profile that pays${listed ? ` (this token has: ${listed})` : ''}.`);
        }
        const name = [profile.businessName, profile.details?.name, profile.fullName].find((value) => typeof value === 'string' && value) ?? null;
        return {
          displayName: `Wise ${environment}: ${name ?? `business profile ${profileId}`}`,
          metadata: { apiHost: API_HOSTS[environment], profileId, profileName: name, profileType: 'business', scaKeyConfigured: Boolean(scaKey) },
        };
      },

      /** The token's profiles: the cheapest authenticated read. */
      healthCheck: { request: { path: '/v2/profiles' } },

      actions: {
        createQuote: {
          description:
            'Creates a quote for the business profile (POST /v3/profiles/{profileId}/quotes): the rate is locked for a while; give either sourceAmount (what leaves the balance) or targetAmount (what the recipient gets), in minor units. Priced for funding from the Wise balance.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['sourceCurrency', 'targetCurrency'],
            oneOf: [{ required: ['sourceAmount'] }, { required: ['targetAmount'] }],
            properties: {
              sourceCurrency: currency,
              targetCurrency: currency,
              sourceAmount: minorAmount,
              targetAmount: minorAmount,
              recipientId: { ...recipientId, description: 'Optional: the recipient the transfer will go to, for a price of that exact route' },
            },
          },
          outputSchema: {
            type: 'object',
            properties: {
              quoteId: { type: 'string' },
              sourceCurrency: { type: 'string' },
              targetCurrency: { type: 'string' },
              sourceAmount: { type: ['integer', 'null'] },
              targetAmount: { type: ['integer', 'null'] },
              fee: { type: ['integer', 'null'], description: 'Wise’s total fee, in the source currency’s minor unit' },
              rate: { type: ['number', 'null'] },
              rateType: { type: ['string', 'null'] },
              rateExpirationTime: { type: ['string', 'null'] },
              expirationTime: { type: ['string', 'null'] },
              payOut: { type: ['string', 'null'] },
              estimatedDelivery: { type: ['string', 'null'] },
              status: { type: ['string', 'null'] },
            },
          },
          /** @param {WiseContext} ctx */
          async run(ctx, input) {
            if ((input.sourceAmount === undefined) === (input.targetAmount === undefined)) {
              throw new ProviderRejectedError('Give exactly one of sourceAmount and targetAmount.');
            }
            const profileId = profileIdOf(ctx);
            const { body: quote } = await wise(ctx, `/v3/profiles/${profileId}/quotes`, {
              method: 'POST',
              body: {
                sourceCurrency: input.sourceCurrency,
                targetCurrency: input.targetCurrency,
                ...(input.sourceAmount !== undefined ? { sourceAmount: toWiseAmount(input.sourceAmount, input.sourceCurrency) } : {}),
                ...(input.targetAmount !== undefined ? { targetAmount: toWiseAmount(input.targetAmount, input.targetCurrency) } : {}),
                ...(input.recipientId !== undefined ? { targetAccount: input.recipientId } : {}),
                preferredPayIn: 'BALANCE',
              },
            });
            if (!isUuid(quote?.id)) throw new Error('Wise created the quote without an id');
            // Amounts and fees differ by how the transfer is paid: this plugin funds from the balance.
            const options = Array.isArray(quote.paymentOptions) ? quote.paymentOptions : [];
            const option =
              options.find((candidate) => candidate?.payIn === 'BALANCE' && candidate?.payOut === quote.payOut && !candidate.disabled) ??
              options.find((candidate) => candidate?.payIn === 'BALANCE' && !candidate?.disabled);
            const source = option?.sourceAmount ?? quote.sourceAmount;
            const target = option?.targetAmount ?? quote.targetAmount;
            return {
              quoteId: quote.id,
              sourceCurrency: quote.sourceCurrency ?? input.sourceCurrency,
              targetCurrency: quote.targetCurrency ?? input.targetCurrency,
              sourceAmount: fromWiseAmount(source, quote.sourceCurrency ?? input.sourceCurrency) ?? null,
              targetAmount: fromWiseAmount(target, quote.targetCurrency ?? input.targetCurrency) ?? null,
              fee: fromWiseAmount(option?.fee?.total, quote.sourceCurrency ?? input.sourceCurrency) ?? null,
              rate: typeof quote.rate === 'number' ? quote.rate : null,
              rateType: quote.rateType ?? null,
              rateExpirationTime: quote.rateExpirationTime ?? null,
              expirationTime: quote.expirationTime ?? null,
              payOut: quote.payOut ?? null,
              estimatedDelivery: option?.estimatedDelivery ?? null,
              status: quote.status ?? null,
            };
          },
        },

        createRecipient: {
          description:
            'Creates a recipient account owned by the business profile (POST /v1/accounts). The bank details depend on the currency and type (e.g. GBP sort_code: sortCode, accountNumber; EUR iban: IBAN; USD aba: abartn, accountNumber, accountType, address); Wise names any missing field.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['currency', 'type', 'accountHolderName', 'details'],
            properties: {
              currency,
              type: { type: 'string', pattern: '^[a-z][a-z_]{1,39}$', description: 'Wise’s recipient type for the currency, e.g. sort_code, iban, aba, swift_code, email' },
              accountHolderName: {
                type: 'string',
                minLength: 2,
                maxLength: 140,
                pattern: "^[0-9A-Za-zÀ-ÖØ-öø-ÿ\\-_()'*,. ]+$",
                description: 'Full name (a person: first and last name) or the business’s full name',
              },
              ownedByCustomer: { type: 'boolean', description: 'True only when the business pays an account of its own' },
              details: {
                type: 'object',
                minProperties: 1,
                maxProperties: 30,
                propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9]{0,49}$' },
                additionalProperties: {
                  anyOf: [
                    detailText,
                    { type: 'boolean' },
                    {
                      type: 'object',
                      maxProperties: 10,
                      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9]{0,49}$' },
                      additionalProperties: detailText,
                    },
                  ],
                },
                description: 'Wise’s currency-specific fields: legalType (PRIVATE or BUSINESS), bank fields, and address { country, city, postCode, firstLine, state }',
              },
            },
          },
          outputSchema: {
            type: 'object',
            properties: {
              recipientId: { type: 'integer' },
              currency: { type: 'string' },
              country: { type: ['string', 'null'] },
              type: { type: 'string' },
              accountHolderName: { type: 'string' },
              legalType: { type: ['string', 'null'] },
              active: { type: 'boolean' },
            },
          },
          /** @param {WiseContext} ctx */
          async run(ctx, input) {
            const profileId = profileIdOf(ctx);
            const { body: account } = await wise(ctx, '/v1/accounts', {
              method: 'POST',
              body: {
                profile: Number(profileId),
                currency: input.currency,
                type: input.type,
                accountHolderName: input.accountHolderName.trim(),
                ...(input.ownedByCustomer !== undefined ? { ownedByCustomer: input.ownedByCustomer } : {}),
                details: input.details,
              },
            });
            if (!Number.isSafeInteger(account?.id)) throw new Error('Wise created the recipient without an id');
            return {
              recipientId: account.id,
              currency: account.currency ?? input.currency,
              country: account.country ?? null,
              type: account.type ?? input.type,
              accountHolderName: account.accountHolderName ?? input.accountHolderName,
              legalType: account.details?.legalType ?? null,
              active: account.active !== false,
            };
          },
        },

        createTransfer: {
          description:
            'Creates a transfer from a quote to a recipient (POST /v1/transfers), waiting to be funded. customerTransactionId makes it idempotent: given, or derived from the profile, quote and recipient, so a repeated call returns the same transfer.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['quoteId', 'recipientId'],
            properties: {
              quoteId: { type: 'string', pattern: UUID, description: 'The quote ID (createQuote’s quoteId)' },
              recipientId,
              reference: {
                type: 'string',
                minLength: 1,
                maxLength: 100,
                pattern: '^[^\\u0000-\\u001f]+$',
                description: 'Shown to the recipient; Wise passes on at most 10 (USD) to 100 (MXN) characters depending on the target currency',
              },
              customerTransactionId: { type: 'string', pattern: UUID, description: 'Your idempotency key (a UUID); derived from the quote and recipient when absent' },
              transferPurpose: { type: 'string', minLength: 1, maxLength: 100, description: 'When Wise’s transfer requirements ask for it (e.g. to THB, INR)' },
              sourceOfFunds: { type: 'string', minLength: 1, maxLength: 100, description: 'When Wise’s transfer requirements ask for it (e.g. large USD transfers)' },
            },
          },
          outputSchema: transferOutput,
          /** @param {WiseContext} ctx */
          async run(ctx, input) {
            const profileId = profileIdOf(ctx);
            // The quote names the target currency, whose reference limit Wise applies.
            const { body: quote } = await wise(ctx, `/v3/profiles/${profileId}/quotes/${encodeURIComponent(input.quoteId)}`);
            const targetCurrency = typeof quote?.targetCurrency === 'string' ? quote.targetCurrency.toUpperCase() : undefined;
            const limit = targetCurrency ? REFERENCE_LIMITS[targetCurrency] : undefined;
            if (input.reference !== undefined && limit !== undefined && [...input.reference].length > limit) {
              throw new ProviderRejectedError(
                `Wise passes on at most ${limit} characters of reference with ${targetCurrency} payouts; this one has ${[...input.reference].length}. Shorten it.`,
              );
            }
            const customerTransactionId = input.customerTransactionId?.toLowerCase() ?? derivedTransactionId(profileId, input.quoteId, input.recipientId);
            const details = {
              ...(input.reference !== undefined ? { reference: input.reference } : {}),
              ...(input.transferPurpose ? { transferPurpose: input.transferPurpose } : {}),
              ...(input.sourceOfFunds ? { sourceOfFunds: input.sourceOfFunds } : {}),
            };
            const { body: transfer } = await wise(ctx, '/v1/transfers', {
              method: 'POST',
              body: { targetAccount: input.recipientId, quoteUuid: input.quoteId, customerTransactionId, details },
            });
            if (!Number.isSafeInteger(transfer?.id)) throw new Error('Wise created the transfer without an id');
            return transferResult(transfer, { customerTransactionId: transfer.customerTransactionId ?? customerTransactionId });
          },
        },

        fundTransfer: {
          description:
            'Pays a transfer from the business’s Wise balance (POST /v3/profiles/{profileId}/transfers/{transferId}/payments, type BALANCE). Signs Wise’s strong customer authentication challenge with the connection’s SCA key when Wise asks for it. An insufficient balance is refused with Wise’s reason.',
          inputSchema: { type: 'object', additionalProperties: false, required: ['transferId'], properties: { transferId } },
          outputSchema: {
            type: 'object',
            properties: {
              transferId: { type: 'integer' },
              type: { type: 'string' },
              status: { type: 'string' },
              balanceTransactionId: { type: ['integer', 'null'] },
              scaSigned: { type: 'boolean' },
            },
          },
          /** @param {WiseContext} ctx */
          async run(ctx, input) {
            const profileId = profileIdOf(ctx);
            const { body: payment, scaSigned } = await wise(ctx, `/v3/profiles/${profileId}/transfers/${input.transferId}/payments`, {
              method: 'POST',
              body: { type: 'BALANCE' },
            });
            if (payment?.status !== 'COMPLETED') {
              const reason = payment?.errorCode ?? payment?.errorMessage ?? payment?.status ?? 'no status';
              const hint = payment?.errorCode === 'transfer.insufficient_funds' ? ': add funds to the balance in the source currency and fund again' : '';
              throw new ProviderRejectedError(`Wise did not fund transfer ${input.transferId} from the balance (${reason})${hint}.`);
            }
            return {
              transferId: input.transferId,
              type: payment.type ?? 'BALANCE',
              status: payment.status,
              balanceTransactionId: Number.isSafeInteger(payment.balanceTransactionId) ? payment.balanceTransactionId : null,
              scaSigned,
            };
          },
        },

        getTransfer: {
          description: 'Reads a transfer (GET /v1/transfers/{transferId}): its status and amounts in minor units.',
          inputSchema: { type: 'object', additionalProperties: false, required: ['transferId'], properties: { transferId } },
          outputSchema: transferOutput,
          /** @param {WiseContext} ctx */
          async run(ctx, input) {
            const { body: transfer } = await wise(ctx, `/v1/transfers/${input.transferId}`);
            if (!Number.isSafeInteger(transfer?.id)) throw new Error('Wise answered the transfer without an id');
            return transferResult(transfer);
          },
        },
      },

      webhook: {
        /**
         * `X-Signature-SHA256`: Wise's RSA signature over the SHA-256 of the exact body, base64, checked with
         * the public key Wise publishes for the connection's environment (never a configurable one).
         * @param {WiseContext} ctx
         */
        verify(ctx, req) {
          const environment = ctx.integration.metadata?.environment;
          if (!Object.hasOwn(WEBHOOK_PUBLIC_KEYS, environment)) {
            ctx.log.warn('a Wise webhook arrived for a connection without an environment: it cannot be verified');
            return false;
          }
          const signature = header(req.headers, 'x-signature-sha256');
          if (typeof signature !== 'string' || signature.length > 1024 || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature.trim())) return false;
          if (typeof req.rawBody !== 'string') return false;
          try {
            return verify('sha256', Buffer.from(req.rawBody, 'utf8'), WEBHOOK_PUBLIC_KEYS[environment], Buffer.from(signature.trim(), 'base64'));
          } catch {
            return false;
          }
        },

        /**
         * `transfers#state-change` of this profile's transfers: `outgoing_payment_sent` → payout.paid;
         * `bounced_back`, `cancelled`, `funds_refunded` → payout.failed. The event names no amount, so the
         * transfer is read back from Wise (the amount the recipient gets, in the target currency's minor unit).
         * Other states, other event types and Wise's test notifications are acknowledged and dropped.
         * @param {WiseContext} ctx
         */
        async toEvents(ctx, req) {
          const event = eventOf(req);
          if (event?.event_type !== 'transfers#state-change') return [];
          if (String(header(req.headers, 'x-test-notification') ?? '').toLowerCase() === 'true') {
            ctx.log.info('a Wise test notification was acknowledged');
            return [];
          }
          const data = event.data ?? {};
          const state = data.current_state;
          const paid = PAID_STATES.has(state);
          const failure = Object.hasOwn(FAILED_STATES, state) ? FAILED_STATES[state] : undefined;
          if (!paid && !failure) return [];
          const resource = data.resource ?? {};
          if (resource.type !== undefined && resource.type !== 'transfer') return [];
          if (!Number.isSafeInteger(resource.id) || resource.id <= 0) {
            ctx.log.warn('a Wise transfer state change without a transfer id was dropped');
            return [];
          }
          const profileId = String(ctx.integration.metadata?.profileId ?? '');
          if (resource.profile_id !== undefined && String(resource.profile_id) !== profileId) {
            ctx.log.warn('a Wise transfer state change of another profile was dropped', { transferId: resource.id, profileId: resource.profile_id });
            return [];
          }
          let transfer;
          try {
            ({ body: transfer } = await wise(ctx, `/v1/transfers/${resource.id}`));
          } catch (error) {
            if (error?.code === 'provider_rejected') {
              ctx.log.warn('the Wise transfer of a state change could not be read: dropped', { transferId: resource.id, message: error.message });
              return [];
            }
            throw error;
          }
          const targetCurrency = typeof transfer?.targetCurrency === 'string' ? transfer.targetCurrency.toUpperCase() : undefined;
          const amount = fromWiseAmount(transfer?.targetValue, targetCurrency);
          if (!targetCurrency || amount === undefined) {
            ctx.log.warn('a Wise transfer with an amount that cannot be read was dropped', { transferId: resource.id });
            return [];
          }
          const sourceCurrency = typeof transfer.sourceCurrency === 'string' ? transfer.sourceCurrency.toUpperCase() : undefined;
          const sourceAmount = fromWiseAmount(transfer.sourceValue, sourceCurrency);
          const recipient = transfer.targetAccount ?? resource.account_id;
          const deliveryId = header(req.headers, 'x-delivery-id');
          const payout = {
            payoutId: String(resource.id),
            provider: 'wise',
            amount,
            currency: targetCurrency,
            ...(recipient !== undefined && recipient !== null ? { recipient: String(recipient) } : {}),
            ...(sourceAmount !== undefined && sourceCurrency ? { sourceAmount, sourceCurrency } : {}),
            wiseState: state,
            ...(typeof data.previous_state === 'string' ? { wisePreviousState: data.previous_state } : {}),
            ...(typeof data.occurred_at === 'string' ? { occurredAt: data.occurred_at } : {}),
            ...(typeof transfer.details?.reference === 'string' && transfer.details.reference ? { reference: transfer.details.reference } : {}),
            ...(typeof transfer.customerTransactionId === 'string' ? { customerTransactionId: transfer.customerTransactionId } : {}),
            wiseProfileId: profileId,
            ...(typeof deliveryId === 'string' && deliveryId ? { wiseDeliveryId: deliveryId } : {}),
          };
          return [paid ? { event: 'payout.paid', data: payout } : { event: 'payout.failed', data: { ...payout, failureReason: failure } }];
        },
      },
    },
  ],
});
