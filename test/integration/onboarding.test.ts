import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { APP_CONFIG } from '../../src/core/config/config.module.js';
import { MaintenanceScheduler } from '../../src/core/queue/maintenance.js';
import { OnboardingCatalog } from '../../src/modules/onboarding/template/onboarding-catalog.js';
import { PluginRegistry } from '../../src/modules/plugins/plugin-registry.js';
import { providerOriginOverrides, SENDGRID_TEST_KEY, startFakeSendGrid, startFakeStripe } from '../fixtures/providers/index.js';
import type { FakeSendGrid, FakeStripe } from '../fixtures/providers/index.js';
import { tempDir } from '../support/plugin-fixtures.js';
import { addMember, bearer, createAccount, startTestApp, testConfig, type TestApp } from '../support/test-app.js';
import { eventually } from '../support/waiting.js';

const STRIPE_KEY = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';
const CONFIRMATION_TEMPLATE = 'd-0a1b2c3d4e5f40718293a4b5c6d7e8f9';

/** A template of providers that exist as plugins (stripe, sendgrid, mailchimp) and one that does not. */
const TEMPLATE = `
steps:
  - key: payments
    title: Configure payments
    providers:
      stripe: required
      stripe_connect: { level: recommended, name: Stripe Connect }
  - key: email
    title: Email
    description: Transactional and marketing email.
    providers:
      sendgrid: recommended
      mailchimp: optional
      not_a_plugin: { level: optional, name: Not A Plugin }
flags:
  integrations.mailchimp: { default: false, requiresConnection: true }
  integrations.reviews_email: { default: true, requiresConnection: false, description: Built-in review emails }
`;

function templateFile(text: string): string {
  const file = join(tempDir('plugboard-onboarding-'), 'onboarding.yaml');
  writeFileSync(file, text);
  return file;
}

const providersOf = (body: any) => Object.fromEntries(body.steps.flatMap((step: any) => step.providers.map((provider: any) => [provider.provider, provider])));

