import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_ENCRYPTION_KEYS, TEST_JWT_SECRET } from '../support/test-app.js';
import { freePort, runCli, startServe, waitForReady } from '../support/cli.js';

/** The request log of a real `plugboard serve` never carries feed tokens, OAuth codes and states, or dashboard tokens. */
describe('request logs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plugboard-logs-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('log URLs with their secrets replaced by [redacted]', async () => {
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: process.env.TEST_DATABASE_URL,
      MIGRATE_ON_START: 'true',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      QUEUE_PREFIX: `pblogs${port}`,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
    };
    const baseUrl = `http://127.0.0.1:${port}`;
    const server = startServe(env);
    try {
      await waitForReady(baseUrl, server);
      const admin = runCli(['token', '--sub', 'operator', '--instance-admin'], env).stdout.trim();
      const created = await fetch(`${baseUrl}/v1/accounts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'Logged', ownerId: 'owner_logs', plan: 'business' }),
      });
      const account = (await created.json()) as { id: string };
      const owner = runCli(['token', '--sub', 'owner_logs', '--account', account.id], env).stdout.trim();
      const feed = await fetch(`${baseUrl}/v1/integrations/ical_feed`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${owner}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      const feedUrl = new URL(((await feed.json()) as { metadata: { feedUrl: string } }).metadata.feedUrl);
      const feedToken = /\/([^/]+)\.ics$/.exec(feedUrl.pathname)![1];

      expect((await fetch(`${baseUrl}${feedUrl.pathname}`)).status).toBe(200);
      expect((await fetch(`${baseUrl}/v1/oauth/callback?code=code-SECRET-4711&state=state-SECRET.sig`)).status).toBe(400);
      expect((await fetch(`${baseUrl}/admin/queues?token=${admin}`, { redirect: 'manual' })).status).toBe(303);
      // The request log is written once each answer is sent.
      await new Promise((resolve) => setTimeout(resolve, 300));

      const log = server.output();
      expect(log).toContain(`/v1/feeds/${feedUrl.pathname.split('/')[3]}/[redacted].ics`);
      expect(log).toContain('/v1/oauth/callback?code=[redacted]&state=[redacted]');
      for (const secret of [feedToken, 'code-SECRET-4711', 'state-SECRET', admin]) expect(log).not.toContain(secret);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 120_000);
});
