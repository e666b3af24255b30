import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Takes the server for one test file (or soak scenario) at a time, across processes (a lock
 * directory beside the system's temporary files, named after the server): the fault test
 * and the soak restart the server in the middle of a run, which would break whatever
 * another was doing with it. A lock whose process is gone is taken over.
 */
export const holdServer = async (url: string): Promise<() => void> => {
  const dir = join(
    tmpdir(),
    `concierge-pg-tests-${createHash('sha256').update(url).digest('hex').slice(0, 12)}.lock`,
  );
  const owner = join(dir, 'owner');
  const me = `${process.pid} ${randomBytes(4).toString('hex')}`;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(owner, me);
      return () => {
        try {
          if (readFileSync(owner, 'utf8') === me) rmSync(dir, { recursive: true, force: true });
        } catch {
          // Already gone.
        }
      };
    } catch (thrown) {
      if ((thrown as { code?: string }).code !== 'EEXIST') throw thrown;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(owner, 'utf8').split(' ')[0]);
      } catch {
        // Being written, or being removed: look again (a lock left without an owner goes after 10 s).
        try {
          if (Date.now() - statSync(dir).mtimeMs > 10_000) rmSync(dir, { recursive: true, force: true });
        } catch {
          // Gone already.
        }
      }
      if (Number.isInteger(holder) && holder > 0 && !alive(holder))
        rmSync(dir, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
};
