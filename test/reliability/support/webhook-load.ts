import type { TestApp } from '../../support/test-app.js';
import { createAccount } from '../../support/test-app.js';
import { type Responder, WebhookReceiver } from '../../fixtures/webhook-receiver.js';
import { waitUntil } from './servers.js';

/** An account with one endpoint on a local receiver, and helpers to publish events and check their delivery. */
export async function webhookScenario(t: TestApp, respond: Responder = () => ({ status: 200, body: 'ok' })) {
  const { ownerToken } = await createAccount(t);
  const receiver = await WebhookReceiver.start(respond);
  const auth = { Authorization: `Bearer ${ownerToken}` };
  const endpoint = await t.http
    .post('/v1/webhooks')
    .set(auth)
    .send({ url: receiver.url, events: ['room.created'] });
  if (endpoint.status !== 201) throw new Error(`endpoint creation failed: ${endpoint.status} ${JSON.stringify(endpoint.body)}`);
  const published: string[] = [];
  return {
    receiver,
    published,
    /** Publishes one event; the API must acknowledge it (202) whatever state Redis is in. */
    publish: async (index: number) => {
      const response = await t.http
        .post('/v1/events')
        .set(auth)
        .send({ event: 'room.created', data: { roomId: `room-${index}` } });
      if (response.status !== 202) throw new Error(`publishing answered ${response.status} ${JSON.stringify(response.body)}`);
      published.push(response.body.id as string);
    },
    delivered: () => new Set(receiver.requests.map((request) => String(request.headers['webhook-id']))),
    /** Waits until every published event reached the receiver, and PostgreSQL says every delivery succeeded. */
    waitForAll: async (timeoutMs: number) => {
      const missing = () => published.filter((id) => !new Set(receiver.requests.map((r) => String(r.headers['webhook-id']))).has(id));
      await waitUntil(() => missing().length === 0, timeoutMs, `${published.length} deliveries (missing: ${missing().length})`).catch((error: Error) => {
        throw new Error(`${error.message}; missing ${JSON.stringify(missing().slice(0, 5))}`);
      });
      const statuses = async () => {
        const all: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { body: { data: { status: string }[]; nextCursor: string | null } } = await t.http
            .get(`/v1/webhooks/${endpoint.body.id}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
            .set(auth);
          all.push(...page.body.data.map((delivery) => delivery.status));
          cursor = page.body.nextCursor;
        } while (cursor);
        return all;
      };
      await waitUntil(
        async () => (await statuses()).filter((status) => status === 'succeeded').length === published.length,
        timeoutMs,
        'every delivery to succeed',
      );
    },
  };
}
