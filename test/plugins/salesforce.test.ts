import { createHash, createHmac, randomBytes } from 'node:crypto';
import { SALESFORCE_API_VERSION, SALESFORCE_SCOPES, startFakeSalesforce, type FakeSalesforce, type SObjectRecord } from '../fixtures/providers/salesforce.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import type { RecordedRequest } from '../fixtures/providers/fake-http-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import { readTokenMetadata } from '../../src/sdk/provider-auth.js';
import { readJson, type PluginDefinition, type PlugboardEvent } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '3MVG9plugboardConsumerKey', clientSecret: 'salesforce-consumer-secret', redirectUris: [REDIRECT_URI] };
const DATA = `/services/data/${SALESFORCE_API_VERSION}`;
const MAPPING = {
  registered: 'Webinar_Registered__c',
  registeredAt: 'Webinar_Registered_At__c',
  attended: 'Webinar_Attended__c',
  lastAttendedAt: 'Webinar_Last_Attended__c',
  watchTimeSeconds: 'Webinar_Watch_Seconds__c',
  lastSessionId: 'Webinar_Last_Session__c',
};

let plugin: PluginDefinition;
let salesforce: Json;
let fake: FakeSalesforce;
let accessToken: string;
let campaign: SObjectRecord;
let settings: Json;

beforeAll(async () => {
  plugin = await loadBundledPlugin('salesforce');
  salesforce = plugin.providers[0];
  fake = await startFakeSalesforce();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, SALESFORCE_SCOPES).accessToken;
  fake.state.dailyApiRequests.max = 1_000_000;
  for (const object of ['Lead', 'Contact']) {
    fake.state.addField(object, { name: MAPPING.registered, label: 'Webinar Registered', type: 'boolean' });
    fake.state.addField(object, { name: MAPPING.registeredAt, label: 'Webinar Registered At', type: 'datetime' });
    fake.state.addField(object, { name: MAPPING.attended, label: 'Webinar Attended', type: 'boolean' });
    fake.state.addField(object, { name: MAPPING.lastAttendedAt, label: 'Webinar Last Attended', type: 'datetime' });
    fake.state.addField(object, { name: MAPPING.watchTimeSeconds, label: 'Webinar Watch Seconds', type: 'double' });
    fake.state.addField(object, { name: MAPPING.lastSessionId, label: 'Webinar Last Session', type: 'string', length: 255 });
  }
  fake.state.addField('Lead', { name: 'Plugboard_Key__c', label: 'Plugboard Key', type: 'string', length: 64, unique: true, externalId: true });
  fake.state.addField('Lead', { name: 'Short_Code__c', label: 'Short Code', type: 'string', length: 5 });
  campaign = fake.state.addCampaign('Spring launch webinar', [
    { label: 'Invited', isDefault: true },
    { label: 'Registered' },
    { label: 'Attended', hasResponded: true },
    { label: 'Converted', hasResponded: true },
  ]);
  settings = {
    object: 'Lead',
    fieldMapping: MAPPING,
    leadSource: 'Webinar',
    campaignId: campaign.Id,
    registeredStatus: 'Registered',
    attendedStatus: 'Attended',
  };
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.beforeWrite = undefined;
  fake.state.queryBatchSize = 2000;
  fake.state.dailyApiRequests = { max: 1_000_000, used: 0 };
});

const metadataFor = (extra: Json = {}) => ({
  loginHost: 'login.salesforce.com',
  instanceUrl: fake.state.instanceUrl,
  organizationId: fake.state.orgId,
  ...extra,
});
const harness = ({ token = accessToken, settings: given = {}, metadata = metadataFor() }: { token?: string; settings?: Json; metadata?: Json } = {}) =>
  createHarness(plugin, {
    provider: 'salesforce',
    credentials: { accessToken: token, tokenType: 'Bearer' },
    settings: given,
    integration: { metadata },
    http: forwardTo(fake.origins),
  });
