import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { WebhookReceiver } from '../fixtures/webhook-receiver.js';
import { addMember, createAccount, startTestApp, TestApp } from '../support/test-app.js';

/**
 * Sends thousands of generated requests — valid ones built from each operation's schemas, and invalid
 * ones (wrong types, missing and unknown fields, malformed JSON, odd ids, every kind of credential) —
 * to every operation in the OpenAPI document, and checks that none answers 5xx and that every answer
 * keeps the contract: a documented status, problem+json for errors, and 2xx bodies matching their schema.
 */
const REQUESTS_PER_OPERATION = Number(process.env.FUZZ_REQUESTS_PER_OPERATION ?? 80);
const CONCURRENCY = 8;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** A small seeded generator (mulberry32), so a failing run can be replayed with FUZZ_SEED. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
  };
}
type Random = ReturnType<typeof random>;

/** URLs the generator offers for `format: uri`: a local receiver (added at start-up) and addresses that must be refused. */
const urls = ['https://example.invalid/hooks', 'http://169.254.169.254/latest/meta-data', 'ftp://127.0.0.1/x'];
const WEIRD_STRINGS = [
  '',
  ' ',
  'null',
  '0',
  '-1',
  '9'.repeat(40),
  'a'.repeat(5000),
  '../../etc/passwd',
  '%00',
  "'; drop table accounts; --",
  '<script>',
  'ünïcødé ✓',
  '\u0000',
  '{"a":1}',
  'true',
  '1e309',
];
const WEIRD_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 53 + 2, '', 'x', [], {}, [1, 'a'], { nested: { deeper: [null] } }, 'a'.repeat(10_000)];

function resolveRef(document: Document, schema: Schema | undefined): Schema {
  let current = schema ?? {};
  while (typeof current.$ref === 'string') current = document.components.schemas[current.$ref.split('/').pop()!];
  return current;
}

