import { definePlugin, ProviderRejectedError } from './index.js';
import { createHarness } from './testing.js';

const plugin = definePlugin({
  providers: [
    {
      id: 'acme',
      name: 'Acme',
      category: 'crm',
      description: 'Acme CRM',
      auth: { type: 'api_key', credentialsSchema: { type: 'object', properties: { apiKey: { type: 'string', secret: true } } } },
      baseUrl: 'https://{region}.acme.test/v2',
      async verify(ctx) {
        const response = await ctx.http('/me');
        if (response.status === 401) throw new ProviderRejectedError('bad key');
        const me = (await response.json()) as { name: string };
        return { displayName: me.name };
      },
      actions: {
        createContact: {
          description: 'Creates a contact',
          inputSchema: { type: 'object' },
          async run(ctx, input: { email: string }) {
            const response = await ctx.http('/contacts', { method: 'POST', body: { email: input.email } });
            ctx.log.info('created', { status: response.status });
            return response.json();
          },
        },
      },
      sync: { run: () => Promise.resolve({ records: { contacts: [{ id: 'c1' }] } }) },
      webhook: {
        verify: (_ctx, req) => req.headers['x-acme-signature'] === 'ok',
        toEvents: (_ctx, req) => [{ event: 'contact.created', data: req.body }],
      },
    },
  ],
});

describe('SDK test harness', () => {
  it('runs verify against the stub with the auth and base URL the host would apply', async () => {
    const harness = createHarness(plugin, {
      credentials: { apiKey: 'key_1' },
      integration: { metadata: { region: 'eu' } },
      http: { 'GET /me': { body: { name: 'Ada' } } },
    });
    await expect(harness.verify()).resolves.toEqual({ displayName: 'Ada' });
    expect(harness.requests).toHaveLength(1);
    expect(harness.requests[0]).toMatchObject({ method: 'GET', url: 'https://eu.acme.test/v2/me' });
    expect(harness.requests[0].headers.authorization).toBe('Bearer key_1');
  });

  it('surfaces the provider refusal, runs actions with JSON bodies, sync and webhooks', async () => {
    const refused = createHarness(plugin, { credentials: { apiKey: 'x' }, integration: { metadata: { region: 'us' } }, http: () => ({ status: 401 }) });
    await expect(refused.verify()).rejects.toMatchObject({ code: 'provider_rejected', message: 'bad key' });

    const harness = createHarness(plugin, {
      credentials: { apiKey: 'k' },
      integration: { metadata: { region: 'us' } },
      http: { 'POST /contacts': (request) => ({ status: 201, body: { id: 'c9', ...(request.json() as object) } }) },
    });
    await expect(harness.action('createContact', { email: 'a@b.c' })).resolves.toEqual({ id: 'c9', email: 'a@b.c' });
    expect(harness.requests[0].headers['content-type']).toBe('application/json');
    expect(harness.logs).toEqual([{ level: 'info', message: 'created', fields: { status: 201 } }]);
    await expect(harness.sync()).resolves.toEqual({ records: { contacts: [{ id: 'c1' }] } });
    await expect(harness.webhookVerify({ headers: { 'x-acme-signature': 'ok' }, body: { id: 1 } })).resolves.toBe(true);
    await expect(harness.webhookToEvents({ rawBody: '{"id":2}' })).resolves.toEqual([{ event: 'contact.created', data: { id: 2 } }]);
  });

  it('never sends credentials to URLs outside the base URL', async () => {
    const harness = createHarness(plugin, { credentials: { apiKey: 'secret' }, integration: { metadata: { region: 'eu' } }, http: () => ({ body: {} }) });
    await harness.context().http('https://elsewhere.test/collect');
    expect(harness.requests[0].headers.authorization).toBeUndefined();
  });
});
