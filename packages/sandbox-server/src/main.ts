import 'reflect-metadata';
import { createInMemoryConcierge, OffsetClock } from '@concierge-ts/adapter-memory';
import { createSandboxApp } from './app';
import { readConfig } from './config';
import { listenOnLoopback } from './listen';

/** `pnpm sandbox`: the local sandbox on 127.0.0.1 (SPEC section 9). */
const config = readConfig(process.env);
if (config.isErr()) {
  console.error(`sandbox: ${config.error}`);
  process.exit(2);
}
const { port, apiKey, rateLimit } = config.value;

// Real time, plus whatever the operator advances.
const concierge = createInMemoryConcierge({
  clock: new OffsetClock(),
  ...(apiKey === undefined ? {} : { masterApiKey: apiKey }),
});
const app = createSandboxApp(concierge, { rateLimit, tickEveryMs: 1_000 });

const printBanner = (url: string) => {
  const seeded = concierge.seeded;
  console.log(`Concierge sandbox listening on ${url}`);
  console.log(`  API:            ${url}/api   operator: ${url}/sandbox`);
  console.log(`  master API key: ${concierge.apiKey}`);
  console.log(`  rate limit:     ${rateLimit === 0 ? 'off' : `${rateLimit} requests/s per key`}`);
  if (seeded) {
    console.log(
      `  payer:          user ${seeded.payerId} (${seeded.deposit.amount} on ${seeded.deposit.portCode})`,
    );
    for (const payee of seeded.payees)
      console.log(
        `  payee ${payee.portCode.padEnd(7)} user ${payee.userId}, withdrawal instruction ${payee.withdrawalInstructionId}`,
      );
  }
};

const listening = await listenOnLoopback(app, port).catch((error: Error) => {
  console.error(`sandbox: cannot listen on 127.0.0.1:${port}: ${error.message}`);
  process.exit(1);
});
printBanner(listening.url);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`sandbox: ${signal}, shutting down`);
  app.close();
  void listening.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
