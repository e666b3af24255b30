import { parseArgs } from 'node:util';
import { SERVER_URL } from '../packages/adapter-postgres/test/server-database.js';
import {
  canRestart,
  type WorkerTrialResult,
  workerTrial,
} from '../packages/adapter-postgres/test/worker-soak.js';

/**
 * `pnpm soak:workers [--trials N] [--rows N] [--workers N] [--kills N] [--seed N]`: payout
 * runs worked by several worker processes on the PostgreSQL server of
 * CONCIERGE_TEST_DATABASE_URL, too long for `pnpm test`. Each trial: three runs on three
 * API keys against the sandbox server (each key limited), workers SIGKILLed at random
 * steps and replaced, the server restarted once (when CONCIERGE_TEST_PGDATA says where).
 * Prints a line per trial and the totals; exits 1 if any row was paid twice, any row is
 * unpaid without a reason, money was not conserved or the service answered 429.
 */
const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '5' },
    rows: { type: 'string', default: '60' },
    chunk: { type: 'string', default: '10' },
    workers: { type: 'string', default: '3' },
    kills: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    rate: { type: 'string', default: '10' },
  },
});
const whole = (name: keyof typeof values, min: number): number => {
  const n = Number(values[name]);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`--${name} must be a whole number from ${min}, got ${JSON.stringify(values[name])}`);
    process.exit(2);
  }
  return n;
};
const options = {
  trials: whole('trials', 1),
  rows: whole('rows', 1),
  chunkSize: whole('chunk', 1),
  workers: whole('workers', 1),
  kills: whole('kills', 0),
  seed: whole('seed', 0),
  rate: whole('rate', 1),
};
if (SERVER_URL === undefined) {
  console.error('CONCIERGE_TEST_DATABASE_URL is not set: eval "$(scripts/postgres-server.sh start)" first');
  process.exit(2);
}
if (!canRestart()) console.log('CONCIERGE_TEST_PGDATA is not set: the server is not restarted');

const results: WorkerTrialResult[] = [];
for (let t = 0; t < options.trials; t += 1) {
  const result = await workerTrial({
    seed: options.seed + t,
    rows: options.rows,
    chunkSize: options.chunkSize,
    workers: options.workers,
    kills: options.kills,
    restart: canRestart(),
    rate: options.rate,
    claimSeconds: 4,
  });
  results.push(result);
  console.log(
    `trial ${result.seed}: ${result.runs} runs, ${result.rows} rows, ${result.acceptedOutputs} outputs accepted, ` +
      `${result.duplicates} duplicates, ${result.unpaidWithReason} unpaid with a reason, ${result.unpaidWithoutReason} without, ` +
      `money ${result.conserved ? 'conserved' : 'NOT conserved'}, ${result.kills} workers killed, ${result.restarts} server restarts, ` +
      `${result.steps} steps, ${result.requests} requests, ${result.answers429} answers 429, ${result.seconds.toFixed(1)} s`,
  );
  for (const v of result.violations.slice(0, 5)) console.log(`  ${v}`);
}
const sum = (pick: (r: WorkerTrialResult) => number) => results.reduce((n, r) => n + pick(r), 0);
const broken = results.some((r) => r.violations.length > 0);
console.log(
  `\nworkers soak: ${results.length} trials, ${sum((r) => r.rows)} rows, ${sum((r) => r.acceptedOutputs)} outputs accepted, ` +
    `${sum((r) => r.duplicates)} duplicates, ${sum((r) => r.unpaidWithoutReason)} rows unpaid without a reason, ` +
    `money ${results.every((r) => r.conserved) ? 'conserved' : 'NOT conserved'}, ${sum((r) => r.kills)} workers killed, ` +
    `${sum((r) => r.restarts)} server restarts, ${sum((r) => r.answers429)} answers 429: ${broken ? 'BROKEN' : 'held'}`,
);
process.exitCode = broken ? 1 : 0;
