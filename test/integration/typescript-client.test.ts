import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { createPlugboardClient, PlugboardProblem, verifyWebhook, type PlugboardClient } from '../../clients/typescript/src/index.js';
import { WebhookReceiver } from '../fixtures/webhook-receiver.js';
import {
  ACME_CRM_KEY,
  providerOriginOverrides,
  startFakeAcmeCrm,
  startFakeGoogleCalendar,
  type FakeAcmeCrm,
  type FakeGoogleCalendar,
} from '../fixtures/providers/index.js';
import { pluginDir } from '../support/plugin-fixtures.js';
import { createAccount, startTestApp, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);
const NODE = process.execPath;
const TSC = resolve('node_modules/typescript/bin/tsc');
const HEY_API = resolve('node_modules/@hey-api/openapi-ts/bin/run.js');
const CLIENT = resolve('clients/typescript');
const GOOGLE_CLIENT = { clientId: 'plugboard-google-client', clientSecret: 'google-client-secret-123' };
const NO_ID = '00000000-0000-4000-8000-000000000000';

/**
 * The TypeScript client in clients/typescript against a live server: built under tsc --strict, then
 * used as an integrator would — typed calls, pages, the proxy's nested path, problems, Retry-After,
 * Idempotency-Key and a verified webhook — and, in a program compiled only against the types generated
 * from the server's own /openapi.json (by openapi-typescript, and the same shapes by @hey-api/openapi-ts),
 * a provider action with typed input and output.
 */
