import { jest } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import {
  RESEND_SENDING_KEY,
  RESEND_TEST_KEY,
  resendKey,
  resendWebhookSecret,
  startFakeResend,
  svixSignature,
  type FakeResend,
  type ResendDomain,
} from '../fixtures/providers/resend.js';
import { BUILTIN_EVENT_TYPES } from '../../src/modules/events/builtin-event-types.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let resend: Json;
let fake: FakeResend;
let acme: ResendDomain;

beforeAll(async () => {
  plugin = await loadBundledPlugin('resend');
  resend = plugin.providers[0];
  fake = await startFakeResend();
  acme = fake.state.addDomain('acme.test');
  fake.state.addDomain('pending.test', 'pending');
  // Receiving not verified yet, sending records verified: mail can be sent from it.
  fake.state.addDomain('inbound.acme.test', 'partially_verified', { sendingRecords: 'verified' });
  // Receiving verified, sending records still pending: no.
  fake.state.addDomain('half.test', 'partially_verified', { sendingRecords: 'pending' });
});
afterAll(() => fake.close());

const VERIFIED = ['acme.test', 'inbound.acme.test'];

const harness = (options: { apiKey?: string; webhookSigningSecret?: string; settings?: Record<string, unknown>; metadata?: Record<string, unknown> } = {}) =>
  createHarness(plugin, {
    provider: 'resend',
    credentials: { apiKey: options.apiKey ?? RESEND_TEST_KEY, ...(options.webhookSigningSecret ? { webhookSigningSecret: options.webhookSigningSecret } : {}) },
    settings: options.settings ?? {},
    integration: { metadata: options.metadata ?? {} },
    http: forwardTo(fake.origins),
  });

/** Metadata as verify stored it for the full-access key. */
const verifiedMetadata = () => ({ keyAccess: 'full_access', verifiedDomains: [...VERIFIED] });
const sent = () => fake.state.emails.at(-1)!;
const sentSince = (count: number) => fake.state.emails.slice(count);
const paths = (requests: Array<{ method: string; url: string }>) => requests.map((request) => `${request.method} ${new URL(request.url).pathname}`);

describe('resend plugin: declaration and schemas', () => {
  it('declares an API-key email provider on api.resend.com with Resend’s 2 requests a second', () => {
    expect(resend).toMatchObject({ id: 'resend', category: 'email', auth: { type: 'api_key' }, baseUrl: 'https://api.resend.com' });
    expect(resend.rateLimits).toEqual([{ requests: 2, windowMs: 1000, scope: 'connection' }]);
    const credentials = createSchemaCompiler().compile(resend.auth.credentialsSchema);
    expect(credentials({ apiKey: RESEND_TEST_KEY })).toBe(true);
    expect(credentials({ apiKey: resendKey(), webhookSigningSecret: resendWebhookSecret() })).toBe(true);
    expect(credentials({ apiKey: 'SG.abc.def' })).toBe(false);
    expect(credentials({ apiKey: RESEND_TEST_KEY, webhookSigningSecret: 'not-a-secret' })).toBe(false);
    for (const field of Object.values<Json>(resend.auth.credentialsSchema.properties)) expect(field.secret).toBe(true);
  });

  it('has strict action inputs: content is a template or html/text with a subject, never both', () => {
    const ajv = createSchemaCompiler();
    const sendEmail = ajv.compile(resend.actions.sendEmail.inputSchema);
    const base = { from: 'Acme Events <events@acme.test>', to: 'ana@example.com' };
    expect(sendEmail({ ...base, subject: 'Hi', html: '<p>Hi</p>' })).toBe(true);
    expect(sendEmail({ ...base, from: 'events@acme.test', subject: 'Hi', text: 'Hi', tags: { category: 'confirm_email' } })).toBe(true);
    expect(sendEmail({ ...base, template: { id: 'order-confirmation', variables: { PRODUCT: 'Mac', PRICE: 499 } } })).toBe(true);
    expect(sendEmail({ ...base, template: { id: 'welcome' }, dateVariables: { START: { value: '2026-03-02T16:00:00Z', timeZone: 'Europe/Paris' } } })).toBe(
      true,
    );

    expect(sendEmail({ ...base, subject: 'Hi' })).toBe(false);
    expect(sendEmail({ ...base, html: '<p>Hi</p>' })).toBe(false);
    expect(sendEmail({ ...base, template: { id: 'welcome' }, html: '<p>Hi</p>' })).toBe(false);
    expect(sendEmail({ ...base, subject: 'Hi', text: 'x', dateVariables: { START: { value: '2026-03-02T16:00:00Z' } } })).toBe(false);
    expect(sendEmail({ ...base, template: { id: 'welcome', variables: { EMAIL: 'x' } } })).toBe(false);
    expect(sendEmail({ ...base, template: { id: 'welcome', variables: { NAME: { nested: true } } } })).toBe(false);
    expect(sendEmail({ ...base, from: 'Acme Events', subject: 'Hi', text: 'x' })).toBe(false);
    expect(sendEmail({ ...base, to: 'not-an-email', subject: 'Hi', text: 'x' })).toBe(false);
    expect(sendEmail({ ...base, to: Array.from({ length: 51 }, (_, index) => `guest${index}@example.com`), subject: 'Hi', text: 'x' })).toBe(false);
    expect(sendEmail({ ...base, subject: 'Hi', text: 'x', tags: { 'bad tag': 'x' } })).toBe(false);
    expect(sendEmail({ ...base, subject: 'Hi', text: 'x', scheduledAt: 'in 1 hour' })).toBe(false);
    expect(sendEmail({ ...base, subject: 'Hi', text: 'x', idempotencyKey: 'k'.repeat(257) })).toBe(false);
    expect(sendEmail({ ...base, subject: 'Hi', text: 'x', attachments: [] })).toBe(false);

    const sendBatch = ajv.compile(resend.actions.sendBatch.inputSchema);
    const email = { ...base, subject: 'Hi', text: 'x' };
    expect(sendBatch({ emails: [email, { ...email, to: 'bo@example.com' }], idempotencyKey: 'batch-1' })).toBe(true);
    expect(sendBatch({ emails: [] })).toBe(false);
    expect(sendBatch({ emails: Array.from({ length: 101 }, () => email) })).toBe(false);
    expect(sendBatch({ emails: [{ ...email, scheduledAt: '2030-01-01T00:00:00Z' }] })).toBe(false);

    const settings = ajv.compile(resend.settingsSchema);
    expect(settings({ from: 'Acme <events@acme.test>', registrationTemplateId: 'registration-confirmation', locale: 'fr-FR' })).toBe(true);
    expect(settings({ registrationTemplateId: 'registration-confirmation' })).toBe(false);
  });
});

