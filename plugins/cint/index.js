// Cint provider for Plugboard, written against the Cint Exchange Demand API reference, version 2025-12-18
// (https://developer.cint.com/demand/docs/2025-12-18: authentication, API overview, HTTP status codes,
// rate limits; OpenAPI demand_openapi_v1_2025-12-18: accounts, definitions, projects, target groups,
// fielding run jobs, target group overview).
import { randomUUID } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ clientId: string, clientSecret: string }} CintCredentials
 * @typedef {import('plugboard/sdk').PluginContext<CintCredentials, Record<string, never>>} CintContext
 */

/** The minor version every request names in `Cint-API-Version` (behaviour differs between versions). */
const CINT_API_VERSION = '2025-12-18';
const BASE = 'https://api.cint.com/v1';
/** Lists take `page_size` 1 to 100. */
const PAGE = 100;
/** A sync reads at most this many pages of projects, and of each project's target groups. */
const MAX_PAGES = 50;

const ULID = '^[0-9A-Z]{26}$';
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const STATUSES = ['draft', 'scheduled', 'live', 'paused', 'completed', 'archived'];

/** ISO 4217 currencies whose minor unit is not the cent (exponent 0 or 3); every other has 2. */
const EXPONENTS = {
  ...Object.fromEntries(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'].map((code) => [code, 0])),
  ...Object.fromEntries(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((code) => [code, 3])),
};
const exponentOf = (currency) => EXPONENTS[currency] ?? 2;

/**
 * An amount in the currency's minor unit as Cint's decimal string: 250 USD → "2.50", 300 JPY → "300",
 * 1500 KWD (fils) → "1.500".
 */
function toDecimal(minor, currency) {
  const exponent = exponentOf(currency);
  if (exponent === 0) return String(minor);
  const digits = String(minor).padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * Cint's `{ value: "2.7352", currency_code }` in the currency's minor unit (rounded half up: Cint prices
 * interviews in fractions of a cent), with the exact decimal kept; null when it is not a plain amount.
 */
function fromMoney(money) {
  const currency = typeof money?.currency_code === 'string' ? money.currency_code.toUpperCase() : undefined;
  const match = typeof money?.value === 'string' ? /^(\d+)(?:\.(\d+))?$/.exec(money.value.trim()) : null;
  if (!currency || !match) return null;
  const exponent = exponentOf(currency);
  const fraction = match[2] ?? '';
  let minor = Number(match[1]) * 10 ** exponent + Number(fraction.slice(0, exponent).padEnd(exponent, '0') || '0');
  if (fraction.length > exponent && Number(fraction[exponent]) >= 5) minor += 1;
  return Number.isSafeInteger(minor) ? { amount: minor, currency, value: money.value } : null;
}

/**
 * Cint's error object `{ id, object, detail, invalid_params: [{ name, reason }] }` (and the 429
 * `{ object: "too_many_requests_problem_details", details }`): the detail, each invalid parameter and
 * why, then the error type and id Cint support asks for.
 */
function cintMessage(body) {
  if (!body || typeof body !== 'object') return undefined;
  if (typeof body.error === 'string') return body.error_description ? `${body.error_description} (${body.error})` : body.error;
  const detail = [body.detail, body.details, body.message].find((value) => typeof value === 'string' && value);
  const params = Array.isArray(body.invalid_params)
    ? body.invalid_params
        .filter((param) => param && typeof param === 'object')
        .map((param) => `${param.name ?? '?'}: ${param.reason ?? 'invalid'}`)
        .join('; ')
    : '';
  const text = [detail, params].filter(Boolean).join(' — ');
  if (!text) return undefined;
  const extra = [typeof body.object === 'string' ? body.object : undefined, typeof body.id === 'string' ? `id ${body.id}` : undefined].filter(Boolean);
  return extra.length ? `${text} (${extra.join(', ')})` : text;
}

const errors = { message: cintMessage };

/** @param {CintContext} ctx */
function accountOf(ctx) {
  const id = Number(ctx.integration.metadata?.accountId);
  if (!Number.isInteger(id) || id < 1) throw new ProviderRejectedError('No Cint account id: enter the account id for this connection and connect again.');
  return id;
}

/**
 * A call under https://api.cint.com/v1 (the host adds the bearer token and the API version).
 * @param {CintContext} ctx
 * @param {string} path
 * @param {import('plugboard/sdk').PluginHttpInit} [init]
 */
function call(ctx, path, init = {}) {
  const headers = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) };
  return ctx.http(path, { ...init, headers: { ...headers, ...init.headers } });
}

