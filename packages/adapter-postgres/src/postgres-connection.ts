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
        await migrate(db, await readMigrations());
        return { db, journal: sqlJournal(db), where, close };
      } catch (thrown) {
        await close().catch(() => undefined);
        throw thrown;
      }
    })(),
    (thrown) => payoutError.journal(`opening the journal at ${where}: ${message(thrown)}`),
  );
};