describe('resend plugin: verify and healthCheck', () => {
  it('lists the domains and keeps those mail can be sent from', async () => {
    const h = harness();
    const result = await h.verify();
    expect(result.displayName).toBe('Resend (acme.test, inbound.acme.test)');
    expect(result.metadata).toMatchObject({ keyAccess: 'full_access', verifiedDomains: VERIFIED });
    expect((result.metadata!.domains as Json[]).map((domain) => [domain.name, domain.status])).toEqual([
      ['acme.test', 'verified'],
      ['pending.test', 'pending'],
      ['inbound.acme.test', 'partially_verified'],
      ['half.test', 'partially_verified'],
    ]);
    // The partially verified domains were looked at closer, one by one.
    expect(paths(h.requests)).toEqual(['GET /domains', `GET /domains/${fake.state.domains[2].id}`, `GET /domains/${fake.state.domains[3].id}`]);
    expect(h.requests[0].headers.authorization).toBe(`Bearer ${RESEND_TEST_KEY}`);
    expect(new URL(h.requests[0].url).searchParams.get('limit')).toBe('100');
  });

  it('pages through more than 100 domains with after', async () => {
    const many = await startFakeResend();
    try {
      for (let index = 0; index < 103; index += 1) many.state.addDomain(`d${index}.test`);
      const h = createHarness(plugin, { credentials: { apiKey: RESEND_TEST_KEY }, http: forwardTo(many.origins) });
      const result = await h.verify();
      expect(result.metadata!.verifiedDomains).toHaveLength(103);
      expect(h.requests.map((request) => new URL(request.url).searchParams.get('after'))).toEqual([null, many.state.domains[99].id]);
    } finally {
      await many.close();
    }
  });

  it('accepts a sending-only key, noting that Resend will check senders, and passes its health check', async () => {
    const h = harness({ apiKey: RESEND_SENDING_KEY });
    expect(await h.verify()).toEqual({
      displayName: 'Resend (sending-only API key)',
      metadata: { keyAccess: 'sending_access', verifiedDomains: null, domains: null },
    });
    expect(h.logs).toEqual([expect.objectContaining({ level: 'info', message: expect.stringContaining('can only send') })]);
    await expect(harness({ apiKey: RESEND_SENDING_KEY }).healthCheck()).resolves.toBeUndefined();
    expect(fake.state.requests.at(-1)).toMatchObject({ path: '/domains', query: { limit: '1' } });
  });

  it('refuses an unknown key with what to do', async () => {
    await expect(harness({ apiKey: resendKey() }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Resend does not accept this API key'),
    });
    await expect(harness({ apiKey: resendKey() }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });
});

describe('resend plugin: sendEmail', () => {
  it('sends html with tags to POST /emails and answers Resend’s id', async () => {
    const h = harness({ metadata: verifiedMetadata() });
    const result = await h.action<Json>('sendEmail', {
      from: 'Acme Events <events@acme.test>',
      to: ['ana@example.com', 'bo@example.com'],
      cc: ['cy@example.com'],
      replyTo: 'help@acme.test',
      subject: 'You are registered',
      html: '<p>See you there</p>',
      text: 'See you there',
      tags: { category: 'registration', session: 'sess_9' },
    });
    expect(result).toEqual({ id: sent().id, scheduledAt: null });
    // The stored verified domains covered the sender: no domain lookup.
    expect(paths(h.requests)).toEqual(['POST /emails']);
    expect(h.requests[0].headers).toMatchObject({ authorization: `Bearer ${RESEND_TEST_KEY}`, 'content-type': 'application/json' });
    expect(h.requests[0].headers['idempotency-key']).toBeUndefined();
    expect(sent().body).toEqual({
      from: 'Acme Events <events@acme.test>',
      to: ['ana@example.com', 'bo@example.com'],
      subject: 'You are registered',
      cc: ['cy@example.com'],
      reply_to: 'help@acme.test',
      html: '<p>See you there</p>',
      text: 'See you there',
      tags: [
        { name: 'category', value: 'registration' },
        { name: 'session', value: 'sess_9' },
      ],
    });
  });

  it('refuses a sender outside the verified domains before sending anything', async () => {
    const h = harness({ metadata: verifiedMetadata() });
    const before = fake.state.emails.length;
    await expect(h.action('sendEmail', { from: 'news@pending.test', to: 'ana@example.com', subject: 'Hi', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Resend: "pending.test" is not a verified sending domain of this Resend account (verified: acme.test, inbound.acme.test). Send from a verified domain, or add and verify it at https://resend.com/domains.',
    });
    // Asked Resend again (it might have been verified since), then refused: no POST.
    expect(paths(h.requests)).toEqual(['GET /domains', `GET /domains/${fake.state.domains[2].id}`, `GET /domains/${fake.state.domains[3].id}`]);
    expect(fake.state.emails).toHaveLength(before);
  });

  it('sends from a domain verified after the connection was checked', async () => {
    const fresh = fake.state.addDomain('new.acme.test');
    try {
      const h = harness({ metadata: verifiedMetadata() });
      const result = await h.action<Json>('sendEmail', { from: 'hello@new.acme.test', to: 'ana@example.com', subject: 'Hi', text: 'x' });
      expect(result.id).toBe(sent().id);
      expect(paths(h.requests).at(-1)).toBe('POST /emails');
    } finally {
      fake.state.domains.splice(fake.state.domains.indexOf(fresh), 1);
    }
  });

  it('leaves the sender check to Resend with a sending-only key, and passes its refusal on', async () => {
    const h = harness({ apiKey: RESEND_SENDING_KEY, metadata: { keyAccess: 'sending_access', verifiedDomains: null } });
    await expect(h.action('sendEmail', { from: 'news@pending.test', to: 'ana@example.com', subject: 'Hi', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Resend (validation_error): The pending.test domain is not verified. Please, add and verify your domain on https://resend.com/domains',
    });
    expect(paths(h.requests)).toEqual(['POST /emails']);
    const ok = await harness({ apiKey: RESEND_SENDING_KEY, metadata: { keyAccess: 'sending_access' } }).action<Json>('sendEmail', {
      from: 'events@acme.test',
      to: 'ana@example.com',
      subject: 'Hi',
      text: 'x',
    });
    expect(ok.id).toBe(sent().id);
  });

  it('sends a hosted template with its variables, dates written in the asked zone and language', async () => {
    const template = fake.state.addTemplate('session-confirmation', [
      { key: 'NAME', type: 'string', fallback_value: 'there' },
      { key: 'START', type: 'string' },
      { key: 'SEATS', type: 'number', fallback_value: 1 },
    ]);
    const h = harness({ metadata: verifiedMetadata() });
    await h.action('sendEmail', {
      from: 'events@acme.test',
      to: 'ana@example.com',
      subject: 'Your session',
      template: { id: 'session-confirmation', variables: { NAME: 'Ana', SEATS: 2 } },
      dateVariables: {
        START: { value: '2026-03-02T16:00:00Z', timeZone: 'Europe/Paris', dateStyle: 'full', timeStyle: 'short' },
        START_FR: { value: '2026-03-02T16:00:00Z', timeZone: 'Europe/Paris', locale: 'fr-FR', dateStyle: 'full', timeStyle: 'short' },
        DAY: { value: '2026-03-02T16:00:00Z', timeZone: 'America/New_York', locale: 'en-GB', dateStyle: 'long', timeStyle: 'none' },
      },
    });
    expect(sent().body).toEqual({
      from: 'events@acme.test',
      to: 'ana@example.com',
      subject: 'Your session',
      template: {
        id: 'session-confirmation',
        variables: { NAME: 'Ana', SEATS: 2, START: 'Monday, March 2, 2026 at 5:00 PM', START_FR: 'lundi 2 mars 2026 à 17:00', DAY: '2 March 2026' },
      },
    });
    expect(template.id).toEqual(expect.any(String));

    // Resend refuses a template variable with no fallback that was not sent.
    await expect(
      h.action('sendEmail', {
        from: 'events@acme.test',
        to: 'ana@example.com',
        subject: 'x',
        template: { id: 'session-confirmation', variables: { NAME: 'Ana' } },
      }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: "Resend (validation_error): Missing required variable 'START'." });
    // An unpublished template cannot be sent.
    fake.state.addTemplate('draft-only', [], { published: false });
    await expect(
      h.action('sendEmail', { from: 'events@acme.test', to: 'ana@example.com', subject: 'x', template: { id: 'draft-only' } }),
    ).rejects.toMatchObject({
      message: 'Resend (validation_error): Only published templates can be used to send emails.',
    });
  });

  it('refuses an unknown time zone in a date variable without calling Resend', async () => {
    const h = harness({ metadata: verifiedMetadata() });
    await expect(
      h.action('sendEmail', {
        from: 'events@acme.test',
        to: 'ana@example.com',
        template: { id: 'session-confirmation' },
        dateVariables: { START: { value: '2026-03-02T16:00:00Z', timeZone: 'Mars/Olympus' } },
      }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringMatching(/^dateVariables\.START: .*IANA time zone/) });
    expect(h.requests).toEqual([]);
  });

  it('schedules an email, refuses times Resend cannot schedule, and cancels a scheduled one', async () => {
    const h = harness({ metadata: verifiedMetadata() });
    const at = new Date(Date.now() + 2 * 86_400_000);
    at.setUTCMilliseconds(0);
    const local = at.toISOString().replace('Z', '+00:00');
    const result = await h.action<Json>('sendEmail', { from: 'events@acme.test', to: 'ana@example.com', subject: 'Tomorrow', text: 'x', scheduledAt: local });
    expect(result).toEqual({ id: sent().id, scheduledAt: at.toISOString() });
    expect(sent()).toMatchObject({ last_event: 'scheduled', scheduled_at: at.toISOString(), body: { scheduled_at: at.toISOString() } });

    await expect(
      h.action('sendEmail', {
        from: 'events@acme.test',
        to: 'ana@example.com',
        subject: 'x',
        text: 'x',
        scheduledAt: new Date(Date.now() - 3_600_000).toISOString(),
      }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('is in the past') });
    await expect(
      h.action('sendEmail', {
        from: 'events@acme.test',
        to: 'ana@example.com',
        subject: 'x',
        text: 'x',
        scheduledAt: new Date(Date.now() + 31 * 86_400_000).toISOString(),
      }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('at most 30 days ahead') });

    const canceled = await harness().action<Json>('cancelScheduledEmail', { id: result.id });
    expect(canceled).toEqual({ id: result.id, canceled: true });
    expect(fake.state.emails.find((email) => email.id === result.id)!.last_event).toBe('canceled');
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'POST', path: `/emails/${result.id}/cancel` });
    await expect(harness().action('cancelScheduledEmail', { id: result.id })).rejects.toMatchObject({
      message: 'Resend (validation_error): Only scheduled emails can be canceled.',
    });
  });

  it('sends the Idempotency-Key header: a repeat answers the same id and sends nothing more; another body is refused', async () => {
    const input = { from: 'events@acme.test', to: 'ana@example.com', subject: 'Welcome', text: 'Hello', idempotencyKey: 'welcome-user/123' };
    const before = fake.state.emails.length;
    const h = harness({ metadata: verifiedMetadata() });
    const first = await h.action<Json>('sendEmail', input);
    const second = await h.action<Json>('sendEmail', input);
    expect(second.id).toBe(first.id);
    expect(h.requests.map((request) => request.headers['idempotency-key'])).toEqual(['welcome-user/123', 'welcome-user/123']);
    expect(sentSince(before)).toHaveLength(1);
    await expect(h.action('sendEmail', { ...input, text: 'Hello again' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('already used for a different email in the last 24 hours (invalid_idempotent_request)'),
    });
  });

  it('answers Resend’s 429s: the rate limit with its Retry-After, a spent daily quota as a refusal', async () => {
    const input = { from: 'events@acme.test', to: 'ana@example.com', subject: 'x', text: 'x' };
    fake.state.tooManyRequests = 1;
    const limited: Json = await harness({ metadata: verifiedMetadata() })
      .action<Json>('sendEmail', input)
      .catch((error: unknown) => error as Json);
    expect(limited).toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 1, message: expect.stringContaining('rate_limit_exceeded') });

    fake.state.dailyQuotaLeft = 0;
    try {
      await expect(harness({ metadata: verifiedMetadata() }).action('sendEmail', input)).rejects.toMatchObject({
        code: 'provider_rejected',
        message: expect.stringContaining('daily sending quota is used up (daily_quota_exceeded)'),
      });
    } finally {
      fake.state.dailyQuotaLeft = null;
    }
  });

  it('the fake enforces 2 requests a second when asked, as Resend does per team', async () => {
    fake.state.enforceRateLimit = true;
    try {
      const statuses = await Promise.all(
        Array.from({ length: 3 }, () =>
          fetch(`${fake.url}/domains?limit=1`, { headers: { authorization: `Bearer ${RESEND_TEST_KEY}` } }).then((response) => response.status),
        ),
      );
      expect(statuses.sort()).toEqual([200, 200, 429]);
    } finally {
      fake.state.enforceRateLimit = false;
      fake.state.tooManyRequests = 0;
    }
  });
});

describe('resend plugin: sendBatch', () => {
  it('sends up to 100 emails in one POST /emails/batch and answers the ids in order', async () => {
    const before = fake.state.emails.length;
    const h = harness({ metadata: verifiedMetadata() });
    const result = await h.action<Json>('sendBatch', {
      emails: [
        { from: 'events@acme.test', to: 'ana@example.com', subject: 'Hi Ana', text: 'x', tags: { kind: 'welcome' } },
        {
          from: 'Acme <events@inbound.acme.test>',
          to: ['bo@example.com'],
          subject: 'Hi Bo',
          template: { id: 'session-confirmation', variables: { START: 'soon' } },
        },
      ],
      idempotencyKey: 'batch-orders/456',
    });
    const created = sentSince(before);
    expect(result).toEqual({ ids: created.map((email) => email.id) });
    expect(created.map((email) => email.to)).toEqual([['ana@example.com'], ['bo@example.com']]);
    expect(paths(h.requests)).toEqual(['POST /emails/batch']);
    expect(h.requests[0].headers['idempotency-key']).toBe('batch-orders/456');
    expect(h.requests[0].json()).toEqual([
      { from: 'events@acme.test', to: 'ana@example.com', subject: 'Hi Ana', text: 'x', tags: [{ name: 'kind', value: 'welcome' }] },
      {
        from: 'Acme <events@inbound.acme.test>',
        to: ['bo@example.com'],
        subject: 'Hi Bo',
        template: { id: 'session-confirmation', variables: { START: 'soon' } },
      },
    ]);
  });

  it('refuses the whole batch before sending when one sender is not on a verified domain', async () => {
    const before = fake.state.emails.length;
    const h = harness({ metadata: verifiedMetadata() });
    await expect(
      h.action('sendBatch', {
        emails: [
          { from: 'events@acme.test', to: 'ana@example.com', subject: 'x', text: 'x' },
          { from: 'events@half.test', to: 'bo@example.com', subject: 'x', text: 'x' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('"half.test" is not a verified sending domain') });
    expect(paths(h.requests)).not.toContain('POST /emails/batch');
    expect(fake.state.emails).toHaveLength(before);
  });
});

describe('resend plugin: webhooks', () => {
  const SVIX_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it('verifies Svix’s documented example and refuses it tampered, with another secret, or outside five minutes', async () => {
    // docs.svix.com/receiving/verifying-payloads/how-manual (and the svix libraries' own test vector).
    const vector = {
      headers: {
        'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        'svix-timestamp': '1614265330',
        'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      },
      rawBody: '{"test": 2432232314}',
    };
    const now = jest.spyOn(Date, 'now');
    try {
      const h = harness({ webhookSigningSecret: SVIX_SECRET });
      now.mockReturnValue(1614265330_000 + 60_000);
      expect(await h.webhookVerify(vector)).toBe(true);
      expect(await h.webhookVerify({ ...vector, rawBody: '{"test": 2432232315}' })).toBe(false);
      expect(await h.webhookVerify({ ...vector, headers: { ...vector.headers, 'svix-id': 'msg_other' } })).toBe(false);
      expect(await harness({ webhookSigningSecret: resendWebhookSecret() }).webhookVerify(vector)).toBe(false);
      // Several signatures (a secret being rotated): one that matches is enough.
      expect(await h.webhookVerify({ ...vector, headers: { ...vector.headers, 'svix-signature': `v1,bm9wZQ== ${vector.headers['svix-signature']}` } })).toBe(
        true,
      );
      expect(await h.webhookVerify({ ...vector, headers: { ...vector.headers, 'svix-signature': 'v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' } })).toBe(
        false,
      );
      now.mockReturnValue(1614265330_000 + 301_000);
      expect(await h.webhookVerify(vector)).toBe(false);
      now.mockReturnValue(1614265330_000 - 301_000);
      expect(await h.webhookVerify(vector)).toBe(false);
    } finally {
      now.mockRestore();
    }
  });

  it('signs like the Standard Webhooks library (same scheme under webhook-* headers), which the plugin also reads', async () => {
    const secret = resendWebhookSecret();
    const body = JSON.stringify({ type: 'email.delivered', data: {} });
    const timestamp = new Date();
    const signature = new Webhook(secret).sign('msg_1', timestamp, body);
    expect(svixSignature(secret, 'msg_1', Math.floor(timestamp.getTime() / 1000), body)).toBe(signature);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature };
    expect(await harness({ webhookSigningSecret: secret }).webhookVerify({ headers, rawBody: body })).toBe(true);
  });

  it('accepts nothing without a signing secret, and says why', async () => {
    const h = harness();
    expect(await h.webhookVerify({ headers: { 'svix-id': 'x', 'svix-timestamp': '1', 'svix-signature': 'v1,x' }, rawBody: '{}' })).toBe(false);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('no webhook signing secret') })]);
  });

  it('turns delivery events into the host’s email.* events, one per recipient, valid against their schemas', async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    (addFormats as unknown as (ajv: Ajv2020) => Ajv2020)(ajv);
    const schema = (type: string) => ajv.compile(BUILTIN_EVENT_TYPES.find((definition) => definition.type === type)!.schema);

    const h = harness({ metadata: verifiedMetadata(), webhookSigningSecret: fake.state.webhookSecret });
    const { id } = await h.action<Json>('sendEmail', {
      from: 'events@acme.test',
      to: ['ana@example.com', 'bo@example.com'],
      subject: 'Your ticket',
      template: { id: 'session-confirmation', variables: { START: 'soon' } },
      tags: { category: 'ticket' },
    });
    const templateId = fake.state.templates.find((template) => template.alias === 'session-confirmation')!.id;
    const common = { messageId: id, provider: 'resend', subject: 'Your ticket', tags: { category: 'ticket' }, templateId, occurredAt: expect.any(String) };

    const delivered = fake.state.webhook(id, 'email.delivered');
    expect(await h.webhookVerify(delivered)).toBe(true);
    const deliveredEvents = await h.webhookToEvents(delivered);
    expect(deliveredEvents).toEqual([
      { event: 'email.delivered', data: { ...common, to: 'ana@example.com' } },
      { event: 'email.delivered', data: { ...common, to: 'bo@example.com' } },
    ]);

    const clicked = fake.state.webhook(id, 'email.clicked', {
      to: ['ana@example.com'],
      click: { ipAddress: '127.0.0.1', link: 'https://acme.test/rooms/1', timestamp: '2026-03-02T15:50:00.000Z', userAgent: 'Mozilla/5.0' },
    });
    expect(await h.webhookToEvents(clicked)).toEqual([
      { event: 'email.clicked', data: { ...common, to: 'ana@example.com', url: 'https://acme.test/rooms/1', occurredAt: '2026-03-02T15:50:00.000Z' } },
    ]);

    const bounced = fake.state.webhook(id, 'email.bounced', {
      to: ['bo@example.com'],
      bounce: { type: 'Permanent', subType: 'NoEmail', message: 'The recipient’s mailbox does not exist.', diagnosticCode: ['smtp; 550 5.1.1 user unknown'] },
    });
    expect(await h.webhookToEvents(bounced)).toEqual([
      { event: 'email.bounced', data: { ...common, to: 'bo@example.com', bounceType: 'hard', reason: 'NoEmail: The recipient’s mailbox does not exist.' } },
    ]);
    const soft = fake.state.webhook(id, 'email.bounced', {
      to: ['bo@example.com'],
      bounce: { type: 'Transient', subType: 'MailboxFull', message: 'Full', diagnosticCode: [] },
    });
    expect((await h.webhookToEvents(soft))[0].data).toMatchObject({ bounceType: 'soft' });

    const opened = await h.webhookToEvents(fake.state.webhook(id, 'email.opened', { to: ['ana@example.com'] }));
    const complained = await h.webhookToEvents(fake.state.webhook(id, 'email.complained', { to: ['ana@example.com'] }));
    expect(opened).toEqual([{ event: 'email.opened', data: { ...common, to: 'ana@example.com' } }]);
    expect(complained).toEqual([{ event: 'email.complained', data: { ...common, to: 'ana@example.com' } }]);

    for (const { event, data } of [
      ...deliveredEvents,
      ...opened,
      ...complained,
      ...(await h.webhookToEvents(clicked)),
      ...(await h.webhookToEvents(bounced)),
    ]) {
      const validate = schema(event);
      expect([event, validate(data), validate.errors]).toEqual([event, true, null]);
    }
  });

  it('logs Resend events that have no host event type', async () => {
    const h = harness({ metadata: verifiedMetadata() });
    const { id } = await h.action<Json>('sendEmail', { from: 'events@acme.test', to: 'ana@example.com', subject: 'x', text: 'x' });
    const quiet = harness();
    expect(await quiet.webhookToEvents(fake.state.webhook(id, 'email.sent'))).toEqual([]);
    expect(await quiet.webhookToEvents(fake.state.webhook(id, 'email.failed', { failed: { reason: 'reached_daily_quota' } }))).toEqual([]);
    expect(quiet.logs.map((line) => [line.level, line.fields?.type])).toEqual([
      ['info', 'email.sent'],
      ['warn', 'email.failed'],
    ]);
    expect(await quiet.webhookToEvents({ rawBody: 'not json' })).toEqual([]);
  });
});

