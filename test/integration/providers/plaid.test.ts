import type { VerifyResult } from '../../../src/sdk/index.js';
import { PLAID_TEST_CLIENT, startFakePlaid, type FakePlaid } from '../../fixtures/providers/plaid.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Plaid as the host runs it: the bundled plugin in a child process, PLAID-CLIENT-ID / PLAID-SECRET / Plaid-Version
 * applied by the host under https://sandbox.plaid.com (the connection input), PROVIDER_ORIGIN_OVERRIDES pointing it at
 * the fake; the Item's access token read from the connection's credentials.
 */
describe('plaid in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakePlaid;
  const keys = { clientId: PLAID_TEST_CLIENT.clientId, secret: PLAID_TEST_CLIENT.secret };
  const metadata = { environment: 'sandbox' };

  beforeAll(async () => {
    fake = await startFakePlaid();
    host = await startProviderHost({ fakes: [fake], integration: { id: '7c6b5a49-3827-4165-9f8e-7d6c5b4a3928', accountId: 'acct_plaid' } });
  });
  afterAll(() => host?.close());

  it('links an end user’s bank, reads masked Auth numbers, verifies a signed Auth webhook, and refuses wrong keys as 422', async () => {
    const { runner } = host;
    const settings = { clientName: 'Creator Payouts' };
    const context = (credentials: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      host.context(credentials, settings, { ...metadata, ...extra });

    const link = await runner.invoke<Json>('plaid', { kind: 'action', name: 'createLinkToken', input: { userId: 'creator_42' }, context: context(keys) });
    expect(link.linkToken).toMatch(/^link-sandbox-/);
    expect(fake.state.requests.at(-1)).toMatchObject({
      path: '/link/token/create',
      headers: expect.objectContaining({ 'plaid-client-id': keys.clientId, 'plaid-secret': keys.secret, 'plaid-version': '2020-09-14' }),
      body: expect.objectContaining({ user: { client_user_id: 'creator_42' }, products: ['auth'] }),
    });

    const exchanged = await runner.invoke<Json>('plaid', {
      kind: 'action',
      name: 'exchangePublicToken',
      input: { publicToken: fake.state.createPublicToken() },
      context: context(keys),
    });
    const item = fake.state.item(exchanged.itemId)!;
    expect(exchanged).toMatchObject({ stored: false, accessToken: item.access_token });

    // The caller stores the token as the connection's credentials; the next calls read it from there.
    const linked = { ...keys, accessToken: exchanged.accessToken, itemId: exchanged.itemId };
    const verified = await runner.invoke<VerifyResult>('plaid', { kind: 'verify', context: context(linked) });
    expect(verified.metadata).toMatchObject({ environment: 'sandbox', itemId: item.item_id, institutionName: 'First Platypus Bank' });

    const auth = await runner.invoke<Json>('plaid', { kind: 'action', name: 'getAuth', input: {}, context: context(linked, verified.metadata) });
    expect(auth.numbers.ach.map((entry: Json) => entry.account)).toEqual(['••••0000', '••••1111']);

    const rawBody = JSON.stringify(
      { account_id: item.accounts[0].account_id, environment: 'sandbox', item_id: item.item_id, webhook_code: 'AUTOMATICALLY_VERIFIED', webhook_type: 'AUTH' },
      null,
      2,
    );
    const inbound = (jwt: string) => ({ method: 'POST', headers: { 'content-type': 'application/json', 'plaid-verification': jwt }, query: {}, rawBody });
    await expect(
      runner.invoke('plaid', { kind: 'webhookVerify', input: inbound(fake.state.signWebhook(rawBody)), context: context(linked, verified.metadata) }),
    ).resolves.toBe(true);
    await expect(
      runner.invoke('plaid', { kind: 'webhookVerify', input: inbound(fake.state.signWebhook(`${rawBody} `)), context: context(linked, verified.metadata) }),
    ).resolves.toBe(false);
    await expect(
      runner.invoke('plaid', { kind: 'webhookToEvents', input: inbound(fake.state.signWebhook(rawBody)), context: context(linked) }),
    ).resolves.toEqual([
      {
        event: 'bank_account.verified',
        data: { provider: 'plaid', itemId: item.item_id, accountIds: [item.accounts[0].account_id], verificationStatus: 'automatically_verified' },
      },
    ]);

    await expect(runner.invoke('plaid', { kind: 'verify', context: context({ ...keys, secret: 'ffffffffffffffffffffffffffffff' }) })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('INVALID_API_KEYS'),
    });
  });
});