describe('the TypeScript client against a live Plugboard', () => {
  let t: TestApp;
  let google: FakeGoogleCalendar;
  let acme: FakeAcmeCrm;
  let receiver: WebhookReceiver;
  let token: string;
  let baseUrl: string;
  let client: PlugboardClient;

  beforeAll(async () => {
    google = await startFakeGoogleCalendar();
    google.state.oauth.registerClient({ ...GOOGLE_CLIENT });
    acme = await startFakeAcmeCrm();
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      PLUGINS_DIR: pluginDir(['declarative']),
      PLUGIN_SIGNATURE_POLICY: 'warn',
      PLUGIN_ISOLATION: 'none',
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(google.origins, acme.origins),
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_ID: GOOGLE_CLIENT.clientId,
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_SECRET: GOOGLE_CLIENT.clientSecret,
      ALLOW_INSECURE_WEBHOOKS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '100ms',
    });
    const address = t.app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}`;
    token = (await createAccount(t, 'business')).ownerToken;
    client = createPlugboardClient({ baseUrl, token });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([google?.close(), acme?.close(), receiver?.close()]);
  });

  it('builds under tsc --strict', async () => {
    await run(NODE, [TSC, '-p', join(CLIENT, 'tsconfig.json')], { timeout: 120_000 });
  }, 150_000);

  it('connects with typed bodies, pages through integrations and proxies a nested path', async () => {
    const feed = await client.put('/v1/integrations/ical_feed', { body: { settings: { calendarName: 'Sessions' } } });
    expect(feed.status).toBe('connected');
    const started = await client.post('/v1/integrations/google_calendar/oauth/start', { body: { returnUrl: '/done' } });
    expect(await authorize(started.authorizationUrl)).toMatch(/^\/done\?provider=google_calendar&status=connected&connectionId=[0-9a-f-]{36}$/);
    await client.put('/v1/integrations/{provider}', { params: { path: { provider: 'acme_crm' } }, body: { credentials: { apiKey: ACME_CRM_KEY } } });

    const seen: string[] = [];
    for await (const integration of client.paginate('/v1/integrations', { params: { query: { limit: 1 } } })) seen.push(integration.provider);
    expect(seen.sort()).toEqual(['acme_crm', 'google_calendar', 'ical_feed']);

    const calendars = await client.get('/v1/integrations/{provider}/proxy/{path}', {
      params: { path: { provider: 'google_calendar', path: 'users/me/calendarList' } },
    });
    expect(calendars).toMatchObject({ kind: 'calendar#calendarList' });
    const forwarded = google.state.requests.at(-1)!;
    expect([forwarded.method, forwarded.path]).toEqual(['GET', '/calendar/v3/users/me/calendarList']);

    const listed = await client.post('/v1/integrations/google_calendar/actions/listCalendars', { body: { input: { maxResults: 10 } } });
    expect(listed).toBeDefined();
  });

  it("throws Plugboard's problems as typed errors with their code", async () => {
    const missing = client.get('/v1/webhooks/{id}', { params: { path: { id: NO_ID } } });
    await expect(missing).rejects.toBeInstanceOf(PlugboardProblem);
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'not_found' });
    const invalid = await client.post('/v1/webhooks', { body: { url: 'not a url', events: ['*'] } }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(PlugboardProblem);
    if (invalid instanceof PlugboardProblem) {
      expect(invalid.code).toBe('validation_failed');
      expect(invalid.errors.length).toBeGreaterThan(0);
    }
  });

  it('sends an Idempotency-Key on unsafe requests and keeps it while it waits out Retry-After', async () => {
    const sent: { method: string; key: string | null }[] = [];
    const waits: number[] = [];
    let refused = false;
    const flaky = createPlugboardClient({
      baseUrl,
      token,
      sleep: (milliseconds) => {
        waits.push(milliseconds);
        return Promise.resolve();
      },
      fetch: async (request) => {
        sent.push({ method: request.method, key: request.headers.get('idempotency-key') });
        if (request.method === 'POST' && !refused) {
          refused = true;
          return new Response(JSON.stringify({ type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'slow down', code: 'rate_limited' }), {
            status: 429,
            headers: { 'content-type': 'application/problem+json', 'retry-after': '2' },
          });
        }
        return fetch(request);
      },
    });
    const published = await flaky.post('/v1/events', { body: { event: 'room.created', data: { roomId: 'room_1' } } });
    expect(published.id).toEqual(expect.any(String));
    expect(waits).toEqual([2000]);
    expect(sent).toHaveLength(2);
    expect(sent[0].key).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[1].key).toBe(sent[0].key);
    await flaky.get('/v1/me');
    expect(sent[2]).toEqual({ method: 'GET', key: null });
  });

  it('verifies a webhook delivery and answers the event typed by the document', async () => {
    const endpoint = await client.post('/v1/webhooks', { body: { url: receiver.url, events: ['room.created'] } });
    await client.post('/v1/events', { body: { event: 'room.created', data: { roomId: 'room_42' } } });
    const [delivery] = await receiver.waitFor(1);
    const event = await verifyWebhook(endpoint.secret, delivery.body, delivery.headers);
    expect(event.event).toBe('room.created');
    if (event.event === 'room.created') expect(event.data.roomId).toBe('room_42');
    await expect(verifyWebhook(endpoint.secret, delivery.body.replace('room_42', 'room_43'), delivery.headers)).rejects.toThrow('no signature matches');
  });

  it('lets a program written only from the published types call a provider action with typed input and output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugboard-client-program-'));
    symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
    const document = (await t.http.get('/openapi.json')).body as Record<string, unknown>;
    const types = astToString(await openapiTS(document as unknown as Parameters<typeof openapiTS>[0], { silent: true }));
    writeFileSync(join(dir, 'plugboard.ts'), types);
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
    await run(NODE, [HEY_API, '-i', join(dir, 'openapi.json'), '-o', join(dir, 'hey'), '-p', '@hey-api/typescript'], { cwd: dir, timeout: 60_000 });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['es2022', 'dom'],
          types: [],
          strict: true,
          skipLibCheck: true,
          outDir: 'out',
        },
        files: ['env.d.ts', 'program.ts', 'hey-api.ts'],
      }),
    );
    writeFileSync(
      join(dir, 'program.ts'),
      `import { createPlugboardClient } from ${JSON.stringify(join(CLIENT, 'dist/index.js'))};
import type { paths } from './plugboard.js';

const client = createPlugboardClient<paths>({ baseUrl: process.env.BASE_URL!, token: process.env.TOKEN! });
await client.put('/v1/integrations/acme_crm', { body: { credentials: { apiKey: process.env.ACME_CRM_KEY! } } });
const contact = await client.post('/v1/integrations/acme_crm/actions/createContact', { body: { input: { email: 'ada@example.com', name: 'Ada' } } });
const id: string = contact.id;
const email: string = contact.email;
async function neverCalled() {
  // @ts-expect-error the action's input requires an email
  await client.post('/v1/integrations/acme_crm/actions/createContact', { body: { input: { name: 'Ada' } } });
  // @ts-expect-error the output has no such field
  contact.missing;
}
void neverCalled;
console.log(JSON.stringify({ id, email }));
`,
    );
    // The same shapes as @hey-api/openapi-ts types them: defaulted fields optional, action input and output typed.
    writeFileSync(
      join(dir, 'hey-api.ts'),
      `import type { CreateWebhookData, RunAcmeCrmCreateContactData, RunAcmeCrmCreateContactResponse } from './hey/types.gen.js';
import type { paths } from './plugboard.js';

export const webhook: CreateWebhookData['body'] = { url: 'https://example.com/hooks', events: ['*'] };
export const sameWebhook: paths['/v1/webhooks']['post']['requestBody']['content']['application/json'] = webhook;
export const input: RunAcmeCrmCreateContactData['body'] = { input: { email: 'ada@example.com' } };
// @ts-expect-error the action's input requires an email
export const noEmail: RunAcmeCrmCreateContactData['body'] = { input: { name: 'Ada' } };
export function read(output: RunAcmeCrmCreateContactResponse): string {
  return output.id + output.email;
}
`,
    );
    writeFileSync(join(dir, 'env.d.ts'), 'declare const process: { env: Record<string, string | undefined> };\n');
    mkdirSync(join(dir, 'out'));
    await run(NODE, [TSC, '-p', join(dir, 'tsconfig.json')], { cwd: dir, timeout: 120_000 }).catch((error: { stdout?: string }) => {
      throw new Error(`the program does not compile:\n${error.stdout ?? ''}`);
    });
    const { stdout } = await run(NODE, [join(dir, 'out/program.js')], { env: { BASE_URL: baseUrl, TOKEN: token, ACME_CRM_KEY }, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ id: expect.stringMatching(/^c_/), email: 'ada@example.com' });
    expect(acme.state.contacts.at(-1)).toMatchObject({ email: 'ada@example.com', name: 'Ada' });
  }, 180_000);

  /** The browser's part of an OAuth flow: the provider's consent, then Plugboard's callback; returns where it lands. */
  async function authorize(authorizationUrl: string): Promise<string> {
    const atProvider = await fetch(authorizationUrl, { redirect: 'manual' });
    const callback = new URL(atProvider.headers.get('location')!);
    const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
    return atPlugboard.headers.location;
  }
});
