import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { startFakeMailchimp, subscriberHash, type FakeMailchimp } from '../../fixtures/providers/mailchimp.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const integration = (metadata: Json = {}) => ({ id: '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f', accountId: 'acct_mailchimp', livemode: false, metadata });

/**
 * Mailchimp as the host runs it: the bundled plugin loaded by the real loader into a child process,
 * the bearer token applied by the host, PROVIDER_ORIGIN_OVERRIDES pointing login.mailchimp.com and the
 * account's data centre at the local fake.
 */
describe('mailchimp in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeMailchimp;

  beforeAll(async () => {
    fake = await startFakeMailchimp();
    t = await startTestApp({
      PLUGIN_ISOLATION: 'process',
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins),
    });
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('verifies, records a participant’s engagement, triggers a journey, and refuses an unknown journey step as 422', async () => {
    fake.state.oauth.registerClient({ clientId: 'mc-host', clientSecret: 'mc-host-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('mc-host');
    const { metadata } = await runner.invoke<VerifyResult>('mailchimp', {
      kind: 'verify',
      context: { credentials: { accessToken }, settings: {}, integration: integration() },
    });
    expect(metadata).toMatchObject({ dc: 'us6', accountName: 'Acme Events' });

    const audience = fake.state.addList('Host attendees');
    const context = { credentials: { accessToken }, settings: { listId: audience.id }, integration: integration(metadata) };
    await runner.invoke('mailchimp', { kind: 'action', name: 'addMember', input: { email: 'ana@example.com' }, context });
    await runner.invoke('mailchimp', {
      kind: 'onEvent',
      name: 'participant.joined',
      input: {
        id: 'evt_joined',
        event: 'participant.joined',
        timestamp: '2026-03-02T16:01:00Z',
        accountId: 'acct_mailchimp',
        livemode: false,
        data: { participantId: 'p_1', sessionId: 'sess_9', roomId: 'room_123', email: 'ana@example.com', joinedAt: '2026-03-02T16:01:00Z' },
      },
      context,
    });
    const member = audience.members.get(subscriberHash('ana@example.com'))!;
    expect(member.tags.map((tag) => tag.name)).toEqual(['attended']);
    expect(member.events).toEqual([
      { name: 'session_joined', properties: { sessionId: 'sess_9', roomId: 'room_123' }, occurred_at: '2026-03-02T16:01:00+00:00', is_syncing: false },
    ]);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const journey = fake.state.addJourney(audience.id);
    const [stepId] = [...journey.apiSteps];
    await expect(
      runner.invoke<Json>('mailchimp', { kind: 'action', name: 'triggerJourney', input: { journeyId: journey.id, stepId, email: 'ana@example.com' }, context }),
    ).resolves.toEqual({ triggered: true, journeyId: String(journey.id), stepId: String(stepId), email: 'ana@example.com' });
    expect(journey.triggered).toEqual([{ stepId, email: 'ana@example.com' }]);

    await expect(
      runner.invoke('mailchimp', {
        kind: 'action',
        name: 'triggerJourney',
        input: { journeyId: journey.id, stepId: stepId + 1, email: 'ana@example.com' },
        context,
      }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: 'Resource Not Found: The requested resource could not be found.' });
  });
});