/** A value that satisfies the schema as far as a generator without a regex engine can. */
function valid(document: Document, input: Schema | undefined, rng: Random, depth = 0): unknown {
  const schema = resolveRef(document, input);
  const options = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (options) return valid(document, rng.pick(options), rng, depth + 1);
  if (schema.enum) return rng.pick(schema.enum as unknown[]);
  if ('example' in schema && rng.chance(0.5)) return schema.example;
  const type = Array.isArray(schema.type) ? rng.pick((schema.type as string[]).filter((t) => t !== 'null')) : schema.type;
  switch (type) {
    case 'object': {
      const result: Record<string, unknown> = {};
      const required = new Set((schema.required as string[] | undefined) ?? []);
      for (const [key, property] of Object.entries((schema.properties as Record<string, Schema>) ?? {})) {
        if (required.has(key) || (depth < 3 && rng.chance(0.5))) result[key] = valid(document, property, rng, depth + 1);
      }
      return result;
    }
    case 'array': {
      const min = (schema.minItems as number | undefined) ?? 0;
      const max = Math.min((schema.maxItems as number | undefined) ?? 3, min + 3);
      return Array.from({ length: rng.int(min, max) }, () => valid(document, schema.items as Schema, rng, depth + 1));
    }
    case 'integer':
    case 'number': {
      const min = (schema.minimum as number | undefined) ?? 0;
      const max = (schema.maximum as number | undefined) ?? min + 1000;
      return rng.int(Math.ceil(min), Math.floor(max));
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'string':
      switch (schema.format) {
        case 'uuid':
          return crypto.randomUUID();
        case 'date-time':
          return new Date(Date.now() - rng.int(0, 86_400_000)).toISOString();
        case 'uri':
        case 'url':
          return rng.pick(urls);
        case 'email':
          return `user${rng.int(1, 999)}@example.com`;
        default: {
          const min = (schema.minLength as number | undefined) ?? 1;
          const max = Math.min((schema.maxLength as number | undefined) ?? 24, min + 24);
          return Array.from({ length: rng.int(min, Math.max(min, max)) }, () => rng.pick([...'abcdefghijklmnopqrstuvwxyz_.'])).join('');
        }
      }
    default:
      return rng.pick(['value', 1, true]);
  }
}

/** A value that breaks the schema in one of many ways (or, by chance, happens to be fine). */
function mutate(document: Document, schema: Schema | undefined, rng: Random): unknown {
  const base = valid(document, schema, rng);
  if (base && typeof base === 'object' && !Array.isArray(base) && rng.chance(0.7)) {
    const object = { ...(base as Record<string, unknown>) };
    const keys = Object.keys(object);
    const action = rng.int(0, 3);
    if (action === 0 && keys.length > 0) delete object[rng.pick(keys)];
    else if (action === 1 && keys.length > 0) object[rng.pick(keys)] = rng.pick(WEIRD_VALUES);
    else if (action === 2) object[rng.pick(['extra', '__proto__', 'constructor', 'id', 'accountId'])] = rng.pick(WEIRD_VALUES);
    else for (const key of keys) object[key] = rng.pick(WEIRD_VALUES);
    return object;
  }
  return rng.pick(WEIRD_VALUES);
}

interface Credentials {
  name: string;
  headers: Record<string, string>;
}

describe('API fuzzing against openapi.json', () => {
  let t: TestApp;
  let document: Document;
  let credentials: Credentials[];
  let receiver: WebhookReceiver;
  const known: Record<string, string[]> = {};

  beforeAll(async () => {
    t = await startTestApp({ ALLOW_INSECURE_WEBHOOKS: 'true', WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_RETRY_SCHEDULE: '1h' });
    receiver = await WebhookReceiver.start();
    document = (await t.http.get('/openapi.json')).body as Document;
    const business = await createAccount(t, 'business');
    const basic = await createAccount(t, 'basic');
    const developer = await addMember(t, business.accountId, business.ownerToken, 'developer');
    const host = await addMember(t, business.accountId, business.ownerToken, 'host');
    const admin = await t.token({ sub: 'operator', admin: true });
    const expired = await t.token({ sub: business.ownerId, account: business.accountId, expiresIn: Math.floor(Date.now() / 1000) - 5 });
    const stranger = await t.token({ sub: 'stranger', account: business.accountId });
    const bearer = (token: string, extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${token}`, ...extra });
    credentials = [
      { name: 'none', headers: {} },
      { name: 'garbage', headers: { Authorization: 'Bearer not.a.token' } },
      { name: 'wrong-scheme', headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } },
      { name: 'api-key-shaped', headers: bearer('pb_live_0000000000000000000000000000') },
      { name: 'expired', headers: bearer(expired) },
      { name: 'stranger', headers: bearer(stranger) },
      { name: 'admin', headers: bearer(admin) },
      { name: 'owner', headers: bearer(business.ownerToken) },
      { name: 'owner-test-mode', headers: bearer(business.ownerToken, { 'Plugboard-Mode': 'test' }) },
      { name: 'owner-bad-mode', headers: bearer(business.ownerToken, { 'Plugboard-Mode': 'sideways' }) },
      { name: 'basic-owner', headers: bearer(basic.ownerToken) },
      { name: 'developer', headers: bearer(developer) },
      { name: 'host', headers: bearer(host) },
    ];
    const webhook = await t.http
      .post('/v1/webhooks')
      .set(bearer(business.ownerToken))
      .send({ url: receiver.url, events: ['*'] });
    expect(webhook.status).toBe(201);
    await t.http
      .post('/v1/events')
      .set(bearer(business.ownerToken))
      .send({ event: 'room.created', data: { roomId: 'fuzz' } })
      .expect(202);
    await receiver.waitFor(1);
    const deliveries = await t.http.get(`/v1/webhooks/${webhook.body.id}/deliveries`).set(bearer(business.ownerToken));
    known.id = [business.accountId, basic.accountId, webhook.body.id];
    known.deliveryId = deliveries.body.data.map((delivery: { id: string }) => delivery.id);
    expect(known.deliveryId).toHaveLength(1);
    urls.push(receiver.url);
    known.userId = [business.ownerId, 'someone-else'];
    known.key = ['developer', 'owner', 'custom_role'];
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it(`finds no 5xx and no answer outside the contract (seed ${SEED})`, async () => {
    const rng = random(SEED);
    const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
    addFormats.default(ajv);
    ajv.addSchema(document, 'openapi.json');
    const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
    const problemSchema = ajv.compile({ $ref: 'openapi.json#/components/schemas/Problem' });

    // Each provider's typed operations are the generic routes with `{provider}` and `{action}` filled in,
    // fuzzed here through those; filled in with valid bodies they would call the real providers.
    // /mcp speaks JSON-RPC (its errors are JSON-RPC errors, not problem+json): the MCP SDK's own client
    // tests it (test/integration/mcp.test.ts).
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => !('x-plugboard-provider' in operation) && path !== '/mcp')
        .map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.length).toBeGreaterThan(20);
    const failures: string[] = [];
    const statuses = new Map<string, number>();
    let sent = 0;

    const one = async ({ path, method, operation }: (typeof operations)[number]) => {
      const parameters = operation.parameters ?? [];
      let url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
        const choice = rng.int(0, 9);
        const value = choice < 5 && known[name]?.length ? rng.pick(known[name]) : choice < 8 ? crypto.randomUUID() : rng.pick(WEIRD_STRINGS.filter(Boolean));
        return encodeURIComponent(value);
      });
      const query = new URLSearchParams();
      for (const parameter of parameters.filter((p) => p.in === 'query')) {
        if (!parameter.required && rng.chance(0.5)) continue;
        const value = rng.chance(0.7) ? valid(document, parameter.schema, rng) : rng.pick(WEIRD_STRINGS);
        query.set(parameter.name, typeof value === 'string' ? value : JSON.stringify(value));
      }
      if (query.size > 0) url += `?${query.toString()}`;
      const credential = rng.chance(0.6) ? rng.pick(credentials.filter((c) => ['admin', 'owner', 'owner-test-mode'].includes(c.name))) : rng.pick(credentials);
      let request = t.http[method as 'get'](url).set(credential.headers);
      if (method === 'post' && rng.chance(0.2)) request = request.set('Idempotency-Key', `fuzz-${rng.int(1, 20)}`);
      const bodySchema = operation.requestBody?.content['application/json']?.schema;
      let bodyKind = 'none';
      if (bodySchema || rng.chance(0.1)) {
        const shape = rng.int(0, 9);
        if (shape < 5) {
          bodyKind = 'valid';
          request = request.type('json').send(JSON.stringify(valid(document, bodySchema, rng)));
        } else if (shape < 8) {
          bodyKind = 'mutated';
          request = request.type('json').send(JSON.stringify(mutate(document, bodySchema, rng)));
        } else if (shape < 9) {
          bodyKind = 'malformed';
          request = request.type('json').send(rng.pick(['{', '{"a":', '[1,2', 'nul', '{"a":1}}', '\u0000']));
        } else {
          bodyKind = 'form';
          request = request.type('form').send('a=1&b=2');
        }
      }
      const response = await request;
      sent += 1;
      const status = response.status;
      statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
      const where = `${method.toUpperCase()} ${url.slice(0, 120)} [${credential.name}, body ${bodyKind}] → ${status}`;
      if (status >= 500) {
        failures.push(`${where}: server error ${JSON.stringify(response.body).slice(0, 300)}`);
        return;
      }
      const documented = operation.responses[String(status)] ?? operation.responses.default;
      if (!documented) failures.push(`${where}: status not documented for ${operation.operationId}`);
      if (status >= 400) {
        if (!String(response.headers['content-type']).startsWith('application/problem+json')) failures.push(`${where}: error is not problem+json`);
        else if (!problemSchema(response.body) || (response.body as { status: number }).status !== status) {
          failures.push(`${where}: malformed problem ${JSON.stringify(problemSchema.errors)} ${JSON.stringify(response.body).slice(0, 200)}`);
        }
        return;
      }
      if (method === 'post' && path.endsWith('/deliveries') === false && status === 201 && typeof response.body?.id === 'string') {
        const name = path.endsWith('/v1/accounts') || path.endsWith('/v1/webhooks') ? 'id' : undefined;
        if (name) known[name].push(response.body.id);
      }
      const schema = documented?.content?.['application/json']?.schema;
      if (schema && status !== 204) {
        const validate = ajv.getSchema(`openapi.json#/${pointer('paths', path, method, 'responses', String(status), 'content', 'application/json', 'schema')}`);
        if (validate && !validate(response.body)) {
          failures.push(`${where}: body breaks its schema: ${ajv.errorsText(validate.errors)} ${JSON.stringify(response.body).slice(0, 200)}`);
        }
      }
    };

    const queue = operations.flatMap((operation) => Array.from({ length: REQUESTS_PER_OPERATION }, () => operation));
    for (let index = queue.length - 1; index > 0; index--) {
      const other = rng.int(0, index);
      [queue[index], queue[other]] = [queue[other], queue[index]];
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < queue.length) await one(queue[next++]);
      }),
    );
    console.log(
      `fuzz seed ${SEED}: ${sent} requests over ${operations.length} operations; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    const serverErrors = failures.filter((failure) => failure.includes('server error'));
    expect([...new Set([...serverErrors, ...failures])].slice(0, 25)).toEqual([]);
    expect(sent).toBe(queue.length);
  });

  // The random phase puts an odd value in a field now and then; this sweep puts each odd value in each
  // field of each body, in turn, on resources that exist, so a value that slips past validation into a
  // handler cannot hide behind a 404.
  it('answers any odd value in any body field as a client error or a success, never a 5xx', async () => {
    const { accountId, ownerToken } = await createAccount(t, 'business');
    const owner = { Authorization: `Bearer ${ownerToken}` };
    const developer = await addMember(t, accountId, ownerToken, 'developer');
    const created = async (path: string, body: Record<string, unknown>) => {
      const response = await t.http.post(path).set(owner).send(body);
      expect(response.status).toBe(201);
      return response.body as { id: string; key?: string };
    };
    const webhook = await created('/v1/webhooks', { url: receiver.url, events: ['*'] });
    const connection = await created('/v1/connections', { provider: 'ical_feed' });
    const apiKey = await created('/v1/api-keys', { name: 'sweep', mode: 'live' });
    await created('/v1/roles', { key: 'sweeper', name: 'Sweeper', permissions: ['integrations.view'] });
    const idOf: Record<string, string> = { accounts: accountId, webhooks: webhook.id, connections: connection.id, 'api-keys': apiKey.id };
    const fill = (path: string) =>
      path.replace(/\{(\w+)\}/g, (_, name: string) => {
        if (name === 'id') return idOf[path.split('/')[2]] ?? crypto.randomUUID();
        if (name === 'key') return path.startsWith('/v1/roles') ? 'sweeper' : 'agents.mcp';
        return { userId: developer, accountId, provider: 'ical_feed', action: 'render', path: 'x' }[name] ?? crypto.randomUUID();
      });

    const rng = random(SEED);
    const failures: string[] = [];
    let sent = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const schema = resolveRef(document, operation.requestBody?.content['application/json']?.schema);
        if ('x-plugboard-provider' in operation || path === '/mcp' || !schema.properties) continue;
        for (const property of Object.keys(schema.properties)) {
          const bodies = WEIRD_VALUES.flatMap((value) => [{ [property]: value }, Object.assign({}, valid(document, schema, rng), { [property]: value })]);
          for (const body of bodies) {
            const response = await t.http[method as 'post'](fill(path)).set(owner).send(body);
            sent += 1;
            if (response.status >= 500) failures.push(`${method.toUpperCase()} ${path} ${JSON.stringify(body).slice(0, 160)} → ${response.status}`);
          }
        }
      }
    }
    console.log(`odd value sweep: ${sent} requests`);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
  });
});
