import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { bearer, createAccount, startTestApp, type TestApp } from '../support/test-app.js';

/** Actions that keep values in their connection's encrypted credentials (`ctx.storeCredentials`), in process. */
describe('credentials stored by actions', () => {
  let t: TestApp;
  let owner: string;
  let connectionId: string;
  beforeAll(async () => {
    t = await startTestApp(pluginEnv(pluginDir(['stores-credentials']), { PLUGIN_ISOLATION: 'none' }));
    ({ ownerToken: owner } = await createAccount(t));
    const created = await t.http
      .post('/v1/connections')
      .set(bearer(owner))
      .send({ provider: 'fixture_vault', credentials: { apiKey: 'key_1' } });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
  });
  afterAll(() => t.close());

  const run = (action: string, input: Record<string, unknown> = {}) =>
    t.http.post(`/v1/connections/${connectionId}/actions/${action}`).set(bearer(owner)).send({ input });

  it('keeps a secret field for the next calls, answering nothing of it, and audits the field names', async () => {
    expect((await run('whoAmI')).body).toEqual({ hasSession: false });
    const started = await run('startSession', { token: 'st_secret_42' });
    expect([started.status, started.body]).toEqual([200, { started: true }]);
    expect((await run('whoAmI')).body).toEqual({ hasSession: true });
    const audit = await t.http.get('/v1/audit-log?action=integration.credentials_stored').set(bearer(owner));
    expect(audit.body.data).toEqual([expect.objectContaining({ details: { provider: 'fixture_vault', action: 'startSession', fields: ['sessionToken'] } })]);
    expect(JSON.stringify(audit.body)).not.toContain('st_secret_42');
  });

  it('refuses a field that is not secret, or values the schema refuses, with 502 and stores nothing', async () => {
    const plain = await run('storeRegion');
    expect([plain.status, plain.body.code, plain.body.detail ?? plain.body.message]).toEqual([502, 'provider_error', expect.stringContaining('region')]);
    const invalid = await run('startSession', { token: 'not-a-session' });
    expect([invalid.status, invalid.body.code]).toEqual([502, 'provider_error']);
    const audit = await t.http.get('/v1/audit-log?action=integration.credentials_stored').set(bearer(owner));
    expect(audit.body.data).toHaveLength(1);
    expect((await run('whoAmI')).body).toEqual({ hasSession: true });
  });
});
