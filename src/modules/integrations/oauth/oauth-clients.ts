import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { ValidationFailedError } from '../../../core/errors/app-errors.js';
import type { OAuthApp } from '../connections/credential-vault.js';

/** The OAuth client an authorization or refresh uses: the account's own, else the operator's. */
@Injectable()
export class OAuthClients {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  resolve(providerId: string, accountApp?: OAuthApp): OAuthApp {
    const client = accountApp ?? this.config.oauthClients[providerId];
    if (!client) {
      const name = `PLUGBOARD_OAUTH_${providerId.toUpperCase()}_CLIENT_ID`;
      throw new ValidationFailedError('No OAuth client is configured for this provider', [
        { path: 'oauthApp', message: `pass oauthApp, or ask the operator to set ${name} and _CLIENT_SECRET` },
      ]);
    }
    return client;
  }

  /**
   * The secrets of the app a connection uses (the account's own, else the operator's) that the
   * provider declares in `auth.appSecrets`, by name; the others are never handed out.
   */
  appSecrets(providerId: string, names: string[] | undefined, accountApp?: OAuthApp): Record<string, string> | undefined {
    if (!names?.length) return undefined;
    const secrets = (accountApp ?? this.config.oauthClients[providerId])?.secrets ?? {};
    return Object.fromEntries(names.filter((name) => typeof secrets[name] === 'string').map((name) => [name, secrets[name]]));
  }

  /** The redirect URI registered with providers. */
  get callbackUrl(): string {
    return `${this.config.publicUrl}/v1/oauth/callback`;
  }
}
