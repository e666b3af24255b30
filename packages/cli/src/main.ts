#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { runDemo } from './demo';

const program = new Command()
  .name('concierge')
  .description('Pay many people across countries through the Concierge API, or its local sandbox.');

program
  .command('demo')
  .description('run a payroll end to end on the embedded in-memory sandbox (no server, no account)')
  .option('--pause <ms>', 'pause between operator rounds', '120')
  .action(async (opts: { pause: string }) => {
    const pauseMs = Number(opts.pause);
    if (!Number.isFinite(pauseMs) || pauseMs < 0) {
      console.error(`--pause must be a number of milliseconds ≥ 0, got ${JSON.stringify(opts.pause)}`);
      process.exitCode = 2;
      return;
    }
    const summary = await runDemo({ pauseMs });
    if (summary.requestState !== 'finished' || !summary.conserved) process.exitCode = 1;
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
