import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, OpenFeature, StandardResolutionReasons } from '@openfeature/server-sdk';
import { PlugboardFlagProvider } from '../../clients/openfeature/src/index.js';
import { tempDir } from '../support/plugin-fixtures.js';
import { bearer, createAccount, startTestApp, type TestApp } from '../support/test-app.js';

const TEMPLATE = `
steps:
  - key: payments
    title: Payments
    providers:
      stripe: required
flags:
  integrations.reviews_email: { default: true, requiresConnection: false }
  integrations.beta_reports: { default: false, requiresConnection: false }
`;

/**
 * The host platform evaluates Plugboard's flags through the OpenFeature SDK, with the provider of
 * clients/openfeature talking to a live Plugboard.
 */
describe('Plugboard flags through the OpenFeature server SDK', () => {
  let t: TestApp;
  let baseUrl: string;
  const requests: string[] = [];
  const counting: typeof fetch = (input, init) => {
    requests.push(input instanceof Request ? input.url : input.toString());
    return fetch(input, init);
  };

  beforeAll(async () => {
    const template = join(tempDir('plugboard-openfeature-'), 'onboarding.yaml');
    writeFileSync(template, TEMPLATE);
    t = await startTestApp({ ONBOARDING_FILE: template });
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await OpenFeature.close();
    await t?.close();
  });

  async function accountWithKey(): Promise<{ ownerToken: string; key: string }> {
    const { ownerToken } = await createAccount(t);
    const created = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: 'flags', mode: 'live', permissions: ['account.view'] });
    expect(created.status).toBe(201);
    return { ownerToken, key: created.body.key as string };
  }

  it('evaluates booleans with the account’s values and why, from one cached request', async () => {
    const { ownerToken, key } = await accountWithKey();
    await t.http.patch('/v1/feature-flags/integrations.beta_reports').set(bearer(ownerToken)).send({ value: true });
    await OpenFeature.setProviderAndWait('cached', new PlugboardFlagProvider({ baseUrl, token: key, fetch: counting }));
    const client = OpenFeature.getClient('cached');
    requests.length = 0;

    expect(await client.getBooleanValue('integrations.reviews_email', false)).toBe(true);
    expect(await client.getBooleanDetails('integrations.beta_reports', false)).toMatchObject({
      value: true,
      variant: 'on',
      reason: StandardResolutionReasons.TARGETING_MATCH,
      flagMetadata: { source: 'override' },
    });
    // Stripe is not connected: its flag is forced off.
    expect(await client.getBooleanDetails('integrations.stripe', true)).toMatchObject({
      value: false,
      reason: StandardResolutionReasons.DISABLED,
      flagMetadata: { source: 'not_connected' },
    });
    expect(requests).toEqual([]); // read once by initialize, before the provider was ready

    expect(await client.getBooleanDetails('integrations.unknown', true)).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND });
    expect(await client.getStringDetails('integrations.reviews_email', 'x')).toMatchObject({ value: 'x', errorCode: ErrorCode.TYPE_MISMATCH });
  });

  it('follows changes when the cache is off, and picks each tenant’s account from the evaluation context', async () => {
    const a = await accountWithKey();
    const b = await accountWithKey();
    await t.http.patch('/v1/feature-flags/integrations.reviews_email').set(bearer(b.ownerToken)).send({ value: false });
    const keys: Record<string, string> = { tenant_a: a.key, tenant_b: b.key };
    await OpenFeature.setProviderAndWait(
      'tenants',
      new PlugboardFlagProvider({ baseUrl, token: (context) => keys[String(context.targetingKey)] ?? 'pb_live_unknown', cacheTtlMs: 0, fetch: counting }),
    );
    const client = OpenFeature.getClient('tenants');
    expect(await client.getBooleanValue('integrations.reviews_email', false, { targetingKey: 'tenant_a' })).toBe(true);
    expect(await client.getBooleanValue('integrations.reviews_email', true, { targetingKey: 'tenant_b' })).toBe(false);

    await t.http.patch('/v1/feature-flags/integrations.reviews_email').set(bearer(a.ownerToken)).send({ value: false });
    expect(await client.getBooleanValue('integrations.reviews_email', true, { targetingKey: 'tenant_a' })).toBe(false);

    // A key Plugboard refuses gives the caller's default, with the reason.
    const refused = await client.getBooleanDetails('integrations.reviews_email', true, { targetingKey: 'tenant_c' });
    expect(refused).toMatchObject({
      value: true,
      errorCode: ErrorCode.GENERAL,
      errorMessage: expect.stringMatching(/^Plugboard answered 401 unauthenticated/),
    });
  });

  it('reports Plugboard not answering as an error and keeps no failed read', async () => {
    const { key } = await accountWithKey();
    let down = true;
    const flaky: typeof fetch = (input, init) => (down ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init));
    await OpenFeature.setProviderAndWait('flaky', new PlugboardFlagProvider({ baseUrl, token: () => key, fetch: flaky }));
    const client = OpenFeature.getClient('flaky');
    expect(await client.getBooleanDetails('integrations.reviews_email', false)).toMatchObject({
      value: false,
      errorCode: ErrorCode.GENERAL,
      errorMessage: 'Plugboard did not answer: fetch failed',
    });
    down = false;
    expect(await client.getBooleanValue('integrations.reviews_email', false)).toBe(true);
  });
});
