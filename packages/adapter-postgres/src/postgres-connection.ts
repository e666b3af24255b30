import { type PayoutError, type PayoutJournal, payoutError } from '@concierge-ts/application';
import { errAsync, ResultAsync } from 'neverthrow';
import { Pool, type PoolClient } from 'pg';
import { migrate, readMigrations } from './migrations.js';
import { type SqlDatabase, type SqlQueryable, sqlJournal } from './sql-journal.js';

/** A `postgres://` or `postgresql://` URL: the journal on a PostgreSQL server. */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location.trim());

/** A PostgreSQL server, migrated: the journal and the SQL the queue and the rate limit share. */
export interface PostgresConnection {
  readonly db: SqlDatabase;
  readonly journal: PayoutJournal;
  /** The URL without its password, for messages. */
  readonly where: string;
  /** Closes every connection; a second call does nothing. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Connections kept at most (default 5). */
  readonly maxConnections?: number;
  /** How long to wait for a connection (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Told about a connection that failed while idle (the server restarted, say); default: ignored. */
  readonly onIdleError?: (error: Error) => void;
  /**
   * How long to keep trying when the server does not answer yet (it is starting or
   * restarting), in ms; default 0: the first failure is the answer. A refusal that waiting
   * cannot change (a wrong password, a database that does not exist) is answered at once.
   */
  readonly waitForServerMs?: number;
  /** Told about each failed try while waiting for the server. */
  readonly onWaiting?: (problem: string, waitedMs: number) => void;
  /** Stops the waiting early. */
  readonly signal?: AbortSignal;
}

const message = (thrown: unknown) => (thrown instanceof Error ? thrown.message : String(thrown));

/** The URL with its password masked. */
export const maskUrl = (url: string): string => {
  if (!URL.canParse(url)) return 'postgres://…';
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
};

/** A pool as the journal's SQL database: a transaction holds one connection from BEGIN to COMMIT. */
const poolDatabase = (pool: Pool): SqlDatabase => {
  const on = (client: Pick<PoolClient, 'query'>): SqlQueryable => ({
    query: async <T>(sql: string, params?: unknown[]) =>
      (await client.query(sql, params)) as unknown as { readonly rows: T[] },
  });
  return {
    ...on(pool),
    transaction: async (work) => {
      const client = await pool.connect();
      // A connection that failed in the middle is thrown away, not handed out again.
      let broken: Error | undefined;
      // The pool stops listening while a connection is handed out: a server that goes away
      // then (a restart) would emit an error no one hears, and end the process.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work(on(client));
        await client.query('COMMIT');
        return result;
      } catch (thrown) {
        try {
          await client.query('ROLLBACK');
        } catch (rollback) {
          broken = rollback instanceof Error ? rollback : new Error(String(rollback));
        }
        throw thrown;
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    },
  };
};

/**
 * Whether trying again later can help: not for SQLSTATE classes 28 (invalid authorization)
 * and 3D (invalid catalog name: no such database), nor for a URL that cannot be parsed.
 */
export const isWorthWaitingFor = (thrown: unknown): boolean => {
  const code = (thrown as { code?: unknown } | null)?.code;
  return !(typeof code === 'string' && /^(28|3D)[0-9A-Z]{3}$/.test(code));
};

/**
 * Does `work` until it succeeds, the wait is over, the failure is one waiting cannot
 * change, or the signal fires; pauses grow from 250 ms to 5 s. The last failure is thrown.
 */
export const untilAnswered = async <T>(
  work: () => Promise<T>,
  options: Pick<ConnectOptions, 'waitForServerMs' | 'onWaiting' | 'signal'>,
): Promise<T> => {
  const started = Date.now();
  for (let tries = 0; ; tries += 1) {
    try {
      return await work();
    } catch (thrown) {
      const waited = Date.now() - started;
      const pause = Math.min(5_000, 250 * 2 ** tries);
      if (
        !isWorthWaitingFor(thrown) ||
        options.signal?.aborted === true ||
        waited + pause > (options.waitForServerMs ?? 0)
      )
        throw thrown;
      options.onWaiting?.(message(thrown), waited);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pause);
        function done() {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', done);
          resolve();
        }
        options.signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
};

/**
 * Connects to a PostgreSQL server and applies the journal's migrations not yet applied
 * (the same files as on PGlite, under an advisory lock, so that workers starting together
 * apply each once). Answers a `journal` error naming the server when it cannot.
 */
export const connectPostgres = (
  url: string,
  options: ConnectOptions = {},
): ResultAsync<PostgresConnection, PayoutError> => {
  if (!isPostgresUrl(url) || !URL.canParse(url.trim()))
    return errAsync(payoutError.journal(`not a postgres:// URL: ${maskUrl(url)}`));
  const where = maskUrl(url.trim());
  return ResultAsync.fromPromise(
    (async () => {
      const pool = new Pool({
        connectionString: url.trim(),
        max: options.maxConnections ?? 5,
        connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
        application_name: 'concierge-ts',
      });
      // An idle connection the server dropped: the pool forgets it; without a listener it would crash the process.
      pool.on('error', (error) => options.onIdleError?.(error));
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await pool.end();
      };
      try {
        const db = poolDatabase(pool);
        const migrations = await readMigrations();
        // A server still starting (or restarting) is waited for, as long as the caller allows.
        await untilAnswered(() => migrate(db, migrations), options);
        return { db, journal: sqlJournal(db), where, close };
      } catch (thrown) {
        await close().catch(() => undefined);
        throw thrown;
      }
    })(),
    (thrown) => payoutError.journal(`opening the journal at ${where}: ${message(thrown)}`),
  );
};
