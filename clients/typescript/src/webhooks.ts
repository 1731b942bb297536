import type { webhooks } from './generated/openapi.js';

/**
 * Every event Plugboard delivers to a webhook endpoint, as the document's `webhooks` section describes
 * it: a union discriminated by `event` (`if (e.event === 'session.started') e.data.sessionId`).
 */
export type WebhookEvent<W = webhooks> = {
  [Type in keyof W]: W[Type] extends { post: { requestBody?: { content: { 'application/json': infer Body } } } } ? Body : never;
}[keyof W];

/** The Standard Webhooks headers of a delivery, from a Fetch `Headers` or Node's `IncomingHttpHeaders`. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

const TOLERANCE_SECONDS = 5 * 60;

/**
 * Verifies a delivery per Standard Webhooks and answers its event, typed: the HMAC-SHA256 of
 * `{webhook-id}.{webhook-timestamp}.{body}` keyed with the `whsec_` secret must match one of the
 * `v1,` signatures (two during a secret rotation), and the timestamp must be within five minutes.
 * Pass the body exactly as received (a string or the raw bytes), never re-serialised JSON.
 */
export async function verifyWebhook<W = webhooks>(
  secret: string,
  body: string | Uint8Array,
  headers: WebhookHeaders,
  options: { now?: Date; toleranceSeconds?: number } = {},
): Promise<WebhookEvent<W>> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  const sentAt = Number(timestamp);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (!Number.isInteger(sentAt) || Math.abs(now - sentAt) > (options.toleranceSeconds ?? TOLERANCE_SECONDS)) {
    throw new WebhookVerificationError('webhook-timestamp is too old or too new');
  }
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const key = await crypto.subtle.importKey('raw', base64Bytes(secret.replace(/^whsec_/, '')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${text}`)));
  const matches = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    return version === 'v1' && signature !== undefined && sameBytes(base64Bytes(signature), expected);
  });
  if (!matches) throw new WebhookVerificationError('no signature matches');
  return JSON.parse(text) as WebhookEvent<W>;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value.join(' ') : value;
}

function base64Bytes(value: string): Uint8Array<ArrayBuffer> {
  try {
    return Uint8Array.from(atob(value), (char) => char.charCodeAt(0));
  } catch {
    return new Uint8Array(0);
  }
}

/** Compares in time independent of where the bytes differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a[index]! ^ b[index]!;
  return difference === 0;
}
