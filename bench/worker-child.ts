// One payout worker in a process of its own, for the `workers` benchmark: the built
// JavaScript of @concierge-ts/adapter-postgres and the HTTP client, as `concierge payouts
// worker` runs them. Settings come as JSON in WORKER_SETTINGS; it prints one JSON line
// per event and stops cleanly on SIGTERM.
import { createHttpConciergeClient } from '@concierge-ts/adapter-http';
import { connectPostgres, runWorker } from '@concierge-ts/adapter-postgres';
import type { PayoutTuning } from '@concierge-ts/application';

interface ChildSettings {
  readonly db: string;
  readonly api: string;
  readonly keys: readonly string[];
  readonly rateLimit: number;
  readonly workerId: string;
  readonly tuning: PayoutTuning;
}

const settings = JSON.parse(process.env['WORKER_SETTINGS'] ?? '{}') as ChildSettings;
const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => controller.abort());

const connection = await connectPostgres(settings.db, {
  onIdleError: () => undefined,
  waitForServerMs: 60_000,
});
if (connection.isErr()) {
  print({ type: 'error', error: connection.error.message });
  process.exit(1);
}
const worked = await runWorker({
  connection: connection.value,
  apiKeys: settings.keys,
  clientFor: (apiKey, fetch) =>
    createHttpConciergeClient({ baseUrl: settings.api, apiKey, fetch, rateLimit: false, timeoutMs: 10_000 }),
  rateLimit: settings.rateLimit,
  signal: controller.signal,
  workerId: settings.workerId,
  pollMs: 100,
  holdMs: 300,
  maxWaitMs: 200,
  maintenanceSeconds: 1,
  tuning: settings.tuning,
  onEvent: (event) => {
    if (event.type !== 'step') print(event);
  },
});
await connection.value.close();
if (worked.isErr()) {
  print({ type: 'error', error: worked.error.message });
  process.exit(1);
}
print({ type: 'exit', summary: worked.value });
