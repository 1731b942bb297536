import type { VerifyResult } from '../../../src/sdk/index.js';
import { PLAID_TEST_CLIENT, startFakePlaid, type FakePlaid } from '../../fixtures/providers/plaid.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';
import { bearer, createAccount } from '../../support/test-app.js';

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

    // Through the REST route, on an end user's connection: the access token goes into its encrypted
    // credentials (ctx.storeCredentials), never into the answer, and later calls read it from there.
    const { ownerToken } = await createAccount(host.t);
    const created = await host.t.http
      .post('/v1/connections')
      .set(bearer(ownerToken))
      .send({ provider: 'plaid', owner: 'end_user', endUserId: 'creator_42', credentials: keys, settings, inputs: metadata });
    expect([created.status, created.body.status]).toEqual([201, 'connected']);
    const connectionId = created.body.id as string;
    const exchanged = await host.t.http
      .post(`/v1/connections/${connectionId}/actions/exchangePublicToken`)
      .set(bearer(ownerToken))
      .send({ input: { publicToken: fake.state.createPublicToken() } });
    expect(exchanged.status).toBe(200);
    const item = fake.state.item(exchanged.body.itemId)!;
    expect(exchanged.body).toEqual({ itemId: item.item_id, requestId: expect.any(String) });
    expect(JSON.stringify(exchanged.body)).not.toContain(item.access_token);
    const accounts = await host.t.http.post(`/v1/connections/${connectionId}/actions/getAccounts`).set(bearer(ownerToken)).send({ input: {} });
    expect(accounts.status).toBe(200);
    expect(fake.state.requests.at(-1)).toMatchObject({ path: '/accounts/get', body: expect.objectContaining({ access_token: item.access_token }) });
    const audit = await host.t.http.get('/v1/audit-log?action=integration.credentials_stored').set(bearer(ownerToken));
    expect(audit.body.data).toEqual([
      expect.objectContaining({ targetId: connectionId, details: { provider: 'plaid', action: 'exchangePublicToken', fields: ['accessToken', 'itemId'] } }),
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(item.access_token);

    const linked = { ...keys, accessToken: item.access_token, itemId: item.item_id };
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
