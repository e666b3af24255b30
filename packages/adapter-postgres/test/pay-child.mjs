// A small integrator's program: plans (or finds) a payout run and drives it over HTTP,
// with its journal on PGlite. The test kills it with SIGKILL at random moments and starts
// it again. Runs the built JavaScript: its test is a `*.process.test.ts`, which `pnpm test` runs after the build.
import { readFileSync } from 'node:fs';
import { createHttpConciergeClient } from '@concierge-ts/adapter-http';
import { driveRun, planRun } from '@concierge-ts/application';
import { openJournal } from '../dist/index.js';

const [baseUrl, apiKey, db, planFile] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
const journal = (await openJournal(db))._unsafeUnwrap();
const planned = await planRun(journal, plan);
if (planned.isErr()) {
  console.error(JSON.stringify(planned.error));
  process.exit(2);
}
const client = createHttpConciergeClient({ baseUrl, apiKey, rateLimit: 0, timeoutMs: 5_000 });
const ctx = {
  client,
  journal,
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50))),
  tuning: { pollIntervalMs: 50, quoteWaitMs: 20 },
};
const result = await driveRun(ctx, plan.runId, {
  onStep: (status, step) => console.log(`${status.state} ${step}`),
});
await journal.close();
if (result.isErr()) {
  console.error(JSON.stringify(result.error));
  process.exit(1);
}
console.log(`done ${result.value.state}`);
