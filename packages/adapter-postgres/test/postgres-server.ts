import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { MISSING_SERVER, SERVER_URL } from './server-database.js';

/**
 * Tests that need the PostgreSQL server (server-database.ts) start nothing themselves.
 * Without CONCIERGE_TEST_DATABASE_URL they are skipped with a message, except in CI (`CI`
 * set), where they fail: a server test must never pass by not running.
 */
export const IN_CI = (process.env['CI'] ?? '') !== '' && process.env['CI'] !== 'false';

/**
 * A describe block that needs the server. The whole block holds the server lock (see
 * {@link holdServer}), so the test file that restarts the server cannot cut another off.
 */
export const describeWithServer = (name: string, body: () => void): void => {
  if (SERVER_URL === undefined && !IN_CI) {
    console.warn(`skipped "${name}": ${MISSING_SERVER}`);
    describe.skip(name, body);
    return;
  }
  describe(name, () => {
    let release: (() => void) | undefined;
    beforeAll(async () => {
      if (SERVER_URL === undefined) throw new Error(`${MISSING_SERVER} (CI is set, so this fails)`);
      release = await holdServer(SERVER_URL);
    }, 600_000);
    afterAll(() => {
      release?.();
    });
    body();
  });
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
 * Takes the server for one test file at a time (a lock directory beside the system's
 * temporary files, named after the server): one file restarts the server in the middle
 * of a run, which would break whatever another file was doing with it. A lock whose
 * process is gone is taken over.
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
