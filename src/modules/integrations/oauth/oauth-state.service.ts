import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { CredentialKeyring } from '../../../core/crypto/keyring.js';
import { OAuthState } from '../entities/oauth-state.entity.js';
import type { OAuthConnectionTarget } from '../connections/integrations.service.js';

export const STATE_TTL_MS = 10 * 60_000;

export interface OAuthStateSecrets {
  codeVerifier?: string;
  settings?: Record<string, unknown>;
  /** The connection inputs (validated): they shape the token URL and end up in the metadata. */
  inputs?: Record<string, unknown>;
  oauthApp?: { clientId: string; clientSecret: string; secrets?: Record<string, string> };
  /** The connection the authorization is for; absent: the account's default shared one. */
  connection?: OAuthConnectionTarget;
  /** The hosted connect session the authorization belongs to, which it completes. */
  connectSessionId?: string;
}

export interface NewOAuthState extends OAuthStateSecrets {
  accountId: string;
  livemode: boolean;
  provider: string;
  userId: string;
  returnUrl: string;
}

export type ConsumedState =
  { outcome: 'invalid' } | { outcome: 'expired' | 'used'; state: OAuthState } | { outcome: 'ok'; state: OAuthState; secrets: OAuthStateSecrets };

/** HMAC-signed, single-use, 10-minute OAuth `state`, bound to account, mode, provider and member. */
@Injectable()
export class OAuthStateService {
  private readonly keys: Buffer[];

  constructor(
    private readonly em: EntityManager,
    private readonly keyring: CredentialKeyring,
  ) {
    this.keys = keyring.derivedKeys('oauth-state');
  }

  /** Persists the pending authorization (flushed by the caller's unit of work) and returns the `state` to send. */
  create(em: EntityManager, input: NewOAuthState): { state: string; expiresAt: Date } {
    const id = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + STATE_TTL_MS);
    const { codeVerifier, settings, inputs, oauthApp, connection, connectSessionId, ...bound } = input;
    em.persist(
      em.create(OAuthState, {
        id,
        ...bound,
        secrets: this.keyring.encryptJson({ codeVerifier, settings, inputs, oauthApp, connection, connectSessionId }, `oauth-state:${id}`),
        expiresAt,
      }),
    );
    return { state: `${id}.${this.sign(id, this.keys[0])}`, expiresAt };
  }

  /** Verifies the signature and marks the state used, atomically: a second callback with it finds it used. */
  async consume(state: string | undefined): Promise<ConsumedState> {
    const [id, signature] = (state ?? '').split('.');
    if (!id || !signature || !this.keys.some((key) => safeEqual(signature, this.sign(id, key)))) return { outcome: 'invalid' };
    const em = this.em.fork();
    const claimed = await em
      .getConnection()
      .execute<{ id: string }[]>(`update oauth_states set used_at = ? where id = ? and used_at is null and expires_at > ? returning id`, [
        new Date(),
        id,
        new Date(),
      ]);
    const record = await em.findOne(OAuthState, { id });
    if (!record) return { outcome: 'invalid' };
    if (claimed.length === 0) return { outcome: record.usedAt ? 'used' : 'expired', state: record };
    return { outcome: 'ok', state: record, secrets: this.keyring.decryptJson<OAuthStateSecrets>(record.secrets, `oauth-state:${id}`) };
  }

  /** Drops states that can no longer be used (called by the maintenance schedule). */
  async purgeExpired(): Promise<number> {
    return this.em.fork().nativeDelete(OAuthState, { expiresAt: { $lt: new Date(Date.now() - STATE_TTL_MS) } });
  }

  private sign(id: string, key: Buffer): string {
    return createHmac('sha256', key).update(id).digest('base64url');
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
