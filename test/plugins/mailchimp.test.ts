import { startFakeMailchimp, subscriberHash, type FakeMailchimp, type MailchimpList } from '../fixtures/providers/mailchimp.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const CLIENT = { clientId: '123456789012', clientSecret: 'mailchimp-client-secret', redirectUris: ['http://localhost:3000/v1/oauth/callback'] };

let plugin: PluginDefinition;
let mailchimp: Json;
let fake: FakeMailchimp;
let accessToken: string;
let audience: MailchimpList;

beforeAll(async () => {
  plugin = await loadBundledPlugin('mailchimp');
  mailchimp = plugin.providers[0];
  fake = await startFakeMailchimp();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId).accessToken;
  audience = fake.state.addList('Webinar attendees');
});
afterAll(() => fake.close());

/** A harness for a Mailchimp integration; `metadata` is what verify stored (none before connecting). */
const harness = ({ token = accessToken, settings = {}, metadata = {}, origins = fake.origins }: { token?: string; settings?: Json; metadata?: Json; origins?: Record<string, string> } = {}) =>
  createHarness(plugin, { provider: 'mailchimp', credentials: { accessToken: token }, settings, integration: { metadata }, http: forwardTo(origins) });
const connected = (settings: Json = { listId: audience.id }, token = accessToken) => harness({ token, settings, metadata: { dc: 'us6' } });
const urls = (h: Harness) => h.requests.map((request) => request.url);

function authorize(query: Record<string, string>): Promise<URL> {
  return followAuthorizationUrl(`${mailchimp.auth.authorizationUrl}?${new URLSearchParams(query).toString()}`, fake.origins);
}

const token = (form: Record<string, string>) => postTokenRequest(mailchimp.auth.tokenUrl, fake.origins, form);