const event = (type: string, data: Json, id = `evt_${type}_${Math.random().toString(36).slice(2)}`): PlugboardEvent => ({
  id,
  event: type,
  timestamp: '2026-03-02T15:00:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});

describe('resend plugin: reactions', () => {
  beforeAll(() => {
    fake.state.addTemplate('registration-confirmation', [{ key: 'NAME', type: 'string', fallback_value: 'there' }], { subject: 'You are registered' });
    fake.state.addTemplate('session-reminder', [{ key: 'TITLE', type: 'string' }], { subject: 'Starting soon: {{{TITLE}}}' });
  });

  it('emails the registration template once per event, whatever the retries', async () => {
    const settings = { from: 'Acme Events <events@acme.test>', replyTo: 'help@acme.test', registrationTemplateId: 'registration-confirmation' };
    const h = harness({ settings, metadata: verifiedMetadata() });
    const registration = event(
      'registration.received',
      { registrationId: 'reg_7', sessionId: 'sess_9', email: 'ana@example.com', name: 'Ana', registeredAt: '2026-03-01T10:30:00Z' },
      'evt_reg_1',
    );
    const before = fake.state.emails.length;
    await resend.onEvent['registration.received'](h.context(), registration);
    await resend.onEvent['registration.received'](h.context(), registration);
    expect(sentSince(before)).toHaveLength(1);
    expect(h.requests.map((request) => request.headers['idempotency-key'])).toEqual(['registration.received/evt_reg_1', 'registration.received/evt_reg_1']);
    expect(sent().body).toEqual({
      from: 'Acme Events <events@acme.test>',
      to: 'ana@example.com',
      reply_to: 'help@acme.test',
      template: {
        id: 'registration-confirmation',
        variables: { NAME: 'Ana', REGISTRATION_ID: 'reg_7', SESSION_ID: 'sess_9', REGISTERED_AT: 'Sunday, March 1, 2026 at 10:30 AM' },
      },
      tags: [{ name: 'plugboard_event', value: 'registration_received' }],
    });
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'registration confirmation sent', fields: { emailId: sent().id } });

    const unconfigured = harness({ metadata: verifiedMetadata() });
    await resend.onEvent['registration.received'](unconfigured.context(), registration);
    expect(unconfigured.requests).toEqual([]);
  });

  it('batches session reminders 100 a request; after a failed batch, running the event again sends no one twice', async () => {
    const settings = { from: 'events@acme.test', reminderTemplateId: 'session-reminder', locale: 'en-GB' };
    const recipients = [
      ...Array.from({ length: 150 }, (_, index) => ({ name: `Guest ${index}`, email: `guest${index}@example.com` })),
      { name: 'Again', email: 'GUEST0@example.com' },
      { name: 'Phone only', phone: '+14155550123' },
    ];
    const reminder = event(
      'session.reminder',
      {
        sessionId: 'sess_9',
        title: 'Launch webinar',
        start: '2026-03-02T16:00:00Z',
        end: '2026-03-02T17:00:00Z',
        timeZone: 'Europe/Paris',
        joinUrl: 'https://app.example.com/rooms/1',
        recipients,
      },
      'evt_reminder_1',
    );
    const before = fake.state.emails.length;
    // The quota runs out after the first batch.
    fake.state.dailyQuotaLeft = 100;
    const h = harness({ settings, metadata: verifiedMetadata() });
    try {
      await expect(resend.onEvent['session.reminder'](h.context(), reminder)).rejects.toMatchObject({
        code: 'provider_rejected',
        message: expect.stringContaining('daily_quota_exceeded'),
      });
    } finally {
      fake.state.dailyQuotaLeft = null;
    }
    expect(sentSince(before)).toHaveLength(100);

    const again = harness({ settings, metadata: verifiedMetadata() });
    await resend.onEvent['session.reminder'](again.context(), reminder);
    const emails = sentSince(before);
    expect(emails).toHaveLength(150);
    expect(new Set(emails.map((email) => email.body.to)).size).toBe(150);
    expect(again.requests.map((request) => [request.headers['idempotency-key'], (request.json() as unknown[]).length])).toEqual([
      ['session.reminder/evt_reminder_1/0', 100],
      ['session.reminder/evt_reminder_1/1', 50],
    ]);
    expect(emails[0].body).toEqual({
      from: 'events@acme.test',
      to: 'guest0@example.com',
      template: {
        id: 'session-reminder',
        variables: {
          NAME: 'Guest 0',
          TITLE: 'Launch webinar',
          START: 'Monday, 2 March 2026 at 17:00',
          END: 'Monday, 2 March 2026 at 18:00',
          TIME_ZONE: 'Europe/Paris',
          JOIN_URL: 'https://app.example.com/rooms/1',
          SESSION_ID: 'sess_9',
        },
      },
      tags: [
        { name: 'plugboard_event', value: 'session_reminder' },
        { name: 'session', value: 'sess_9' },
      ],
    });
    expect(again.logs.at(-1)).toMatchObject({ message: 'reminder emails sent', fields: { sent: 150 } });
  });

  it('refuses reminders without a sender, and sends none to recipients without an address', async () => {
    const noSender = harness({ settings: { reminderTemplateId: 'session-reminder' } });
    await expect(
      resend.onEvent['session.reminder'](noSender.context(), event('session.reminder', { sessionId: 's', recipients: [{ email: 'ana@example.com' }] })),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('set "from"'),
    });
    const phones = harness({ settings: { from: 'events@acme.test', reminderTemplateId: 'session-reminder' } });
    await resend.onEvent['session.reminder'](phones.context(), event('session.reminder', { sessionId: 's', recipients: [{ phone: '+14155550123' }] }));
    expect(phones.requests).toEqual([]);
  });
});

