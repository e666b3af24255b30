import { afterAll, beforeAll, describe } from 'vitest';
import { holdServer, MISSING_SERVER, SERVER_URL } from './server-database.js';

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
