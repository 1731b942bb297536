import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import {
  messagingServiceSid,
  signTwilioJsonRequest,
  signTwilioRequest,
  startFakeTwilio,
  twilioAccountSid,
  twilioAuthToken,
  type FakeTwilio,
  type FakeTwilioAccount,
} from '../fixtures/providers/twilio.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const INTEGRATION_ID = '6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b';
const HOOK_URL = `https://plugboard.example.com/v1/hooks/${INTEGRATION_ID}`;
const SENDER = '+14155550100';

let plugin: PluginDefinition;
let twilio: Json;
let fake: FakeTwilio;

beforeAll(async () => {
  plugin = await loadBundledPlugin('twilio');
  twilio = plugin.providers[0];
  fake = await startFakeTwilio();
});
afterAll(() => fake.close());

const credentialsOf = (account: FakeTwilioAccount) => ({ accountSid: account.sid, authToken: account.authToken });

const harness = (settings: Record<string, unknown> = { from: SENDER }, credentials: Record<string, unknown> = credentialsOf(fake.account)) =>
  createHarness(plugin, { provider: 'twilio', credentials, settings, integration: { id: INTEGRATION_ID }, http: forwardTo(fake.origins) });

/** What the fake received since `before`: method, path and form body. */
const received = (before: number) => fake.state.requests.slice(before).map((request) => ({ method: request.method, path: request.path, body: request.body }));

const messagesPath = (account: FakeTwilioAccount) => `/2010-04-01/Accounts/${account.sid}/Messages.json`;

function sessionEvent(type: string, data: Json): PlugboardEvent {
  return { id: `evt_${type}`, event: type, timestamp: '2026-03-02T15:00:00Z', accountId: 'acct_test', livemode: false, data };
}

const SESSION = {
  sessionId: 'sess_9',
  roomId: 'room_123',
  title: 'Launch webinar',
  start: '2026-03-02T16:00:00Z',
  end: '2026-03-02T17:00:00Z',
  timeZone: 'Europe/Paris',
  joinUrl: 'https://app.example.com/rooms/room_123',
};

