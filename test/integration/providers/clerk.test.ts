import type { VerifyResult } from '../../../src/sdk/index.js';
import { clerkWebhookSecret, startFakeClerk, type FakeClerk } from '../../fixtures/providers/clerk.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The Clerk plugin as the host runs it: the real loader, a sandboxed child process, the host applying the
 * secret key as bearer and the pinned Clerk-API-Version, PROVIDER_ORIGIN_OVERRIDES pointing
 * https://api.clerk.com at the local fake.
 */
describe('clerk in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeClerk;

  beforeAll(async () => {
    fake = await startFakeClerk();
    host = await startProviderHost({ fakes: [fake], integration: { id: '7b9d1f3a-5c7e-4a9c-8e2f-4a6c8e0a2c4e', accountId: 'acct_clerk' } });
  });
  afterAll(() => host?.close());

  it('verifies, reads a user, checks a Svix-signed webhook, and refuses an unknown user as 422', async () => {
    const { runner } = host;
    const webhookSecret = clerkWebhookSecret();
    const connect = host.context({ secretKey: fake.secretKey, webhookSecret });
    const verified = await runner.invoke<VerifyResult>('clerk', { kind: 'verify', context: connect });
    expect(verified).toEqual({
      displayName: `Clerk development instance ${fake.state.instance.id}`,
      metadata: { instanceId: fake.state.instance.id, environmentType: 'development', liveKey: false, webhooks: true },
    });
    expect(fake.state.requests.at(-1)!.headers).toMatchObject({ authorization: `Bearer ${fake.secretKey}`, 'clerk-api-version': '2025-11-10' });

    const context = host.context(connect.credentials, {}, verified.metadata);
    const ana = fake.state.addUser({ email: 'ana@example.com', first_name: 'Ana', last_name: 'Lima' });
    await expect(runner.invoke<Json>('clerk', { kind: 'action', name: 'getUser', input: { userId: ana.id }, context })).resolves.toMatchObject({
      id: ana.id,
      email: 'ana@example.com',
      name: 'Ana Lima',
    });

    const delivery = fake.state.webhook(webhookSecret, 'user.created', fake.state.userJson(ana));
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: {}, rawBody: delivery.rawBody });
    await expect(runner.invoke('clerk', { kind: 'webhookVerify', input: inbound(delivery.headers), context })).resolves.toBe(true);
    const forged = fake.state.webhook(clerkWebhookSecret(), 'user.created', fake.state.userJson(ana));
    await expect(runner.invoke('clerk', { kind: 'webhookVerify', input: inbound(forged.headers), context })).resolves.toBe(false);
    await expect(runner.invoke('clerk', { kind: 'webhookToEvents', input: inbound(delivery.headers), context })).resolves.toEqual([
      { event: 'user.created', data: { userId: ana.id, provider: 'clerk', email: 'ana@example.com', name: 'Ana Lima' } },
    ]);

    await expect(
      runner.invoke('clerk', { kind: 'action', name: 'getUser', input: { userId: 'user_0000000000000000000000000' }, context }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Clerk: Resource not found (resource_not_found)',
    });
  });
});
