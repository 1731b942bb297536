import { SignJWT } from 'jose';
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
  return jwt.sign(new TextEncoder().encode(config.auth.jwtSecret));
}