describe('twilio plugin', () => {
  it('declares an SMS provider with Basic credentials, and schemas that refuse malformed values', () => {
    expect(twilio).toMatchObject({ id: 'twilio', category: 'sms', auth: { type: 'basic' }, baseUrl: 'https://api.twilio.com' });
    expect(twilio.auth.credentialsSchema.properties.authToken.secret).toBe(true);
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(twilio.auth.credentialsSchema);
    expect(credentials(credentialsOf(fake.account))).toBe(true);
    expect(credentials({ accountSid: 'SK0123', authToken: twilioAuthToken() })).toBe(false);
    expect(credentials({ accountSid: fake.account.sid })).toBe(false);

    const settings = ajv.compile(twilio.settingsSchema);
    expect(settings({ from: SENDER, reminderTemplate: 'Hi {name}: {title} at {start} ({timeZone}), until {end}. {joinUrl}' })).toBe(true);
    expect(settings({ messagingServiceSid: messagingServiceSid(), statusCallbackUrl: HOOK_URL, locale: 'fr-FR' })).toBe(true);
    expect(settings({ reminderTemplate: 'Reminder: {titel} at {start}' })).toBe(false);
    expect(settings({ from: '4155550100' })).toBe(false);
    expect(settings({ messagingServiceSid: 'MGxyz' })).toBe(false);
    expect(settings({ statusCallbackUrl: 'https://elsewhere.example.com/hooks' })).toBe(false);
    expect(settings({ statusCallbackUrl: `https://my_host.example.com/v1/hooks/${INTEGRATION_ID}` })).toBe(false);

    const sendSms = ajv.compile(twilio.actions.sendSms.inputSchema);
    expect(sendSms({ to: '+14155550123', body: 'Hello' })).toBe(true);
    expect(sendSms({ to: '+14155550123', body: 'x'.repeat(1601) })).toBe(false);
    expect(sendSms({ to: '0415 555 0123', body: 'Hello' })).toBe(false);
    expect(sendSms({ to: '+14155550123', body: 'Hello', mediaUrl: 'https://example.com/a.png' })).toBe(false);
  });

  it('verifies with HTTP Basic on the account resource and keeps the account, never its auth token', async () => {
    const before = fake.state.requests.length;
    const result = await harness().verify();
    expect(result).toEqual({
      displayName: 'Acme Events',
      metadata: { accountSid: fake.account.sid, friendlyName: 'Acme Events', accountType: 'Full', status: 'active', ownerAccountSid: fake.account.sid },
    });
    expect(JSON.stringify(result)).not.toContain(fake.account.authToken);
    const [request] = fake.state.requests.slice(before);
    expect(request).toMatchObject({ method: 'GET', path: `/2010-04-01/Accounts/${fake.account.sid}.json` });
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${fake.account.sid}:${fake.account.authToken}`).toString('base64')}`);
  });

  it('names trial accounts as such', async () => {
    const trial = fake.state.addAccount({ friendlyName: 'Sandbox', type: 'Trial' });
    await expect(harness({}, credentialsOf(trial)).verify()).resolves.toMatchObject({ displayName: 'Sandbox (trial)', metadata: { accountType: 'Trial' } });
  });

  it('refuses a wrong Auth Token with a readable 20003 message that does not echo it', async () => {
    const wrong = twilioAuthToken();
    const attempt = harness({}, { accountSid: fake.account.sid, authToken: wrong }).verify();
    await expect(attempt).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('error 20003') });
    const error = await harness({}, { accountSid: fake.account.sid, authToken: wrong })
      .healthCheck()
      .catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain(wrong);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from(`${fake.account.sid}:${wrong}`).toString('base64')}`);
  });

  it('refuses an account the credentials do not reach', async () => {
    const other = fake.state.addAccount();
    await expect(harness({}, { accountSid: other.sid, authToken: fake.account.authToken }).verify()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('refuses suspended and closed accounts clearly, in verify and the health check', async () => {
    const suspended = fake.state.addAccount({ friendlyName: 'Overdue Ltd', status: 'suspended' });
    await expect(harness({}, credentialsOf(suspended)).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `Twilio: the account "Overdue Ltd" (${suspended.sid}) is suspended and cannot send messages. Settle its balance or contact Twilio Support, then check the connection again.`,
    });
    await expect(harness({}, credentialsOf(suspended)).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('suspended'),
    });
    const closed = fake.state.addAccount({ status: 'closed' });
    await expect(harness({}, credentialsOf(closed)).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('is closed'),
    });
  });

  it('checks health with the one account request', async () => {
    const before = fake.state.requests.length;
    await harness().healthCheck();
    expect(received(before)).toEqual([{ method: 'GET', path: `/2010-04-01/Accounts/${fake.account.sid}.json`, body: undefined }]);
  });

  it('sends an SMS form-encoded from the configured number, with the status callback URL', async () => {
    const before = fake.state.requests.length;
    const result = await harness({ from: SENDER, statusCallbackUrl: HOOK_URL }).action<Json>('sendSms', { to: '+14155550123', body: 'Doors open at 5' });
    const stored = fake.state.messages.at(-1)!;
    expect(result).toEqual({
      sid: stored.sid,
      status: 'queued',
      to: '+14155550123',
      from: SENDER,
      messagingServiceSid: null,
      numSegments: 1,
      dateCreated: new Date(Date.parse(stored.date_created)).toISOString(),
    });
    expect(received(before)).toEqual([
      { method: 'POST', path: messagesPath(fake.account), body: { To: '+14155550123', From: SENDER, Body: 'Doors open at 5', StatusCallback: HOOK_URL } },
    ]);
    expect(fake.state.requests.at(-1)!.headers['content-type']).toContain('application/x-www-form-urlencoded');
  });

  it('sends through a Messaging Service when one is configured, and lets the input pick the number', async () => {
    const service = messagingServiceSid();
    const before = fake.state.requests.length;
    const viaService = await harness({ messagingServiceSid: service }).action<Json>('sendSms', { to: '+14155550123', body: 'Hi' });
    expect(viaService).toMatchObject({ status: 'accepted', messagingServiceSid: service, from: null });
    const second = '+14155550199';
    fake.account.incomingNumbers.add(second);
    await harness({ from: SENDER }).action<Json>('sendSms', { to: '+14155550123', body: 'Hi', from: second });
    expect(received(before).map((request) => request.body)).toEqual([
      { To: '+14155550123', MessagingServiceSid: service, Body: 'Hi' },
      { To: '+14155550123', From: second, Body: 'Hi' },
    ]);
  });

  it('refuses to send without any sender, before calling Twilio', async () => {
    const before = fake.state.requests.length;
    await expect(harness({}).action('sendSms', { to: '+14155550123', body: 'Hi' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('No sender'),
    });
    expect(fake.state.requests.length).toBe(before);
  });

  it('turns Twilio’s refusals into messages a person can act on', async () => {
    const send = (to: string, from = SENDER) => harness({ from }).action('sendSms', { to, body: 'Hi' });
    await expect(send('+15005550001')).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "Twilio: the 'To' number +15005550001 is not a valid phone number (error 21211).",
    });
    await expect(send('+14155550123', '+15557654321')).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        "Twilio: the 'From' number +15557654321 is not a Twilio number of this account that can send SMS to this destination (error 21606). Use an SMS-capable number of the account, or a Messaging Service.",
    });
    fake.state.optedOut.add('+14155550177');
    await expect(send('+14155550177')).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Twilio: +14155550177 has unsubscribed from this sender (replied STOP) and gets no messages until they text START (error 21610).',
    });
    await expect(send('+4930123456')).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Twilio: this account may not send SMS to the region of \+4930123456 \(error 21408\)/),
    });
    const trial = fake.state.addAccount({ type: 'Trial', incomingNumbers: [SENDER] });
    await expect(harness({ from: SENDER }, credentialsOf(trial)).action('sendSms', { to: '+14155550123', body: 'Hi' })).rejects.toMatchObject({
      message: expect.stringContaining('error 21608'),
    });
  });

  it('retries Twilio’s 429 (error 20429), then reports the rate limit', async () => {
    fake.state.throttle = 2;
    const before = fake.state.requests.length;
    await expect(harness().action<Json>('sendSms', { to: '+14155550123', body: 'Hi' })).resolves.toMatchObject({ status: 'queued' });
    expect(received(before).map((request) => request.method)).toEqual(['POST', 'POST', 'POST']);

    fake.state.throttle = 10;
    await expect(harness().healthCheck()).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'Twilio: the account has too many requests in progress (error 20429). Try again in a moment.',
    });
    expect(fake.state.throttle).toBe(6);
    fake.state.throttle = 0;
  });

  it('texts a session reminder to every recipient with a phone number, once per number, from the template', async () => {
    const settings = { from: SENDER, statusCallbackUrl: HOOK_URL, reminderTemplate: 'Hi {name}, {title} starts {start} ({timeZone}). Join: {joinUrl}' };
    const h = harness(settings);
    const before = fake.state.requests.length;
    await twilio.onEvent['session.reminder'](
      h.context(),
      sessionEvent('session.reminder', {
        ...SESSION,
        recipients: [
          { name: 'Ana', email: 'ana@example.com', phone: '+14155550123' },
          { name: 'Bo', email: 'bo@example.com' },
          { name: 'Cy', phone: '+447700900123' },
          { name: 'Ana again', phone: '+14155550123' },
        ],
      }),
    );
    const bodies = received(before).map((request) => request.body as Json);
    expect(bodies.map((body) => body.To).sort()).toEqual(['+14155550123', '+447700900123']);
    const ana = bodies.find((body) => body.To === '+14155550123')!;
    expect(ana).toMatchObject({ From: SENDER, StatusCallback: HOOK_URL });
    expect(ana.Body).toMatch(/^Hi Ana, Launch webinar starts Mon, Mar 2, 5:00 PM \S+ \(Europe\/Paris\)\. Join: https:\/\/app\.example\.com\/rooms\/room_123$/);
    expect(ana.Body).not.toMatch(/[\u00a0\u202f]/);
    expect(bodies.find((body) => body.To === '+447700900123')!.Body).toMatch(/^Hi Cy, /);
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'reminder SMS sent', fields: { sent: 2, skipped: 0 } });
  });

  it('uses the default reminder text, and skips a refused recipient while the others still get theirs', async () => {
    fake.state.optedOut.add('+14155550166');
    const h = harness({ from: SENDER });
    const before = fake.state.messages.length;
    await twilio.onEvent['session.reminder'](
      h.context(),
      sessionEvent('session.reminder', { ...SESSION, joinUrl: undefined, recipients: [{ phone: '+14155550166' }, { phone: '+14155550155' }] }),
    );
    const sent = fake.state.messages.slice(before);
    expect(sent.map((message) => message.to)).toEqual(['+14155550155']);
    expect(sent[0].body).toMatch(/^Reminder: Launch webinar starts Mon, Mar 2, 5:00 PM \S+\.$/);
    expect(h.logs.find((line) => line.level === 'warn')).toMatchObject({
      message: 'Twilio refused one reminder SMS',
      fields: { to: '…0166', twilioCode: 21610 },
    });
    expect(h.logs.at(-1)).toMatchObject({ fields: { sent: 1, skipped: 1 } });
  });

  it('fails the reminder (for the host to retry) only when no message was accepted', async () => {
    const event = sessionEvent('session.reminder', { ...SESSION, recipients: [{ phone: '+14155550123' }] });
    const badToken = harness({ from: SENDER }, { accountSid: fake.account.sid, authToken: twilioAuthToken() });
    await expect(twilio.onEvent['session.reminder'](badToken.context(), event)).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('20003'),
    });

    fake.state.failingNumbers.add('+14155550144');
    const h = harness({ from: SENDER });
    const before = fake.state.messages.length;
    await twilio.onEvent['session.reminder'](
      h.context(),
      sessionEvent('session.reminder', { ...SESSION, recipients: [{ phone: '+14155550133' }, { phone: '+14155550144' }] }),
    );
    expect(fake.state.messages.slice(before).map((message) => message.to)).toEqual(['+14155550133']);
    expect(h.logs.find((line) => line.level === 'error')).toMatchObject({ fields: { sent: 1, notSent: 1 } });

    const onlyFailing = sessionEvent('session.reminder', { ...SESSION, recipients: [{ phone: '+14155550144' }] });
    await expect(twilio.onEvent['session.reminder'](harness({ from: SENDER }).context(), onlyFailing)).rejects.toThrow(/500/);
    fake.state.failingNumbers.clear();
  });

  it('texts session updates with the update template, and sends nothing when the update lists no recipients', async () => {
    const h = harness({ from: SENDER, updateTemplate: 'Moved: {title} is now {start} to {end}' });
    const before = fake.state.requests.length;
    await twilio.onEvent['session.updated'](
      h.context(),
      sessionEvent('session.updated', { ...SESSION, start: '2026-03-02T16:30:00Z', end: '2026-03-02T17:30:00Z' }),
    );
    expect(fake.state.requests.length).toBe(before);
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'no recipient with a phone number: no update SMS sent' });

    await twilio.onEvent['session.updated'](
      h.context(),
      sessionEvent('session.updated', { ...SESSION, start: '2026-03-02T16:30:00Z', end: '2026-03-02T17:30:00Z', recipients: [{ phone: '+14155550123' }] }),
    );
    expect((received(before)[0].body as Json).Body).toMatch(/^Moved: Launch webinar is now Mon, Mar 2, 5:30 PM \S+ to Mon, Mar 2, 6:30 PM \S+$/);
  });

  describe('status callbacks', () => {
    const vectorParams = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
    const vectorUrl = 'https://mycompany.com/myapp.php?foo=1&bar=2';

    it('verify Twilio’s documented example signature', async () => {
      // Auth token 12345, that URL and those parameters sign to RSOYDt4T1cUTdK1PDd93/VVr8B8= (Twilio's docs).
      expect(signTwilioRequest('12345', vectorUrl, vectorParams)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
      const h = createHarness(plugin, { credentials: { accountSid: twilioAccountSid(), authToken: '12345' }, settings: { statusCallbackUrl: vectorUrl } });
      const request = (params: Record<string, string>) => ({
        headers: { 'x-twilio-signature': 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', 'content-type': 'application/x-www-form-urlencoded' },
        query: { foo: '1', bar: '2' },
        rawBody: new URLSearchParams(params).toString(),
      });
      await expect(h.webhookVerify(request(vectorParams))).resolves.toBe(true);
      await expect(h.webhookVerify(request({ ...vectorParams, Digits: '1235' }))).resolves.toBe(false);
    });

    it('verify the callbacks of sent messages, signed over the configured URL, and map them to no event', async () => {
      const h = harness({ from: SENDER, statusCallbackUrl: HOOK_URL });
      const { sid } = await h.action<Json>('sendSms', { to: '+14155550123', body: 'Hi' });
      const delivered = fake.state.statusCallback(sid, 'delivered');
      expect(delivered.url).toBe(HOOK_URL);
      const inbound = { headers: delivered.headers, rawBody: delivered.rawBody };
      await expect(h.webhookVerify(inbound)).resolves.toBe(true);
      await expect(h.webhookToEvents(inbound)).resolves.toEqual([]);
      expect(h.logs.at(-1)).toMatchObject({
        level: 'info',
        message: 'Twilio delivered a message',
        fields: { messageSid: sid, status: 'delivered', to: '…0123' },
      });

      const failed = fake.state.statusCallback(sid, 'undelivered', 30003);
      await expect(h.webhookVerify({ headers: failed.headers, rawBody: failed.rawBody })).resolves.toBe(true);
      await expect(h.webhookToEvents({ headers: failed.headers, rawBody: failed.rawBody })).resolves.toEqual([]);
      expect(h.logs.at(-1)).toMatchObject({ level: 'warn', fields: { status: 'undelivered', errorCode: 30003 } });

      // Tampered parameters, another account's token, no signature: refused.
      await expect(h.webhookVerify({ headers: delivered.headers, rawBody: delivered.rawBody.replace('delivered', 'failed') })).resolves.toBe(false);
      const otherToken = harness({ statusCallbackUrl: HOOK_URL }, { accountSid: fake.account.sid, authToken: twilioAuthToken() });
      await expect(otherToken.webhookVerify(inbound)).resolves.toBe(false);
      await expect(h.webhookVerify({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: delivered.rawBody })).resolves.toBe(false);
    });

    it('verify against the URL the host received the callback at when none is configured, and accept the default port', async () => {
      const params = { MessageSid: `SM${'1'.repeat(32)}`, MessageStatus: 'sent', AccountSid: fake.account.sid };
      const rawBody = new URLSearchParams(params).toString();
      const h = harness({ from: SENDER });
      const signed = (url: string) => ({ 'x-twilio-signature': signTwilioRequest(fake.account.authToken, url, params) });
      await expect(h.webhookVerify({ url: HOOK_URL, headers: signed(HOOK_URL), rawBody })).resolves.toBe(true);
      await expect(h.webhookVerify({ url: HOOK_URL, headers: signed(HOOK_URL.replace('.com/', '.com:443/')), rawBody })).resolves.toBe(true);
      const otherHook = `https://plugboard.example.com/v1/hooks/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`;
      await expect(h.webhookVerify({ url: HOOK_URL, headers: signed(otherHook), rawBody })).resolves.toBe(false);
      await expect(h.webhookVerify({ headers: signed(HOOK_URL), rawBody })).resolves.toBe(false);
    });

    it('verify JSON callbacks through bodySHA256', async () => {
      const body = JSON.stringify({ MessageSid: `SM${'2'.repeat(32)}`, MessageStatus: 'delivered' });
      const { signature, bodySHA256 } = signTwilioJsonRequest(fake.account.authToken, HOOK_URL, body);
      const h = harness({ statusCallbackUrl: HOOK_URL });
      const inbound = (rawBody: string) => ({
        headers: { 'x-twilio-signature': signature, 'content-type': 'application/json' },
        query: { bodySHA256 },
        rawBody,
      });
      await expect(h.webhookVerify(inbound(body))).resolves.toBe(true);
      await expect(h.webhookVerify(inbound(body.replace('delivered', 'failed')))).resolves.toBe(false);
    });
  });

  it('syncs the account’s messages page by page through next_page_uri, without their bodies, incrementally by day', async () => {
    const account = fake.state.addAccount({ friendlyName: 'Busy Co' });
    const now = Date.now();
    for (let index = 0; index < 1003; index += 1) {
      fake.state.seedMessage(account.sid, { to: '+14155550123', from: SENDER, dateSent: new Date(now - 3_600_000 - index * 60_000) });
    }
    fake.state.seedMessage(account.sid, { to: '+14155550123', from: SENDER, dateSent: new Date(now - 40 * 86_400_000) });
    const h = harness({}, credentialsOf(account));
    const before = fake.state.requests.length;
    const result = await h.sync();
    const messages = result.records!.messages;
    expect(messages).toHaveLength(1003);
    expect(new Set(messages.map((message) => message.id)).size).toBe(1003);
    expect(messages[0]).not.toHaveProperty('body');
    expect(messages[0]).toMatchObject({ direction: 'outbound-api', status: 'delivered', to: '+14155550123', from: SENDER, numSegments: 1, priceUnit: 'USD' });
    const newest = new Date(Math.floor((now - 3_600_000) / 1000) * 1000).toISOString();
    expect(result.highWaterMarks).toEqual({ messages: newest });

    const pages = fake.state.requests.slice(before);
    expect(pages.map((request) => request.path)).toEqual([messagesPath(account), messagesPath(account)]);
    expect(pages[0].query).toEqual({ 'DateSent>': new Date(now - 30 * 86_400_000).toISOString().slice(0, 10), PageSize: '1000' });
    expect(pages[1].query).toMatchObject({ PageSize: '1000', Page: '1', PageToken: expect.stringMatching(/^PA/) });

    const next = fake.state.requests.length;
    const again = await h.sync({ highWaterMarks: result.highWaterMarks });
    expect(fake.state.requests[next].query['DateSent>']).toBe(newest.slice(0, 10));
    expect(again.highWaterMarks).toEqual({ messages: newest });
  });
});
