import { adsDateTime, GOOGLE_ADS_SCOPE, startFakeGoogleAds, type FakeGoogleAds } from '../../fixtures/providers/google-ads.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';
import { createAccount } from '../../support/test-app.js';

const CLIENT = { clientId: '1357-ads.apps.googleusercontent.com', clientSecret: 'GOCSPX-plugboard-ads' };
const DEVELOPER_TOKEN = 'OpErAtOr0DevToken_2026x';

/**
 * Google Ads as the host runs it: connected through the host's OAuth flow (Google's PKCE and offline
 * refresh token, the manager account entered as a connection input), the bundled plugin loaded by the
 * real loader into a child process, the operator's developer token handed to calls as an app secret
 * from PLUGBOARD_OAUTH_GOOGLE_ADS_APP_DEVELOPER_TOKEN, and PROVIDER_ORIGIN_OVERRIDES pointing Google's
 * origins at the local fake.
 */
describe('google_ads in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeGoogleAds;

  beforeAll(async () => {
    fake = await startFakeGoogleAds();
    fake.state.oauth.registerClient(CLIENT);
    host = await startProviderHost({
      fakes: [fake],
      integration: { id: '6e1f0c2a-9b8d-4c7e-a5f3-2d4b6c8e0a1f', accountId: 'acct_google_ads' },
      env: {
        PLUGBOARD_OAUTH_GOOGLE_ADS_CLIENT_ID: CLIENT.clientId,
        PLUGBOARD_OAUTH_GOOGLE_ADS_CLIENT_SECRET: CLIENT.clientSecret,
        PLUGBOARD_OAUTH_GOOGLE_ADS_APP_DEVELOPER_TOKEN: DEVELOPER_TOKEN,
      },
    });
  });
  afterAll(() => host?.close());

  it('connects through OAuth with a manager account, uploads a conversion with the developer token, and refuses a partial failure as 422', async () => {
    const { t } = host;
    const action = { id: '445566', name: 'Offline sale', type: 'UPLOAD_CLICKS' as const, createdAt: Date.now() - 10 * 86_400_000 };
    const client = fake.state.addCustomer({ id: '5556667777', conversionActions: new Map([[action.id, action]]) }, { accessible: false });
    const manager = fake.state.addCustomer({ id: '9990001111', manager: true, clients: [client.id] });
    const { ownerToken } = await createAccount(t);
    const bearer = { Authorization: `Bearer ${ownerToken}` };

    const started = await t.http
      .post('/v1/connections/oauth/start')
      .set(bearer)
      .send({ provider: 'google_ads', returnUrl: '/back', inputs: { loginCustomerId: '999-000-1111' } });
    expect(started.status).toBe(200);
    const authorization = new URL(started.body.authorizationUrl);
    expect(authorization.searchParams.get('scope')).toBe(GOOGLE_ADS_SCOPE);
    expect(authorization.searchParams.get('access_type')).toBe('offline');
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    const atGoogle = await fetch(`${fake.url}${authorization.pathname}${authorization.search}`, { redirect: 'manual' });
    const callback = new URL(atGoogle.headers.get('location')!);
    const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
    expect(new URL(atPlugboard.headers.location, 'http://return.test').searchParams.get('status')).toBe('connected');

    // Verify, run inside the callback, already sends the operator's developer token (an app secret).
    const verifyRequest = fake.state.requests.find((request) => request.path.endsWith('/customers:listAccessibleCustomers'))!;
    expect(verifyRequest.headers['developer-token']).toBe(DEVELOPER_TOKEN);

    const list = await t.http.get('/v1/connections?provider=google_ads').set(bearer);
    const connection = list.body.data[0];
    expect(connection).toMatchObject({
      displayName: `Google Ads ${'999-000-1111'}`,
      metadata: expect.objectContaining({ customerIds: [manager.id], loginCustomerId: '999-000-1111' }),
    });

    const gclid = fake.state.addClick(client.id);
    const conversionDateTime = adsDateTime(Date.now() - 3_600_000);
    const uploaded = await t.http
      .post(`/v1/connections/${connection.id}/actions/uploadClickConversion`)
      .set(bearer)
      .send({ input: { customerId: client.id, gclid, conversionAction: action.id, conversionDateTime, value: 2500, currency: 'EUR', orderId: 'INV-42' } });
    expect(uploaded.status).toBe(200);
    expect(uploaded.body).toMatchObject({ customerId: client.id, conversionValue: 25, currency: 'EUR', uploaded: true, duplicate: false });
    const sent = fake.state.requests.at(-1)!;
    expect(sent).toMatchObject({ method: 'POST', path: `/v26/customers/${client.id}:uploadClickConversions` });
    expect(sent.headers).toMatchObject({
      'developer-token': DEVELOPER_TOKEN,
      'login-customer-id': manager.id,
      authorization: expect.stringMatching(/^Bearer at_/),
    });
    expect((sent.body as Json).partialFailure).toBe(true);
    expect(fake.state.uploads.at(-1)).toMatchObject({ customerId: client.id, gclid, conversionValue: 25, currencyCode: 'EUR', orderId: 'INV-42' });

    const unknown = await t.http
      .post(`/v1/connections/${connection.id}/actions/uploadClickConversion`)
      .set(bearer)
      .send({ input: { customerId: client.id, gclid: 'Cj0KCQnotAClickGoogleKnows000', conversionAction: action.id, conversionDateTime } });
    expect(fake.state.requests.at(-1)!.path).toBe(`/v26/customers/${client.id}:uploadClickConversions`);
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ code: 'provider_rejected', detail: expect.stringContaining('[conversionUploadError: EVENT_NOT_FOUND]') });
  });
});