/** @param {CintContext} ctx */
async function cint(ctx, path, init = {}) {
  return readJson(await call(ctx, path, init), ctx, errors);
}

const targetGroupsPath = (ctx, projectId, rest = '') =>
  `/demand/accounts/${accountOf(ctx)}/projects/${encodeURIComponent(projectId)}/target-groups${rest}`;

const text = (value) => (typeof value === 'string' && value !== '' ? value : value === null || value === undefined || value === '' ? null : String(value));
const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const percent = (completes, goal) => (typeof completes === 'number' && typeof goal === 'number' && goal > 0 ? Math.round((completes / goal) * 1000) / 10 : null);

/** A target group of a list (`statistics.progress` and friends), flattened. */
function targetGroupRecord(item, project) {
  const stats = item?.statistics && typeof item.statistics === 'object' ? item.statistics : {};
  const progress = stats.progress?.value ?? {};
  const completes = num(progress.current_completes);
  const goal = num(progress.filling_goal);
  return {
    id: String(item.id),
    projectId: project?.id ?? null,
    projectName: project?.name ?? null,
    humanReadableId: text(item.human_readable_id),
    name: text(item.name),
    status: text(item.status),
    locale: text(item.locale),
    completes,
    prescreens: num(progress.current_prescreens),
    fillingGoal: goal,
    fillingStrategy: text(progress.filling_strategy),
    progressPercent: percent(completes, goal),
    incidenceRate: num(stats.incidence_rate?.value),
    conversionRate: num(stats.conversion_rate?.value),
    averageCostPerInterview: fromMoney(stats.average_cost_per_interview?.value),
    lastCompleteAt: text(stats.last_complete_date?.value),
    createdAt: text(item.created_at),
    updatedAt: text(item.updated_at),
  };
}

/**
 * Every item of a cursor list (`start_after` = the last `next_cursor`, while `has_more`).
 * @param {CintContext} ctx
 */
async function readAll(ctx, path, key, query = {}) {
  const items = [];
  let cursor;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const params = new URLSearchParams({ ...query, page_size: String(PAGE) });
    if (cursor) params.set('start_after', cursor);
    const body = await cint(ctx, `${path}?${params}`);
    if (!Array.isArray(body?.[key])) throw new Error(`Cint answered ${path} without a ${key} list`);
    items.push(...body[key]);
    cursor = typeof body.next_cursor === 'string' && body.next_cursor ? body.next_cursor : undefined;
    if (body.has_more !== true || !cursor || body[key].length === 0) return items;
  }
  ctx.log.warn(`Cint ${path}: stopped after ${MAX_PAGES} pages`);
  return items;
}

/**
 * Cint's locale (`<ISO 639-2 language>_<ISO 3166-1 alpha-2 country>`, e.g. `eng_us`) for a country: the
 * given language when Cint lists it for that country, else the country's preferred language.
 * @param {CintContext} ctx
 */