const urls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);
const event = (type: string, data: Json): PlugboardEvent => ({
  id: `evt_${Math.random().toString(36).slice(2)}`,
  event: type,
  timestamp: '2026-03-02T16:00:00.000Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});
const react = (h: Harness, type: string, data: Json): Promise<void> => salesforce.onEvent[type](h.context(), event(type, data));
const records = (type: string) => [...fake.state.objects[type].records.values()].filter((record) => record.IsDeleted !== true);
const byEmail = (type: string, email: string) => records(type).filter((record) => String(record.Email).toLowerCase() === email.toLowerCase());
const membersOf = (personId: string) => records('CampaignMember').filter((member) => member.LeadId === personId || member.ContactId === personId);
/** What the fake received since `from`: method and path, with the SOQL of queries. */
const sent = (from: number) =>
  fake.state.requests.slice(from).map((request: RecordedRequest) => `${request.method} ${request.path}${request.query.q ? ` ${request.query.q}` : ''}`);
const token = (form: Record<string, string>, host = 'login.salesforce.com') =>
  postTokenRequest(salesforce.auth.tokenUrl.replace('{loginHost}', host), fake.origins, form);

describe('salesforce plugin: declaration and OAuth', () => {
  it('declares the web server flow at the login host entered first, PKCE, the instance URL kept from the token answer, and a daily budget per org', () => {
    expect(salesforce).toMatchObject({
      id: 'salesforce',
      category: 'crm',
      baseUrl: `{+instanceUrl}${DATA}`,
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://{loginHost}/services/oauth2/authorize',
        tokenUrl: 'https://{loginHost}/services/oauth2/token',
        scopes: SALESFORCE_SCOPES.split(' '),
        pkce: true,
        refresh: true,
        tokenMetadata: { instanceUrl: { pointer: '/instance_url', pattern: expect.any(String) } },
      },
      rateLimits: [{ requests: 10_000, windowMs: 86_400_000, scope: 'account', accountKey: 'organizationId' }],
    });
    const ajv = createSchemaCompiler();
    const inputs = ajv.compile(salesforce.connectionInputs);
    for (const loginHost of [
      'login.salesforce.com',
      'test.salesforce.com',
      'acme.my.salesforce.com',
      'acme--uat.sandbox.my.salesforce.com',
      'acme-dev-ed.develop.my.salesforce.com',
    ])
      expect([loginHost, inputs({ loginHost })]).toEqual([loginHost, true]);
    for (const loginHost of [
      'evil.example.com',
      'https://login.salesforce.com',
      'login.salesforce.com/x',
      'acme.my.salesforce.com.evil.io',
      'ACME.my.salesforce.com',
      'a.b.my.salesforce.com',
      '',
    ])
      expect([loginHost, inputs({ loginHost })]).toEqual([loginHost, false]);
    expect(inputs({})).toBe(false);
    expect(inputs({ loginHost: 'login.salesforce.com', extra: 1 })).toBe(false);

    const pattern = new RegExp(salesforce.auth.tokenMetadata.instanceUrl.pattern);
    for (const url of [
      'https://acme.my.salesforce.com',
      'https://acme--uat.sandbox.my.salesforce.com',
      'https://na123.salesforce.com',
      'https://acme.lightning.force.com',
    ])
      expect([url, pattern.test(url)]).toEqual([url, true]);
    for (const url of [
      'http://acme.my.salesforce.com',
      'https://acme.my.salesforce.com.evil.io',
      'https://salesforce.com.evil.io',
      'https://evil.io/x.salesforce.com',
      'https://acme.my.salesforce.com/path',
    ])
      expect([url, pattern.test(url)]).toEqual([url, false]);
  });

  it('the fake runs Salesforce’s flow: PKCE checked, instance_url/id/issued_at/signature and no expires_in, refresh, revoke', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(salesforce.auth.authorizationUrl.replace('{loginHost}', 'test.salesforce.com'));
    for (const [key, value] of Object.entries({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: salesforce.auth.scopes.join(' '),
      state: 'st-1',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(key, value);
    const back = await followAuthorizationUrl(authorize, fake.origins);
    expect(back.searchParams.get('state')).toBe('st-1');
    const exchange = {
      grant_type: 'authorization_code',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      redirect_uri: REDIRECT_URI,
      code: back.searchParams.get('code')!,
    };

    expect(await token(exchange, 'test.salesforce.com')).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'invalid code verifier' } });
    const granted = await token({ ...exchange, code_verifier: verifier }, 'test.salesforce.com');
    expect(granted).toEqual({
      status: 200,
      body: {
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        signature: expect.any(String),
        scope: SALESFORCE_SCOPES,
        instance_url: fake.state.instanceUrl,
        id: `https://login.salesforce.com/id/${fake.state.orgId}/${fake.state.userId}`,
        token_type: 'Bearer',
        issued_at: expect.stringMatching(/^\d{13}$/),
      },
    });
    // Salesforce's documented check: HMAC-SHA256 of id + issued_at with the consumer secret.
    expect(granted.body.signature).toBe(
      createHmac('sha256', CLIENT.clientSecret)
        .update(granted.body.id + granted.body.issued_at)
        .digest('base64'),
    );
    expect(readTokenMetadata(salesforce.auth.tokenMetadata, granted.body)).toEqual({ instanceUrl: fake.state.instanceUrl });
    expect(() => readTokenMetadata(salesforce.auth.tokenMetadata, { ...granted.body, instance_url: 'https://attacker.example' })).toThrow(/instance_url/);

    const refresh = { grant_type: 'refresh_token', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, refresh_token: granted.body.refresh_token };
    const refreshed = await token(refresh, 'test.salesforce.com');
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ instance_url: fake.state.instanceUrl, token_type: 'Bearer' });
    expect(refreshed.body.refresh_token).toBeUndefined();
    expect(refreshed.body.expires_in).toBeUndefined();
    expect(refreshed.body.access_token).not.toBe(granted.body.access_token);
    await harness({ token: refreshed.body.access_token }).healthCheck();

    const revoked = await fetch(`${fake.url}/services/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token: granted.body.refresh_token }) });
    expect(revoked.status).toBe(200);
    expect(await token(refresh)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'expired access/refresh token' } });
    expect(await token({ ...refresh, client_secret: 'wrong' })).toEqual({
      status: 400,
      body: { error: 'invalid_client', error_description: 'invalid client credentials' },
    });
    await expect(harness({ token: refreshed.body.access_token }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });
});

describe('salesforce plugin: verify and health', () => {
  it('verifies through UserInfo at the login host, then the REST resources of the pinned version', async () => {
    const h = harness({ metadata: { loginHost: 'login.salesforce.com', instanceUrl: fake.state.instanceUrl } });
    expect(await h.verify()).toEqual({
      displayName: 'Ada Admin (admin@acme-events.example)',
      metadata: {
        organizationId: fake.state.orgId,
        userId: fake.state.userId,
        username: 'admin@acme-events.example',
        name: 'Ada Admin',
        email: 'ada@acme-events.example',
        identityUrl: `https://login.salesforce.com/id/${fake.state.orgId}/${fake.state.userId}`,
      },
    });
    expect(urls(h)).toEqual(['GET https://login.salesforce.com/services/oauth2/userinfo', `GET ${fake.state.instanceUrl}${DATA}/`]);
    expect(h.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${accessToken}`, `Bearer ${accessToken}`]);

    const sandbox = harness({ metadata: { loginHost: 'test.salesforce.com', instanceUrl: fake.state.instanceUrl } });
    await sandbox.verify();
    expect(sandbox.requests[0].url).toBe('https://test.salesforce.com/services/oauth2/userinfo');
    const myDomain = harness({ metadata: { loginHost: 'acme-events.my.salesforce.com', instanceUrl: fake.state.instanceUrl } });
    await myDomain.verify();
    expect(myDomain.requests[0].url).toBe('https://acme-events.my.salesforce.com/services/oauth2/userinfo');
    // A login host that is not Salesforce's never gets the token: the instance answers instead.
    const odd = harness({ metadata: { loginHost: 'evil.example.com', instanceUrl: fake.state.instanceUrl } });
    await odd.verify();
    expect(odd.requests[0].url).toBe(`${fake.state.instanceUrl}/services/oauth2/userinfo`);
  });

  it('refuses an expired or revoked session, a connection without an instance URL, and a token without the api scope', async () => {
    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, SALESFORCE_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(harness({ token: stale }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect the Salesforce account again'),
    });
    const lost = harness({ metadata: { loginHost: 'login.salesforce.com' } });
    await expect(lost.verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('no Salesforce instance URL') });
    expect(lost.requests).toEqual([]);
    const { accessToken: narrow } = fake.state.oauth.mintTokens(CLIENT.clientId, 'openid refresh_token');
    await expect(harness({ token: narrow }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Salesforce refused the session (This session is not valid for use with the REST API): refresh the connection, or connect the Salesforce account again.',
    });
  });

  it('checks health with the REST resources of the version, and reads INVALID_SESSION_ID as “connect again”', async () => {
    const before = fake.state.requests.length;
    await harness().healthCheck();
    expect(sent(before)).toEqual([`GET ${DATA}/`]);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, SALESFORCE_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(harness({ token: stale }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Salesforce refused the session (Session expired or invalid): refresh the connection, or connect the Salesforce account again.',
    });
    const answer = await fetch(`${fake.url}${DATA}/`, { headers: { authorization: `Bearer ${stale}` } });
    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });
});

describe('salesforce plugin: actions', () => {
  it('upsertLead finds the lead by email with an escaped SOQL literal, creates it (201), then updates it (204)', async () => {
    const h = harness();
    const email = "Siobhan.O'Brien@Example.com";
    const before = fake.state.requests.length;
    const created = await h.action<Json>('upsertLead', {
      email,
      firstName: 'Siobhán',
      lastName: "O'Brien",
      company: 'Acme Events',
      fields: { Title: 'CTO', [MAPPING.attended]: true, [MAPPING.watchTimeSeconds]: 90 },
    });
    expect(created).toEqual({ id: expect.stringMatching(/^00Q[A-Za-z0-9]{15}$/), email, created: true });
    expect(sent(before)).toEqual([
      `GET ${DATA}/query SELECT Id, Email FROM Lead WHERE Email = 'Siobhan.O\\'Brien@Example.com' AND IsConverted = false ORDER BY LastModifiedDate DESC LIMIT 1`,
      `POST ${DATA}/sobjects/Lead`,
    ]);
    expect(fake.state.requests.at(-1)!.body).toEqual({
      Email: email,
      Title: 'CTO',
      [MAPPING.attended]: true,
      [MAPPING.watchTimeSeconds]: 90,
      FirstName: 'Siobhán',
      LastName: "O'Brien",
      Company: 'Acme Events',
    });
    expect(fake.state.objects.Lead.records.get(created.id)).toMatchObject({
      Name: "Siobhán O'Brien",
      Status: 'Open - Not Contacted',
      [MAPPING.attended]: true,
    });

    const updated = await h.action<Json>('upsertLead', { email: email.toLowerCase(), lastName: "O'Brien-Lee", leadSource: 'Webinar' });
    expect(updated).toEqual({ id: created.id, email, created: false });
    const patch = fake.state.requests.at(-1)!;
    expect([patch.method, patch.path, patch.body]).toEqual([
      'PATCH',
      `${DATA}/sobjects/Lead/${created.id}`,
      { LastName: "O'Brien-Lee", LeadSource: 'Webinar' },
    ]);
    expect(fake.state.objects.Lead.records.get(created.id)).toMatchObject({ LastName: "O'Brien-Lee", Company: 'Acme Events', FirstName: 'Siobhán' });
    expect(byEmail('Lead', email)).toHaveLength(1);
  });

  it('upsertLead leaves converted leads alone and creates a new one', async () => {
    const converted = fake.state.addRecord('Lead', {
      Email: 'conv@example.com',
      LastName: 'Old',
      Company: 'Was',
      IsConverted: true,
      Status: 'Closed - Converted',
    });
    const result = await harness().action<Json>('upsertLead', { email: 'conv@example.com', lastName: 'New', company: 'Now' });
    expect(result.created).toBe(true);
    expect(result.id).not.toBe(converted.Id);
    expect(converted.LastName).toBe('Old');
  });

  it('upsertLead passes Salesforce’s refusals on readably: a missing company, an unknown field, a duplicate unique value', async () => {
    const h = harness();
    await expect(h.action('upsertLead', { email: 'nocompany@example.com', lastName: 'Nobody' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Required fields are missing: [Company] (REQUIRED_FIELD_MISSING on Company)',
    });
    expect(byEmail('Lead', 'nocompany@example.com')).toEqual([]);
    const withDefault = await harness({ settings: { defaultCompany: 'Independent' } }).action<Json>('upsertLead', {
      email: 'nocompany@example.com',
      lastName: 'Nobody',
    });
    expect(fake.state.objects.Lead.records.get(withDefault.id)!.Company).toBe('Independent');

    await expect(h.action('upsertLead', { email: 'shoes@example.com', lastName: 'Shoe', company: 'S', fields: { Shoe_Size__c: 44 } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "No such column 'Shoe_Size__c' on sobject of type Lead (INVALID_FIELD)",
    });
    const keyed = fake.state.addRecord('Lead', { Email: 'keyed@example.com', LastName: 'Keyed', Company: 'K', Plugboard_Key__c: 'K-1' });
    await expect(
      h.action('upsertLead', { email: 'other@example.com', lastName: 'Other', company: 'O', fields: { Plugboard_Key__c: 'k-1' } }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `duplicate value found: Plugboard_Key__c duplicates value on record with id: ${keyed.Id} (DUPLICATE_VALUE on Plugboard_Key__c)`,
    });
    await expect(h.action('upsertLead', { email: 'bad-source@example.com', lastName: 'B', company: 'B', fields: { Status: 'Hot' } })).rejects.toMatchObject({
      message: 'Status: bad value for restricted picklist field: Hot (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST on Status)',
    });
  });

  it('refuses malformed inputs and settings at the schema, before any call', () => {
    const ajv = createSchemaCompiler();
    const upsert = ajv.compile(salesforce.actions.upsertLead.inputSchema);
    expect(upsert({ email: "o'brien@example.com", lastName: "O'Brien", fields: { Title: 'CTO', Webinar_Attended__c: true, Phone: null } })).toBe(true);
    expect(upsert({ email: 'not-an-email', lastName: 'X' })).toBe(false);
    expect(upsert({ email: 'a@example.com' })).toBe(false);
    expect(upsert({ email: 'a@example.com', lastName: 'X', fields: { Email: 'b@example.com' } })).toBe(false);
    expect(upsert({ email: 'a@example.com', lastName: 'X', fields: { 'Bad Name': 1 } })).toBe(false);
    expect(upsert({ email: 'a@example.com', lastName: 'X', fields: { Title: { nested: true } } })).toBe(false);
    expect(upsert({ email: 'a@example.com', lastName: 'X'.repeat(81) })).toBe(false);
    expect(upsert({ email: 'a@example.com', lastName: 'X', extra: 1 })).toBe(false);
    const describe = ajv.compile(salesforce.actions.describeFields.inputSchema);
    expect(describe({ object: 'CampaignMember' })).toBe(true);
    expect(describe({ object: 'Account' })).toBe(false);
    const statuses = ajv.compile(salesforce.actions.campaignStatuses.inputSchema);
    expect(statuses({ campaignId: campaign.Id })).toBe(true);
    expect(statuses({ campaignId: '00Q5g0000000001AAA' })).toBe(false);
    const check = ajv.compile(salesforce.settingsSchema);
    expect(check(settings)).toBe(true);
    expect(check({ object: 'Account' })).toBe(false);
    expect(check({ fieldMapping: { attended: 'Webinar Attended' } })).toBe(false);
    expect(check({ attendedStatus: 'Attended' })).toBe(false);
    expect(check({ campaignId: 'not-a-campaign' })).toBe(false);
  });

  it('describeFields lists the org’s fields with types, settability and active picklist values', async () => {
    const h = harness();
    const lead = await h.action<Json>('describeFields', { object: 'Lead' });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'GET', path: `${DATA}/sobjects/Lead/describe` });
    expect(lead.object).toBe('Lead');
    expect(lead.fields).toEqual(
      expect.arrayContaining([
        { name: 'Email', label: 'Email', type: 'email', updateable: true, createable: true, nillable: true, custom: false, length: 80, picklistValues: [] },
        expect.objectContaining({ name: MAPPING.attended, type: 'boolean', custom: true, updateable: true }),
        expect.objectContaining({ name: 'CreatedDate', type: 'datetime', updateable: false }),
        expect.objectContaining({
          name: 'Status',
          type: 'picklist',
          picklistValues: [
            { value: 'Open - Not Contacted', label: 'Open - Not Contacted', default: true },
            { value: 'Working - Contacted', label: 'Working - Contacted', default: false },
            { value: 'Closed - Converted', label: 'Closed - Converted', default: false },
            { value: 'Closed - Not Converted', label: 'Closed - Not Converted', default: false },
          ],
        }),
      ]),
    );
    const settable = await h.action<Json>('describeFields', { object: 'Lead', updateableOnly: true });
    const names = settable.fields.map((described: Json) => described.name);
    expect(names).toEqual(expect.arrayContaining(['Email', 'LastName', MAPPING.watchTimeSeconds]));
    expect(names).not.toEqual(expect.arrayContaining(['CreatedDate']));
    expect(names).not.toContain('IsConverted');
    expect(names).not.toContain('Name');
    const member = await h.action<Json>('describeFields', { object: 'CampaignMember' });
    expect(member.fields.find((described: Json) => described.name === 'CampaignId')).toMatchObject({ type: 'reference', createable: true, updateable: false });
  });

  it('campaignStatuses lists the member statuses in order, and says so when the campaign is not there', async () => {
    const h = harness();
    expect(await h.action('campaignStatuses', { campaignId: campaign.Id })).toEqual({
      campaignId: campaign.Id,
      statuses: [
        { label: 'Invited', isDefault: true, hasResponded: false },
        { label: 'Registered', isDefault: false, hasResponded: false },
        { label: 'Attended', isDefault: false, hasResponded: true },
        { label: 'Converted', isDefault: false, hasResponded: true },
      ],
    });
    expect(fake.state.requests.at(-1)!.query.q).toBe(
      `SELECT Id, Label, IsDefault, HasResponded, SortOrder FROM CampaignMemberStatus WHERE CampaignId = '${campaign.Id}' ORDER BY SortOrder ASC`,
    );
    await expect(h.action('campaignStatuses', { campaignId: '7015g0000000zzzAAA' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Salesforce has no campaign 7015g0000000zzzAAA that this user can see.',
    });
  });
});

