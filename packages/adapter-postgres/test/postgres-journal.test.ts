import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { describeJournalContract, sampleRows, sampleRun } from '@concierge-ts/adapter-memory/testing';
import { Pool } from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate, readMigrations } from '../src/migrations.js';
import { openJournal } from '../src/open-journal.js';
import { connectPostgres, type PostgresConnection } from '../src/postgres-connection.js';
import type { SqlDatabase } from '../src/sql-journal.js';
import { describeWithServer } from './postgres-server.js';
import { freshDatabase, type TestDatabase } from './server-database.js';

/** A pool as the journal's database, for calling `migrate` on separate connections. */
const poolDatabase = (pool: Pool): SqlDatabase => ({
  query: async (sql, params) => (await pool.query(sql, params)) as never,
  transaction: async (work) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({ query: async (sql, params) => (await client.query(sql, params)) as never });
      await client.query('COMMIT');
      return result;
    } catch (thrown) {
      await client.query('ROLLBACK');
      throw thrown;
    } finally {
      client.release();
    }
  },
});

describeWithServer('the journal on a PostgreSQL server', () => {
  let database: TestDatabase;
  let connection: PostgresConnection;
  beforeAll(async () => {
    database = await freshDatabase('journal');
    connection = (await connectPostgres(database.url))._unsafeUnwrap();
  });
  afterAll(async () => {
    await connection?.close();
    await database?.drop();
  });

  describeJournalContract('PostgreSQL server', async () => ({
    journal: connection.journal,
    dispose: async () => {
      await connection.db.query('TRUNCATE payout_runs CASCADE');
    },
  }));

  it('opens from a postgres:// URL, keeps runs across a close and a reopen, and names a server it cannot reach', async () => {
    const first = (await openJournal(database.url))._unsafeUnwrap();
    (await first.createRun(sampleRun('kept-on-server'), sampleRows('kept-on-server')))._unsafeUnwrap();
    await first.close();
    const second = (await openJournal(database.url))._unsafeUnwrap();
    expect((await second.loadRun('kept-on-server'))._unsafeUnwrap()?.rows).toEqual(
      sampleRows('kept-on-server'),
    );
    await second.close();

    const unreachable = new URL(database.url);
    unreachable.port = '1';
    unreachable.password = 'secret-word';
    const refused = (await openJournal(unreachable.toString()))._unsafeUnwrapErr();
    expect(refused.code).toBe('journal');
    expect(refused.message).toContain('127.0.0.1:1');
    expect(refused.message).not.toContain('secret-word');
  });

  it('waits for a server that is not answering yet when asked to (a worker starting while it restarts), and not for one that refuses for good', async () => {
    // A port where nothing listens for a while, then a loopback forwarder to the real server:
    // to the client, a server that comes up late.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    const target = new URL(database.url);
    const late = new URL(database.url);
    late.port = String(port);
    let forwarder: Server | undefined;
    const comesUp = setTimeout(() => {
      forwarder = createServer((socket) => {
        const upstream = tcpConnect(Number(target.port), target.hostname);
        socket.pipe(upstream).pipe(socket);
        socket.on('error', () => upstream.destroy());
        upstream.on('error', () => socket.destroy());
      }).listen(port, '127.0.0.1');
    }, 1_500);
    const waits: string[] = [];
    try {
      const connected = await connectPostgres(late.toString(), {
        waitForServerMs: 30_000,
        onWaiting: (problem) => waits.push(problem),
      });
      expect(connected.isOk(), connected.isErr() ? connected.error.message : '').toBe(true);
      expect(waits.length).toBeGreaterThan(0);
      await connected._unsafeUnwrap().close();
    } finally {
      clearTimeout(comesUp);
      await new Promise<void>((resolve) => (forwarder ? forwarder.close(() => resolve()) : resolve()));
    }

    // Without waiting, the first refusal is the answer.
    const now = (await connectPostgres(late.toString().replace(`:${port}/`, ':1/')))._unsafeUnwrapErr();
    expect(now.code).toBe('journal');

    // A database that does not exist (SQLSTATE 3D000) is not waited for: waiting cannot change it.
    const missing = new URL(database.url);
    missing.pathname = '/concierge_no_such_database';
    const told: string[] = [];
    const refused = (
      await connectPostgres(missing.toString(), { waitForServerMs: 60_000, onWaiting: (p) => told.push(p) })
    )._unsafeUnwrapErr();
    expect(refused.message).toContain('concierge_no_such_database');
    expect(told).toEqual([]);
  });

  it('applies each migration once when several workers start on an empty database together', async () => {
    const empty = await freshDatabase('migrate_race');
    const pools = Array.from({ length: 6 }, () => new Pool({ connectionString: empty.url, max: 2 }));
    try {
      const migrations = await readMigrations();
      const applied = await Promise.all(pools.map((pool) => migrate(poolDatabase(pool), migrations)));
      // Every version applied by exactly one of them; the others found it done.
      expect(applied.flat().sort()).toEqual(migrations.map((m) => m.version).sort());
      const { rows } = await pools[0]!.query('SELECT version FROM payout_schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await empty.drop();
    }
  });
});
