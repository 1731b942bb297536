import { decodeJwt, SignJWT } from 'jose';
import { CliError, readConfig } from './runtime.js';

export interface TokenOptions {
  sub: string;
  account?: string;
  instanceAdmin: boolean;
  expiresIn: string;
}

/** `plugboard token`: mints a member JWT signed with AUTH_JWT_SECRET, for development and operations. */
export async function mintToken(options: TokenOptions): Promise<string> {
  const config = readConfig();
  if (!config.auth.jwtSecret) throw new CliError('plugboard token needs AUTH_JWT_SECRET (tokens from AUTH_JWKS_URI come from your identity provider)');
  const jwt = new SignJWT({
    ...(options.account ? { account_id: options.account } : {}),
    ...(options.instanceAdmin ? { instance_admin: true } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn);
  if (config.auth.issuer) jwt.setIssuer(config.auth.issuer);
  if (config.auth.audience) jwt.setAudience(config.auth.audience);
  const token = await jwt.sign(new TextEncoder().encode(config.auth.jwtSecret));
  // The server refuses tokens that outlive AUTH_JWT_MAX_TTL: minting one would only hand out a dud.
  if (decodeJwt(token).exp! * 1000 > Date.now() + config.auth.maxTtlMs) {
    throw new CliError(`--expires ${options.expiresIn} is longer than AUTH_JWT_MAX_TTL allows (${config.auth.maxTtlMs / 1000} seconds)`);
  }
  return token;
}
