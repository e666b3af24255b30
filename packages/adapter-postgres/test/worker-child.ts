// A worker in a process of its own, as `concierge payouts worker` runs it: the test
// starts several, kills some with SIGKILL and stops the others with SIGTERM. Its settings
// come as JSON in WORKER_SETTINGS; it prints one JSON line per event.
import { createHttpConciergeClient } from '@concierge-ts/adapter-http';
import type { PayoutTuning } from '@concierge-ts/application';
import { runWorker } from '../src/payout-worker.js';
import { connectPostgres } from '../src/postgres-connection.js';

interface ChildSettings {
  readonly db: string;
  readonly api: string;
  readonly keys: readonly string[];
  readonly rateLimit: number;
  readonly workerId: string;
  readonly claimSeconds: number;
  readonly maintenanceSeconds: number;
  readonly tuning: PayoutTuning;
  /** How long a request waits for its answer (default 5 s). */
  readonly timeoutMs?: number;
}

const settings = JSON.parse(process.env['WORKER_SETTINGS'] ?? '{}') as ChildSettings;
const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => controller.abort());

// Started while the server restarts, it waits for it, as `concierge payouts worker` does.
const connection = await connectPostgres(settings.db, {
  onIdleError: (error) => print({ type: 'trouble', message: `idle connection: ${error.message}` }),
  waitForServerMs: 60_000,
  signal: controller.signal,
  onWaiting: (problem) => print({ type: 'trouble', message: `waiting for the database: ${problem}` }),
});
if (connection.isErr()) {
  print({ type: 'error', error: connection.error });
  process.exit(1);
}
const worked = await runWorker({
  connection: connection.value,
  apiKeys: settings.keys,
  clientFor: (apiKey, fetch) =>
    createHttpConciergeClient({
      baseUrl: settings.api,
      apiKey,
      fetch,
      rateLimit: false,
      timeoutMs: settings.timeoutMs ?? 5_000,
    }),
  rateLimit: settings.rateLimit,
  signal: controller.signal,
  workerId: settings.workerId,
  queue: { claimSeconds: settings.claimSeconds, retryLimit: 10, retryDelaySeconds: 1 },
  maintenanceSeconds: settings.maintenanceSeconds,
  pollMs: 100,
  holdMs: 300,
  maxWaitMs: 500,
  tuning: settings.tuning,
  onEvent: (event) =>
    print(event.type === 'step' ? { type: 'step', runId: event.runId, step: event.step } : event),
});
await connection.value.close();
if (worked.isErr()) {
  print({ type: 'error', error: worked.error });
  process.exit(1);
}
print({ type: 'exit', summary: worked.value });