describe('resend plugin: metrics sync', () => {
  it('syncs daily counts per sending domain from GET /emails/metrics, and continues from the last day', async () => {
    const h = harness();
    const result = await h.sync();
    const query = new URL(h.requests[0].url).searchParams;
    expect(paths(h.requests)).toEqual(['GET /emails/metrics']);
    expect(Object.fromEntries(query)).toMatchObject({
      granularity: 'daily',
      dimensions: 'period,domain',
      timezone: 'UTC',
      start_date: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10),
    });
    const today = `${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`;
    const ofAcme = fake.state.emails.filter((email) => email.from.includes('@acme.test') && !['scheduled', 'canceled'].includes(email.last_event));
    const record = result.records!.emailMetrics.find((row) => row.domainName === 'acme.test')!;
    expect(record).toMatchObject({ id: `${acme.id}:${today.slice(0, 10)}`, period: today, domainId: acme.id, sent: ofAcme.length });
    expect(record.delivered).toBe(fake.state.events.filter((entry) => entry.type === 'email.delivered').length);
    expect(result.highWaterMarks).toEqual({ emailMetrics: today });

    const next = harness();
    await next.sync({ highWaterMarks: { emailMetrics: today } });
    expect(new URL(next.requests[0].url).searchParams.get('start_date')).toBe(today.slice(0, 10));
  });

  it('skips metrics with a sending-only key, saying why', async () => {
    const h = harness({ apiKey: RESEND_SENDING_KEY });
    expect(await h.sync()).toEqual({ records: { emailMetrics: [] } });
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('cannot read metrics') })]);
  });
});
