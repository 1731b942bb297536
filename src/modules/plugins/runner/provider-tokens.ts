import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SafeHttpClient } from '../../../core/http/safe-http.js';
import type { TokenExchange } from '../../../sdk/index.js';
import { exchangeToken, type ExchangedToken } from '../../../sdk/provider-auth.js';

/** A token is obtained again when this little of its life is left. */
const RENEW_BEFORE_MS = 60_000;
/** Tokens kept per replica at most (the least recently used go first). */
const MAX_TOKENS = 10_000;

/**
 * Tokens obtained from entered credentials (`auth.token`: OAuth 2.0 client credentials, or a
 * provider's own exchange), per provider and credentials, in this replica's memory only: obtained
 * through the SSRF-checked client, shared by concurrent calls, obtained again a minute before they
 * expire.
 */
export class ProviderTokens {
  private readonly tokens = new LRUCache<string, Promise<ExchangedToken>>({ max: MAX_TOKENS });

  constructor(private readonly http: SafeHttpClient) {}

  async get(
    providerId: string,
    exchange: TokenExchange,
    credentials: Record<string, unknown>,
    metadata: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<string> {
    const key = createHash('sha256')
      .update(JSON.stringify([providerId, exchange, credentials, metadata]))
      .digest('hex');
    const cached = this.tokens.get(key);
    if (cached) {
      const token = await cached.catch(() => undefined);
      if (token && (token.expiresAt === undefined || token.expiresAt - Date.now() > RENEW_BEFORE_MS)) return token.accessToken;
      if (this.tokens.get(key) !== cached) return this.get(providerId, exchange, credentials, metadata, timeoutMs);
    }
    const obtaining = exchangeToken(exchange, credentials, metadata, (url, init) => this.http.fetch(url, { ...init, timeoutMs }));
    this.tokens.set(key, obtaining);
    // A failed exchange is not kept: the next call tries again.
    obtaining.catch(() => {
      if (this.tokens.get(key) === obtaining) this.tokens.delete(key);
    });
    return (await obtaining).accessToken;
  }
}
