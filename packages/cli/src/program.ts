import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { addPayoutsCommand, type CliIo, type ExitHolder } from './payouts/payouts-command.js';
import { EXIT } from './payouts/run-payouts.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const milliseconds = (text: string): number => {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError(`expected a number of milliseconds ≥ 0, got ${JSON.stringify(text)}`);
  return value;
};

/**
 * The `concierge` command: its arguments in, its exit status out (0 done, 1 needs the
 * user, 2 usage error, as SPEC section 10.4 sets them). main.ts runs it on the real
 * process; tests run it with their own `io`.
 */
export const runConcierge = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const exit: ExitHolder = { status: EXIT.ok };
  const program = new Command()
    .name('concierge')
    .description('Pay many people across countries through the Concierge API, or its local sandbox.')
    .version(version, '-v, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.write(text),
      writeErr: (text) => io.err(text.replace(/\n$/, '')),
    });

  program
    .command('demo')
    .description('run a payroll end to end on the embedded in-memory sandbox (no server, no account)')
    .option('--pause <ms>', 'pause between operator rounds', milliseconds, 120)
    .action(async (opts: { pause: number }) => {
      // Loaded when used: a payout command need not wait for the in-process sandbox to load.
      const { runDemo } = await import('./demo.js');
      const summary = await runDemo({ pauseMs: opts.pause });
      exit.status = summary.exit;
    });

  program
    .command('sandbox')
    .description(
      'run the local sandbox server on 127.0.0.1 (PORT, CONCIERGE_SANDBOX_API_KEY, CONCIERGE_SANDBOX_RATE_LIMIT, CONCIERGE_LOG_LEVEL)',
    )
    .action(async () => {
      const { serveSandbox } = await import('@concierge-ts/sandbox-server');
      exit.status = (await serveSandbox()) === 0 ? EXIT.ok : EXIT.attention;
    });

  addPayoutsCommand(program, io, exit);

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // --help and --version end with 0; every other refusal of the arguments is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    io.err(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return EXIT.attention;
  }
  return exit.status;
};