async function localeFor(ctx, countryCode, languageCode) {
  const body = await cint(ctx, '/locales');
  const country = (Array.isArray(body?.locales) ? body.locales : []).find((entry) => String(entry?.country?.code ?? '').toLowerCase() === countryCode.toLowerCase());
  const languages = Array.isArray(country?.languages) ? country.languages.filter((language) => typeof language?.code === 'string') : [];
  if (!languages.length) throw new ProviderRejectedError(`Cint has no locale for the country ${countryCode.toUpperCase()}.`);
  const language = languageCode
    ? languages.find((candidate) => candidate.code.toLowerCase() === languageCode.toLowerCase())
    : (languages.find((candidate) => candidate.is_preferred === true) ?? languages[0]);
  if (!language) {
    throw new ProviderRejectedError(
      `Cint does not offer ${languageCode} in ${countryCode.toUpperCase()}; it offers ${languages.map((candidate) => candidate.code).join(', ')}.`,
    );
  }
  return `${language.code.toLowerCase()}_${countryCode.toLowerCase()}`;
}

/**
 * The business unit the target group is billed in (it fixes the currency): the one given, or the
 * account's only one.
 * @param {CintContext} ctx
 */
async function businessUnitFor(ctx, businessUnitId) {
  const body = await cint(ctx, `/accounts/${accountOf(ctx)}/business-units`);
  const units = Array.isArray(body?.business_units) ? body.business_units.filter((unit) => unit && unit.id !== undefined) : [];
  const unit = businessUnitId ? units.find((candidate) => String(candidate.id) === businessUnitId) : units.length === 1 ? units[0] : undefined;
  if (!unit) {
    const known = units.map((candidate) => `${candidate.id} (${candidate.name ?? '?'}, ${candidate.currency_code ?? '?'})`).join(', ') || 'none';
    throw new ProviderRejectedError(
      businessUnitId ? `The Cint account has no business unit ${businessUnitId}; it has: ${known}.` : `Choose the businessUnitId of the target group; the Cint account has: ${known}.`,
    );
  }
  return unit;
}

const moneySchema = {
  type: ['object', 'null'],
  properties: { amount: { type: 'integer', description: 'In the currency’s minor unit, rounded' }, currency: { type: 'string' }, value: { type: 'string', description: 'Cint’s exact decimal' } },
};
const targetGroupSchema = {
  type: 'object',
  required: ['id', 'name', 'status'],
  properties: {
    id: { type: 'string' },
    projectId: { type: ['string', 'null'] },
    projectName: { type: ['string', 'null'] },
    humanReadableId: { type: ['string', 'null'] },
    name: { type: ['string', 'null'] },
    status: { type: ['string', 'null'], enum: [...STATUSES, null] },
    locale: { type: ['string', 'null'] },
    completes: { type: ['integer', 'null'] },
    prescreens: { type: ['integer', 'null'] },
    fillingGoal: { type: ['integer', 'null'] },
    fillingStrategy: { type: ['string', 'null'] },
    progressPercent: { type: ['number', 'null'] },
    incidenceRate: { type: ['number', 'null'] },
    conversionRate: { type: ['number', 'null'] },
    averageCostPerInterview: moneySchema,
    lastCompleteAt: { type: ['string', 'null'] },
    createdAt: { type: ['string', 'null'] },
    updatedAt: { type: ['string', 'null'] },
  },
};
const projectId = { type: 'string', pattern: ULID, description: 'The Cint project (ULID, 26 characters)' };
const targetGroupId = { type: 'string', pattern: ULID, description: 'The target group (ULID, 26 characters)' };
const idempotencyKeyInput = {
  type: 'string',
  minLength: 8,
  maxLength: 255,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Sent as Idempotency-Key: repeating the call with the same key does not act twice (default: a fresh key)',
};