describe('salesforce plugin: reactions', () => {
  it('registration.received creates the lead with the mapped fields and adds it to the campaign as Registered; a redelivery duplicates nothing', async () => {
    const h = harness({ settings });
    const before = fake.state.requests.length;
    await react(h, 'registration.received', {
      registrationId: 'reg_1',
      sessionId: 'sess_9',
      email: 'Cy.Ng@Example.com',
      name: 'Cy  van Ng',
      registeredAt: '2026-03-01T09:30:00Z',
    });
    const [lead] = byEmail('Lead', 'cy.ng@example.com');
    expect(lead).toMatchObject({
      Email: 'Cy.Ng@Example.com',
      FirstName: 'Cy',
      LastName: 'van Ng',
      Company: '[not provided]',
      LeadSource: 'Webinar',
      [MAPPING.registered]: true,
      [MAPPING.registeredAt]: '2026-03-01T09:30:00.000+0000',
      [MAPPING.lastSessionId]: 'sess_9',
      [MAPPING.attended]: false,
    });
    expect(membersOf(lead.Id)).toEqual([expect.objectContaining({ CampaignId: campaign.Id, LeadId: lead.Id, Status: 'Registered', HasResponded: false })]);
    expect(sent(before)).toEqual([
      `GET ${DATA}/query SELECT Id, Email FROM Lead WHERE Email IN ('Cy.Ng@Example.com') AND IsConverted = false ORDER BY LastModifiedDate DESC`,
      `POST ${DATA}/composite/sobjects`,
      `GET ${DATA}/query SELECT Id, LeadId, Status, HasResponded FROM CampaignMember WHERE CampaignId = '${campaign.Id}' AND LeadId IN ('${lead.Id}')`,
      `POST ${DATA}/composite/sobjects`,
    ]);
    expect(fake.state.requests[before + 1].body).toEqual({
      allOrNone: false,
      records: [
        {
          attributes: { type: 'Lead' },
          Email: 'Cy.Ng@Example.com',
          FirstName: 'Cy',
          LastName: 'van Ng',
          Company: '[not provided]',
          LeadSource: 'Webinar',
          [MAPPING.registered]: true,
          [MAPPING.registeredAt]: '2026-03-01T09:30:00.000Z',
          [MAPPING.lastSessionId]: 'sess_9',
        },
      ],
    });
    expect(fake.state.requests[before + 3].body).toEqual({
      allOrNone: false,
      records: [{ attributes: { type: 'CampaignMember' }, CampaignId: campaign.Id, LeadId: lead.Id, Status: 'Registered' }],
    });

    const again = fake.state.requests.length;
    await react(h, 'registration.received', { registrationId: 'reg_1', sessionId: 'sess_9', email: 'cy.ng@example.com', name: 'Someone Else' });
    expect(byEmail('Lead', 'cy.ng@example.com')).toHaveLength(1);
    expect(membersOf(lead.Id)).toHaveLength(1);
    expect(lead.FirstName).toBe('Cy');
    expect(sent(again).map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      `GET ${DATA}/query`,
      `PATCH ${DATA}/composite/sobjects`,
      `GET ${DATA}/query`,
    ]);
    expect(fake.state.requests[again + 1].body).toEqual({
      allOrNone: false,
      records: [
        {
          attributes: { type: 'Lead' },
          id: lead.Id,
          [MAPPING.registered]: true,
          [MAPPING.registeredAt]: '2026-03-02T16:00:00.000Z',
          [MAPPING.lastSessionId]: 'sess_9',
        },
      ],
    });
  });

  it('participant.joined marks the lead attended and moves its member to Attended; a later registration never moves it back', async () => {
    const h = harness({ settings });
    await react(h, 'registration.received', { registrationId: 'reg_2', sessionId: 'sess_9', email: 'dee@example.com', name: 'Dee' });
    const [lead] = byEmail('Lead', 'dee@example.com');
    expect(lead).toMatchObject({ LastName: 'Dee' });
    expect(lead.FirstName).toBeUndefined();
    await react(h, 'participant.joined', { participantId: 'p_2', sessionId: 'sess_9', email: 'DEE@example.com', joinedAt: '2026-03-02T16:01:00Z' });
    expect(lead).toMatchObject({ [MAPPING.attended]: true, [MAPPING.lastAttendedAt]: '2026-03-02T16:01:00.000+0000', [MAPPING.registered]: true });
    expect(membersOf(lead.Id)).toEqual([expect.objectContaining({ Status: 'Attended', HasResponded: true })]);
    expect(fake.state.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      path: `${DATA}/composite/sobjects`,
      body: { allOrNone: false, records: [{ attributes: { type: 'CampaignMember' }, id: membersOf(lead.Id)[0].Id, Status: 'Attended' }] },
    });
    await react(h, 'registration.received', { registrationId: 'reg_2', sessionId: 'sess_10', email: 'dee@example.com' });
    expect(membersOf(lead.Id).map((member) => member.Status)).toEqual(['Attended']);
  });

  it('moves a member from a status that counts as no response, never from one sales chose', async () => {
    const h = harness({ settings });
    const invited = fake.state.addRecord('Lead', { Email: 'invited@example.com', LastName: 'Invited', Company: 'I' });
    const won = fake.state.addRecord('Lead', { Email: 'won@example.com', LastName: 'Won', Company: 'W' });
    fake.state.addRecord('CampaignMember', { CampaignId: campaign.Id, LeadId: invited.Id, Status: 'Invited' });
    fake.state.addRecord('CampaignMember', { CampaignId: campaign.Id, LeadId: won.Id, Status: 'Converted' });
    await react(h, 'participant.joined', { participantId: 'p_i', sessionId: 'sess_9', email: 'invited@example.com' });
    await react(h, 'participant.joined', { participantId: 'p_w', sessionId: 'sess_9', email: 'won@example.com' });
    expect(membersOf(invited.Id).map((member) => member.Status)).toEqual(['Attended']);
    expect(membersOf(won.Id).map((member) => member.Status)).toEqual(['Converted']);
    expect(won[MAPPING.attended]).toBe(true);
  });

  it('works on Contacts when configured: found by email, created without a company, members by ContactId', async () => {
    const h = harness({ settings: { ...settings, object: 'Contact' } });
    const existing = fake.state.addRecord('Contact', { Email: 'eve@example.com', FirstName: 'Eve', LastName: 'Known' });
    await react(h, 'participant.joined', { participantId: 'p_e', sessionId: 'sess_9', email: 'eve@example.com', name: 'Eve Other' });
    expect(existing).toMatchObject({ LastName: 'Known', [MAPPING.attended]: true });
    expect(membersOf(existing.Id)).toEqual([expect.objectContaining({ ContactId: existing.Id, Status: 'Attended' })]);
    await react(h, 'registration.received', { registrationId: 'reg_f', sessionId: 'sess_9', email: 'fay@example.com', name: 'Fay Lin' });
    const [fay] = byEmail('Contact', 'fay@example.com');
    expect(fay).toMatchObject({ FirstName: 'Fay', LastName: 'Lin', [MAPPING.registered]: true });
    expect(fay.Company).toBeUndefined();
    expect(byEmail('Lead', 'fay@example.com')).toEqual([]);
    expect(fake.state.requests.some((request) => request.query.q?.includes('FROM Contact WHERE Email IN') && !request.query.q.includes('IsConverted'))).toBe(
      true,
    );
  });

  it('without a campaign only the record is saved; an event without an email is skipped', async () => {
    const h = harness({ settings: { fieldMapping: { attended: MAPPING.attended } } });
    await react(h, 'participant.joined', { participantId: 'p_g', sessionId: 'sess_9', email: 'gil@example.com' });
    const [gil] = byEmail('Lead', 'gil@example.com');
    expect(gil).toMatchObject({ LastName: 'gil', Company: '[not provided]', [MAPPING.attended]: true });
    expect(gil.LeadSource).toBeUndefined();
    expect(gil[MAPPING.lastSessionId]).toBeUndefined();
    expect(membersOf(gil.Id)).toEqual([]);
    expect(h.requests.map((request) => request.method)).toEqual(['GET', 'POST']);

    const quiet = harness({ settings });
    await react(quiet, 'registration.received', { registrationId: 'reg_x', sessionId: 'sess_9', name: 'Anonymous' });
    expect(quiet.requests).toEqual([]);
    expect(quiet.logs).toEqual([expect.objectContaining({ level: 'warn', message: 'registration without a usable email: no record to update' })]);
  });

  it('escapes quotes and backslashes of emails in SOQL, so odd addresses match themselves only', async () => {
    const h = harness({ settings });
    const odd = "x\\'OR'y@example.com";
    await react(h, 'registration.received', { registrationId: 'reg_odd', sessionId: 'sess_9', email: odd });
    expect(byEmail('Lead', odd)).toHaveLength(1);
    const lookup = fake.state.requests.find((request) => request.query.q?.startsWith("SELECT Id, Email FROM Lead WHERE Email IN ('x"))!;
    expect(lookup.query.q).toContain("IN ('x\\\\\\'OR\\'y@example.com')");
    await react(h, 'registration.received', { registrationId: 'reg_odd', sessionId: 'sess_9', email: odd });
    expect(byEmail('Lead', odd)).toHaveLength(1);
  });

  it('session.ended records attendance and watch time in bulk for the participants it lists', async () => {
    const h = harness({ settings });
    await react(h, 'registration.received', { registrationId: 'reg_g', sessionId: 'sess_20', email: 'gus@example.com', name: 'Gus' });
    const [gus] = byEmail('Lead', 'gus@example.com');
    const before = fake.state.requests.length;
    await react(h, 'session.ended', {
      sessionId: 'sess_20',
      endedAt: '2026-03-02T17:00:00Z',
      durationSeconds: 3600,
      participants: [
        { email: 'gus@example.com', watchTimeSeconds: 1799.6 },
        { email: 'GUS@example.com', watchTimeSeconds: 1900 },
        { email: 'kim@example.com', name: 'Kim Park', durationSeconds: 60 },
        { name: 'no email' },
      ],
    });
    const [kim] = byEmail('Lead', 'kim@example.com');
    expect(sent(before)).toEqual([
      `GET ${DATA}/query SELECT Id, Email FROM Lead WHERE Email IN ('gus@example.com', 'kim@example.com') AND IsConverted = false ORDER BY LastModifiedDate DESC`,
      `PATCH ${DATA}/composite/sobjects`,
      `POST ${DATA}/composite/sobjects`,
      `GET ${DATA}/query SELECT Id, LeadId, Status, HasResponded FROM CampaignMember WHERE CampaignId = '${campaign.Id}' AND LeadId IN ('${gus.Id}', '${kim.Id}')`,
      `POST ${DATA}/composite/sobjects`,
      `PATCH ${DATA}/composite/sobjects`,
    ]);
    expect(fake.state.requests[before + 1].body).toEqual({
      allOrNone: false,
      records: [{ attributes: { type: 'Lead' }, id: gus.Id, [MAPPING.attended]: true, [MAPPING.watchTimeSeconds]: 1900, [MAPPING.lastSessionId]: 'sess_20' }],
    });
    expect(kim).toMatchObject({ FirstName: 'Kim', LastName: 'Park', [MAPPING.attended]: true, [MAPPING.watchTimeSeconds]: 60 });
    expect(gus).toMatchObject({ [MAPPING.watchTimeSeconds]: 1900, [MAPPING.registered]: true });
    expect([...membersOf(gus.Id), ...membersOf(kim.Id)].map((member) => member.Status)).toEqual(['Attended', 'Attended']);

    const none = harness({ settings });
    await react(none, 'session.ended', { sessionId: 'sess_21', participants: [{ name: 'nobody' }] });
    await react(none, 'session.ended', { sessionId: 'sess_21' });
    expect(none.requests).toEqual([]);
  });

  it('finds a campaign member created meanwhile (DUPLICATE_VALUE) and updates it instead', async () => {
    const h = harness({ settings });
    const lead = fake.state.addRecord('Lead', { Email: 'race@example.com', LastName: 'Race', Company: 'R' });
    let raced = false;
    fake.state.beforeWrite = (request) => {
      const records = (request.body as Json | undefined)?.records as Json[] | undefined;
      if (!raced && request.method === 'POST' && records?.[0]?.attributes?.type === 'CampaignMember') {
        raced = true;
        fake.state.addRecord('CampaignMember', { CampaignId: campaign.Id, LeadId: lead.Id, Status: 'Registered' });
      }
    };
    await react(h, 'participant.joined', { participantId: 'p_r', sessionId: 'sess_9', email: 'race@example.com' });
    expect(raced).toBe(true);
    expect(membersOf(lead.Id).map((member) => member.Status)).toEqual(['Attended']);
    expect(h.logs.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('fails with Salesforce’s reasons when it refuses every record, and logs the ones it refuses among others', async () => {
    const strict = harness({ settings: { ...settings, fieldMapping: { lastSessionId: 'Short_Code__c' } } });
    await expect(
      react(strict, 'registration.received', { registrationId: 'reg_s', sessionId: 'sess_too_long', email: 'short@example.com' }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Salesforce refused the lead: short@example.com: Short Code: data value too large: sess_too_long (max length=5) (STRING_TOO_LONG on Short_Code__c)',
    });
    expect(byEmail('Lead', 'short@example.com')).toEqual([]);

    const gone = fake.state.addRecord('Lead', { Email: 'gone@example.com', LastName: 'Gone', Company: 'G' });
    fake.state.beforeWrite = (request) => {
      if (request.method === 'PATCH') gone.IsDeleted = true;
    };
    const h = harness({ settings });
    await react(h, 'session.ended', { sessionId: 'sess_30', participants: [{ email: 'gone@example.com' }, { email: 'new30@example.com' }] });
    expect(byEmail('Lead', 'new30@example.com')).toHaveLength(1);
    expect(h.logs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'warn',
          message: 'Salesforce refused some leads',
          fields: expect.objectContaining({ refused: ['gone@example.com: entity is deleted (ENTITY_IS_DELETED)'] }),
        }),
      ]),
    );
  });
});