describe('onboarding and integration feature flags over HTTP', () => {
  let t: TestApp;
  let stripe: FakeStripe;
  let sendgrid: FakeSendGrid;
  let db: pg.Client;

  beforeAll(async () => {
    [stripe, sendgrid] = await Promise.all([startFakeStripe({ keys: [STRIPE_KEY] }), startFakeSendGrid()]);
    t = await startTestApp({
      ONBOARDING_FILE: templateFile(TEMPLATE),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(stripe.origins, sendgrid.origins),
      PLUGIN_ISOLATION: 'none',
    });
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
    await Promise.all([stripe?.close(), sendgrid?.close()]);
  });

  const connectStripe = (token: string, body: Record<string, unknown> = {}) =>
    t.http
      .put('/v1/integrations/stripe')
      .set(bearer(token))
      .send({ credentials: { secretKey: STRIPE_KEY }, ...body });

  it('refuses a bad template where the application builds it, naming the path of the bad value', async () => {
    const bad = templateFile('steps:\n  - key: payments\n    title: Payments\n    providers:\n      stripe: mandatory\n');
    const building = Test.createTestingModule({
      providers: [OnboardingCatalog, PluginRegistry, { provide: APP_CONFIG, useValue: testConfig({ ONBOARDING_FILE: bad }) }],
    }).compile();
    await expect(building).rejects.toThrow(`${bad}: steps[0].providers.stripe must be required, recommended or optional`);
  });

  it('shows the steps with levels and states; only required providers block; an uninstalled provider is unavailable', async () => {
    const { ownerToken } = await createAccount(t);
    const response = await t.http.get('/v1/onboarding').set(bearer(ownerToken));
    expect(response.status).toBe(200);
    expect(response.body.steps.map((step: any) => [step.key, step.level, step.done])).toEqual([
      ['payments', 'required', false],
      ['email', 'recommended', false],
    ]);
    const providers = providersOf(response.body);
    expect(providers.stripe).toMatchObject({ name: 'Stripe', level: 'required', levelSource: 'template', state: 'pending', available: true, skipped: null });
    expect(providers.not_a_plugin).toMatchObject({ name: 'Not A Plugin', level: 'optional', state: 'pending', available: false });
    expect(response.body).toMatchObject({ canLaunch: false, blocking: ['stripe'], completedAt: null, livemode: true });

    expect((await connectStripe(ownerToken)).status).toBe(200);
    const connected = await t.http.get('/v1/onboarding').set(bearer(ownerToken));
    expect(providersOf(connected.body).stripe.state).toBe('connected');
    // Recommended and optional providers never block.
    expect(connected.body).toMatchObject({ canLaunch: true, blocking: [] });

    // A required connection that needs attention blocks again.
    stripe.state.validKeys.delete(STRIPE_KEY);
    try {
      const checked = await t.http.post('/v1/integrations/stripe/health-check').set(bearer(ownerToken));
      expect(checked.body.status).toBe('error');
      const broken = await t.http.get('/v1/onboarding').set(bearer(ownerToken));
      expect(providersOf(broken.body).stripe.state).toBe('needs_attention');
      expect(broken.body).toMatchObject({ canLaunch: false, blocking: ['stripe'] });
    } finally {
      stripe.state.validKeys.add(STRIPE_KEY);
    }
  });

  it('needs integrations.view to read and integrations.manage to change', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const developer = await addMember(t, accountId, ownerToken, 'developer');
    const host = await addMember(t, accountId, ownerToken, 'host');
    expect((await t.http.get('/v1/onboarding').set(bearer(developer))).status).toBe(200);
    expect((await t.http.get('/v1/onboarding').set(bearer(host))).status).toBe(403);
    const skip = await t.http
      .post('/v1/onboarding/skip')
      .set(bearer(developer))
      .send({ providers: ['sendgrid'] });
    expect(skip.status).toBe(403);
    expect(skip.body.permission).toBe('integrations.manage');
    expect((await t.http.post('/v1/onboarding/complete').set(bearer(developer))).status).toBe(403);
  });

  it('records skips with who and when, refuses to skip a required provider, and undoes a skip', async () => {
    const { accountId, ownerId, ownerToken } = await createAccount(t);
    const required = await t.http
      .post('/v1/onboarding/skip')
      .set(bearer(ownerToken))
      .send({ providers: ['sendgrid', 'stripe'] });
    expect(required.status).toBe(409);
    expect(required.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(required.body).toMatchObject({ code: 'required_integration', providers: ['stripe'] });
    expect(providersOf((await t.http.get('/v1/onboarding').set(bearer(ownerToken))).body).sendgrid.state).toBe('pending');
    expect((await t.http.post('/v1/onboarding/skip').set(bearer(ownerToken)).send({ step: 'payments' })).body.code).toBe('required_integration');

    const skipped = await t.http.post('/v1/onboarding/skip').set(bearer(ownerToken)).send({ step: 'email' });
    expect(skipped.status).toBe(200);
    const email = skipped.body.steps.find((step: any) => step.key === 'email');
    expect(email.done).toBe(true);
    for (const provider of email.providers) {
      expect(provider).toMatchObject({ state: 'skipped', skipped: { by: { type: 'member', id: ownerId }, at: expect.any(String) } });
    }
    // Skipping changes nothing else: the required provider still blocks.
    expect(skipped.body).toMatchObject({ canLaunch: false, blocking: ['stripe'] });
    // Skips are per mode.
    const testMode = await t.http.get('/v1/onboarding').set(bearer(ownerToken)).set('Plugboard-Mode', 'test');
    expect(providersOf(testMode.body).sendgrid.state).toBe('pending');

    const undone = await t.http.delete('/v1/onboarding/skip/sendgrid').set(bearer(ownerToken));
    expect(undone.status).toBe(200);
    expect(providersOf(undone.body)).toMatchObject({ sendgrid: { state: 'pending', skipped: null }, mailchimp: { state: 'skipped' } });
    expect((await t.http.delete('/v1/onboarding/skip/nothing_like_it').set(bearer(ownerToken))).status).toBe(404);

    const unknown = await t.http
      .post('/v1/onboarding/skip')
      .set(bearer(ownerToken))
      .send({ providers: ['mailchimp', 'nothing_like_it'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: 'providers.1', message: '"nothing_like_it" is in no onboarding step' }]);
    expect(
      (
        await t.http
          .post('/v1/onboarding/skip')
          .set(bearer(ownerToken))
          .send({ providers: ['mailchimp'], step: 'email' })
      ).status,
    ).toBe(400);
    expect((await t.http.post('/v1/onboarding/skip').set(bearer(ownerToken)).send({})).status).toBe(400);

    const audit = await db.query(`select action, details from audit_log where account_id = $1 and action like 'onboarding.%' order by created_at`, [accountId]);
    expect(audit.rows).toEqual([
      { action: 'onboarding.skipped', details: { providers: ['sendgrid', 'mailchimp', 'not_a_plugin'], step: 'email' } },
      { action: 'onboarding.skip_undone', details: { provider: 'sendgrid' } },
    ]);
  });

  it('completes onboarding once every required provider is connected: one event, audited', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const early = await t.http.post('/v1/onboarding/complete').set(bearer(ownerToken));
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'required_integration', providers: ['stripe'] });

    await t.http
      .post('/v1/onboarding/skip')
      .set(bearer(ownerToken))
      .send({ providers: ['mailchimp'] });
    expect((await connectStripe(ownerToken)).status).toBe(200);
    const completed = await t.http.post('/v1/onboarding/complete').set(bearer(ownerToken));
    expect(completed.status).toBe(200);
    expect(completed.body.completedAt).toEqual(expect.any(String));
    const again = await t.http.post('/v1/onboarding/complete').set(bearer(ownerToken));
    expect(again.body.completedAt).toBe(completed.body.completedAt);

    const events = await t.http.get('/v1/events?event=onboarding.completed').set(bearer(ownerToken));
    expect(events.body.data).toHaveLength(1);
    expect(events.body.data[0].data).toMatchObject({ completedAt: completed.body.completedAt, connected: ['stripe'], skipped: ['mailchimp'] });
    const audit = await db.query(`select count(*)::int as n from audit_log where account_id = $1 and action = 'onboarding.completed'`, [accountId]);
    expect(audit.rows[0].n).toBe(1);
    // Test mode has its own onboarding.
    expect((await t.http.get('/v1/onboarding').set(bearer(ownerToken)).set('Plugboard-Mode', 'test')).body.completedAt).toBeNull();
  });

  it('lets owners and instance administrators override a level for the account, not admins', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const admin = await addMember(t, accountId, ownerToken, 'admin');
    const byAdmin = await t.http.put('/v1/onboarding/levels/sendgrid').set(bearer(admin)).send({ level: 'required' });
    expect(byAdmin.status).toBe(403);

    const raised = await t.http.put('/v1/onboarding/levels/sendgrid').set(bearer(ownerToken)).send({ level: 'required' });
    expect(raised.status).toBe(200);
    expect(providersOf(raised.body).sendgrid).toMatchObject({ level: 'required', levelSource: 'account' });
    expect(raised.body.blocking).toEqual(['stripe', 'sendgrid']);
    expect(
      (
        await t.http
          .post('/v1/onboarding/skip')
          .set(bearer(ownerToken))
          .send({ providers: ['sendgrid'] })
      ).body.code,
    ).toBe('required_integration');
    // Levels are the account's, in both modes.
    expect(providersOf((await t.http.get('/v1/onboarding').set(bearer(ownerToken)).set('Plugboard-Mode', 'test')).body).sendgrid.level).toBe('required');
    expect((await t.http.put('/v1/onboarding/levels/sendgrid').set(bearer(ownerToken)).send({ level: 'mandatory' })).status).toBe(400);
    expect((await t.http.put('/v1/onboarding/levels/nothing_like_it').set(bearer(ownerToken)).send({ level: 'optional' })).status).toBe(404);

    const operator = await t.token({ sub: 'operator', admin: true });
    const levels = await t.http.get(`/v1/accounts/${accountId}/onboarding/levels`).set(bearer(operator));
    expect(levels.body.levels.find((level: any) => level.provider === 'sendgrid')).toEqual({
      provider: 'sendgrid',
      level: 'required',
      templateLevel: 'recommended',
      source: 'account',
    });
    const reset = await t.http.put(`/v1/accounts/${accountId}/onboarding/levels/sendgrid`).set(bearer(operator)).send({ level: null });
    expect(reset.status).toBe(200);
    expect(reset.body.levels.find((level: any) => level.provider === 'sendgrid')).toMatchObject({ level: 'recommended', source: 'template' });
    const stripeOptional = await t.http.put(`/v1/accounts/${accountId}/onboarding/levels/stripe`).set(bearer(operator)).send({ level: 'optional' });
    expect(stripeOptional.status).toBe(200);
    const state = await t.http.get('/v1/onboarding').set(bearer(ownerToken));
    expect(state.body).toMatchObject({ canLaunch: true, blocking: [] });
    expect(
      (await t.http.put(`/v1/accounts/4f1c2a9e-6b7d-4e3f-8a2b-1c0d9e8f7a6b/onboarding/levels/stripe`).set(bearer(operator)).send({ level: null })).status,
    ).toBe(404);
    expect((await t.http.put(`/v1/accounts/${accountId}/onboarding/levels/stripe`).set(bearer(ownerToken)).send({ level: null })).status).toBe(403);

    const audit = await db.query(`select details from audit_log where account_id = $1 and action = 'onboarding.level_changed' order by created_at`, [
      accountId,
    ]);
    expect(audit.rows.map((row) => row.details)).toEqual([
      { provider: 'sendgrid', from: null, to: 'required' },
      { provider: 'sendgrid', from: 'required', to: null },
      { provider: 'stripe', from: null, to: 'optional' },
    ]);
  });

  it('lists flags with their value and why, overrides them per account and mode, and evaluates them in a batch', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const developer = await addMember(t, accountId, ownerToken, 'developer');
    const flags = async (token = ownerToken) => {
      const response = await t.http.get('/v1/feature-flags?limit=100').set(bearer(token));
      expect(response.status).toBe(200);
      return Object.fromEntries(response.body.data.map((flag: any) => [flag.key, flag]));
    };
    const before = await flags();
    expect(Object.keys(before).sort()).toEqual(
      [
        'integrations.mailchimp',
        'integrations.not_a_plugin',
        'integrations.reviews_email',
        'integrations.sendgrid',
        'integrations.stripe',
        'integrations.stripe_connect',
      ].sort(),
    );
    expect(before['integrations.stripe']).toEqual({
      key: 'integrations.stripe',
      description: null,
      value: false,
      default: true,
      source: 'not_connected',
      override: null,
      requiresConnection: true,
      provider: 'stripe',
      connection: null,
    });
    expect(before['integrations.mailchimp']).toMatchObject({ value: false, default: false, source: 'default' });
    expect(before['integrations.reviews_email']).toMatchObject({
      value: true,
      source: 'default',
      requiresConnection: false,
      description: 'Built-in review emails',
    });

    await connectStripe(ownerToken);
    expect((await flags())['integrations.stripe']).toMatchObject({ value: true, source: 'default', connection: 'connected' });

    const off = await t.http.patch('/v1/feature-flags/integrations.reviews_email').set(bearer(ownerToken)).send({ value: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ value: false, source: 'override', override: false });
    // Overrides are per mode.
    const testMode = await t.http.get('/v1/feature-flags/integrations.reviews_email').set(bearer(ownerToken)).set('Plugboard-Mode', 'test');
    expect(testMode.body).toMatchObject({ value: true, source: 'default' });
    // A connection the flag requires wins over an override.
    const forced = await t.http.patch('/v1/feature-flags/integrations.mailchimp').set(bearer(ownerToken)).send({ value: true });
    expect(forced.body).toMatchObject({ value: false, source: 'not_connected', override: true });

    expect((await t.http.patch('/v1/feature-flags/integrations.reviews_email').set(bearer(developer)).send({ value: true })).status).toBe(403);
    expect((await t.http.patch('/v1/feature-flags/integrations.nothing').set(bearer(ownerToken)).send({ value: true })).status).toBe(404);
    expect((await t.http.patch('/v1/feature-flags/integrations.reviews_email').set(bearer(ownerToken)).send({ value: 'yes' })).status).toBe(400);

    const key = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: 'host platform', mode: 'live', permissions: ['account.view'] });
    expect(key.status).toBe(201);
    const evaluated = await t.http
      .get('/v1/feature-flags/evaluate?keys=integrations.reviews_email,integrations.stripe,integrations.nope')
      .set(bearer(key.body.key));
    expect(evaluated.status).toBe(200);
    expect(evaluated.body).toEqual({
      values: { 'integrations.reviews_email': false, 'integrations.stripe': true },
      sources: { 'integrations.reviews_email': 'override', 'integrations.stripe': 'default' },
      unknown: ['integrations.nope'],
    });
    const all = await t.http.get('/v1/feature-flags/evaluate').set(bearer(key.body.key));
    expect(Object.keys(all.body.values)).toHaveLength(6);
    // The list says more (connections): it needs integrations.view.
    expect((await t.http.get('/v1/feature-flags').set(bearer(key.body.key))).status).toBe(403);
    expect((await t.http.get('/v1/feature-flags/evaluate?keys=Not A Key').set(bearer(key.body.key))).status).toBe(400);

    const cleared = await t.http.patch('/v1/feature-flags/integrations.reviews_email').set(bearer(ownerToken)).send({ value: null });
    expect(cleared.body).toMatchObject({ value: true, source: 'default', override: null });
    const audit = await db.query(`select target_id, details from audit_log where account_id = $1 and action = 'feature_flag.changed' order by created_at`, [
      accountId,
    ]);
    expect(audit.rows).toEqual([
      { target_id: 'integrations.reviews_email', details: { from: null, to: false } },
      { target_id: 'integrations.mailchimp', details: { from: null, to: true } },
      { target_id: 'integrations.reviews_email', details: { from: false, to: null } },
    ]);
  });

  it('pauses a provider’s reactions while its flag is off, keeping the connection, and resumes them when it is on', async () => {
    const { ownerToken } = await createAccount(t);
    const connected = await t.http
      .put('/v1/integrations/sendgrid')
      .set(bearer(ownerToken))
      .send({
        credentials: { apiKey: SENDGRID_TEST_KEY },
        settings: { fromEmail: 'events@acme.test', registrationTemplateId: CONFIRMATION_TEMPLATE },
        autoSync: true,
      });
    expect(connected.status).toBe(200);
    const register = async (email: string) => {
      const published = await t.http
        .post('/v1/events')
        .set(bearer(ownerToken))
        .send({ event: 'registration.received', data: { registrationId: email, email } });
      expect(published.status).toBe(202);
      return published.body.id as string;
    };
    const taskOf = (eventId: string) =>
      eventually(
        async () => (await db.query(`select status, last_error from provider_event_tasks where event_id = $1`, [eventId])).rows[0],
        (task) => task !== undefined && task.status !== 'pending',
      );

    expect((await t.http.patch('/v1/feature-flags/integrations.sendgrid').set(bearer(ownerToken)).send({ value: false })).body.value).toBe(false);
    const paused = await register('paused@example.com');
    expect(await taskOf(paused)).toEqual({ status: 'skipped', last_error: "the account has paused sendgrid's automatic work" });
    expect(sendgrid.state.sent.some((mail) => JSON.stringify(mail.body).includes('paused@example.com'))).toBe(false);
    expect((await t.http.get('/v1/integrations/sendgrid').set(bearer(ownerToken))).body.status).toBe('connected');

    await t.http.patch('/v1/feature-flags/integrations.sendgrid').set(bearer(ownerToken)).send({ value: true });
    const resumed = await register('resumed@example.com');
    expect((await taskOf(resumed)).status).toBe('done');
    const mail = sendgrid.state.sent.find((sent) => JSON.stringify(sent.body).includes('resumed@example.com'));
    expect(mail?.body.template_id).toBe(CONFIRMATION_TEMPLATE);
  });

  it('pauses scheduled syncs while the flag is off and runs them again when it is on', async () => {
    const { ownerToken } = await createAccount(t);
    const connected = await connectStripe(ownerToken, { autoSync: true });
    const integrationId = connected.body.id as string;
    const autoSync = t.app.get(MaintenanceScheduler).task('integrations.auto-sync')!;
    const scheduledRuns = async () =>
      (await db.query(`select count(*)::int as n from sync_runs where integration_id = $1 and trigger = 'schedule'`, [integrationId])).rows[0].n;
    const due = () => db.query(`update integrations set next_sync_at = now() - interval '1 minute' where id = $1`, [integrationId]);

    await t.http.patch('/v1/feature-flags/integrations.stripe').set(bearer(ownerToken)).send({ value: false });
    await due();
    await autoSync.run();
    expect(await scheduledRuns()).toBe(0);
    const next = (await db.query(`select next_sync_at from integrations where id = $1`, [integrationId])).rows[0].next_sync_at as Date;
    expect(next.getTime()).toBeGreaterThan(Date.now());

    await t.http.patch('/v1/feature-flags/integrations.stripe').set(bearer(ownerToken)).send({ value: true });
    await due();
    await autoSync.run();
    expect(await scheduledRuns()).toBe(1);
  });
});
