// An integrator's program, as small as it gets: plans (or finds) a payout run and drives
// it over HTTP to the URL it is given (the fault proxy), its journal on PGlite. Waiting
// moves the sandbox clock through the operator routes, straight to the sandbox, so the
// run takes no real time. The tests SIGKILL it right after a create was forwarded and
// start it again. Runs the built JavaScript (tsc -b first).
import { readFileSync } from 'node:fs';
import { createHttpConciergeClient, createHttpSandboxOperator } from '@concierge-ts/adapter-http';
import { openJournal } from '@concierge-ts/adapter-postgres';
import { driveRun, planRun } from '@concierge-ts/application';

const [apiUrl, sandboxUrl, apiKey, db, planFile] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
const operator = createHttpSandboxOperator({ baseUrl: sandboxUrl, apiKey, rateLimit: 0 });
const clock = await operator.advanceClock(0);
if (clock.isErr()) {
  console.error(JSON.stringify(clock.error));
  process.exit(2);
}
let sandboxNow = Date.parse(clock.value.now);
const opened = await openJournal(db);
if (opened.isErr()) {
  console.error(JSON.stringify(opened.error));
  process.exit(2);
}
const journal = opened.value;
const planned = await planRun(journal, plan);
if (planned.isErr()) {
  console.error(JSON.stringify(planned.error));
  process.exit(2);
}
const ctx = {
  client: createHttpConciergeClient({ baseUrl: apiUrl, apiKey, rateLimit: 0, timeoutMs: 2_000 }),
  journal,
  now: () => new Date(sandboxNow),
  sleep: async (ms) => {
    const moved = await operator.advanceClock(ms / 1000);
    if (moved.isOk()) sandboxNow = Date.parse(moved.value.now);
  },
  tuning: { pollIntervalMs: 600_000, quoteWaitMs: 1_000 },
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
