import { type StartSandboxOptions, startSandbox } from './start.js';

/**
 * Runs the local sandbox in this process until SIGINT or SIGTERM (SPEC section 9): what
 * `pnpm sandbox` and `concierge sandbox` do. Resolves with the exit status to use: 2 for
 * an invalid variable, 1 when the port cannot be opened, 0 after a clean shutdown.
 */
export const serveSandbox = async (options: StartSandboxOptions = {}): Promise<number> => {
  const started = await startSandbox(options);
  if (started.isErr()) {
    console.error(`sandbox: ${started.error.message}`);
    return started.error.reason === 'config' ? 2 : 1;
  }
  const sandbox = started.value;
  return new Promise<number>((resolve) => {
    let stopping = false;
    let orphanWatch: NodeJS.Timeout | undefined;
    const shutdown = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      clearInterval(orphanWatch);
      console.log(`sandbox: ${signal}, shutting down`);
      const timer = setTimeout(() => resolve(0), 2_000);
      void sandbox.close().then(() => {
        clearTimeout(timer);
        resolve(0);
      });
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    // A wrapper (pnpm, npx) that receives the signal may die without passing it on: once
    // this process is orphaned, it stops as if it had received SIGTERM itself.
    const parent = process.ppid;
    orphanWatch = setInterval(() => {
      if (process.ppid !== parent) shutdown('SIGTERM');
    }, 500);
    orphanWatch.unref();
  });
};
