import type { VerifyResult } from '../../../src/sdk/index.js';
import { MARKETO_MUNCHKIN_ID, startFakeMarketo, type FakeMarketo } from '../../fixtures/providers/marketo.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The Marketo plugin as the host runs it: loaded from plugins/ by the real loader, called through the
 * PluginRunner in a child process; the host obtains the token from the instance's Identity endpoint
 * with the entered client credentials and adds it to REST calls, PROVIDER_ORIGIN_OVERRIDES pointing
 * https://<munchkinId>.mktorest.com at the fake.
 */
describe('marketo in the host', () => {
  let host: ProviderHost;
  let fake: FakeMarketo;

  beforeAll(async () => {
    fake = await startFakeMarketo();
    host = await startProviderHost({ fakes: [fake], integration: { id: '5d2e8b14-7c3a-4f61-8e9d-0a1b2c3d4e5f', accountId: 'acct_marketo' } });
  });
  afterAll(() => host?.close());

  it('verifies the client credentials, upserts a lead with the host’s token, and refuses a skipped lead as 422 provider_rejected', async () => {
    const { runner } = host;
    const client = fake.state.addClient({ apiUser: 'api@acme.test' });
    const credentials = { clientId: client.clientId, clientSecret: client.clientSecret };
    const inputs = { munchkinId: MARKETO_MUNCHKIN_ID };

    const verified = await runner.invoke<VerifyResult>('marketo', { kind: 'verify', context: host.context(credentials, {}, inputs) });
    expect(verified).toMatchObject({
      displayName: `Marketo ${MARKETO_MUNCHKIN_ID} (api@acme.test)`,
      metadata: { munchkinHost: MARKETO_MUNCHKIN_ID.toLowerCase() },
    });

    const context = host.context(credentials, {}, { ...verified.metadata, ...inputs });
    const before = fake.state.requests.length;
    const lead = await runner.invoke<Json>('marketo', { kind: 'action', name: 'upsertLead', input: { email: 'ana@example.com', firstName: 'Ana' }, context });
    expect(lead).toMatchObject({ status: 'created', email: 'ana@example.com' });
    expect(fake.state.leads.get(lead.id)).toMatchObject({ email: 'ana@example.com', firstName: 'Ana' });
    const sent = fake.state.requests.slice(before);
    const rest = sent.find((request) => request.path === '/rest/v1/leads.json')!;
    const token = [...fake.state.tokens.values()].find((candidate) => candidate.clientId === client.clientId)!.token;
    expect(rest.headers.authorization).toBe(`Bearer ${token}`);

    await expect(
      runner.invoke('marketo', { kind: 'action', name: 'upsertLead', input: { email: 'ana@example.com', fields: { favouriteColour: 'teal' } }, context }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: "Marketo skipped the lead: 1006 Field 'favouriteColour' not found" });
  });
});
