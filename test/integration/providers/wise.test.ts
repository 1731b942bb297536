import { createPublicKey, verify } from 'node:crypto';
import type { VerifyResult } from '../../../src/sdk/index.js';
import {
  generateScaKeyPair,
  startFakeWise,
  WISE_BUSINESS_PROFILE_ID,
  WISE_PUBLISHED_SANDBOX_DELIVERY,
  WISE_TEST_TOKEN,
  type FakeWise,
} from '../../fixtures/providers/wise.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const INTEGRATION_ID = '9b2d4f6a-8c1e-4a3b-9d5f-7e0a2c4b6d81';
const PROFILE = String(WISE_BUSINESS_PROFILE_ID);

/** The Wise plugin as the host runs it: the real loader, a sandboxed child process, the host's HTTP client and PROVIDER_ORIGIN_OVERRIDES. */
describe('wise through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let wise: FakeWise;

  beforeAll(async () => {
    wise = await startFakeWise();
    host = await startProviderHost({ fakes: [wise], integration: { id: INTEGRATION_ID, accountId: 'acct_wise' } });
  });
  afterAll(() => host?.close());

  it('verifies, quotes, creates a recipient and a transfer, funds it through an SCA challenge, checks webhooks and maps a paid transfer', async () => {
    const { runner } = host;
    const { privateKeyPem, publicKeyPem } = generateScaKeyPair();
    const credentials = { apiToken: WISE_TEST_TOKEN, scaPrivateKey: privateKeyPem };

    const verified = await runner.invoke<VerifyResult>('wise', {
      kind: 'verify',
      context: host.context(credentials, {}, { environment: 'sandbox', profileId: PROFILE }),
    });
    expect(verified).toEqual({
      displayName: 'Wise sandbox: Acme Events Ltd',
      metadata: {
        apiHost: 'api.sandbox.transferwise.tech',
        profileId: PROFILE,
        profileName: 'Acme Events Ltd',
        profileType: 'business',
        scaKeyConfigured: true,
      },
    });
    expect(wise.state.requests.at(-1)).toMatchObject({
      path: '/v2/profiles',
      headers: expect.objectContaining({ authorization: `Bearer ${WISE_TEST_TOKEN}` }),
    });

    // What the host keeps: the connection inputs and what verify reported.
    const context = host.context(credentials, {}, { ...verified.metadata, environment: 'sandbox' });
    const invoke = (name: string, input: Json) => runner.invoke<Json>('wise', { kind: 'action', name, input, context });

    const quote = await invoke('createQuote', { sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 60_000 });
    expect(wise.state.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: `/v3/profiles/${PROFILE}/quotes`,
      body: { sourceCurrency: 'GBP', targetCurrency: 'EUR', sourceAmount: 600, preferredPayIn: 'BALANCE' },
      headers: expect.objectContaining({ authorization: `Bearer ${WISE_TEST_TOKEN}` }),
    });
    const recipient = await invoke('createRecipient', {
      currency: 'EUR',
      type: 'iban',
      accountHolderName: 'Studio Lumen GmbH',
      details: { legalType: 'BUSINESS', IBAN: 'DE89370400440532013000' },
    });
    const transfer = await invoke('createTransfer', { quoteId: quote.quoteId, recipientId: recipient.recipientId, reference: 'Workshop 12' });
    expect(transfer).toMatchObject({
      status: 'incoming_payment_waiting',
      sourceAmount: 60_000,
      sourceCurrency: 'GBP',
      targetAmount: quote.targetAmount,
      targetCurrency: 'EUR',
    });

    // No money yet: Wise's REJECTED funding is a refusal (422) with its reason.
    await expect(invoke('fundTransfer', { transferId: transfer.transferId })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('(transfer.insufficient_funds)'),
    });

    // With SCA on, Wise challenges the funding; the plugin signs the one-time token and repeats it.
    wise.state.setBalance(WISE_BUSINESS_PROFILE_ID, 'GBP', 100_000);
    wise.state.enableSca(publicKeyPem);
    const before = wise.state.requests.length;
    await expect(invoke('fundTransfer', { transferId: transfer.transferId })).resolves.toMatchObject({ status: 'COMPLETED', scaSigned: true });
    const [challenged, signed] = wise.state.requests.slice(before);
    expect(challenged.headers['x-2fa-approval']).toBeUndefined();
    expect(
      verify('sha256', Buffer.from(signed.headers['x-2fa-approval']), createPublicKey(publicKeyPem), Buffer.from(signed.headers['x-signature'], 'base64')),
    ).toBe(true);
    expect(wise.state.balance(WISE_BUSINESS_PROFILE_ID, 'GBP')).toBe(100_000 - 60_000);

    // Webhooks: Wise's own signed sandbox delivery verifies; the same body signed with any other key does not.
    const inbound = (rawBody: string, signature?: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'x-signature-sha256': signature } : {}) },
      query: {},
      rawBody,
      body: JSON.parse(rawBody) as unknown,
    });
    const published = WISE_PUBLISHED_SANDBOX_DELIVERY;
    await expect(runner.invoke('wise', { kind: 'webhookVerify', input: inbound(published.rawBody, published.signature), context })).resolves.toBe(true);
    await expect(
      runner.invoke('wise', { kind: 'webhookVerify', input: inbound(published.rawBody, wise.state.signWithForeignKey(published.rawBody)), context }),
    ).resolves.toBe(false);

    wise.state.advance(transfer.transferId, 'outgoing_payment_sent');
    const paid = wise.state.stateChangeEvent(transfer.transferId, 'outgoing_payment_sent', 'funds_converted');
    await expect(runner.invoke('wise', { kind: 'webhookToEvents', input: inbound(paid), context })).resolves.toEqual([
      {
        event: 'payout.paid',
        data: expect.objectContaining({
          payoutId: String(transfer.transferId),
          provider: 'wise',
          amount: quote.targetAmount,
          currency: 'EUR',
          recipient: String(recipient.recipientId),
        }),
      },
    ]);
    expect(wise.state.requests.at(-1)).toMatchObject({ method: 'GET', path: `/v1/transfers/${transfer.transferId}` });
  });
});