describe('mailchimp plugin: OAuth and the data centre', () => {
  it('declares OAuth 2.0 against login.mailchimp.com without scopes or refresh, and a {dc} base URL', () => {
    expect(mailchimp).toMatchObject({
      id: 'mailchimp',
      category: 'email',
      auth: { type: 'oauth2', authorizationUrl: 'https://login.mailchimp.com/oauth2/authorize', tokenUrl: 'https://login.mailchimp.com/oauth2/token', scopes: [], refresh: false },
      baseUrl: 'https://{dc}.api.mailchimp.com/3.0',
    });
    expect(Object.keys(mailchimp.settingsSchema.properties)).toEqual(expect.arrayContaining(['listId', 'doubleOptIn']));
  });

  it('the fake runs Mailchimp’s authorization-code flow: a token that never expires and no refresh token', async () => {
    const back = await authorize({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: CLIENT.redirectUris[0], state: 'st-1' });
    expect(back.origin + back.pathname).toBe(CLIENT.redirectUris[0]);
    expect(back.searchParams.get('state')).toBe('st-1');
    const code = back.searchParams.get('code')!;
    const exchange = { grant_type: 'authorization_code', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, redirect_uri: CLIENT.redirectUris[0], code };
    const granted = await token(exchange);
    expect(granted).toEqual({ status: 200, body: { access_token: expect.any(String), expires_in: 0, scope: null } });
    expect((await harness({ token: granted.body.access_token }).verify()).metadata!.dc).toBe('us6');
    expect(await token(exchange)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
  });

  it('the fake refuses a wrong client secret, a different redirect_uri, and answers access_denied when told to', async () => {
    const code = (await authorize({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: CLIENT.redirectUris[0] })).searchParams.get('code')!;
    const exchange = { grant_type: 'authorization_code', client_id: CLIENT.clientId, client_secret: 'wrong', redirect_uri: CLIENT.redirectUris[0], code };
    expect((await token(exchange)).body.error).toBe('invalid_client');
    expect((await token({ ...exchange, client_secret: CLIENT.clientSecret, redirect_uri: 'http://localhost:3000/elsewhere' })).body.error).toBe('invalid_grant');
    fake.state.oauth.authorizeError = 'access_denied';
    try {
      const denied = await authorize({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: CLIENT.redirectUris[0], state: 'st-2' });
      expect(Object.fromEntries(denied.searchParams)).toEqual({ state: 'st-2', error: 'access_denied' });
    } finally {
      fake.state.oauth.authorizeError = null;
    }
  });

  it('verifies through the metadata endpoint with "Authorization: OAuth" and stores the data centre', async () => {
    const h = harness();
    expect(await h.verify()).toEqual({
      displayName: 'Acme Events',
      metadata: { dc: 'us6', apiEndpoint: 'https://us6.api.mailchimp.com', accountName: 'Acme Events', loginEmail: 'owner@acme.test', userId: 4217 },
    });
    expect(urls(h)).toEqual(['https://login.mailchimp.com/oauth2/metadata']);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`OAuth ${accessToken}`);
  });

  it('refuses a token Mailchimp does not know', async () => {
    await expect(harness({ token: 'not-a-token' }).verify()).rejects.toMatchObject({ code: 'provider_rejected' });
    await expect(connected({}, 'not-a-token').healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('API Key Invalid'),
    });
  });

  it('calls the API in the data centre named by the metadata', async () => {
    const other = await startFakeMailchimp({ dc: 'us19' });
    try {
      other.state.oauth.registerClient(CLIENT);
      const otherToken = other.state.oauth.mintTokens(CLIENT.clientId).accessToken;
      const { metadata } = await harness({ token: otherToken, origins: other.origins }).verify();
      expect(metadata).toMatchObject({ dc: 'us19', apiEndpoint: 'https://us19.api.mailchimp.com' });
      const h = harness({ token: otherToken, metadata, origins: other.origins });
      await h.healthCheck();
      expect(urls(h)).toEqual(['https://us19.api.mailchimp.com/3.0/ping']);
      expect(other.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${otherToken}`);
    } finally {
      await other.close();
    }
  });
});

describe('mailchimp plugin: audiences and members', () => {
  it('adds a member by the MD5 of the lower-cased email, subscribed, with tags', async () => {
    const h = connected();
    const member = await h.action<Json>('addMember', { email: 'Ana.Lima@Example.com', firstName: 'Ana', lastName: 'Lima', tags: ['webinar'] });
    const hash = subscriberHash('ana.lima@example.com');
    expect(member).toEqual({ id: hash, email: 'Ana.Lima@Example.com', status: 'subscribed', listId: audience.id, tags: ['webinar'] });
    expect(urls(h)).toEqual([
      `https://us6.api.mailchimp.com/3.0/lists/${audience.id}/members/${hash}`,
      `https://us6.api.mailchimp.com/3.0/lists/${audience.id}/members/${hash}/tags`,
    ]);
    const put = fake.state.requests.at(-2)!;
    expect(put.method).toBe('PUT');
    expect(put.body).toEqual({ email_address: 'Ana.Lima@Example.com', status_if_new: 'subscribed', merge_fields: { FNAME: 'Ana', LNAME: 'Lima' } });
    expect(audience.members.get(hash)!.tags.map((tag) => tag.name)).toEqual(['webinar']);
  });

  it('adds new members as pending under double opt-in and never re-subscribes an unsubscribed one', async () => {
    const pending = await connected({ listId: audience.id, doubleOptIn: true }).action<Json>('addMember', { email: 'new@example.com' });
    expect(pending.status).toBe('pending');
    const first = await connected().action<Json>('addMember', { email: 'gone@example.com' });
    audience.members.get(first.id)!.status = 'unsubscribed';
    const again = await connected().action<Json>('addMember', { email: 'gone@example.com', firstName: 'Gone' });
    expect(again.status).toBe('unsubscribed');
  });

  it('passes Mailchimp’s refusals on as provider_rejected', async () => {
    await expect(connected().action<Json>('addMember', { email: 'ana@example.com', listId: 'nosuchlist' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Resource Not Found: The requested resource could not be found.',
    });
    await expect(connected().action<Json>('addMember', { email: 'not-an-email' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('email_address: Please provide a valid email address.'),
    });
    await expect(connected({}).action<Json>('addMember', { email: 'ana@example.com' })).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('adds a registrant to the configured audience when registration.received arrives', async () => {
    const h = connected({ listId: audience.id, tags: ['registered'] });
    const event = { id: 'evt_2', event: 'registration.received', timestamp: '2026-01-01T09:00:00Z', accountId: 'acct_test', livemode: false, data: { registrationId: 'reg_7', email: 'bo.silva@example.com', name: 'Bo  da Silva' } };
    await mailchimp.onEvent!['registration.received'](h.context(), event);
    const member = audience.members.get(subscriberHash('bo.silva@example.com'))!;
    expect(member).toMatchObject({ status: 'subscribed', merge_fields: { FNAME: 'Bo', LNAME: 'da Silva' } });
    expect(member.tags.map((tag) => tag.name)).toEqual(['registered']);
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'registrant added to the audience' });
  });

  it('skips a registration when no audience is configured', async () => {
    const h = connected({});
    const event = { id: 'evt_3', event: 'registration.received', timestamp: '2026-01-01T09:00:00Z', accountId: 'acct_test', livemode: false, data: { registrationId: 'r', email: 'x@example.com' } };
    await mailchimp.onEvent!['registration.received'](h.context(), event);
    expect(urls(h)).toEqual([]);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });

  it('lists audiences and syncs all of them with count/offset paging', async () => {
    for (let index = 0; index < 229; index += 1) fake.state.addList(`Audience ${index}`);
    const page = await connected().action<Json>('listAudiences', { count: 2 });
    expect(page.totalItems).toBe(230);
    expect(page.audiences[0]).toMatchObject({ id: audience.id, name: 'Webinar attendees', memberCount: expect.any(Number) });
    const h = connected();
    const result = await h.sync();
    expect(result.records!.audiences).toHaveLength(230);
    expect(new Set(result.records!.audiences.map((entry: { id: string }) => entry.id)).size).toBe(230);
    expect(urls(h).map((url) => new URL(url).searchParams.get('offset'))).toEqual(['0', '100', '200']);
  });
});
