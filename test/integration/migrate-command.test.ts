import { createServer, Server, Socket, connect } from 'node:net';
import { AddressInfo } from 'node:net';
import pg from 'pg';
import { migrate } from '../../src/cli/app-commands.js';

/** A TCP forwarder to the test PostgreSQL that starts listening only when asked: a database "not up yet". */
function lateDatabase(target: URL): { port: Promise<number>; open(): Promise<void>; close(): Promise<void> } {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const probe = createServer();
  const port = new Promise<number>((resolve) =>
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    }),
  );
  return {
    port,
    open: async () => {
      const listenPort = await port;
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', () => socket.destroy());
          socket.on('close', () => sockets.delete(socket));
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => server!.listen(listenPort, '127.0.0.1', resolve));
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

describe('plugboard migrate --wait-for-database', () => {
  const admin = new URL(process.env.TEST_DATABASE_URL!);
  const name = `${process.env.TEST_DATABASE_NAME}_migrate`;
  const saved = { ...process.env };

  beforeAll(async () => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`create database "${name}"`);
    await client.end();
  });

  afterAll(async () => {
    process.env = saved;
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`drop database if exists "${name}" with (force)`);
    await client.end();
  });

  it('waits for a database that is not reachable yet, then applies every migration with only DATABASE_URL set', async () => {
    const database = lateDatabase(admin);
    const url = new URL(admin);
    url.port = String(await database.port);
    url.pathname = `/${name}`;
    process.env = { PATH: saved.PATH, NODE_ENV: 'production', DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', DATA_DIR: '/tmp/plugboard-migrate-test' };
    const opening = setTimeout(() => void database.open(), 2500);
    try {
      const startedAt = Date.now();
      await expect(migrate({ create: false, check: false, waitForDatabaseSeconds: 30 })).resolves.toBe('database is up to date');
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2000);
    } finally {
      clearTimeout(opening);
      await database.close();
    }
    const client = new pg.Client({ connectionString: url.toString().replace(`:${url.port}/`, `:${admin.port || 5432}/`) });
    await client.connect();
    const applied = await client.query('select count(*)::int as n from mikro_orm_migrations');
    await client.end();
    expect(applied.rows[0].n).toBeGreaterThan(0);
  });

  it('gives up when the database stays unreachable past the wait', async () => {
    const database = lateDatabase(admin);
    const url = new URL(admin);
    url.port = String(await database.port);
    process.env = { PATH: saved.PATH, NODE_ENV: 'production', DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', DATA_DIR: '/tmp/plugboard-migrate-test' };
    await expect(migrate({ create: false, check: false, waitForDatabaseSeconds: 1 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