describe('salesforce plugin: lead and contact sync', () => {
  it('queries every lead and contact following nextRecordsUrl, then only what changed (queryAll, deletions included)', async () => {
    const base = Date.parse('2025-06-01T00:00:00Z');
    for (let index = 0; index < 7; index += 1)
      fake.state.addRecord(
        'Lead',
        { Email: `synclead${index}@example.com`, LastName: `L${index}`, Company: 'Sync' },
        new Date(base + index * 1000).toISOString(),
      );
    for (let index = 0; index < 4; index += 1)
      fake.state.addRecord('Contact', { Email: `synccontact${index}@example.com`, LastName: `C${index}` }, new Date(base + index * 1000).toISOString());
    fake.state.queryBatchSize = 3;
    const h = harness({ settings: { fieldMapping: { attended: MAPPING.attended, lastSessionId: 'LeadSource' } } });
    const first = await h.sync();
    const leads = first.records!.leads;
    const contacts = first.records!.contacts;
    expect(leads.map((lead) => lead.id).sort()).toEqual(
      records('Lead')
        .map((lead) => lead.Id)
        .sort(),
    );
    expect(contacts.map((contact) => contact.id).sort()).toEqual(
      records('Contact')
        .map((contact) => contact.Id)
        .sort(),
    );
    const leadQuery = h.requests.map((request) => new URL(request.url)).find((url) => url.searchParams.get('q')?.includes('FROM Lead'))!;
    expect(leadQuery.searchParams.get('q')).toBe(
      `SELECT Id, FirstName, LastName, Email, Company, Status, LeadSource, IsConverted, CreatedDate, LastModifiedDate, SystemModstamp, ${MAPPING.attended} FROM Lead ORDER BY SystemModstamp ASC, Id ASC`,
    );
    const pages = h.requests.filter((request) => new URL(request.url).pathname.startsWith(`${DATA}/query/01g`));
    expect(pages.length).toBe(Math.ceil(leads.length / 3) - 1 + Math.ceil(contacts.length / 3) - 1);
    expect(h.requests.find((request) => new URL(request.url).searchParams.get('q')?.includes('FROM Contact'))!.url).toContain(
      encodeURIComponent(
        `SELECT Id, FirstName, LastName, Email, AccountId, LeadSource, CreatedDate, LastModifiedDate, SystemModstamp FROM Contact ORDER BY SystemModstamp ASC, Id ASC`,
      ),
    );
    const sample = leads.find((lead) => lead.email === 'synclead3@example.com');
    expect(sample).toEqual({
      id: expect.stringMatching(/^00Q/),
      email: 'synclead3@example.com',
      firstName: null,
      lastName: 'L3',
      company: 'Sync',
      status: 'Open - Not Contacted',
      isConverted: false,
      leadSource: null,
      createdAt: '2025-06-01T00:00:03.000+0000',
      updatedAt: '2025-06-01T00:00:03.000+0000',
      systemModstamp: '2025-06-01T00:00:03.000+0000',
      fields: { [MAPPING.attended]: false },
    });
    const latest = (type: string) => new Date(Math.max(...records(type).map((record) => Date.parse(String(record.SystemModstamp))))).toISOString();
    expect(first.highWaterMarks).toEqual({ leads: latest('Lead'), contacts: latest('Contact') });
    expect(first.deleted).toBeUndefined();

    // A day later: one lead changes, one is deleted, one appears; contacts stay as they were.
    const later = Date.parse(first.highWaterMarks!.leads) + 86_400_000;
    const changed = byEmail('Lead', 'synclead2@example.com')[0];
    const removed = byEmail('Lead', 'synclead5@example.com')[0];
    changed.LastName = 'Changed';
    changed.SystemModstamp = changed.LastModifiedDate = new Date(later).toISOString().replace('Z', '+0000');
    removed.IsDeleted = true;
    removed.SystemModstamp = new Date(later + 1000).toISOString().replace('Z', '+0000');
    const added = fake.state.addRecord('Lead', { Email: 'late@example.com', LastName: 'Late', Company: 'L' }, new Date(later + 2000).toISOString());
    const next = harness();
    const second = await next.sync({ highWaterMarks: first.highWaterMarks });
    const literal = first.highWaterMarks!.leads.replace(/\.\d{3}Z$/, 'Z');
    const queried = next.requests.map((request) => new URL(request.url)).filter((url) => url.searchParams.has('q'));
    expect(queried.map((url) => url.pathname)).toEqual([`${DATA}/queryAll`, `${DATA}/queryAll`]);
    expect(queried[0].searchParams.get('q')).toBe(
      `SELECT Id, FirstName, LastName, Email, Company, Status, LeadSource, IsConverted, CreatedDate, LastModifiedDate, SystemModstamp, IsDeleted FROM Lead WHERE SystemModstamp >= ${literal} ORDER BY SystemModstamp ASC, Id ASC`,
    );
    const secondLeads = second.records!.leads;
    expect(secondLeads.map((lead) => lead.email)).toEqual(expect.arrayContaining(['synclead2@example.com', 'late@example.com']));
    expect(secondLeads.find((lead) => lead.id === changed.Id)!.lastName).toBe('Changed');
    expect(secondLeads.map((lead) => lead.id)).not.toContain(removed.Id);
    expect(second.deleted).toEqual({ leads: [removed.Id] });
    expect(second.highWaterMarks).toEqual({
      leads: new Date(Date.parse(String(added.SystemModstamp))).toISOString(),
      contacts: first.highWaterMarks!.contacts,
    });
  });
});

