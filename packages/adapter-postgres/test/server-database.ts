import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

/**
 * The PostgreSQL server of the tests and the soak: `CONCIERGE_TEST_DATABASE_URL`, started
 * by `eval "$(scripts/postgres-server.sh start)"` (which `.ci/run` does), which also sets
 * `CONCIERGE_TEST_PGDATA`, the cluster's directory (`pg_ctl restart` needs it). Nothing
 * here starts a server.
 */
export const SERVER_URL = process.env['CONCIERGE_TEST_DATABASE_URL'];
export const SERVER_PGDATA = process.env['CONCIERGE_TEST_PGDATA'];

export const MISSING_SERVER =
  'CONCIERGE_TEST_DATABASE_URL is not set: start a throwaway server with `eval "$(scripts/postgres-server.sh start)"`';

/** A fresh database on the server, dropped by `drop()`. */
export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

const adminQuery = async (sql: string): Promise<void> => {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};

export const freshDatabase = async (label: string): Promise<TestDatabase> => {
  if (SERVER_URL === undefined) throw new Error(MISSING_SERVER);
  const name = `concierge_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
};

const run = promisify(execFile);

/** `pg_ctl` of the newest PostgreSQL installed the Debian way, as scripts/postgres-server.sh finds it. */
const pgCtl = (): string => {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  return join('/usr/lib/postgresql', versions.at(-1) ?? '', 'bin', 'pg_ctl');
};

/** Restarts the test cluster (CONCIERGE_TEST_PGDATA) as its owner: every connection is cut. */
export const restartServer = async (): Promise<void> => {
  if (SERVER_PGDATA === undefined)
    throw new Error('CONCIERGE_TEST_PGDATA is not set: cannot restart the server');
  const args = ['-D', join(SERVER_PGDATA, 'data'), '-l', join(SERVER_PGDATA, 'server.log'), '-m', 'fast'];
  const pgCtlArgs = [...args, '-w', '-t', '60', 'restart'];
  if (process.getuid?.() === 0) {
    const { stdout: owner } = await run('stat', ['-c', '%U', SERVER_PGDATA]);
    await run('runuser', ['-u', owner.trim(), '--', pgCtl(), ...pgCtlArgs]);
  } else await run(pgCtl(), pgCtlArgs);
};
