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

/**
 * Applies the migrations not yet applied, each in its own transaction, in order. The
 * bookkeeping table is locked for the duration, so two processes opening one database
 * at once apply each migration once.
 */
export const migrate = async (
  db: SqlDatabase,
  migrations: readonly Migration[],
): Promise<readonly number[]> => {
  await db.query(
    `CREATE TABLE IF NOT EXISTS payout_schema_migrations (
       version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const applied: number[] = [];
  for (const migration of migrations)
    await db.transaction(async (tx) => {
      await tx.query('LOCK TABLE payout_schema_migrations IN EXCLUSIVE MODE');
      const done = await tx.query<{ version: number }>(
        'SELECT version FROM payout_schema_migrations WHERE version = $1',
        [migration.version],
      );
      if (done.rows.length > 0) return;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO payout_schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    });
  return applied;
};

/** The statements of a migration file (no function bodies in ours: a semicolon ends a statement). */
const splitStatements = (sql: string): string[] =>
  sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
