import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { providerOriginOverrides, SENDGRID_TEST_KEY, startFakeGoogleCalendar, startFakeSendGrid } from '../fixtures/providers/index.js';
import type { FakeGoogleCalendar, FakeSendGrid } from '../fixtures/providers/index.js';
import { WebhookReceiver } from '../fixtures/webhook-receiver.js';
import { addMember, bearer, createAccount, type TestApp } from '../support/test-app.js';
import {
  ensureConsoleBuilt,
  launchChromium,
  routeToFakes,
  screenshot,
  seriousViolations,
  squarePng,
  startConsoleApp,
  startHostPage,
  watchPage,
} from './console/harness.js';

const LOGO_PNG = squarePng(40, [107, 47, 179]);

const GOOGLE_CLIENT = { clientId: 'console-google-client', clientSecret: 'console-google-secret' };

jest.setTimeout(120_000);

/**
 * The web console and the hosted connect page in a real Chromium, against the real app and the
 * provider fakes: sign-in by link, every page for the roles that may use it, accessibility (axe) and
 * the Content-Security-Policy the server sends (any violation fails).
 */
describe('console in a browser', () => {
  let t: TestApp & { url: string };
  let browser: Browser;
  let sendgrid: FakeSendGrid;
  let google: FakeGoogleCalendar;
  let receiver: WebhookReceiver;
  let host: { url: string; close: () => Promise<void> };
  let accountId: string;
  let ownerToken: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    [sendgrid, google, receiver, host] = await Promise.all([startFakeSendGrid(), startFakeGoogleCalendar(), WebhookReceiver.start(), startHostPage()]);
    google.state.oauth.registerClient({ ...GOOGLE_CLIENT });
    t = await startConsoleApp({
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(sendgrid.origins, google.origins),
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_ID: GOOGLE_CLIENT.clientId,
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_SECRET: GOOGLE_CLIENT.clientSecret,
      PLUGIN_ISOLATION: 'none',
      ALLOW_INSECURE_WEBHOOKS: 'true',
      ALLOWED_RETURN_ORIGINS: host.url,
    });
    ({ accountId, ownerToken } = await createAccount(t, 'business'));
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await Promise.all([sendgrid?.close(), google?.close(), receiver?.close(), host?.close()]);
  });

  // Every page the test opened: a CSP violation or an uncaught error on any of them fails the test.
  const watched: string[][] = [];
  afterEach(() => {
    const problems = watched.splice(0).flat();
    expect(problems).toEqual([]);
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: t.url });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    await routeToFakes(context, google.origins);
    contexts.push(context);
    const page = await context.newPage();
    watched.push(watchPage(page));
    return page;
  }

  /** A new page signed in as the member: mints a sign-in link (what the host platform does) and opens it. */
  async function signedIn(token: string): Promise<Page> {
    const page = await newPage();
    const link = await t.http.post('/v1/console/links').set(bearer(token));
    expect(link.status).toBe(201);
    await page.goto(link.body.url);
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    return page;
  }

  async function visit(page: Page, label: string, screenshotName: string, fullPage = true): Promise<void> {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: label, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: label }).waitFor();
    await page.waitForLoadState('networkidle');
    await screenshot(page, screenshotName, fullPage);
    expect(await seriousViolations(page)).toEqual([]);
  }

  it('signs in once with a link, and shows the signed-out page for a used link and after sign-out', async () => {
    const page = await newPage();
    const link = await t.http.post('/v1/console/links').set(bearer(ownerToken));
    await page.goto(link.body.url);
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    await expect(page.getByTestId('account-name').textContent()).resolves.toMatch(/^Account /);
    expect(page.url()).not.toContain('code=');

    const other = await newPage();
    await other.goto(link.body.url);
    await other.getByText('This link has expired or was already used; ask for a new one.').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Open the console from your platform, or ask an administrator for a sign-in link').waitFor();
    await page.reload();
    await page.getByText('Open the console from your platform, or ask an administrator for a sign-in link').waitFor();
    await screenshot(page, 'signed-out');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('lists the catalogue by category and search, and connects an API-key provider from its schema', async () => {
    const page = await signedIn(ownerToken);
    await visit(page, 'Integrations', 'integrations', false);

    await page.getByRole('button', { name: 'Email', exact: true }).click();
    await expect(page.locator('[data-provider]').count()).resolves.toBeGreaterThan(0);
    for (const category of await page.locator('[data-provider] .small').allTextContents()) expect(category).toBe('Email');
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await page.getByRole('searchbox', { name: 'Search integrations' }).fill('sendgrid');
    await expect(page.locator('[data-provider]').count()).resolves.toBe(1);

    // The keyboard alone: from the search field to the card's button, into the dialog and out again.
    await page.getByRole('searchbox', { name: 'Search integrations' }).press('Tab');
    await expect(page.evaluate('document.activeElement.getAttribute("aria-label")')).resolves.toBe('Connect SendGrid');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'SendGrid' });
    await dialog.waitFor();
    await expect(dialog.evaluate((element) => element.contains(element.ownerDocument.activeElement))).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Connect SendGrid' }).click();
    await dialog.getByLabel('API key').fill('not-a-key');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    await dialog.getByText('does not have the expected format').waitFor();
    await screenshot(page, 'integrations-connect');
    expect(await seriousViolations(page)).toEqual([]);

    await dialog.getByLabel('API key').fill(SENDGRID_TEST_KEY);
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    await dialog.locator('[data-connection]').getByText('Connected', { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('[data-provider="sendgrid"]').getByText('Connected', { exact: true }).waitFor();
  });

  it('connects an OAuth provider through the authorization server, configures, syncs and disconnects it', async () => {
    const page = await signedIn(ownerToken);
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByRole('button', { name: 'Connect Google Calendar' }).click();
    const dialog = page.getByRole('dialog', { name: 'Google Calendar' });
    await dialog.getByRole('button', { name: 'Continue to Google Calendar' }).click();
    await page.getByText('Google Calendar is connected.').waitFor();
    expect(new URL(page.url()).search).toBe('');
    await page.locator('[data-provider="google_calendar"]').getByText('Connected', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Manage Google Calendar' }).click();
    const manage = page.getByRole('dialog', { name: 'Google Calendar' });
    await manage.getByRole('button', { name: 'Configure' }).click();
    await manage.getByRole('button', { name: 'Save' }).click();
    await manage.getByRole('region', { name: 'Settings' }).waitFor({ state: 'detached' });

    await manage.getByRole('button', { name: 'Sync now' }).click();
    await manage
      .getByText(/Sync (finished|succeeded|failed)/)
      .first()
      .waitFor({ timeout: 60_000 });
    await manage.getByRole('button', { name: 'Sync history' }).click();
    await manage.getByRole('table', { name: 'Sync history' }).waitFor();
    await manage.getByRole('button', { name: 'Records' }).click();
    await manage.getByRole('region', { name: 'Records' }).or(manage.getByText('No records yet: run a sync first.')).waitFor();
    await screenshot(page, 'integrations-manage', false);
    expect(await seriousViolations(page)).toEqual([]);

    await manage.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Disconnect' }).click();
    await manage.locator('[data-connection]').getByText('Disconnected', { exact: true }).waitFor();
  });

  it('creates an API key, shows it once with Copy to Clipboard, and revokes it', async () => {
    const page = await signedIn(ownerToken);
    await visit(page, 'API keys', 'api-keys');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API key' });
    await dialog.getByLabel('Name').fill('Reporting job');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-api-key').textContent())!;
    expect(key).toMatch(/^pb_live_[0-9A-Za-z]{38}$/);
    await page.getByRole('button', { name: 'Copy to Clipboard' }).click();
    await page.getByText('Copied to clipboard.').waitFor();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(key);
    expect((await t.http.get('/v1/me').set(bearer(key))).status).toBe(200);
    await screenshot(page, 'api-keys-created');

    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Revoke Reporting job' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('table', { name: 'Revoked and expired keys' }).getByText('Reporting job').waitFor();
    expect((await t.http.get('/v1/me').set(bearer(key))).status).toBe(401);
  });

  it('adds a webhook endpoint, tests it, and shows the delivery in its log', async () => {
    const page = await signedIn(ownerToken);
    await visit(page, 'Webhooks', 'webhooks');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    await dialog.getByLabel('Endpoint URL').fill(receiver.url);
    await dialog.getByRole('checkbox', { name: 'All events (*)' }).check({ force: true });
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await page
      .getByRole('dialog', { name: 'Endpoint added' })
      .getByText(/^whsec_/)
      .waitFor();
    await page.getByRole('button', { name: 'Done' }).click();

    await page.getByRole('button', { name: `Test ${receiver.url}` }).click();
    await page.getByText(/Test delivered: the endpoint answered 200/).waitFor();
    await receiver.waitFor(1);
    const log = page.getByTestId('deliveries');
    await log.getByText('succeeded').first().waitFor();
    await log.getByRole('button', { name: 'Attempts' }).first().click();
    await page.getByRole('region', { name: 'Attempts' }).getByText('webhook-signature').waitFor();
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page
      .getByText(/^whsec_/)
      .first()
      .waitFor();
    await screenshot(page, 'webhooks-deliveries');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('shows onboarding, notices, flags, plan, team and the audit log to an owner', async () => {
    const page = await signedIn(ownerToken);
    await visit(page, 'Onboarding', 'onboarding');
    await page
      .getByText(/Required: launch is blocked until/)
      .first()
      .waitFor();
    await page
      .getByRole('button', { name: /^Skip for Now/ })
      .first()
      .click();
    await page.getByText('Set up later').first().waitFor();
    await visit(page, 'Notices', 'notices');
    await visit(page, 'Feature flags', 'feature-flags');
    await visit(page, 'Plan and usage', 'plan');
    await visit(page, 'Team and roles', 'team');
    await visit(page, 'Audit log', 'audit-log');
    await page
      .getByRole('cell', { name: /^onboarding\./ })
      .first()
      .waitFor();

    await page.getByRole('switch', { name: 'Test mode' }).check({ force: true });
    await page.getByRole('link', { name: 'Plan and usage', exact: true }).click();
    await page.getByText('Usage is for test mode.').waitFor();
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.locator('[data-provider="sendgrid"]').getByText('Not connected', { exact: true }).waitFor();
  });

  it('shows a host member no Integrations page', async () => {
    const hostToken = await addMember(t, accountId, ownerToken, 'host');
    const page = await signedIn(hostToken);
    const nav = page.getByRole('navigation', { name: 'Console' });
    await expect(nav.getByRole('link', { name: 'Integrations', exact: true }).count()).resolves.toBe(0);
    await expect(nav.getByRole('link', { name: 'Webhooks', exact: true }).count()).resolves.toBe(0);
    await page.goto('/console/integrations');
    await page.getByRole('heading', { name: 'Not available' }).waitFor();
  });

  it("shows a Basic account the plan's limits", async () => {
    const basic = await createAccount(t, 'basic');
    const page = await signedIn(basic.ownerToken);
    await visit(page, 'Plan and usage', 'plan-basic');
    await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Basic');
    const limits = page.getByTestId('plan-limits');
    await limits.getByRole('row', { name: /Live API keys Not included/ }).waitFor();
    await limits.getByRole('row', { name: /Webhooks Not included/ }).waitFor();
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.locator('[data-provider="sendgrid"]').getByText('Not included in the Basic plan').waitFor();
    await page
      .locator('[data-provider="stripe"]')
      .getByText(/Basic plan · 0 of 1 used/)
      .waitFor();
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.getByText('The basic plan does not include webhooks.').waitFor();
  });

  it('shows an instance administrator the accounts, plugins and marketplace', async () => {
    const admin = await t.token({ sub: 'operator', account: accountId, admin: true });
    await t.http.post('/v1/members').set(bearer(ownerToken)).send({ userId: 'operator', role: 'admin' });
    const page = await signedIn(admin);
    await visit(page, 'Accounts', 'admin-accounts');
    await visit(page, 'Plugins', 'admin-plugins');
    await page
      .getByRole('cell', { name: /sendgrid/ })
      .first()
      .waitFor();
    await visit(page, 'Marketplace', 'admin-marketplace');
  });

  it('completes the hosted connect page for an end user and returns to the host', async () => {
    const session = await t.http
      .post('/v1/connect-sessions')
      .set(bearer(ownerToken))
      .send({ endUserId: 'creator_42', providers: ['sendgrid', 'google_calendar'], returnUrl: `${host.url}/connected` });
    expect(session.status).toBe(201);
    const page = await newPage();
    await page.goto(session.body.url);
    await page.getByRole('heading', { name: 'Connect an integration' }).waitFor();
    expect(page.url()).not.toContain('cs_');
    await expect(page.getByRole('listitem').count()).resolves.toBe(2);
    await screenshot(page, 'connect');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: /SendGrid/ }).click();
    await page.getByLabel('API key').fill(SENDGRID_TEST_KEY);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.waitForURL(`${host.url}/connected**`);
    const back = new URL(page.url());
    expect(back.searchParams.get('status')).toBe('connected');
    const connections = await t.http.get('/v1/connections?owner=end_user&endUserId=creator_42').set(bearer(ownerToken));
    expect(connections.body.data).toEqual([expect.objectContaining({ provider: 'sendgrid', owner: 'end_user', status: 'connected' })]);
  });

  it("brands the connect page with the account's name, logo and colours", async () => {
    const page = await signedIn(ownerToken);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByRole('button', { name: 'Connect page branding' }).click();
    const dialog = page.getByRole('dialog', { name: 'Connect page branding' });
    await dialog.getByLabel('Name').fill('Acme Studio');
    await dialog.getByLabel('Logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: LOGO_PNG });
    await dialog.getByLabel('Primary colour (buttons and links)').fill('#6b2fb3');
    await dialog.getByLabel('Accent colour (header band and focus)').fill('#f5a623');
    await dialog.getByRole('img', { name: 'Current logo' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'branding', false);
    await dialog.getByRole('button', { name: 'Save branding' }).click();
    await dialog.waitFor({ state: 'detached' });
    const saved = await t.http.get('/v1/branding').set(bearer(ownerToken));
    expect(saved.body).toEqual({
      name: 'Acme Studio',
      logo: `data:image/png;base64,${LOGO_PNG.toString('base64')}`,
      primaryColor: '#6b2fb3',
      accentColor: '#f5a623',
    });

    const session = await t.http
      .post('/v1/connect-sessions')
      .set(bearer(ownerToken))
      .send({ endUserId: 'creator_43', providers: ['sendgrid', 'google_calendar'], returnUrl: `${host.url}/connected` });
    const connect = await newPage();
    await connect.goto(session.body.url);
    await connect.getByRole('heading', { name: 'Connect an integration' }).waitFor();
    await connect.getByText('Acme Studio', { exact: true }).waitFor();
    await connect.getByRole('img', { name: 'Acme Studio logo' }).waitFor();
    // Evaluated in the page (the tests' TypeScript has no DOM types): the logo decoded, the colours applied.
    await expect(
      connect.evaluate("(() => { const logo = document.querySelector('.brand-logo'); return logo.complete && logo.naturalWidth; })()"),
    ).resolves.toBe(40);
    await expect(connect.evaluate("getComputedStyle(document.querySelector('main')).getPropertyValue('--accent')")).resolves.toBe('#6b2fb3');
    await expect(connect.evaluate("getComputedStyle(document.querySelector('main')).borderTopColor")).resolves.toBe('rgb(245, 166, 35)');
    await connect.getByRole('button', { name: /SendGrid/ }).click();
    await connect.getByRole('button', { name: 'Connect', exact: true }).waitFor();
    await expect(connect.evaluate("getComputedStyle(document.querySelector('form button[type=submit]')).backgroundColor")).resolves.toBe('rgb(107, 47, 179)');
    await screenshot(connect, 'connect-branded');
    expect(await seriousViolations(connect)).toEqual([]);
  });

  it('embeds the connect page on a host page of another origin with the embed script, in an iframe and a popup', async () => {
    const script = await t.http.get('/connect/embed.js');
    expect(script.status).toBe(200);
    expect(script.headers).toMatchObject({ 'cache-control': 'public, max-age=300', 'cross-origin-resource-policy': 'cross-origin' });
    expect(script.headers['content-type']).toMatch(/javascript/);

    const open = async (endUserId: string) => {
      const session = await t.http
        .post('/v1/connect-sessions')
        .set(bearer(ownerToken))
        .send({ endUserId, providers: ['sendgrid', 'google_calendar'], returnUrl: `${host.url}/connected` });
      expect(session.status).toBe(201);
      const hostPage = await newPage();
      await hostPage.goto(`${host.url}/embed?app=${encodeURIComponent(t.url)}&connect=${encodeURIComponent(session.body.url)}`);
      expect(new URL(hostPage.url()).origin).not.toBe(new URL(t.url).origin);
      return hostPage;
    };
    const connectSendGrid = async (frame: Pick<Page, 'getByRole' | 'getByLabel'>) => {
      await frame.getByRole('button', { name: /SendGrid/ }).click();
      await frame.getByLabel('API key').fill(SENDGRID_TEST_KEY);
      await frame.getByRole('button', { name: 'Connect', exact: true }).click();
    };
    const outcome = async (hostPage: Page) => {
      await hostPage.locator('#outcome').filter({ hasText: /./ }).waitFor();
      return JSON.parse((await hostPage.locator('#outcome').textContent())!) as Record<string, string>;
    };
    const connectionOf = async (endUserId: string) =>
      (await t.http.get(`/v1/connections?owner=end_user&endUserId=${endUserId}`).set(bearer(ownerToken))).body.data;

    const framed = await open('creator_44');
    await framed.getByRole('button', { name: 'Connect here' }).click();
    const frame = framed.frameLocator('iframe[title="Connect an integration"]');
    await frame.getByRole('heading', { name: 'Connect an integration' }).waitFor();
    await screenshot(framed, 'connect-embedded');
    await connectSendGrid(frame);
    const inFrame = await outcome(framed);
    expect(inFrame).toEqual({ status: 'connected', provider: 'sendgrid', connectionId: expect.any(String) });
    await expect(framed.locator('iframe').count()).resolves.toBe(0);
    expect(await connectionOf('creator_44')).toEqual([expect.objectContaining({ id: inFrame.connectionId, provider: 'sendgrid', status: 'connected' })]);

    const opener = await open('creator_45');
    const [popup] = await Promise.all([opener.waitForEvent('popup'), opener.getByRole('button', { name: 'Connect in a popup' }).click()]);
    watched.push(watchPage(popup));
    await popup.getByRole('heading', { name: 'Connect an integration' }).waitFor();
    await connectSendGrid(popup);
    const inPopup = await outcome(opener);
    expect(inPopup).toEqual({ status: 'connected', provider: 'sendgrid', connectionId: expect.any(String) });
    if (!popup.isClosed()) await popup.waitForEvent('close');
    expect(await connectionOf('creator_45')).toEqual([expect.objectContaining({ id: inPopup.connectionId, provider: 'sendgrid', status: 'connected' })]);
  });

  it('measures the Integrations page until interactive with the whole catalogue', async () => {
    const page = await signedIn(ownerToken);
    const providers = (await t.http.get('/v1/providers?limit=100').set(bearer(ownerToken))).body.data.length as number;
    const started = Date.now();
    await page.goto('/console/integrations');
    await page.locator('[data-provider] button').first().waitFor();
    await page.locator('[data-provider] button').last().click({ trial: true });
    const elapsed = Date.now() - started;
    const navigation = await page.evaluate(() => performance.now());
    console.log(`Integrations page: ${providers} providers interactive ${elapsed} ms after navigation (page clock ${Math.round(navigation)} ms)`);
  });
});
