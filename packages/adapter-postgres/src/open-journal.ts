import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type PayoutError, type PayoutJournal, payoutError } from '@concierge-ts/application';
import { PGlite } from '@electric-sql/pglite';
import { errAsync, ResultAsync } from 'neverthrow';
import { migrate, readMigrations } from './migrations.js';
import { connectPostgres, isPostgresUrl } from './postgres-connection.js';
import { type SqlDatabase, sqlJournal } from './sql-journal.js';

/** A journal the caller closes when done. */
export type ClosableJournal = PayoutJournal & { close(): Promise<void> };

/** Where the journal lives by default: a directory in the working directory. */
export const DEFAULT_JOURNAL_LOCATION = '.concierge';

/** PGlite as the journal's SQL database. */
const pgliteDatabase = (pg: PGlite): SqlDatabase => ({
  query: (sql, params) => pg.query(sql, params as unknown[]),
  transaction: (work) =>
    pg.transaction((tx) => work({ query: (sql, params) => tx.query(sql, params as unknown[]) })),
});

const message = (thrown: unknown) => (thrown instanceof Error ? thrown.message : String(thrown));

/**
 * Opens the payout journal at `location`: a directory holds an embedded PostgreSQL
 * (PGlite; created if missing), a `postgres://` URL names a PostgreSQL server. Either way
 * the same migrations not yet applied are applied before the journal is handed over.
 */
export const openJournal = (
  location: string = DEFAULT_JOURNAL_LOCATION,
): ResultAsync<ClosableJournal, PayoutError> => {
  if (isPostgresUrl(location))
    return connectPostgres(location).map((connection) => ({
      ...connection.journal,
      close: connection.close,
    }));
  if (location.trim() === '') return errAsync(payoutError.journal('the journal location is empty'));
  const dir = resolve(location);
  return ResultAsync.fromPromise(
    (async () => {
      await mkdir(dir, { recursive: true });
      const pg = await PGlite.create(dir);
      try {
        const db = pgliteDatabase(pg);
        await migrate(db, await readMigrations());
        return { ...sqlJournal(db), close: () => pg.close() };
      } catch (thrown) {
        await pg.close().catch(() => undefined);
        throw thrown;
      }
    })(),
    (thrown) => payoutError.journal(`opening the journal at ${dir}: ${message(thrown)}`),
  );
};
