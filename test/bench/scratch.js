// What the benchmarks share: a scratch database, and the environment they run Plugboard in.
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** A new database on DATABASE_URL's server (default: the local one); `drop()` removes it. */
export async function scratchDatabase(label) {
  const server = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres');
  const name = `plugboard_bench_${label}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** Production mode with fixed secrets; request logging and rate limiting off, as they are not what is measured. */
export function benchEnvironment(databaseUrl, jwtSecret) {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `pbbench${Date.now()}`,
    AUTH_JWT_SECRET: jwtSecret,
    ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 9).toString('base64')}`,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
  };
}

/** Resolves with the `field` of the first message from a forked bench server that has it; rejects if it exits first. */
export function messageFrom(child, field) {
  return new Promise((resolve, reject) => {
    const onMessage = (value) => {
      if (!(field in value)) return;
      child.off('message', onMessage);
      resolve(value[field]);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

/**
 * A small client of the bench server: `token(claims, sub)` signs a member JWT with the bench secret,
 * `call(method, path, bearer, body)` answers the JSON body and throws on any non-2xx answer.
 */
export async function benchClient(origin, jwtSecret) {
  const { SignJWT } = await import('jose');
  const token = (claims, sub) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret));
  const call = async (method, path, bearer, body) => {
    const response = await fetch(origin + path, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  /** A fresh Business account: its owner's JWT and a live API key. */
  const account = async () => {
    const { id } = await call('POST', '/v1/accounts', await token({ instance_admin: true }, 'operator'), {
      name: 'Bench',
      plan: 'business',
      ownerId: 'bench_owner',
    });
    const ownerToken = await token({ account_id: id }, 'bench_owner');
    const { key } = await call('POST', '/v1/api-keys', ownerToken, { name: 'bench', mode: 'live' });
    return { accountId: id, ownerToken, key };
  };
  return { token, call, account };
}

/**
 * CPU time, in µs, used so far by the PostgreSQL processes of this machine: the live ones and those that
 * have exited (in their parent's children's time). Read from /proc at its 100 ticks a second (Linux);
 * undefined where no PostgreSQL process is visible (another OS, or a server elsewhere).
 */
export function postgresCpu() {
  let ticks = 0;
  let found = false;
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const end = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, end) !== 'postgres') continue;
    found = true;
    // After the name: state, then utime, stime, cutime and cstime are the 12th to 15th fields.
    const [utime, stime, cutime, cstime] = stat
      .slice(end + 2)
      .split(' ')
      .slice(11, 15)
      .map(Number);
    ticks += utime + stime + cutime + cstime;
  }
  return found ? ticks * 10_000 : undefined;
}
