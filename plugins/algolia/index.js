// Algolia provider for Plugboard, written against Algolia's Search REST API v1 (https://www.algolia.com/doc/rest-api/search/: batch, search, get-task, operation-index, get-api-key, list-indices; hosts and retry strategy) and its secured API key method (https://www.algolia.com/doc/libraries/sdk/methods/search/generate-secured-api-key).
import { createHmac, randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiKey: string, searchApiKey?: string }} AlgoliaCredentials
 * @typedef {import('plugboard/sdk').PluginContext<AlgoliaCredentials, Record<string, never>>} AlgoliaContext
 * @typedef {{ message?: string, status?: number }} AlgoliaError
 * @typedef {{ taskID: number, objectIDs: string[] }} BatchResponse
 */

const APP_ID = '^[A-Z0-9]{10}$';
/** Algolia API keys: 32 hexadecimal characters. */
const API_KEY = '^[a-f0-9]{32}$';
const INDEX_NAME = '^[^\\s/#?%]{1,200}$';
/** Records per batch request: the batch size Algolia's own clients use (and that its indexing guide recommends). */
const BATCH_SIZE = 1000;
/** Algolia takes batch payloads of about 10 MB; a batch is cut before this many bytes of records. */
const BATCH_BYTES = 9_000_000;
const MAX_OBJECTS = 10_000;
/** Task polling: the first pause, the longest one, and how many polls before giving up. */
const FIRST_POLL_MS = 50;
const LONGEST_POLL_MS = 2000;
const MAX_TASK_POLLS = 40;
const DEFAULT_SCOPES = ['settings', 'synonyms', 'rules'];

/** @param {AlgoliaContext} ctx */
function appIdOf(ctx) {
  const appId = ctx.integration?.metadata?.appId;
  if (typeof appId !== 'string' || !new RegExp(APP_ID).test(appId)) {
    throw new ProviderRejectedError('This Algolia connection has no valid application ID: connect again with the 10-character Application ID.');
  }
  return appId;
}

/**
 * The hosts of an application, in the order Algolia's retry strategy tries them: the DSN host for reads
 * (or the main host for writes), then the three fallback hosts on another DNS provider.
 */
function hostsOf(appId, write) {
  return [`https://${appId}${write ? '' : '-dsn'}.algolia.net`, `https://${appId}-1.algolianet.com`, `https://${appId}-2.algolianet.com`, `https://${appId}-3.algolianet.com`];
}

/** Algolia's error body is `{ message, status }`: the message, made actionable where it can be. */
function describeError(body) {
  const message = typeof body?.message === 'string' && body.message.trim() ? body.message.trim() : undefined;
  if (!message) return undefined;
  if (/invalid application-id or api[- ]key/i.test(message)) {
    return `Algolia refused the Application ID or the API key (${message}). Copy both from Settings → API Keys in the Algolia dashboard.`;
  }
  if (/not allowed with this api key/i.test(message)) return `Algolia: ${message}. Give the key the ACL or index access this needs, or use a key that has it.`;
  return `Algolia: ${message}`;
}

const errors = { message: describeError };

/**
 * One Search API request with the application's credentials headers. GET requests and searches go to the
 * read (DSN) host, other writes to the main host; a network failure or a 5xx answer is tried again on the
 * fallback hosts, as Algolia's retry strategy says — unless the request is not safe to repeat.
 * @param {AlgoliaContext} ctx
 * @param {{ method?: string, path: string, body?: Record<string, unknown>, read?: boolean, retry?: boolean }} request
 */
async function algolia(ctx, { method = 'GET', path, body, read = method === 'GET', retry = true }) {
  const appId = appIdOf(ctx);
  const apiKey = ctx.credentials?.apiKey;
  if (typeof apiKey !== 'string' || !apiKey) throw new ProviderRejectedError('No Algolia API key: connect again with an Admin or write API key.');
  const headers = {
    accept: 'application/json',
    'X-Algolia-Application-Id': appId,
    'X-Algolia-API-Key': apiKey,
    ...(body ? { 'content-type': 'application/json' } : {}),
  };
  const hosts = hostsOf(appId, !read);
  let failure;
  for (const [attempt, host] of hosts.entries()) {
    if (attempt > 0 && !retry) break;
    let response;
    try {
      response = await ctx.http(`${host}${path}`, { method, headers, ...(body ? { body } : {}) });
    } catch (error) {
      if (ctx.signal.aborted || !retry) throw error;
      failure = error;
      continue;
    }
    if (response.status >= 500 && retry && attempt < hosts.length - 1) {
      failure = new Error(`Algolia answered ${response.status} from ${new URL(host).hostname}`);
      await response.body?.cancel();
      continue;
    }
    return readJson(response, ctx, errors);
  }
  throw failure ?? new Error('Algolia could not be reached');
}

