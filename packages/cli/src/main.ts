#!/usr/bin/env node
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { serveSandbox } from '@concierge-ts/sandbox-server';
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const milliseconds = (text: string): number => {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError(`expected a number of milliseconds ≥ 0, got ${JSON.stringify(text)}`);
  return value;
};

const program = new Command()
  .name('concierge')
  .description('Pay many people across countries through the Concierge API, or its local sandbox.')
  .version(version, '-v, --version')
  .exitOverride((error) => {
    // Usage errors exit 2 (SPEC 10.4); --help and --version exit 0.
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

program
  .command('demo')
  .description('run a payroll end to end on the embedded in-memory sandbox (no server, no account)')
  .option('--pause <ms>', 'pause between operator rounds', milliseconds, 120)
  .action(async (opts: { pause: number }) => {
    const summary = await runDemo({ pauseMs: opts.pause });
    if (summary.requestState !== 'finished' || !summary.conserved) process.exitCode = 1;
  });

program
  .command('sandbox')
  .description(
    'run the local sandbox server on 127.0.0.1 (PORT, CONCIERGE_SANDBOX_API_KEY, CONCIERGE_SANDBOX_RATE_LIMIT, CONCIERGE_LOG_LEVEL)',
  )
  .action(async () => {
    process.exitCode = await serveSandbox();
  });

await program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
