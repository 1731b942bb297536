import { decodeJwt } from 'jose';
import { CliError } from './runtime.js';
import { mintToken } from './token.js';

describe('plugboard token', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    Object.assign(process.env, {
      NODE_ENV: 'test',
      AUTH_JWT_SECRET: 'x'.repeat(32),
      ENCRYPTION_KEYS: `k:${Buffer.alloc(32).toString('base64')}`,
      AUTH_JWT_MAX_TTL: '2h',
    });
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('mints a token that expires within AUTH_JWT_MAX_TTL', async () => {
    const token = await mintToken({ sub: 'operator', instanceAdmin: true, expiresIn: '2h' });
    expect(decodeJwt(token).exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(7200);
  });

  it('refuses an --expires beyond AUTH_JWT_MAX_TTL', async () => {
    const refusal = mintToken({ sub: 'operator', instanceAdmin: true, expiresIn: '3h' });
    await expect(refusal).rejects.toBeInstanceOf(CliError);
    await expect(refusal).rejects.toThrow(/longer than AUTH_JWT_MAX_TTL allows \(7200 seconds\)/);
  });
});
