import 'reflect-metadata';
import { startSandbox } from './start';

/** `pnpm sandbox`: the local sandbox on 127.0.0.1 (SPEC section 9). */
const started = await startSandbox();
if (started.isErr()) {
  console.error(`sandbox: ${started.error.message}`);
  process.exit(started.error.reason === 'config' ? 2 : 1);
}
const sandbox = started.value;

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`sandbox: ${signal}, shutting down`);
  void sandbox.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