export default definePlugin({
  providers: [
    {
      id: 'cint',
      name: 'Cint',
      category: 'surveys',
      description:
        'Buy survey sample on the Cint Exchange for brand-lift studies: create and launch target groups (country, completes wanted, interview length, incidence, price per interview) and follow their completes.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['clientId', 'clientSecret'],
          additionalProperties: false,
          properties: {
            clientId: { type: 'string', title: 'Client ID', description: 'The client_id of your Cint API Starter Kit', pattern: '^[A-Za-z0-9_-]{8,128}$', secret: true },
            clientSecret: { type: 'string', title: 'Client secret', description: 'The client_secret of your Cint API Starter Kit', pattern: '^\\S{8,256}$', secret: true },
          },
        },
        // OAuth client credentials at auth.cint.com (JSON body, audience https://api.luc.id, scope app:api);
        // the JWT lasts 24 hours (expires_in 86400) and is obtained again before it expires.
        token: {
          url: 'https://auth.cint.com/oauth/token',
          body: {
            client_id: '{clientId}',
            client_secret: '{clientSecret}',
            grant_type: 'client_credentials',
            auth_scopes: 'app:api',
            audience: 'https://api.luc.id',
          },
        },
        apply: { headers: { Authorization: 'Bearer {accessToken}', 'Cint-API-Version': CINT_API_VERSION } },
      },
      connectionInputs: {
        type: 'object',
        required: ['accountId'],
        additionalProperties: false,
        properties: {
          accountId: { type: 'integer', minimum: 1, maximum: 2_147_483_647, title: 'Account ID', description: 'Your Cint Exchange account id (a number)' },
        },
      },
      baseUrl: BASE,
      errors,
      // Cint publishes no request rate, only 429 answers with Retry-After and a "good neighbour" policy
      // (cache definitions, prefer webhooks to polling): this is a conservative budget of our own per account.
      rateLimits: [{ requests: 10, windowMs: 1_000, scope: 'account', accountKey: 'accountId' }],

      /**
       * The accounts the credentials reach (`GET /accounts`): the connection's account must be one of them.
       * @param {CintContext} ctx
       */
      async verify(ctx) {
        const accountId = accountOf(ctx);
        const body = await cint(ctx, '/accounts');
        const accounts = Array.isArray(body?.accounts) ? body.accounts : [];
        const account = accounts.find((candidate) => Number(candidate?.id) === accountId);
        if (!account) {
          const known = accounts.map((candidate) => `${candidate?.id} (${candidate?.name ?? '?'})`).join(', ') || 'none';
          throw new ProviderRejectedError(`These Cint credentials cannot reach account ${accountId}; they reach: ${known}.`);
        }
        const name = text(account.name);
        return { displayName: name ? `Cint: ${name} (${accountId})` : `Cint account ${accountId}`, metadata: { accountName: name } };
      },

      healthCheck: { request: { path: '/demand/accounts/{metadata.accountId}/projects', query: { page_size: '1' } } },

      actions: {
        createTargetGroup: {
          description:
            'Creates a draft target group in a project: the country (its Cint locale found for you), the completes wanted, interview length, incidence and, for dynamically priced business units, the price per interview in minor units. Launch it with launchTargetGroup.',
          inputSchema: {
            type: 'object',
            required: ['projectId', 'name', 'countryCode', 'quota', 'projectManagerId', 'endAt'],
            additionalProperties: false,
            properties: {
              projectId,
              name: { type: 'string', minLength: 5, maxLength: 128 },
              countryCode: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. US' },
              languageCode: { type: 'string', pattern: '^[a-z]{3}$', description: 'ISO 639-2 language, e.g. eng (default: the country’s preferred language on Cint)' },
              quota: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'Completes wanted (Cint’s completes_goal)' },
              loi: { type: 'integer', minimum: 1, maximum: 45, default: 10, description: 'Expected median length of interview, minutes' },
              incidence: { type: 'integer', minimum: 1, maximum: 100, default: 50, description: 'Expected incidence rate, percent' },
              cpi: {
                type: 'object',
                required: ['amount', 'currency'],
                additionalProperties: false,
                description: 'Price per complete (dynamic pricing only), in the business unit’s currency',
                properties: { amount: { type: 'integer', minimum: 1, maximum: 100_000_000, description: 'Minor units, e.g. cents' }, currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
              },
              projectManagerId: { type: 'string', pattern: UUID, description: 'The Cint user who manages the target group' },
              businessUnitId: { type: 'string', pattern: '^[0-9]{1,10}$', description: 'The business unit billed (default: the account’s only one)' },
              startAt: { type: 'string', format: 'date-time', description: 'Planned fielding start (default: now)' },
              endAt: { type: 'string', format: 'date-time', description: 'Planned fielding end' },
              liveUrl: { type: 'string', maxLength: 3000, pattern: '^https://\\S+$', description: 'The survey link respondents are sent to (HTTPS)' },
              testUrl: { type: 'string', maxLength: 3000, pattern: '^https://\\S+$' },
              collectsPii: { type: 'boolean', default: false },
              studyTypeCode: { type: 'string', pattern: '^[a-z_]{2,40}$', default: 'adhoc' },
              industryCode: { type: 'string', pattern: '^[a-z_]{2,40}$', default: 'other' },
              idempotencyKey: idempotencyKeyInput,
            },
          },
          outputSchema: {
            type: 'object',
            required: ['targetGroupId', 'projectId', 'locale', 'status'],
            properties: {
              targetGroupId: { type: 'string' },
              projectId: { type: 'string' },
              locale: { type: 'string' },
              status: { type: 'string', const: 'draft' },
              businessUnitId: { type: 'string' },
              currency: { type: ['string', 'null'] },
            },
          },
          /** @param {CintContext} ctx */
          async run(ctx, input) {
            const startAt = new Date(input.startAt ?? Date.now());
            const endAt = new Date(input.endAt);
            if (!(endAt.getTime() > startAt.getTime())) throw new ProviderRejectedError('endAt must be after startAt.');
            const unit = await businessUnitFor(ctx, input.businessUnitId);
            const currency = typeof unit.currency_code === 'string' ? unit.currency_code.toUpperCase() : null;
            if (input.cpi) {
              if (input.cpi.currency !== currency) {
                throw new ProviderRejectedError(`The business unit ${unit.id} is billed in ${currency ?? 'an unknown currency'}: give the cpi in ${currency ?? 'that currency'}, not ${input.cpi.currency}.`);
              }
              if (Array.isArray(unit.pricing_models) && !unit.pricing_models.includes('dynamic')) {
                throw new ProviderRejectedError(`The business unit ${unit.id} uses rate card pricing: Cint sets its price per interview, so leave cpi out.`);
              }
            }
            const locale = await localeFor(ctx, input.countryCode, input.languageCode);
            const body = {
              name: input.name,
              business_unit_id: String(unit.id),
              locale,
              collects_pii: input.collectsPii ?? false,
              study_type_code: input.studyTypeCode ?? 'adhoc',
              industry_code: input.industryCode ?? 'other',
              project_manager_id: input.projectManagerId,
              fielding_specification: { start_at: startAt.toISOString(), end_at: endAt.toISOString() },
              fielding_assistant_assignment: {},
              completes_goal: input.quota,
              expected_length_of_interview_minutes: input.loi ?? 10,
              expected_incidence_rate: (input.incidence ?? 50) / 100,
              allocations: { open_exchange_allocations: { blocked_supplier_ids: [], exchange_min_percentage: 0, exchange_max_percentage: 100, groups: [] } },
              ...(input.cpi ? { cost_per_interview: { value: toDecimal(input.cpi.amount, currency), currency_code: currency } } : {}),
              ...(input.liveUrl ? { live_url: input.liveUrl } : {}),
              ...(input.testUrl ? { test_url: input.testUrl } : {}),
            };
            const created = await cint(ctx, targetGroupsPath(ctx, input.projectId), {
              method: 'POST',
              headers: { 'idempotency-key': input.idempotencyKey ?? randomUUID() },
              body,
            });
            if (typeof created?.id !== 'string' || !created.id) throw new Error('Cint answered the target group creation without an id');
            return { targetGroupId: created.id, projectId: input.projectId, locale, status: 'draft', businessUnitId: String(unit.id), currency };
          },
        },

        launchTargetGroup: {
          description:
            'Launches a draft target group (a "launch from draft" fielding run job) until endFieldingAt, and reads the job once: Processing, Completed (with the fielding run) or Failed (with Cint’s reasons).',
          inputSchema: {
            type: 'object',
            required: ['projectId', 'targetGroupId', 'endFieldingAt'],
            additionalProperties: false,
            properties: {
              projectId,
              targetGroupId,
              endFieldingAt: { type: 'string', format: 'date-time', description: 'When fielding ends' },
              idempotencyKey: idempotencyKeyInput,
            },
          },
          outputSchema: {
            type: 'object',
            required: ['jobId', 'status'],
            properties: {
              jobId: { type: 'string' },
              status: { type: 'string', enum: ['Processing', 'Completed', 'Failed'] },
              fieldingRunId: { type: ['string', 'null'] },
              failure: { type: ['string', 'null'] },
            },
          },
          /** @param {CintContext} ctx */
          async run(ctx, input) {
            const endAt = new Date(input.endFieldingAt);
            if (!(endAt.getTime() > Date.now())) throw new ProviderRejectedError('endFieldingAt must be in the future.');
            const jobs = targetGroupsPath(ctx, input.projectId, `/${encodeURIComponent(input.targetGroupId)}/fielding-run-jobs/launch-from-draft`);
            const response = await call(ctx, jobs, {
              method: 'POST',
              headers: { 'idempotency-key': input.idempotencyKey ?? randomUUID() },
              body: { end_fielding_at: endAt.toISOString() },
            });
            await readJson(response, ctx, errors);
            const location = response.headers.get('location') ?? '';
            const jobId = decodeURIComponent(location.split('?')[0].replace(/\/+$/, '').split('/').pop() ?? '');
            if (!jobId) throw new Error('Cint accepted the launch without naming the job (no Location header)');
            const job = await cint(ctx, `${jobs}/${encodeURIComponent(jobId)}`);
            const reasons = Array.isArray(job?.failure_reason?.reasons)
              ? job.failure_reason.reasons.map((reason) => reason?.detail ?? reason?.reason ?? reason?.name).filter(Boolean)
              : [];
            const failure = job?.failure_reason ? [job.failure_reason.description ?? job.failure_reason.code, ...reasons].filter(Boolean).join('; ') : null;
            return { jobId, status: text(job?.status) ?? 'Processing', fieldingRunId: text(job?.created_fielding_run_id), failure: failure || null };
          },
        },

        getTargetGroupProgress: {
          description: 'A target group’s status and progress: completes against the completes wanted, prescreens, current price per interview and cost (in minor units).',
          inputSchema: { type: 'object', required: ['projectId', 'targetGroupId'], additionalProperties: false, properties: { projectId, targetGroupId } },
          outputSchema: {
            type: 'object',
            required: ['targetGroupId', 'status', 'completes', 'fillingGoal'],
            properties: {
              targetGroupId: { type: 'string' },
              name: { type: ['string', 'null'] },
              status: { type: ['string', 'null'] },
              completes: { type: 'integer' },
              prescreens: { type: ['integer', 'null'] },
              fillingGoal: { type: ['integer', 'null'] },
              fillingStrategy: { type: ['string', 'null'] },
              progressPercent: { type: ['number', 'null'] },
              countryCode: { type: ['string', 'null'] },
              languageCode: { type: ['string', 'null'] },
              incidenceRate: { type: ['number', 'null'] },
              conversionRate: { type: ['number', 'null'] },
              dropOffRate: { type: ['number', 'null'] },
              currentCostPerInterview: moneySchema,
              currentCost: moneySchema,
            },
          },
          /** @param {CintContext} ctx */
          async run(ctx, input) {
            const path = targetGroupsPath(ctx, input.projectId, `/${encodeURIComponent(input.targetGroupId)}`);
            const response = await call(ctx, `${path}/overview`);
            if (response.status === 404) {
              // Cint has no overview of a draft: the draft itself names its completes goal.
              await response.body?.cancel();
              const draft = await cint(ctx, path);
              return {
                targetGroupId: input.targetGroupId,
                name: text(draft?.name),
                status: 'draft',
                completes: 0,
                prescreens: 0,
                fillingGoal: num(draft?.completes_goal),
                fillingStrategy: null,
                progressPercent: 0,
                countryCode: typeof draft?.locale === 'string' ? (draft.locale.split('_')[1] ?? '').toUpperCase() || null : null,
                languageCode: typeof draft?.locale === 'string' ? draft.locale.split('_')[0] || null : null,
                incidenceRate: num(draft?.expected_incidence_rate),
                conversionRate: null,
                dropOffRate: null,
                currentCostPerInterview: fromMoney(draft?.cost_per_interview),
                currentCost: null,
              };
            }
            const overview = await readJson(response, ctx, errors);
            const progress = overview?.progress ?? {};
            const completes = num(progress.current_completes) ?? 0;
            const goal = num(progress.filling_goal);
            return {
              targetGroupId: input.targetGroupId,
              name: text(overview?.target_group_name),
              status: text(overview?.status),
              completes,
              prescreens: num(progress.current_prescreens),
              fillingGoal: goal,
              fillingStrategy: text(progress.filling_strategy),
              progressPercent: percent(completes, goal),
              countryCode: text(overview?.country_code)?.toUpperCase() ?? null,
              languageCode: text(overview?.language_code),
              incidenceRate: num(overview?.incidence_rate),
              conversionRate: num(overview?.conversion_rate),
              dropOffRate: num(overview?.drop_off_rate),
              currentCostPerInterview: fromMoney(overview?.current_cost_per_interview),
              currentCost: fromMoney(overview?.current_cost),
            };
          },
        },

        listTargetGroups: {
          description: 'One page of a project’s target groups with their status and progress; continue with nextCursor.',
          inputSchema: {
            type: 'object',
            required: ['projectId'],
            additionalProperties: false,
            properties: {
              projectId,
              status: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: STATUSES } },
              pageSize: { type: 'integer', minimum: 1, maximum: PAGE, default: 25 },
              startAfter: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'The nextCursor of the previous page' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['targetGroups', 'nextCursor', 'hasMore'],
            properties: { targetGroups: { type: 'array', items: targetGroupSchema }, nextCursor: { type: ['string', 'null'] }, hasMore: { type: 'boolean' } },
          },
          /** @param {CintContext} ctx */
          async run(ctx, input) {
            const query = new URLSearchParams({ page_size: String(input.pageSize ?? 25) });
            if (input.startAfter) query.set('start_after', input.startAfter);
            for (const status of input.status ?? []) query.append('status', status);
            const body = await cint(ctx, `${targetGroupsPath(ctx, input.projectId)}?${query}`);
            if (!Array.isArray(body?.target_groups)) throw new Error('Cint answered the target group list without target_groups');
            const hasMore = body.has_more === true;
            return {
              targetGroups: body.target_groups.filter((item) => item && item.id !== undefined).map((item) => targetGroupRecord(item, { id: input.projectId, name: null })),
              nextCursor: hasMore && typeof body.next_cursor === 'string' && body.next_cursor ? body.next_cursor : null,
              hasMore,
            };
          },
        },
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * Every project of the account (cursor pages), then every target group of each with its progress.
         * @param {CintContext} ctx
         */
        async run(ctx) {
          const account = accountOf(ctx);
          const projects = await readAll(ctx, `/demand/accounts/${account}/projects`, 'projects');
          const targetGroups = [];
          for (const project of projects) {
            if (typeof project?.id !== 'string') continue;
            const items = await readAll(ctx, targetGroupsPath(ctx, project.id), 'target_groups');
            for (const item of items) if (item && item.id !== undefined) targetGroups.push(targetGroupRecord(item, { id: project.id, name: text(project.name) }));
          }
          return { records: { targetGroups } };
        },
      },
    },
  ],
});
