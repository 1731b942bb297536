import pg from 'pg';
import { bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';

/** Secrets stay out of caches and out of the database in the clear; bad sync frequencies are refused. */
describe('secret handling and bounded settings', () => {
  let t: TestApp;
  let db: pg.Client;
  beforeAll(async () => {
    t = await startTestApp({ ALLOW_INSECURE_WEBHOOKS: 'true' });
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it('sends Cache-Control: no-store with every response that carries a secret', async () => {
    const { ownerToken } = await createAccount(t);
    const key = await t.http.post('/v1/api-keys').set(bearer(ownerToken)).send({ name: 'k', mode: 'live' });
    const rolled = await t.http.post(`/v1/api-keys/${key.body.id}/roll`).set(bearer(ownerToken)).send({});
    const endpoint = await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .send({ url: 'http://127.0.0.1:9/hook', events: ['*'] });
    const secret = await t.http.get(`/v1/webhooks/${endpoint.body.id}/secret`).set(bearer(ownerToken));
    const rotated = await t.http.post(`/v1/webhooks/${endpoint.body.id}/rotate-secret`).set(bearer(ownerToken));
    for (const response of [key, rolled, endpoint, secret, rotated]) {
      expect([response.status < 300, response.headers['cache-control']]).toEqual([true, 'no-store']);
    }
  });

  it('keeps the feed token encrypted: not in metadata, not in the clear in its column, still serving the feed', async () => {
    const { ownerToken } = await createAccount(t);
    const connected = await t.http.put('/v1/integrations/ical_feed').set(bearer(ownerToken)).send({});
    const feedUrl = new URL(connected.body.metadata.feedUrl);
    const token = /\/([^/]+)\.ics$/.exec(feedUrl.pathname)![1];
    const { rows } = await db.query(`select metadata, feed_token from integrations where id = $1`, [connected.body.id]);
    expect(rows[0].metadata).not.toHaveProperty('feedToken');
    expect(JSON.stringify(rows[0])).not.toContain(token);
    expect((await t.http.get(feedUrl.pathname)).status).toBe(200);
    expect((await t.http.get(`/v1/integrations/ical_feed`).set(bearer(ownerToken))).body.metadata.feedUrl).toBe(feedUrl.toString());

    await t.http.post('/v1/integrations/ical_feed/disconnect').set(bearer(ownerToken));
    expect((await t.http.get(feedUrl.pathname)).status).toBe(404);
    const reconnected = await t.http.put('/v1/integrations/ical_feed').set(bearer(ownerToken)).send({});
    expect(reconnected.body.metadata.feedUrl).not.toBe(feedUrl.toString());
  });

  it('accepts a sync frequency from 1 minute to 31 days only', async () => {
    const { ownerToken } = await createAccount(t);
    await t.http.put('/v1/integrations/ical_feed').set(bearer(ownerToken)).send({});
    for (const syncFrequency of ['0m', '99999999999999999999d', '32d', '745h', '30s', '1.5h', 5]) {
      const refused = await t.http.patch('/v1/integrations/ical_feed').set(bearer(ownerToken)).send({ syncFrequency });
      expect([syncFrequency, refused.status, refused.body.errors?.[0]?.path]).toEqual([syncFrequency, 400, 'syncFrequency']);
    }
    for (const syncFrequency of ['1m', '15m', '744h', '31d']) {
      const accepted = await t.http.patch('/v1/integrations/ical_feed').set(bearer(ownerToken)).send({ syncFrequency });
      expect([syncFrequency, accepted.status, accepted.body.syncFrequency]).toEqual([syncFrequency, 200, syncFrequency]);
    }
  });
});