const indexPath = (indexName, rest = '') => `/1/indexes/${encodeURIComponent(indexName)}${rest}`;

/**
 * Polls a task until Algolia has published it (GET /1/indexes/{indexName}/task/{taskID}), with growing
 * pauses; false when it is still pending after the last poll.
 * @param {AlgoliaContext} ctx
 */
async function waitForTask(ctx, indexName, taskID) {
  for (let poll = 0; poll < MAX_TASK_POLLS; poll += 1) {
    const task = await algolia(ctx, { path: indexPath(indexName, `/task/${encodeURIComponent(String(taskID))}`) });
    if (task?.status === 'published') return true;
    await delay(Math.min(FIRST_POLL_MS * 2 ** poll, LONGEST_POLL_MS), undefined, { signal: ctx.signal });
  }
  return false;
}

/** Records in batches of at most BATCH_SIZE records and about BATCH_BYTES bytes. */
function chunked(objects) {
  const chunks = [];
  let current = [];
  let bytes = 0;
  for (const object of objects) {
    const size = JSON.stringify(object).length;
    if (current.length && (current.length === BATCH_SIZE || bytes + size > BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(object);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/**
 * Writes records with batch requests: a record with an objectID replaces the record of that id
 * (`updateObject`), one without is added with an id Algolia generates (`addObject`). A batch with
 * `addObject` is not sent twice: repeating it would add the records twice.
 * @param {AlgoliaContext} ctx
 * @returns {Promise<{ taskIDs: number[], objectIDs: string[] }>}
 */
async function writeBatches(ctx, indexName, objects) {
  const taskIDs = [];
  const objectIDs = [];
  for (const chunk of chunked(objects)) {
    const requests = chunk.map((object) =>
      typeof object.objectID === 'string' && object.objectID ? { action: 'updateObject', body: object } : { action: 'addObject', body: object },
    );
    /** @type {BatchResponse} */
    const answer = await algolia(ctx, {
      method: 'POST',
      path: indexPath(indexName, '/batch'),
      body: { requests },
      retry: requests.every((request) => request.action === 'updateObject'),
    });
    taskIDs.push(answer.taskID);
    objectIDs.push(...(Array.isArray(answer.objectIDs) ? answer.objectIDs : []));
  }
  return { taskIDs, objectIDs };
}

/** @param {AlgoliaContext} ctx */
async function waitForAll(ctx, indexName, taskIDs) {
  for (const taskID of taskIDs) if (!(await waitForTask(ctx, indexName, taskID))) return false;
  return true;
}

/**
 * Replaces every record of an index without interrupting searches, as Algolia documents it: copy the
 * index's settings, synonyms and rules to a temporary index, write the records there, then move the
 * temporary index over the original (an atomic rename). When a step fails before the move, the
 * temporary index is deleted (with the deleteIndex ACL).
 * @param {AlgoliaContext} ctx
 */
async function reindex(ctx, { indexName, objects, scopes = DEFAULT_SCOPES }) {
  const temporary = `${indexName}_tmp_${randomInt(1_000_000, 10_000_000)}`;
  const copy = await algolia(ctx, { method: 'POST', path: indexPath(indexName, '/operation'), body: { operation: 'copy', destination: temporary, scope: scopes } });
  let moved = false;
  try {
    const batches = await writeBatches(ctx, temporary, objects);
    if (!(await waitForAll(ctx, temporary, [copy.taskID, ...batches.taskIDs]))) {
      throw new Error(`Algolia had not finished indexing ${temporary} in time; ${indexName} was left as it was.`);
    }
    const move = await algolia(ctx, { method: 'POST', path: indexPath(temporary, '/operation'), body: { operation: 'move', destination: indexName } });
    moved = true;
    const published = await waitForTask(ctx, temporary, move.taskID);
    return {
      indexName,
      temporaryIndex: temporary,
      records: objects.length,
      objectIDs: batches.objectIDs,
      taskIDs: { copy: copy.taskID, batches: batches.taskIDs, move: move.taskID },
      published,
    };
  } catch (error) {
    if (!moved) {
      await algolia(ctx, { method: 'DELETE', path: indexPath(temporary) }).catch((cleanup) =>
        ctx.log.warn('the temporary index could not be deleted', { temporaryIndex: temporary, reason: cleanup instanceof Error ? cleanup.message : String(cleanup) }),
      );
    }
    throw error;
  }
}

/**
 * A secured API key as Algolia computes it, locally: the restrictions as URL-encoded query parameters
 * (sorted by name, lists joined by commas), the hex HMAC-SHA256 of that string keyed with the parent
 * (search-only) key, that HMAC followed by the parameters, in base64.
 * @param {string} parentKey
 * @param {Record<string, string | number | string[]>} restrictions
 */
function securedApiKey(parentKey, restrictions) {
  const queryParameters = Object.keys(restrictions)
    .sort()
    .map((name) => {
      const value = restrictions[name];
      return `${name}=${encodeURIComponent(Array.isArray(value) ? value.join(',') : String(value))}`;
    })
    .join('&');
  const hmac = createHmac('sha256', parentKey).update(queryParameters).digest('hex');
  return Buffer.from(`${hmac}${queryParameters}`).toString('base64');
}

/** validUntil as Unix seconds: a number as it is, a date-time converted. */
function unixSeconds(value) {
  if (typeof value === 'number') return Math.floor(value);
  const time = Date.parse(value);
  return Number.isNaN(time) ? NaN : Math.floor(time / 1000);
}

/** @param {AlgoliaContext} ctx */
function generateSecuredKey(ctx, input) {
  const parent = ctx.credentials?.searchApiKey;
  if (typeof parent !== 'string' || !parent) {
    throw new ProviderRejectedError('No search-only API key in this Algolia connection: add one (Settings → API Keys) to generate secured API keys.');
  }
  if (parent === ctx.credentials?.apiKey) {
    throw new ProviderRejectedError('Secured API keys cannot derive from the Admin or write key: enter a search-only API key as the search key.');
  }
  const restrictions = {};
  if (input.filters !== undefined) restrictions.filters = input.filters;
  if (input.restrictIndices !== undefined) restrictions.restrictIndices = input.restrictIndices;
  if (input.userToken !== undefined) restrictions.userToken = input.userToken;
  if (input.validUntil !== undefined) {
    const seconds = unixSeconds(input.validUntil);
    if (!Number.isFinite(seconds) || seconds * 1000 <= Date.now()) throw new ProviderRejectedError('validUntil must be in the future.');
    restrictions.validUntil = seconds;
  }
  if (Object.keys(restrictions).length === 0) throw new ProviderRejectedError('A secured API key needs at least one restriction (filters, validUntil, restrictIndices or userToken).');
  return {
    securedApiKey: securedApiKey(parent, restrictions),
    restrictions,
    validUntil: restrictions.validUntil === undefined ? null : new Date(restrictions.validUntil * 1000).toISOString(),
  };
}

/** @param {AlgoliaContext} ctx */
async function search(ctx, input) {
  const params = {
    query: input.query ?? '',
    ...(input.filters ? { filters: input.filters } : {}),
    ...(input.page !== undefined ? { page: input.page } : {}),
    ...(input.hitsPerPage !== undefined ? { hitsPerPage: input.hitsPerPage } : {}),
    ...(input.attributesToRetrieve ? { attributesToRetrieve: input.attributesToRetrieve } : {}),
  };
  // A search is a read, sent as POST: to the DSN host like other reads.
  const answer = await algolia(ctx, { method: 'POST', path: indexPath(input.indexName, '/query'), body: params, read: true });
  return {
    hits: Array.isArray(answer?.hits) ? answer.hits : [],
    nbHits: answer?.nbHits ?? 0,
    page: answer?.page ?? 0,
    nbPages: answer?.nbPages ?? 0,
    hitsPerPage: answer?.hitsPerPage ?? null,
    processingTimeMS: answer?.processingTimeMS ?? null,
    query: answer?.query ?? params.query,
  };
}

/**
 * Who the key is: its own description and ACL (GET /1/keys/{key}); Algolia does not list the Admin API
 * key among the application's keys, so for it the index list stands in (GET /1/indexes, listIndexes ACL).
 * @param {AlgoliaContext} ctx
 */
async function describeKey(ctx) {
  try {
    const key = await algolia(ctx, { path: `/1/keys/${encodeURIComponent(ctx.credentials.apiKey)}` });
    return { admin: false, acl: Array.isArray(key?.acl) ? key.acl : [], description: key?.description || null, indexes: Array.isArray(key?.indexes) ? key.indexes : [] };
  } catch (error) {
    if (!(error?.code === 'provider_rejected' && /does not exist/i.test(error.message))) throw error;
  }
  await algolia(ctx, { path: '/1/indexes?page=0&hitsPerPage=1' });
  return { admin: true, acl: ['admin'], description: 'Admin API key', indexes: [] };
}

const can = (key, acl) => key.admin || key.acl.includes(acl);

// --- schemas -------------------------------------------------------------------------------------

const indexName = (description = 'The index (case-sensitive)') => ({ type: 'string', pattern: INDEX_NAME, description });
const RECORD = {
  type: 'object',
  description: 'A record; with objectID it replaces the record of that id, without one Algolia adds it with a generated id',
  properties: { objectID: { type: 'string', minLength: 1, maxLength: 512 } },
  additionalProperties: true,
};
const OBJECTS = { type: 'array', minItems: 1, maxItems: MAX_OBJECTS, items: RECORD };
const FILTERS = { type: 'string', minLength: 1, maxLength: 4000, description: 'Algolia filter syntax, e.g. category:Book AND price < 20' };

export default definePlugin({
  providers: [
    {
      id: 'algolia',
      name: 'Algolia',
      category: 'search',
      description: 'Index records in Algolia (in batches, or rebuilding a whole index atomically), search an index, and generate secured search-only keys for end users.',
      connectionInputs: {
        type: 'object',
        required: ['appId'],
        additionalProperties: false,
        properties: {
          appId: {
            type: 'string',
            pattern: APP_ID,
            title: 'Application ID',
            description: 'The 10-character Application ID from Settings → API Keys in the Algolia dashboard (e.g. ABCDE12345)',
          },
        },
      },
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiKey'],
          additionalProperties: false,
          properties: {
            apiKey: {
              type: 'string',
              pattern: API_KEY,
              title: 'Admin or write API key',
              description:
                'The Admin API key, or a key with the addObject, deleteIndex and search ACLs (reindexing also writes to temporary indices named <index>_tmp_*)',
              secret: true,
            },
            searchApiKey: {
              type: 'string',
              pattern: API_KEY,
              title: 'Search-only API key',
              description: 'Optional: the parent key of the secured API keys this connection generates (never the Admin key)',
              secret: true,
            },
          },
        },
        apply: { headers: { 'X-Algolia-API-Key': '{apiKey}' } },
      },
      baseUrl: 'https://{appId}-dsn.algolia.net',
      errors,
      // Algolia publishes no fixed request budget for the Search API: search capacity depends on the plan,
      // keys may carry their own maxQueriesPerIPPerHour, and indexing answers 429 when the application's
      // indexing queue is overloaded. Those 429s become rate-limit errors; nothing is declared up front.
      rateLimits: [],

      /** @param {AlgoliaContext} ctx */
      async verify(ctx) {
        const appId = appIdOf(ctx);
        const key = await describeKey(ctx);
        if (!can(key, 'addObject') && !can(key, 'search')) {
          throw new ProviderRejectedError(`This Algolia key has neither the addObject nor the search ACL (it has ${key.acl.join(', ') || 'none'}): use the Admin API key or a write key.`);
        }
        const search = ctx.credentials?.searchApiKey;
        if (key.admin && typeof search === 'string' && search) {
          // With the Admin key, the search key can be checked too: it must exist in this application.
          try {
            await algolia(ctx, { path: `/1/keys/${encodeURIComponent(search)}` });
          } catch (error) {
            if (error?.code === 'provider_rejected') throw new ProviderRejectedError(`The search-only API key is not a key of application ${appId}: copy it from Settings → API Keys.`);
            throw error;
          }
        }
        return {
          displayName: `Algolia ${appId} (${key.admin ? 'Admin API key' : key.description || 'API key'})`,
          metadata: {
            appId,
            adminKey: key.admin,
            acl: key.acl,
            keyDescription: key.description,
            indexes: key.indexes,
            canWrite: can(key, 'addObject'),
            canSearch: can(key, 'search'),
            canDeleteIndex: can(key, 'deleteIndex'),
          },
        };
      },

      /** The key's own description (the index list for the Admin key): a cheap authenticated read. @param {AlgoliaContext} ctx */
      async healthCheck(ctx) {
        if (ctx.integration?.metadata?.adminKey === true) await algolia(ctx, { path: '/1/indexes?page=0&hitsPerPage=1' });
        else await describeKey(ctx);
      },

      actions: {
        saveObjects: {
          description: `Adds or replaces records (objectID: replace that record; none: add with a generated id), in batches of ${BATCH_SIZE}. With wait, answers once Algolia has indexed them.`,
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['indexName', 'objects'],
            properties: {
              indexName: indexName(),
              objects: OBJECTS,
              wait: { type: 'boolean', default: false, description: 'Wait until Algolia has published the indexing tasks' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['indexName', 'taskIDs', 'objectIDs'],
            properties: {
              indexName: { type: 'string' },
              taskIDs: { type: 'array', items: { type: 'integer' } },
              objectIDs: { type: 'array', items: { type: 'string' } },
              published: { type: ['boolean', 'null'], description: 'With wait: whether every task was published in time' },
            },
          },
          /** @param {AlgoliaContext} ctx */
          async run(ctx, input) {
            const { taskIDs, objectIDs } = await writeBatches(ctx, input.indexName, input.objects);
            const published = input.wait ? await waitForAll(ctx, input.indexName, taskIDs) : null;
            return { indexName: input.indexName, taskIDs, objectIDs, published };
          },
        },
        search: {
          description: 'Searches one index: hits with the query, optional filters and paging.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['indexName'],
            properties: {
              indexName: indexName(),
              query: { type: 'string', maxLength: 512, default: '', description: 'The search text (at most 512 bytes); empty matches every record' },
              filters: FILTERS,
              page: { type: 'integer', minimum: 0, maximum: 1000 },
              hitsPerPage: { type: 'integer', minimum: 1, maximum: 1000 },
              attributesToRetrieve: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 200 } },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['hits', 'nbHits', 'page', 'nbPages'],
            properties: {
              hits: { type: 'array', items: { type: 'object' } },
              nbHits: { type: 'integer' },
              page: { type: 'integer' },
              nbPages: { type: 'integer' },
              hitsPerPage: { type: ['integer', 'null'] },
              processingTimeMS: { type: ['integer', 'null'] },
              query: { type: 'string' },
            },
          },
          /** @param {AlgoliaContext} ctx */
          run: (ctx, input) => search(ctx, input),
        },
        reindex: {
          description:
            'Replaces every record of an index without interrupting searches: copies its settings, synonyms and rules to a temporary index, writes the records there, then atomically moves it over the index.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['indexName', 'objects'],
            properties: {
              indexName: indexName('The index to rebuild (created when it does not exist)'),
              objects: OBJECTS,
              scopes: {
                type: 'array',
                uniqueItems: true,
                items: { type: 'string', enum: DEFAULT_SCOPES },
                default: DEFAULT_SCOPES,
                description: 'What the new index keeps from the current one',
              },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['indexName', 'temporaryIndex', 'records', 'taskIDs'],
            properties: {
              indexName: { type: 'string' },
              temporaryIndex: { type: 'string' },
              records: { type: 'integer' },
              objectIDs: { type: 'array', items: { type: 'string' } },
              taskIDs: {
                type: 'object',
                properties: { copy: { type: 'integer' }, batches: { type: 'array', items: { type: 'integer' } }, move: { type: 'integer' } },
              },
              published: { type: 'boolean', description: 'Whether the move was published in time' },
            },
          },
          /** @param {AlgoliaContext} ctx */
          run: (ctx, input) => reindex(ctx, input),
        },
        generateSecuredApiKey: {
          description:
            'Generates a secured API key from the connection’s search-only key, computed locally (no call to Algolia): searches with it always apply these filters and end at validUntil.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              filters: FILTERS,
              validUntil: {
                oneOf: [
                  { type: 'integer', minimum: 1, description: 'Unix time in seconds' },
                  { type: 'string', format: 'date-time' },
                ],
                description: 'When the key stops working',
              },
              restrictIndices: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', pattern: '^[^\\s,]{1,200}$' }, description: 'Indices (or patterns like dev_*) the key may search' },
              userToken: { type: 'string', pattern: '^[A-Za-z0-9_=+/-]{1,129}$', description: 'The user the key is for (rate limits and analytics)' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['securedApiKey', 'restrictions', 'validUntil'],
            properties: {
              securedApiKey: { type: 'string' },
              restrictions: { type: 'object' },
              validUntil: { type: ['string', 'null'], format: 'date-time' },
            },
          },
          /** @param {AlgoliaContext} ctx */
          run: async (ctx, input) => generateSecuredKey(ctx, input),
        },
      },
    },
  ],
});
