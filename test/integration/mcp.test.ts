import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { ACME_CRM_KEY, providerOriginOverrides, startFakeAcmeCrm, type FakeAcmeCrm } from '../fixtures/providers/index.js';
import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { addMember, bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';

const MANAGEMENT = ['plugboard_check_connection', 'plugboard_list_connections', 'plugboard_read_records', 'plugboard_start_sync'];

/** The MCP server at /mcp, driven by the SDK's own client over Streamable HTTP against the real app and the fake Acme CRM. */
describe('agent tools (MCP)', () => {
  let fake: FakeAcmeCrm;
  let t: TestApp;
  let url: URL;
  const clients: Client[] = [];

  beforeAll(async () => {
    fake = await startFakeAcmeCrm();
    fake.state.contacts = [{ id: 'c_1', email: 'ada@example.com', name: 'Ada', updated_at: '2026-01-01T00:00:00Z' }];
    t = await startTestApp(
      pluginEnv(pluginDir(['declarative']), {
        PLUGIN_ISOLATION: 'none',
        PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins),
        MCP_STREAM_POLL_MS: '200',
      }),
    );
    url = new URL(`http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/mcp`);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await t.close();
    await fake.close();
  });

  async function connectClient(token: string): Promise<Client> {
    const client = new Client({ name: 'plugboard-test-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: bearer(token) } }));
    clients.push(client);
    return client;
  }

  async function key(ownerToken: string, mode: 'live' | 'test', permissions: string[], mcpTools?: string[]): Promise<{ id: string; key: string }> {
    const created = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: `agent ${mode}`, mode, permissions, mcpTools });
    expect(created.status).toBe(201);
    return { id: created.body.id, key: created.body.key };
  }

  async function connection(ownerToken: string, mode: 'live' | 'test', label: string): Promise<string> {
    const created = await t.http
      .post('/v1/connections')
      .set(bearer(ownerToken))
      .set('Plugboard-Mode', mode)
      .send({ provider: 'acme_crm', credentials: { apiKey: ACME_CRM_KEY }, label });
    expect([created.status, created.body.status]).toEqual([201, 'connected']);
    return created.body.id as string;
  }

  const names = async (client: Client) => (await client.listTools()).tools.map((tool) => tool.name).sort();
  const actionNames = async (client: Client) => (await names(client)).filter((name) => !MANAGEMENT.includes(name));
  const text = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

  it('lists each usable action as a tool with its schemas, by role, and calls it as POST /v1/connections/{id}/actions/{action} does', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const liveId = await connection(ownerToken, 'live', 'Main');
    const agent = await key(ownerToken, 'live', ['mcp.use', 'integrations.view', 'integrations.manage']);
    const client = await connectClient(agent.key);
    expect(client.getServerVersion()?.name).toBe('plugboard');

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['acme_crm_createContact', 'acme_crm_getContact', ...MANAGEMENT].sort());
    const create = tools.find((tool) => tool.name === 'acme_crm_createContact')!;
    expect(create.description).toBe('Creates a contact (Acme CRM).');
    expect(create.inputSchema).toMatchObject({ type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } });
    expect(create.outputSchema).toMatchObject({ type: 'object', required: ['id', 'email'] });

    const created = await client.callTool({ name: 'acme_crm_createContact', arguments: { email: 'grace@example.com', name: 'Grace' } });
    expect(created.isError).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ id: 'c_2', email: 'grace@example.com', name: 'Grace' });
    expect(fake.state.contacts.map((contact) => contact.email)).toContain('grace@example.com');

    // An invalid input is a tool error naming the field, as the REST route's 400 would; nothing reaches the provider.
    const requests = fake.state.requests.length;
    const invalid = await client.callTool({ name: 'acme_crm_createContact', arguments: { email: 'not an email' } });
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/^validation_failed \(400\): .*\n- input\.email: must match format "email"/);
    const missing = await client.callTool({ name: 'acme_crm_createContact', arguments: {} });
    expect(text(missing)).toContain('- input.email:');
    expect(fake.state.requests.length).toBe(requests);

    // The provider's refusal is the tool's error text.
    const refused = await client.callTool({ name: 'acme_crm_getContact', arguments: { id: 'nope' } });
    expect([refused.isError, text(refused)]).toEqual([true, expect.stringContaining('No such contact')]);

    // Management tools: list, health check, sync, records; their own arguments are checked the same way.
    const listed = await client.callTool({ name: 'plugboard_list_connections', arguments: {} });
    expect(JSON.parse(text(listed)).data).toEqual([expect.objectContaining({ id: liveId, provider: 'acme_crm', status: 'connected' })]);
    const checked = await client.callTool({ name: 'plugboard_check_connection', arguments: { connectionId: liveId } });
    expect(checked.structuredContent).toMatchObject({ status: 'connected' });
    const badCheck = await client.callTool({ name: 'plugboard_check_connection', arguments: {} });
    expect([badCheck.isError, text(badCheck)]).toEqual([true, expect.stringContaining('- connectionId:')]);
    const sync = await client.callTool({ name: 'plugboard_start_sync', arguments: { connectionId: liveId } });
    expect(sync.structuredContent).toMatchObject({ syncRunId: expect.any(String) });
    const records = await client.callTool({ name: 'plugboard_read_records', arguments: { connectionId: liveId, modifiedAfter: '2020-01-01T00:00:00Z' } });
    expect(records.isError).toBeFalsy();
    expect(records.structuredContent).toMatchObject({ data: expect.any(Array) });

    // Every call is audited with the key and the tool's name.
    const audit = await t.http.get('/v1/audit-log?action=mcp.tool_called&limit=100').set(bearer(ownerToken));
    const entries = audit.body.data as Array<{ actorType: string; actorId: string; targetId: string | null; details: Record<string, unknown> }>;
    expect(entries.find((entry) => entry.details.tool === 'acme_crm_createContact' && entry.details.outcome === 'succeeded')).toMatchObject({
      actorType: 'api_key',
      actorId: agent.id,
      targetId: liveId,
      details: { provider: 'acme_crm', action: 'createContact' },
    });
    expect(entries.filter((entry) => entry.details.tool === 'acme_crm_createContact' && entry.details.outcome === 'failed')).toHaveLength(2);
    expect(entries.find((entry) => entry.details.tool === 'plugboard_start_sync')).toMatchObject({ actorId: agent.id, targetId: liveId });

    // A developer may see the account's connections but not use them: management tools only.
    const developer = await addMember(t, accountId, ownerToken, 'developer');
    expect(await names(await connectClient(developer))).toEqual(MANAGEMENT);
    // A key for end users' connections only: none of the account's.
    const endUsers = await key(ownerToken, 'live', ['mcp.use', 'connections.manage']);
    expect(await names(await connectClient(endUsers.key))).toEqual(MANAGEMENT);
    // An unknown tool is a tool error too.
    const unknown = await client.callTool({ name: 'acme_crm_deleteEverything', arguments: {} });
    expect([unknown.isError, text(unknown)]).toEqual([true, expect.stringContaining('not_found (404)')]);
  });

  it('refuses a key without mcp.use, and a key revoked between two calls', async () => {
    const { ownerToken } = await createAccount(t);
    const without = await key(ownerToken, 'live', ['integrations.view', 'integrations.manage']);
    await expect(connectClient(without.key)).rejects.toThrow(/403/);
    const plain = await t.http.post('/mcp').set(bearer(without.key)).send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect([plain.status, plain.body.code, plain.body.permission]).toEqual([403, 'permission_denied', 'mcp.use']);

    const agent = await key(ownerToken, 'live', ['mcp.use', 'integrations.view']);
    const client = await connectClient(agent.key);
    expect(await names(client)).toEqual(MANAGEMENT);
    expect((await t.http.post(`/v1/api-keys/${agent.id}/revoke`).set(bearer(ownerToken))).status).toBe(200);
    await expect(client.listTools()).rejects.toThrow(/401/);
  });

  it('gives test and live keys their own mode’s connections, naming several of a provider by label', async () => {
    const { ownerToken } = await createAccount(t);
    const liveId = await connection(ownerToken, 'live', 'Main');
    const euId = await connection(ownerToken, 'test', 'EU sandbox');
    await connection(ownerToken, 'test', 'US sandbox');
    const permissions = ['mcp.use', 'integrations.view', 'integrations.manage'];
    const live = await connectClient((await key(ownerToken, 'live', permissions)).key);
    const test = await connectClient((await key(ownerToken, 'test', permissions)).key);

    expect(await actionNames(live)).toEqual(['acme_crm_createContact', 'acme_crm_getContact']);
    expect(await actionNames(test)).toEqual([
      'acme_crm_eu-sandbox_createContact',
      'acme_crm_eu-sandbox_getContact',
      'acme_crm_us-sandbox_createContact',
      'acme_crm_us-sandbox_getContact',
    ]);
    const description = (await test.listTools()).tools.find((tool) => tool.name === 'acme_crm_eu-sandbox_getContact')!.description;
    expect(description).toBe('One contact by id (Acme CRM, connection "EU sandbox").');
    const got = await test.callTool({ name: 'acme_crm_eu-sandbox_getContact', arguments: { id: 'c_1' } });
    expect([got.isError, JSON.parse(text(got)).email]).toEqual([undefined, 'ada@example.com']);
    // The live tool's name means nothing to the test key, and a test connection's id nothing to the live one.
    expect((await test.callTool({ name: 'acme_crm_getContact', arguments: { id: 'c_1' } })).isError).toBe(true);
    const other = await live.callTool({ name: 'plugboard_check_connection', arguments: { connectionId: euId } });
    expect(other.isError).toBe(true);
    expect(liveId).not.toBe(euId);
  });

  it('drops the tools of a category the plan no longer includes, and answers their calls with the plan’s reason', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    // Test mode: the Basic plan has no live keys.
    await connection(ownerToken, 'test', 'Main');
    const client = await connectClient((await key(ownerToken, 'test', ['mcp.use', 'integrations.view', 'integrations.manage'])).key);
    expect(await actionNames(client)).toEqual(['acme_crm_createContact', 'acme_crm_getContact']);

    const admin = await t.token({ sub: 'operator', admin: true });
    expect((await t.http.patch(`/v1/accounts/${accountId}`).set(bearer(admin)).send({ plan: 'basic' })).status).toBe(200);
    expect(await actionNames(client)).toEqual([]);
    const refused = await client.callTool({ name: 'acme_crm_getContact', arguments: { id: 'c_1' } });
    expect([refused.isError, text(refused)]).toEqual([true, expect.stringMatching(/^plan_limit \(402\): The Basic plan does not include crm integrations/)]);
  });

  it('limits a key to the tools it was made for: names and prefixes, refusing the rest as a tool error', async () => {
    const { ownerToken } = await createAccount(t);
    const connectionId = await connection(ownerToken, 'live', 'Main');
    const permissions = ['mcp.use', 'integrations.view', 'integrations.manage'];
    const refused = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: 'no mcp', mode: 'live', permissions: ['integrations.view'], mcpTools: ['acme_crm_getContact'] });
    expect([refused.status, refused.body.errors]).toEqual([400, [{ path: 'mcpTools', message: 'needs the mcp.use permission' }]]);
    const malformed = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: 'bad', mode: 'live', permissions, mcpTools: ['acme crm'] });
    expect(malformed.status).toBe(400);

    const agent = await key(ownerToken, 'live', permissions, ['acme_crm_get*', 'plugboard_list_connections']);
    expect((await t.http.get(`/v1/api-keys/${agent.id}`).set(bearer(ownerToken))).body.mcpTools).toEqual(['acme_crm_get*', 'plugboard_list_connections']);
    const client = await connectClient(agent.key);
    expect(await names(client)).toEqual(['acme_crm_getContact', 'plugboard_list_connections']);
    const got = await client.callTool({ name: 'acme_crm_getContact', arguments: { id: 'c_1' } });
    expect(got.isError).toBeFalsy();
    const requests = fake.state.requests.length;
    const outside = await client.callTool({ name: 'acme_crm_createContact', arguments: { email: 'eve@example.com' } });
    expect([outside.isError, text(outside)]).toEqual([
      true,
      expect.stringMatching(/^permission_denied \(403\): This API key may not call "acme_crm_createContact"/),
    ]);
    expect((await client.callTool({ name: 'plugboard_start_sync', arguments: { connectionId } })).isError).toBe(true);
    expect(fake.state.requests.length).toBe(requests);
    const audit = await t.http.get('/v1/audit-log?action=mcp.tool_called&limit=100').set(bearer(ownerToken));
    expect(audit.body.data.find((entry: { details: { tool: string } }) => entry.details.tool === 'acme_crm_createContact')).toMatchObject({
      actorId: agent.id,
      details: { outcome: 'failed', error: { code: 'permission_denied', status: 403 } },
    });
  });

  it('notifies an open client when its tools change, and ends the stream when its key is revoked', async () => {
    const { ownerToken } = await createAccount(t);
    const agent = await key(ownerToken, 'live', ['mcp.use', 'integrations.view', 'integrations.manage']);
    const client = await connectClient(agent.key);
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    let notified = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      notified += 1;
    });
    const until = async (condition: () => boolean) => {
      for (let waited = 0; !condition() && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(condition()).toBe(true);
    };
    // The client opened its event stream after initializing: wait until it listens before changing anything.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const connectionId = await connection(ownerToken, 'live', 'Main');
    await until(() => notified === 1);
    expect(await actionNames(client)).toEqual(['acme_crm_createContact', 'acme_crm_getContact']);
    expect((await t.http.delete(`/v1/connections/${connectionId}`).set(bearer(ownerToken))).status).toBeLessThan(300);
    await until(() => notified === 2);
    expect(await actionNames(client)).toEqual([]);

    // A raw stream: ends once the key is revoked.
    const stream = await fetch(url, { headers: { ...bearer(agent.key), accept: 'text/event-stream' } });
    expect([stream.status, stream.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    const body = stream.text();
    expect((await t.http.post(`/v1/api-keys/${agent.id}/revoke`).set(bearer(ownerToken))).status).toBe(200);
    await expect(body).resolves.toMatch(/^retry: 200/);
  });

  it('is switched off for the whole account by its agents.mcp flag, streams included', async () => {
    const { ownerToken } = await createAccount(t);
    const agent = await key(ownerToken, 'live', ['mcp.use', 'integrations.view']);
    const stream = await fetch(url, { headers: { ...bearer(agent.key), accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    const body = stream.text();

    const off = await t.http.patch('/v1/feature-flags/agents.mcp').set(bearer(ownerToken)).send({ value: false });
    expect([off.status, off.body.value]).toEqual([200, false]);
    const refused = await t.http.post('/mcp').set(bearer(agent.key)).send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect([refused.status, refused.body.code]).toEqual([403, 'mcp_disabled']);
    await expect(connectClient(agent.key)).rejects.toThrow(/403/);
    await expect(body).resolves.toMatch(/^retry:/);

    expect((await t.http.patch('/v1/feature-flags/agents.mcp').set(bearer(ownerToken)).send({ value: null })).status).toBe(200);
    expect(await names(await connectClient(agent.key))).toEqual(MANAGEMENT);
  });
});
