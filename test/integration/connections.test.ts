import { MikroORM } from '@mikro-orm/postgresql';
import { providerOriginOverrides, startFakeGoogleCalendar } from '../fixtures/providers/index.js';
import type { FakeGoogleCalendar } from '../fixtures/providers/index.js';
import { WebhookReceiver } from '../fixtures/webhook-receiver.js';
import { bearer, createAccount, startTestApp, TestApp, uniqueId } from '../support/test-app.js';
import { sleep } from '../support/waiting.js';

const GOOGLE_CLIENT = { clientId: 'plugboard-google-client', clientSecret: 'google-client-secret-123' };
const NO_ID = '00000000-0000-4000-8000-000000000000';

/** Connections by id: several per provider, owned by the account, a member or an end user. */
describe('connections', () => {
  let t: TestApp;
  let google: FakeGoogleCalendar;

  beforeAll(async () => {
    google = await startFakeGoogleCalendar();
    google.state.oauth.registerClient({ ...GOOGLE_CLIENT });
    t = await startTestApp({
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(google.origins),
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_ID: GOOGLE_CLIENT.clientId,
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_SECRET: GOOGLE_CLIENT.clientSecret,
      PLUGIN_ISOLATION: 'none',
      ALLOW_INSECURE_WEBHOOKS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '100ms',
      ALLOWED_RETURN_ORIGINS: 'https://app.example.com',
    });
  });
  afterAll(async () => {
    await t.close();
    await google.close();
  });

  /** An account with an owner, two developers, a host and an API key that manages end users' connections. */
  async function team(plan = 'business') {
    const { accountId, ownerToken } = await createAccount(t, plan);
    const member = async (role: string) => {
      const userId = uniqueId(role);
      expect((await t.http.post('/v1/members').set(bearer(ownerToken)).send({ userId, role })).status).toBe(201);
      return { userId, token: await t.token({ sub: userId, account: accountId }) };
    };
    const [ana, ben, host] = [await member('developer'), await member('developer'), await member('host')];
    const key = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: 'platform', mode: 'live', permissions: ['connections.manage'] });
    return { accountId, ownerToken, ana, ben, host, platformKey: key.body.key as string };
  }
  const connect = (token: string, body: Record<string, unknown>) =>
    t.http
      .post('/v1/connections')
      .set(bearer(token))
      .send({ provider: 'ical_feed', ...body });

  it('keeps several connections per provider and owner, one of them the default', async () => {
    const { ownerToken } = await team();
    const first = await connect(ownerToken, { label: 'Team calendar' });
    const second = await connect(ownerToken, { label: 'Events calendar', tags: ['events'] });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.body).toMatchObject({
      provider: 'ical_feed',
      owner: 'account',
      label: 'Team calendar',
      isDefault: true,
      status: 'connected',
      restricted: false,
    });
    expect(second.body).toMatchObject({ isDefault: false, tags: ['events'] });
    // The provider route is the account's default shared connection.
    expect((await t.http.get('/v1/integrations/ical_feed').set(bearer(ownerToken))).body.id).toBe(first.body.id);

    const made = await t.http.post(`/v1/connections/${second.body.id}/default`).set(bearer(ownerToken));
    expect(made.body.isDefault).toBe(true);
    expect((await t.http.get(`/v1/connections/${first.body.id}`).set(bearer(ownerToken))).body.isDefault).toBe(false);
    expect((await t.http.get('/v1/integrations/ical_feed').set(bearer(ownerToken))).body.id).toBe(second.body.id);

    const tagged = await t.http.get('/v1/connections?tag=events').set(bearer(ownerToken));
    expect(tagged.body.data.map((connection: { id: string }) => connection.id)).toEqual([second.body.id]);
    const updated = await t.http
      .patch(`/v1/connections/${first.body.id}`)
      .set(bearer(ownerToken))
      .send({ label: 'Old calendar', settings: { calendarName: 'Old' } });
    expect(updated.body).toMatchObject({ label: 'Old calendar', settings: { calendarName: 'Old' } });
    const output = await t.http
      .post(`/v1/connections/${first.body.id}/actions/render`)
      .set(bearer(ownerToken))
      .send({ input: { events: [] } });
    expect([output.status, output.body.contentType]).toEqual([200, 'text/calendar; charset=utf-8']);
    const disconnected = await t.http.delete(`/v1/connections/${first.body.id}`).set(bearer(ownerToken));
    expect(disconnected.body.status).toBe('disconnected');
  });

  it("lets members use their own connections; others see that they exist, and someone else's answers 404", async () => {
    const { ownerToken, ana, ben, host } = await team();
    const own = await connect(ana.token, { owner: 'member', label: 'Ana’s calendar' });
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ owner: 'member', memberId: ana.userId, isDefault: true });
    const id = own.body.id as string;
    expect((await connect(ana.token, {})).status).toBe(403); // the account's connections need integrations.manage

    const seenByBen = await t.http.get('/v1/connections').set(bearer(ben.token));
    expect(seenByBen.body.data.find((connection: { id: string }) => connection.id === id)).toMatchObject({ restricted: true, settings: {}, metadata: {} });
    expect((await t.http.get(`/v1/connections/${id}`).set(bearer(ben.token))).body.restricted).toBe(true);
    for (const request of [
      t.http.patch(`/v1/connections/${id}`).set(bearer(ben.token)).send({ label: 'mine now' }),
      t.http.delete(`/v1/connections/${id}`).set(bearer(ben.token)),
      t.http
        .post(`/v1/connections/${id}/actions/render`)
        .set(bearer(ben.token))
        .send({ input: { events: [] } }),
      t.http.post(`/v1/connections/${id}/default`).set(bearer(ben.token)),
      t.http.get(`/v1/connections/${id}/records`).set(bearer(ben.token)),
    ]) {
      expect((await request).status).toBe(404);
    }
    expect(
      (
        await t.http
          .post(`/v1/connections/${id}/actions/render`)
          .set(bearer(ana.token))
          .send({ input: { events: [] } })
      ).status,
    ).toBe(200);
    // integrations.manage reaches members' connections; a host sees none.
    expect((await t.http.patch(`/v1/connections/${id}`).set(bearer(ownerToken)).send({ label: 'Checked' })).body.label).toBe('Checked');
    expect((await t.http.get('/v1/connections').set(bearer(host.token))).status).toBe(403);
    expect((await connect(host.token, { owner: 'member' })).status).toBe(403);
  });

  it('manages end users’ connections with connections.manage, by end user and tag', async () => {
    const { ana, platformKey } = await team();
    const created = await connect(platformKey, { owner: 'end_user', endUserId: 'creator_42', tags: ['creator', 'eu'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ owner: 'end_user', endUserId: 'creator_42', tags: ['creator', 'eu'], isDefault: true });
    expect((await connect(platformKey, { owner: 'end_user' })).body.errors[0].path).toBe('endUserId');
    expect((await connect(platformKey, { owner: 'member' })).status).toBe(400);
    expect((await connect(platformKey, {})).status).toBe(403);

    const byUser = await t.http.get('/v1/connections?endUserId=creator_42').set(bearer(platformKey));
    expect(byUser.body.data.map((connection: { id: string }) => connection.id)).toEqual([created.body.id]);
    expect((await t.http.get('/v1/connections?tag=eu&owner=end_user').set(bearer(platformKey))).body.data).toHaveLength(1);
    // A member without connections.manage sees it exists and cannot touch it.
    expect((await t.http.get(`/v1/connections/${created.body.id}`).set(bearer(ana.token))).body.restricted).toBe(true);
    expect((await t.http.patch(`/v1/connections/${created.body.id}`).set(bearer(ana.token)).send({ label: 'x' })).status).toBe(404);

    const events = await t.http.get('/v1/events?event=integration.connected').set(bearer(platformKey));
    expect(events.status).toBe(403); // the key holds connections.manage only
  });

  it('pages connections newest first with a cursor, and refuses a cursor it did not issue', async () => {
    const { platformKey } = await team();
    const ids: string[] = [];
    for (const user of ['u1', 'u2', 'u3', 'u4', 'u5'])
      ids.unshift((await connect(platformKey, { owner: 'end_user', endUserId: user, tags: ['paged'] })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await t.http
        .get(`/v1/connections?tag=paged&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(platformKey));
      seen.push(...page.body.data.map((connection) => connection.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    const forged = Buffer.from(JSON.stringify([new Date().toISOString(), "x') or true --"])).toString('base64url');
    for (const bad of ['nonsense', forged]) {
      const refused = await t.http.get(`/v1/connections?cursor=${bad}`).set(bearer(platformKey));
      expect([refused.status, refused.body.errors?.[0]?.path]).toEqual([400, 'cursor']);
    }
  });

  it('lists every connection exactly as it answers it alone, to every caller', async () => {
    const { ownerToken, ana, ben, platformKey } = await team();
    const label = 'Team "calendar" \\ Zürich\n📅 </script>';
    const account = await connect(ownerToken, { label, tags: ['ops', 'team:eu'], settings: { calendarName: 'Ops \u2028 "cal"' } });
    const others = [await connect(ana.token, { owner: 'member', label: 'Ana’s' }), await connect(platformKey, { owner: 'end_user', endUserId: 'creator_7' })];
    expect([account, ...others].map((created) => created.status)).toEqual([201, 201, 201]);
    // Times to the microsecond, and a connection that errs: the list writes them as the single answer does.
    await t.app
      .get(MikroORM)
      .em.getConnection()
      .execute(
        `update integrations set last_sync_at = '2026-03-01 10:00:00.123987+00', token_expires_at = '2027-01-02 03:04:05.999999+00',
           status = 'error', last_error = 'Refused: "bad key"', display_name = 'Ops ✓', metadata = '{"nested": {"n": [1, 2.5, null]}}'
         where id = ?`,
        [account.body.id],
      );
    for (const token of [ownerToken, ana.token, ben.token, platformKey]) {
      const listed = await t.http.get('/v1/connections?limit=100').set(bearer(token));
      expect([listed.status, listed.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
      expect(listed.body.data.length).toBeGreaterThanOrEqual(token === platformKey ? 1 : 3);
      for (const item of listed.body.data as Array<{ id: string }>) {
        expect(item).toEqual((await t.http.get(`/v1/connections/${item.id}`).set(bearer(token))).body);
      }
    }
    const mine = (await t.http.get(`/v1/connections/${account.body.id}`).set(bearer(ownerToken))).body;
    expect(mine).toMatchObject({ label, lastSyncAt: '2026-03-01T10:00:00.123Z', tokenExpiresAt: '2027-01-02T03:04:05.999Z', status: 'error' });
    expect(mine.metadata).toEqual({ nested: { n: [1, 2.5, null] }, feedUrl: expect.stringMatching(/\/v1\/feeds\//) });
    const integrations = await t.http.get('/v1/integrations').set(bearer(ownerToken));
    expect(integrations.body).toEqual({ data: [mine], nextCursor: null });
  });

  it('publishes connection events with the connection, its owner and tags', async () => {
    const { ownerToken, platformKey } = await team();
    const created = await connect(platformKey, { owner: 'end_user', endUserId: 'attendee_7', tags: ['attendee'] });
    const events = await t.http.get('/v1/events?event=integration.connected').set(bearer(ownerToken));
    expect(events.body.data[0].data).toMatchObject({
      connectionId: created.body.id,
      integrationId: created.body.id,
      provider: 'ical_feed',
      owner: 'end_user',
      endUserId: 'attendee_7',
      tags: ['attendee'],
    });
  });

  it('delivers to webhook endpoints filtered by tag, from both publishing paths', async () => {
    const { ownerToken, platformKey } = await team();
    const receiver = await WebhookReceiver.start();
    try {
      const endpoint = await t.http
        .post('/v1/webhooks')
        .set(bearer(ownerToken))
        .send({ url: receiver.url, events: ['integration.connected', 'room.created'], tags: ['creator'] });
      expect(endpoint.body.tags).toEqual(['creator']);
      await connect(platformKey, { owner: 'end_user', endUserId: 'eu_tagged', tags: ['creator'] });
      await connect(platformKey, { owner: 'end_user', endUserId: 'eu_untagged', tags: ['attendee'] });
      expect(
        (
          await t.http
            .post('/v1/events')
            .set(bearer(ownerToken))
            .send({ event: 'room.created', data: { roomId: 'r1', name: 'Tagged', tags: ['creator'] } })
        ).status,
      ).toBe(202);
      expect(
        (
          await t.http
            .post('/v1/events')
            .set(bearer(ownerToken))
            .send({ event: 'room.created', data: { roomId: 'r2', name: 'Untagged' } })
        ).status,
      ).toBe(202);
      await receiver.waitFor(2);
      await sleep(300);
      expect(receiver.requests).toHaveLength(2);
      const received = receiver.requests.map((request) => JSON.parse(request.body) as { event: string; data: Record<string, unknown> });
      expect(received.map((body) => [body.event, body.data.endUserId ?? body.data.roomId]).sort()).toEqual([
        ['integration.connected', 'eu_tagged'],
        ['room.created', 'r1'],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('answers 404 for another account’s connection, and for ids that do not exist', async () => {
    const { ownerToken } = await team();
    const other = await team();
    const theirs = await connect(other.ownerToken, {});
    expect((await t.http.get(`/v1/connections/${theirs.body.id}`).set(bearer(ownerToken))).status).toBe(404);
    expect((await t.http.delete(`/v1/connections/${theirs.body.id}`).set(bearer(ownerToken))).status).toBe(404);
    expect((await t.http.get(`/v1/connections/${NO_ID}`).set(bearer(ownerToken))).status).toBe(404);
  });

  it('answers by owner for every caller: a matrix of owners, callers and operations', async () => {
    const account = await team();
    const other = await team();
    const connections = {
      account: (await connect(account.ownerToken, {})).body.id as string,
      member: (await connect(account.ana.token, { owner: 'member' })).body.id as string,
      end_user: (await connect(account.platformKey, { owner: 'end_user', endUserId: 'eu_matrix' })).body.id as string,
    };
    const callers = {
      owner: account.ownerToken,
      'ana (owns the member one)': account.ana.token,
      'ben (developer)': account.ben.token,
      host: account.host.token,
      'platform key (connections.manage)': account.platformKey,
      "another account's owner": other.ownerToken,
    };
    const operations = {
      read: (id: string, token: string) => t.http.get(`/v1/connections/${id}/records`).set(bearer(token)),
      change: (id: string, token: string) => t.http.patch(`/v1/connections/${id}`).set(bearer(token)).send({ label: 'x' }),
      use: (id: string, token: string) =>
        t.http
          .post(`/v1/connections/${id}/actions/render`)
          .set(bearer(token))
          .send({ input: { events: [] } }),
    };
    // 200: allowed; 403: may see it, may not do this; 404: someone else's, or another account's.
    const expected: Record<string, Record<string, number>> = {
      owner: { account: 200, member: 200, end_user: 200 },
      'ana (owns the member one)': { account: 403, member: 200, end_user: 404 },
      'ben (developer)': { account: 403, member: 404, end_user: 404 },
      host: { account: 403, member: 403, end_user: 403 },
      'platform key (connections.manage)': { account: 404, member: 404, end_user: 200 },
      "another account's owner": { account: 404, member: 404, end_user: 404 },
    };
    const actual: Record<string, Record<string, number[]>> = {};
    for (const [caller, token] of Object.entries(callers)) {
      actual[caller] = {};
      for (const [owner, id] of Object.entries(connections)) {
        actual[caller][owner] = [];
        for (const run of Object.values(operations)) actual[caller][owner].push((await run(id, token)).status);
      }
    }
    const reads = Object.fromEntries(
      Object.entries(actual).map(([caller, byOwner]) => [caller, Object.fromEntries(Object.entries(byOwner).map(([owner, statuses]) => [owner, statuses[0]]))]),
    );
    const writes = Object.fromEntries(
      Object.entries(actual).map(([caller, byOwner]) => [
        caller,
        Object.fromEntries(Object.entries(byOwner).map(([owner, statuses]) => [owner, statuses[1] === statuses[2] ? statuses[1] : -1])),
      ]),
    );
    // Reading records needs only view: a developer may read the account's connection.
    expect(reads).toEqual({
      ...expected,
      'ana (owns the member one)': { ...expected['ana (owns the member one)'], account: 200 },
      'ben (developer)': { ...expected['ben (developer)'], account: 200 },
    });
    expect(writes).toEqual(expected);
  });

  it('limits connections per provider and owner by plan, suspending the newest on a downgrade and restoring them on upgrade', async () => {
    const { accountId, ownerToken } = await team('basic');
    expect((await connect(ownerToken, {})).status).toBe(201);
    const second = await connect(ownerToken, {});
    expect([second.status, second.body.code, second.body.feature, second.body.limit]).toEqual([402, 'plan_limit', 'connections.per_owner', 1]);

    const admin = await t.token({ sub: 'operator', admin: true });
    const setPlan = (plan: string) => t.http.patch(`/v1/accounts/${accountId}`).set(bearer(admin)).send({ plan });
    await setPlan('business');
    const newer = await connect(ownerToken, { label: 'newer' });
    expect(newer.status).toBe(201);
    await setPlan('basic');
    const statuses = async () =>
      Object.fromEntries(
        (await t.http.get('/v1/connections?provider=ical_feed').set(bearer(ownerToken))).body.data.map((c: { label: string | null; status: string }) => [
          c.label ?? 'first',
          c.status,
        ]),
      );
    expect(await statuses()).toEqual({ first: 'connected', newer: 'suspended' });
    await setPlan('business');
    expect(await statuses()).toEqual({ first: 'connected', newer: 'connected' });
  });

  it('connects an OAuth provider for a member, and re-authorises it in place', async () => {
    const { ana } = await team();
    const started = await t.http
      .post('/v1/connections/oauth/start')
      .set(bearer(ana.token))
      .send({ provider: 'google_calendar', owner: 'member', label: 'Work', returnUrl: '/done' });
    expect(started.status).toBe(200);
    const back = await authorize(started.body.authorizationUrl);
    expect(back).toMatch(/^\/done\?provider=google_calendar&status=connected&connectionId=[0-9a-f-]{36}$/);
    const mine = await t.http.get('/v1/connections?provider=google_calendar').set(bearer(ana.token));
    expect(mine.body.data).toHaveLength(1);
    expect(mine.body.data[0]).toMatchObject({ owner: 'member', memberId: ana.userId, label: 'Work', status: 'connected', isDefault: true });

    const again = await t.http.post(`/v1/connections/${mine.body.data[0].id}/oauth/start`).set(bearer(ana.token)).send({ returnUrl: '/again' });
    expect(await authorize(again.body.authorizationUrl)).toMatch(/^\/again\?provider=google_calendar&status=connected&connectionId=[0-9a-f-]{36}$/);
    const after = await t.http.get('/v1/connections?provider=google_calendar').set(bearer(ana.token));
    expect(after.body.data.map((connection: { id: string }) => connection.id)).toEqual([mine.body.data[0].id]);
  });

  describe('hosted connect sessions', () => {
    const session = (token: string) => ({ Authorization: `Bearer ${token}` });
    const open = (key: string, body: Record<string, unknown>) =>
      t.http
        .post('/v1/connect-sessions')
        .set(bearer(key))
        .send({ returnUrl: 'https://app.example.com/connected', ...body });

    it('lets a browser holding the token connect one offered provider for the end user, once', async () => {
      const { ownerToken, platformKey } = await team();
      const opened = await open(platformKey, { endUserId: 'creator_9', tags: ['creator'], providers: ['ical_feed', 'google_calendar'] });
      expect(opened.status).toBe(201);
      expect(opened.body.url).toBe(`${t.config.publicUrl}/connect#${opened.body.token}`);
      const token = opened.body.token as string;

      const seen = await t.http.get('/v1/connect/session').set(session(token));
      expect(seen.body).toMatchObject({ endUserId: 'creator_9', connectionId: null });
      expect(seen.body.providers.map((provider: { id: string; authType: string }) => [provider.id, provider.authType])).toEqual([
        ['ical_feed', 'none'],
        ['google_calendar', 'oauth2'],
      ]);
      expect((await t.http.post('/v1/connect/connections').set(session(token)).send({ provider: 'stripe' })).status).toBe(400);

      const done = await t.http.post('/v1/connect/connections').set(session(token)).send({ provider: 'ical_feed' });
      expect(done.status).toBe(200);
      expect(done.body.redirectUrl).toBe(`https://app.example.com/connected?provider=ical_feed&status=connected&connectionId=${done.body.connectionId}`);
      const connection = await t.http.get(`/v1/connections/${done.body.connectionId}`).set(bearer(platformKey));
      expect(connection.body).toMatchObject({ owner: 'end_user', endUserId: 'creator_9', tags: ['creator'], status: 'connected' });
      const completed = await t.http.get('/v1/events?event=connect.session.completed').set(bearer(ownerToken));
      expect(completed.body.data[0].data).toMatchObject({ sessionId: opened.body.id, connectionId: done.body.connectionId, endUserId: 'creator_9' });
      // The session has ended: its token no longer works.
      expect((await t.http.get('/v1/connect/session').set(session(token))).status).toBe(401);
      expect((await t.http.get('/v1/connect/session').set(session('cs_made_up'))).status).toBe(401);
    });

    it('connects OAuth providers through the session, and re-authorises an end user’s connection in place', async () => {
      const { platformKey } = await team();
      const opened = await open(platformKey, { endUserId: 'attendee_3', providers: ['google_calendar'] });
      const started = await t.http.post('/v1/connect/oauth/start').set(session(opened.body.token)).send({ provider: 'google_calendar' });
      expect(started.status).toBe(200);
      expect(await authorize(started.body.authorizationUrl)).toMatch(
        /^https:\/\/app\.example\.com\/connected\?provider=google_calendar&status=connected&connectionId=[0-9a-f-]{36}$/,
      );
      expect((await t.http.get('/v1/connect/session').set(session(opened.body.token))).status).toBe(401);
      const [connection] = (await t.http.get('/v1/connections?endUserId=attendee_3').set(bearer(platformKey))).body.data;
      expect(connection).toMatchObject({ provider: 'google_calendar', owner: 'end_user', status: 'connected' });

      const again = await open(platformKey, { endUserId: 'attendee_3', providers: ['google_calendar', 'ical_feed'], connectionId: connection.id });
      expect((await t.http.get('/v1/connect/session').set(session(again.body.token))).body).toMatchObject({
        connectionId: connection.id,
        providers: [{ id: 'google_calendar' }],
      });
      const restarted = await t.http.post('/v1/connect/oauth/start').set(session(again.body.token)).send({ provider: 'google_calendar' });
      expect(await authorize(restarted.body.authorizationUrl)).toMatch(
        /^https:\/\/app\.example\.com\/connected\?provider=google_calendar&status=connected&connectionId=[0-9a-f-]{36}$/,
      );
      expect((await t.http.get('/v1/connections?endUserId=attendee_3').set(bearer(platformKey))).body.data.map((c: { id: string }) => c.id)).toEqual([
        connection.id,
      ]);
    });

    it('ends when the API key that opened it is revoked', async () => {
      const { ownerToken, platformKey } = await team();
      const opened = await open(platformKey, { endUserId: 'creator_4', providers: ['ical_feed'] });
      expect((await t.http.get('/v1/connect/session').set(session(opened.body.token))).status).toBe(200);
      const keyId = (await t.http.get('/v1/api-keys?mode=live').set(bearer(ownerToken))).body.data[0].id;
      expect((await t.http.post(`/v1/api-keys/${keyId}/revoke`).set(bearer(ownerToken))).status).toBe(200);
      expect((await t.http.get('/v1/connect/session').set(session(opened.body.token))).status).toBe(401);
      expect((await t.http.post('/v1/connect/connections').set(session(opened.body.token)).send({ provider: 'ical_feed' })).status).toBe(401);
    });

    it('is opened only with connections.manage, for allowed return origins and existing providers', async () => {
      const { ownerToken, platformKey, ana } = await team();
      expect((await open(ownerToken, { endUserId: 'u', providers: ['ical_feed'] })).status).toBe(201);
      expect((await open(ana.token, { endUserId: 'u', providers: ['ical_feed'] })).status).toBe(403);
      expect((await open(platformKey, { endUserId: 'u', providers: ['ical_feed'], returnUrl: 'https://evil.example/x' })).status).toBe(400);
      expect((await open(platformKey, { endUserId: 'u', providers: ['nope'] })).status).toBe(404);
      const other = await team();
      const theirs = await connect(other.platformKey, { owner: 'end_user', endUserId: 'u' });
      expect((await open(platformKey, { endUserId: 'u', providers: ['ical_feed'], connectionId: theirs.body.id })).status).toBe(404);
    });
  });

  /** The browser's part of an OAuth flow: the provider's consent, then Plugboard's callback; returns where it lands. */
  async function authorize(authorizationUrl: string): Promise<string> {
    const atProvider = await fetch(authorizationUrl, { redirect: 'manual' });
    const callback = new URL(atProvider.headers.get('location')!);
    const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
    return atPlugboard.headers.location;
  }
});