describe('salesforce plugin: Salesforce’s refusals and limits', () => {
  const read = (response: Response) => readJson(response, { credentials: {} }, salesforce.errors);

  it('reads MALFORMED_QUERY, INVALID_FIELD and NOT_FOUND as refusals with Salesforce’s words', async () => {
    const h = harness();
    const http = h.context().http;
    await expect(read(await http(`/query?q=${encodeURIComponent('SELECT Id FROM Lead WHERE')}`))).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'ERROR at Row:1:Column:26 unexpected token: <EOF> (MALFORMED_QUERY)',
    });
    await expect(read(await http(`/query?q=${encodeURIComponent("SELECT Id FROM Lead WHERE SystemModstamp > '2026-01-01'")}`))).rejects.toMatchObject({
      message: expect.stringMatching(
        /value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed in quotes \(INVALID_FIELD\)$/,
      ),
    });
    await expect(read(await http(`/query?q=${encodeURIComponent("SELECT Id FROM Lead WHERE Email = 'a\\x'")}`))).rejects.toMatchObject({
      message: expect.stringContaining("Illegal character sequence '\\x' in string literal. (MALFORMED_QUERY)"),
    });
    await expect(read(await http(`/query?q=${encodeURIComponent('SELECT Id FROM Webinar__c')}`))).rejects.toMatchObject({
      message: expect.stringContaining("sObject type 'Webinar__c' is not supported"),
    });
    const missing = await http('/sobjects/Lead/00Q5g0000000zzzAAA');
    expect(missing.status).toBe(404);
    await expect(read(missing)).rejects.toMatchObject({ code: 'provider_rejected', message: 'The requested resource does not exist (NOT_FOUND)' });
    await expect(read(await http('/sobjects/Webinar__c/describe'))).rejects.toMatchObject({ message: 'The requested resource does not exist (NOT_FOUND)' });
    expect((await fetch(`${fake.url}/services/data/v99.0/`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(404);
  });

  it('answers updates with 204 and creates with 201, and refuses a campaign member twice (DUPLICATE_VALUE)', async () => {
    const http = harness().context().http;
    const created = await http('/sobjects/Lead', { method: 'POST', body: { LastName: 'Raw', Company: 'Raw Co', Email: 'raw@example.com' } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as Json;
    const patched = await http(`/sobjects/Lead/${id}`, { method: 'PATCH', body: { Title: 'VP' } });
    expect(patched.status).toBe(204);
    expect(await patched.text()).toBe('');
    const member = { CampaignId: campaign.Id, LeadId: id };
    expect((await http('/sobjects/CampaignMember', { method: 'POST', body: member })).status).toBe(201);
    expect(records('CampaignMember').find((candidate) => candidate.LeadId === id)!.Status).toBe('Invited');
    const twice = await http('/sobjects/CampaignMember', { method: 'POST', body: member });
    expect(twice.status).toBe(400);
    await expect(read(twice)).rejects.toMatchObject({ code: 'provider_rejected', message: 'Already a campaign member. (DUPLICATE_VALUE)' });
    const badStatus = await http('/sobjects/CampaignMember', {
      method: 'POST',
      body: { CampaignId: campaign.Id, LeadId: fake.state.addRecord('Lead', { LastName: 'S', Company: 'S' }).Id, Status: 'Maybe' },
    });
    await expect(read(badStatus)).rejects.toMatchObject({
      message: 'Status: bad value for restricted picklist field: Maybe (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST on Status)',
    });
  });

  it('turns REQUEST_LIMIT_EXCEEDED (403) into provider_rate_limited once the daily allocation is spent', async () => {
    fake.state.dailyApiRequests = { max: 2, used: 1 };
    const h = harness();
    await h.healthCheck();
    await expect(h.action('describeFields', { object: 'Lead' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'TotalRequests Limit exceeded. (REQUEST_LIMIT_EXCEEDED)',
    });
    const refused = await fetch(`${fake.url}${DATA}/`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
  });

  it('warns when Sforce-Limit-Info shows the allocation nearly spent', async () => {
    fake.state.dailyApiRequests = { max: 100, used: 94 };
    const h = harness({ metadata: metadataFor({ organizationId: '00D5g000000warnAAA' }) });
    await h.healthCheck();
    await h.healthCheck();
    expect(h.logs).toEqual([
      { level: 'warn', message: 'the Salesforce org has spent most of its 24-hour API request allocation', fields: { used: 95, max: 100 } },
    ]);
  });
});
