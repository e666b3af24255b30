import { readdir, readFile } from 'node:fs/promises';
import type { SqlDatabase } from './sql-journal.js';

/** Where the migrations ship: `migrations/` at the package's root (beside `dist/` and `src/`). */
export const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The migrations in the directory, by version: files named `NNN_name.sql`. */
export const readMigrations = async (dir: URL = MIGRATIONS_DIR): Promise<Migration[]> => {
  const files = (await readdir(dir)).filter((f) => /^\d+_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: Number(file.split('_')[0]),
      name: file,
      sql: await readFile(new URL(file, dir), 'utf8'),
    })),
  );
};

/** The advisory lock every process takes before it looks at the schema: any number, the same in all. */
export const MIGRATION_LOCK = '5361207338101';

/**
 * Applies the migrations not yet applied, in order, in one transaction that first takes
 * a transaction-level advisory lock: several workers starting together on one server
 * wait for each other, and each migration is applied once (the others find it done).
 * The bookkeeping table is created under the same lock, as two `CREATE TABLE IF NOT
 * EXISTS` at once can both try to create it. Answers the versions this call applied.
 */
export const migrate = async (
  db: SqlDatabase,
  migrations: readonly Migration[],
): Promise<readonly number[]> =>
  db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS payout_schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM payout_schema_migrations')).rows.map((r) =>
        Number(r.version),
      ),
    );
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO payout_schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });

/** The statements of a migration file (no function bodies in ours: a semicolon ends a statement). */
const splitStatements = (sql: string): string[] =>
  sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
