import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { createHttpConciergeClient, type FetchLike } from '@concierge-ts/adapter-http';
import type { ClosableJournal, PostgresConnection, QueueStatus } from '@concierge-ts/adapter-postgres';
import {
  type ConciergeClient,
  cancelRun,
  listRuns,
  type PayoutContext,
  type PayoutError,
  type PayoutTuning,
  type RunStatus,
  runReport,
  runStatus,
} from '@concierge-ts/application';
import type { ParsedPortCode } from '@concierge-ts/domain';
import { type Command, Option } from 'commander';
import { ResultAsync } from 'neverthrow';
import type { KnownPort } from './payout-file.js';
import { meteredClient, RequestMeter } from './progress.js';
import {
  EXIT,
  type ExitStatus,
  explain,
  type NewRun,
  planOf,
  type RunConsole,
  readRunFile,
  resumeRun,
  startRun,
} from './run-payouts.js';
import {
  DEFAULT_DB,
  generateRunId,
  maxTotalIn,
  optionOf,
  readSettings,
  required,
  SETTINGS,
  type SettingName,
  type SettingValues,
  type UsageProblem,
} from './settings.js';
import { listLines, reportCsv, statusJson, statusLines } from './views.js';
import {
  queueJson,
  queueLine,
  submitJson,
  submitLine,
  workerEventJson,
  workerEventLine,
} from './worker-views.js';

/**
 * `concierge payouts` (SPEC section 10.4): run, resume, status, report, list, cancel;
 * submit and worker share runs between workers through a PostgreSQL journal. The subcommands share one code path with
 * the demo (run-payouts.ts); this file turns flags and variables into settings, wires the
 * HTTP client and the journal, and maps outcomes to exit statuses.
 */

/** What the command needs from its process: streams, environment, signals. Tests pass their own. */
export interface CliIo {
  /** A line to standard output. */
  readonly out: (line: string) => void;
  /** A line to standard error. */
  readonly err: (line: string) => void;
  /** Text to standard output as it is (the report). */
  readonly write: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Standard output is a terminal: draw progress bars. */
  readonly stdoutIsTTY: boolean;
  /** Where bars are drawn (default standard output). */
  readonly progressStream?: NodeJS.WritableStream;
  /** Asks a yes/no question; absent when nobody can answer. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Calls `handler` on SIGINT and SIGTERM until the returned function is called. */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** Ends the process at once (a second interrupt). */
  readonly exit?: (status: number) => void;
  /** For tests: how the HTTP client reaches the service. */
  readonly fetch?: FetchLike;
  /** For tests: where journals come from (default: PGlite in a directory, or PostgreSQL). */
  readonly openJournal?: (location: string) => ResultAsync<ClosableJournal, PayoutError>;
  /** For tests: the knobs of the run (poll intervals). */
  readonly tuning?: PayoutTuning;
}

/** Where the command's exit status is left for the caller. */
export interface ExitHolder {
  status: ExitStatus;
}

const SERVICE: readonly SettingName[] = ['api', 'key', 'db', 'rateLimit', 'timeout'];

/** What planning a run takes, for `run` and `submit` alike. */
const PLAN_OPTIONS: readonly SettingName[] = [
  'origin',
  'payer',
  'api',
  'key',
  'db',
  'runId',
  'rateLimit',
  'chunkSize',
  'maxTotal',
  'tolerance',
  'timeout',
];

const withOptions = (command: Command, names: readonly SettingName[]): Command => {
  for (const name of names) command.addOption(optionOf(name));
  return command;
};

const pollOption = () =>
  new Option(
    '--poll-interval <seconds>',
    'how often accepted requests are looked at while rows are followed (env CONCIERGE_POLL_INTERVAL, default 60)',
  );

const readPollInterval = (
  flags: Readonly<Record<string, unknown>>,
  env: CliIo['env'],
): { ms?: number; problem?: UsageProblem } => {
  const raw = (flags['pollInterval'] as string | undefined) ?? env['CONCIERGE_POLL_INTERVAL'];
  if (raw === undefined || raw === '') return {};
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(seconds > 0) || seconds > 86_400)
    return {
      problem: {
        setting: 'arguments',
        message: `--poll-interval (CONCIERGE_POLL_INTERVAL) ${JSON.stringify(raw)}: expected seconds above 0, at most 86400`,
      },
    };
  return { ms: Math.round(seconds * 1000) };
};

const usage = (io: CliIo, command: string, problems: readonly UsageProblem[]): ExitStatus => {
  for (const problem of problems) io.err(`error: ${problem.message}`);
  io.err(`See: concierge payouts ${command} --help`);
  return EXIT.usage;
};

const shellWord = (text: string): string =>
  /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;

/** The command that goes on with a run: the settings that are not the defaults (never the key itself). */
const resumeHint = (
  runId: string,
  settings: { api?: string; db?: string },
  io: CliIo,
  keyFromFlag: boolean,
) => {
  const parts = ['concierge payouts resume', shellWord(runId)];
  if (
    settings.db !== undefined &&
    settings.db !== SETTINGS.db.default &&
    io.env['CONCIERGE_DB'] !== settings.db
  )
    parts.push('--db', shellWord(settings.db));
  if (
    settings.api !== undefined &&
    settings.api !== SETTINGS.api.default &&
    io.env['CONCIERGE_API_URL'] !== settings.api
  )
    parts.push('--api', shellWord(settings.api));
  if (keyFromFlag) parts.push('--key', '<your API key>');
  return parts.join(' ');
};

const journalAt = (io: CliIo, db: string): ResultAsync<ClosableJournal, PayoutError> => {
  const location =
    db.startsWith('postgres://') || db.startsWith('postgresql://') || isAbsolute(db)
      ? db
      : resolve(io.cwd, db);
  if (io.openJournal) return io.openJournal(location);
  // Loaded when used: embedded PostgreSQL takes a while to load, and the first request need not wait for it.
  return ResultAsync.fromSafePromise(import('@concierge-ts/adapter-postgres')).andThen(({ openJournal }) =>
    openJournal(location),
  );
};

/** Opens the journal, runs `work` with it, closes it. A journal that cannot be opened is exit 1. */
const withJournal = async (
  io: CliIo,
  db: string,
  work: (journal: ClosableJournal) => Promise<ExitStatus>,
): Promise<ExitStatus> => {
  const opened = await journalAt(io, db);
  if (opened.isErr()) {
    io.err(`cannot open the journal at ${db}: ${opened.error.message}`);
    return EXIT.attention;
  }
  try {
    return await work(opened.value);
  } finally {
    await opened.value.close();
  }
};

const isPostgresLocation = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db.trim());

type PostgresModule = typeof import('@concierge-ts/adapter-postgres');

/**
 * Connects to the PostgreSQL server of `--db`, runs `work`, disconnects. A server that
 * cannot be reached is exit 1 (after `waitMs` of trying, for a worker).
 */
const withServer = async (
  io: CliIo,
  db: string,
  work: (connection: PostgresConnection, postgres: PostgresModule) => Promise<ExitStatus>,
  waiting?: { readonly waitMs: number; readonly signal: AbortSignal },
): Promise<ExitStatus> => {
  const postgres = await import('@concierge-ts/adapter-postgres');
  const connected = await postgres.connectPostgres(db, {
    onIdleError: () => undefined,
    ...(waiting === undefined
      ? {}
      : {
          waitForServerMs: waiting.waitMs,
          signal: waiting.signal,
          onWaiting: (problem: string) => io.err(`waiting for the database: ${problem}`),
        }),
  });
  if (connected.isErr()) {
    io.err(`cannot reach the journal at ${postgres.maskUrl(db)}: ${connected.error.message}`);
    return EXIT.attention;
  }
  try {
    return await work(connected.value, postgres);
  } finally {
    await connected.value.close();
  }
};

/** How long a starting worker waits for a database server that does not answer yet (starting, restarting). */
const WORKER_START_WAIT_MS = 60_000;

/** The worker's API keys: every `--key`, else CONCIERGE_API_KEY split at commas; each checked as `--key` is. */
const workerKeys = (
  flags: Flags,
  env: CliIo['env'],
): { readonly keys: readonly string[]; readonly problems: readonly UsageProblem[] } => {
  const given = flags['key'] as readonly string[] | undefined;
  const raw = given ?? (env['CONCIERGE_API_KEY'] ?? '').split(',').filter((k) => k.trim() !== '');
  if (raw.length === 0) return { keys: [], problems: [required('key')] };
  const keys: string[] = [];
  const problems: UsageProblem[] = [];
  for (const key of raw) {
    const checked =
      given === undefined
        ? readSettings(['key'], {}, { CONCIERGE_API_KEY: key })
        : readSettings(['key'], { key }, {});
    if (checked.isErr()) problems.push(...checked.error);
    else if (checked.value.key !== undefined) keys.push(checked.value.key);
  }
  return { keys, problems };
};

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((done) => {
    if (signal?.aborted) return done();
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    };
    const timer = setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
  });

interface ServiceSettings {
  readonly api: string;
  readonly key: string;
  readonly rateLimit: number;
  readonly timeout: number;
}

const clientFor = (io: CliIo, settings: ServiceSettings, meter: RequestMeter): ConciergeClient =>
  meteredClient(
    createHttpConciergeClient({
      baseUrl: settings.api,
      apiKey: settings.key,
      rateLimit: settings.rateLimit === 0 ? false : { requestsPerSecond: settings.rateLimit, burst: 1 },
      timeoutMs: Math.round(settings.timeout * 1000),
      ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
    }),
    meter,
  );

/** SIGINT/SIGTERM: the first stops the run after its current call; a second ends the process. */
const interruptible = (io: CliIo, hint: () => string) => {
  const controller = new AbortController();
  const off =
    io.onInterrupt?.(() => {
      if (controller.signal.aborted) {
        io.err(`Stopped at once. Nothing is lost: go on with: ${hint()}`);
        io.exit?.(EXIT.attention);
        return;
      }
      io.err('Stopping after the current call (interrupt again to quit at once)...');
      controller.abort();
    }) ?? (() => {});
  return { signal: controller.signal, off };
};

const consoleOf = (io: CliIo, json: boolean): RunConsole => ({
  out: io.out,
  err: io.err,
  progress: json ? 'json' : io.stdoutIsTTY ? 'bar' : 'lines',
  ...(io.progressStream === undefined ? {} : { progressStream: io.progressStream }),
  ...(io.confirm === undefined ? {} : { confirm: io.confirm }),
});

const contextOf = (
  io: CliIo,
  client: ConciergeClient,
  journal: ClosableJournal,
  pollMs: number | undefined,
): PayoutContext => ({
  client,
  journal,
  now: () => new Date(),
  sleep,
  tuning: { ...io.tuning, ...(pollMs === undefined ? {} : { pollIntervalMs: pollMs }) },
});

/** The ports the service has, to check the file's rows against; undefined when they cannot be read. */
const portsOf = async (client: ConciergeClient, io: CliIo): Promise<readonly KnownPort[] | undefined> => {
  const ports = await client.ports.list();
  if (ports.isOk()) return ports.value;
  io.err(
    `warning: the service's ports could not be read (${ports.error.code}); port codes are checked by their form only`,
  );
  return undefined;
};

/** The run `run` and `submit` plan from a file: the same settings, the same checks against the service's ports. */
const newRunOf = (
  runId: string,
  file: NewRun['file'],
  settings: {
    readonly origin: ParsedPortCode;
    readonly payer: string;
    readonly chunkSize: number;
    readonly tolerance: string;
  },
  maxTotal: string | undefined,
  known: readonly KnownPort[] | undefined,
): NewRun => ({
  runId,
  file,
  origin: settings.origin,
  payerId: settings.payer,
  chunkSize: settings.chunkSize,
  ...(maxTotal === undefined ? {} : { maxTotal }),
  tolerance: settings.tolerance,
  ...(known === undefined ? {} : { ports: known }),
});

type Flags = Record<string, unknown>;

export const addPayoutsCommand = (program: Command, io: CliIo, exit: ExitHolder): Command => {
  const payouts = program
    .command('payouts')
    .description('pay the rows of a CSV file exactly once each, and follow them (SPEC section 10)');

  const act =
    <A extends unknown[]>(work: (...args: A) => Promise<ExitStatus>) =>
    async (...args: A) => {
      exit.status = await work(...args);
    };

  withOptions(
    payouts
      .command('run')
      .argument('<file>', 'the CSV file: reference, port_code, amount or budget, and the payee')
      .description('plan a run from a file and work it here until every row is final'),
    [...PLAN_OPTIONS, 'detach', 'yes', 'json'],
  )
    .addOption(pollOption())
    .action(
      act(async (file: string, flags: Flags) => {
        const read = readSettings(
          [
            'origin',
            'payer',
            ...SERVICE,
            'runId',
            'chunkSize',
            'maxTotal',
            'tolerance',
            'detach',
            'yes',
            'json',
          ],
          flags,
          io.env,
        );
        if (read.isErr()) return usage(io, 'run', read.error);
        const s = read.value;
        const problems: UsageProblem[] = [];
        for (const name of ['origin', 'payer', 'key'] as const)
          if (s[name] === undefined) problems.push(required(name));
        let maxTotal: string | undefined;
        if (s.maxTotal !== undefined && s.origin !== undefined) {
          const checked = maxTotalIn(s.maxTotal, s.origin);
          if (checked.isErr()) problems.push(checked.error);
          else maxTotal = checked.value;
        }
        const poll = readPollInterval(flags, io.env);
        if (poll.problem) problems.push(poll.problem);
        if (problems.length > 0) return usage(io, 'run', problems);
        const origin = s.origin as ParsedPortCode;
        const settings = { ...(s as Required<typeof s>), origin };
        const runId = s.runId ?? generateRunId(new Date());
        // The run id first, so that a script has it whatever happens next.
        io.out(s.json ? JSON.stringify({ run_id: runId }) : `run ${runId}`);
        const hint = resumeHint(runId, settings, io, flags['key'] !== undefined);
        let bytes: Uint8Array;
        try {
          bytes = await readFile(resolve(io.cwd, file));
        } catch (error) {
          return usage(io, 'run', [
            {
              setting: 'arguments',
              message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
            },
          ]);
        }
        const meter = new RequestMeter();
        const client = clientFor(io, settings, meter);
        // Listened for from here: an interrupt while the journal opens still ends cleanly.
        const { signal, off } = interruptible(io, () => hint);
        try {
          // The first request goes out at once: the service's ports, to check the file against.
          const known = await portsOf(client, io);
          const run = newRunOf(runId, { name: file, bytes }, settings, maxTotal, known);
          const runConsole = consoleOf(io, settings.json);
          // A refused file touches nothing, not even the journal.
          const rows = readRunFile(runConsole, run);
          if (rows === undefined) return EXIT.attention;
          return await withJournal(io, settings.db, async (journal) => {
            if (signal.aborted) {
              io.err(`Interrupted before run ${runId} was written: nothing was sent.`);
              return EXIT.attention;
            }
            const outcome = await startRun(contextOf(io, client, journal, poll.ms), runConsole, run, rows, {
              detach: settings.detach,
              yes: settings.yes,
              signal,
              resumeHint: hint,
              meter,
            });
            return outcome.exit;
          });
        } finally {
          off();
        }
      }),
    );

  withOptions(
    payouts
      .command('resume')
      .argument('<run-id>', 'the run to go on with')
      .description('go on with a run: it remembers its file, origin, payer and chunk size'),
    ['api', 'key', 'db', 'rateLimit', 'timeout', 'detach', 'yes', 'json'],
  )
    .addOption(pollOption())
    .action(
      act(async (runId: string, flags: Flags) => {
        const read = readSettings([...SERVICE, 'detach', 'yes', 'json'], flags, io.env);
        if (read.isErr()) return usage(io, 'resume', read.error);
        const s = read.value;
        const poll = readPollInterval(flags, io.env);
        const problems = [
          ...(s.key === undefined ? [required('key')] : []),
          ...(poll.problem ? [poll.problem] : []),
        ];
        if (problems.length > 0) return usage(io, 'resume', problems);
        const settings = s as Required<typeof s>;
        const hint = resumeHint(runId, settings, io, flags['key'] !== undefined);
        const meter = new RequestMeter();
        const client = clientFor(io, settings, meter);
        const { signal, off } = interruptible(io, () => hint);
        try {
          return await withJournal(io, settings.db, async (journal) => {
            const outcome = await resumeRun(
              contextOf(io, client, journal, poll.ms),
              consoleOf(io, settings.json),
              runId,
              { detach: settings.detach, yes: settings.yes, signal, resumeHint: hint, meter },
            );
            return outcome.exit;
          });
        } finally {
          off();
        }
      }),
    );

  withOptions(
    payouts
      .command('status')
      .argument('<run-id>', 'the run')
      .description('where a run stands (from the journal)'),
    ['db', 'json'],
  ).action(
    act(async (runId: string, flags: Flags) => {
      const read = readSettings(['db', 'json'], flags, io.env);
      if (read.isErr()) return usage(io, 'status', read.error);
      const { db, json } = read.value as { db: string; json: boolean };
      const show = (status: RunStatus, queue?: QueueStatus): ExitStatus => {
        if (json)
          io.out(
            JSON.stringify({
              ...statusJson(status),
              ...(queue === undefined ? {} : { queue: queueJson(queue) }),
            }),
          );
        else
          for (const line of [...statusLines(status), ...(queue === undefined ? [] : [queueLine(queue)])])
            io.out(line);
        return EXIT.ok;
      };
      // On a server, where the run stands in the queue of the workers too.
      if (isPostgresLocation(db) && io.openJournal === undefined)
        return withServer(io, db, async (connection, postgres) => {
          const status = await runStatus(connection.journal, runId);
          if (status.isErr()) {
            io.err(status.error.message);
            return EXIT.attention;
          }
          const queue = await postgres.queueStatus(connection, runId);
          if (queue.isErr()) {
            io.err(queue.error.message);
            return EXIT.attention;
          }
          return show(status.value, queue.value);
        });
      return withJournal(io, db, async (journal) => {
        const status = await runStatus(journal, runId);
        if (status.isErr()) {
          io.err(status.error.message);
          return EXIT.attention;
        }
        return show(status.value);
      });
    }),
  );

  withOptions(
    payouts
      .command('report')
      .argument('<run-id>', 'the run')
      .description('one CSV line per row: prices, request and output, state, reason, attempts'),
    ['db', 'out'],
  ).action(
    act(async (runId: string, flags: Flags) => {
      const read = readSettings(['db', 'out'], flags, io.env);
      if (read.isErr()) return usage(io, 'report', read.error);
      const { db, out } = read.value as { db: string; out?: string };
      return withJournal(io, db, async (journal) => {
        const report = await runReport(journal, runId);
        if (report.isErr()) {
          io.err(report.error.message);
          return EXIT.attention;
        }
        const csv = reportCsv(report.value);
        if (out === undefined) {
          io.write(csv);
          return EXIT.ok;
        }
        try {
          await writeFile(resolve(io.cwd, out), csv);
        } catch (error) {
          io.err(`cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
          return EXIT.attention;
        }
        io.err(`report of run ${runId}: ${report.value.length} rows written to ${out}`);
        return EXIT.ok;
      });
    }),
  );

  withOptions(payouts.command('list').description('the runs in the journal'), ['db', 'json']).action(
    act(async (flags: Flags) => {
      const read = readSettings(['db', 'json'], flags, io.env);
      if (read.isErr()) return usage(io, 'list', read.error);
      const { db, json } = read.value as { db: string; json: boolean };
      return withJournal(io, db, async (journal) => {
        const runs = await listRuns(journal);
        if (runs.isErr()) {
          io.err(runs.error.message);
          return EXIT.attention;
        }
        if (json)
          io.out(
            JSON.stringify(
              runs.value.map((r) => ({
                run_id: r.runId,
                state: r.state,
                origin: r.originPort,
                rows: r.rows,
                created_at: r.createdAt,
                updated_at: r.updatedAt,
              })),
            ),
          );
        else for (const line of listLines(runs.value)) io.out(line);
        return EXIT.ok;
      });
    }),
  );

  withOptions(
    payouts
      .command('cancel')
      .argument('<run-id>', 'the run')
      .description('cancel what is not yet accepted; accepted requests are committed and still paid'),
    ['api', 'key', 'db', 'rateLimit', 'timeout', 'json'],
  ).action(
    act(async (runId: string, flags: Flags) => {
      const read = readSettings([...SERVICE, 'json'], flags, io.env);
      if (read.isErr()) return usage(io, 'cancel', read.error);
      const s = read.value;
      if (s.key === undefined) return usage(io, 'cancel', [required('key')]);
      const settings = s as Required<typeof s>;
      const meter = new RequestMeter();
      const client = clientFor(io, settings, meter);
      return withJournal(io, settings.db, async (journal) => {
        const cancelled = await cancelRun(contextOf(io, client, journal, undefined), runId);
        if (cancelled.isErr()) {
          io.err(cancelled.error.message);
          return EXIT.attention;
        }
        if (settings.json) io.out(JSON.stringify(statusJson(cancelled.value)));
        else for (const line of statusLines(cancelled.value)) io.out(line);
        return EXIT.ok;
      });
    }),
  );

  /** The `--db` of a command that shares runs between workers: a postgres:// URL, or a usage problem. */
  const serverDb = (what: string, db: string): UsageProblem | undefined =>
    isPostgresLocation(db)
      ? undefined
      : {
          setting: 'db',
          message: `payouts ${what} needs a PostgreSQL --db (a postgres:// URL): ${db} is an embedded journal for one process; use \`concierge payouts run\` instead`,
        };

  withOptions(
    payouts
      .command('submit')
      .argument('<file>', 'the CSV file, as for run')
      .description(
        'check a file, plan its run and queue it for workers (needs a PostgreSQL --db); sends no payment',
      ),
    [...PLAN_OPTIONS, 'json'],
  ).action(
    act(async (file: string, flags: Flags) => {
      const read = readSettings(
        ['origin', 'payer', ...SERVICE, 'runId', 'chunkSize', 'maxTotal', 'tolerance', 'json'],
        flags,
        io.env,
      );
      if (read.isErr()) return usage(io, 'submit', read.error);
      const s = read.value;
      const problems: UsageProblem[] = [];
      for (const name of ['origin', 'payer', 'key'] as const)
        if (s[name] === undefined) problems.push(required(name));
      const onServer = serverDb('submit', s.db ?? DEFAULT_DB);
      if (onServer) problems.push(onServer);
      let maxTotal: string | undefined;
      if (s.maxTotal !== undefined && s.origin !== undefined) {
        const checked = maxTotalIn(s.maxTotal, s.origin);
        if (checked.isErr()) problems.push(checked.error);
        else maxTotal = checked.value;
      }
      if (problems.length > 0) return usage(io, 'submit', problems);
      const origin = s.origin as ParsedPortCode;
      const settings = { ...(s as Required<typeof s>), origin };
      const runId = s.runId ?? generateRunId(new Date());
      io.out(s.json ? JSON.stringify({ run_id: runId }) : `run ${runId}`);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(resolve(io.cwd, file));
      } catch (error) {
        return usage(io, 'submit', [
          {
            setting: 'arguments',
            message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
          },
        ]);
      }
      // The file is checked exactly as `run` checks it, against the service's ports.
      const client = clientFor(io, settings, new RequestMeter());
      const known = await portsOf(client, io);
      const run = newRunOf(runId, { name: file, bytes }, settings, maxTotal, known);
      const rows = readRunFile(consoleOf(io, settings.json), run);
      if (rows === undefined) return EXIT.attention;
      return withServer(io, settings.db, async (connection, postgres) => {
        const submitted = await postgres.submitRun(connection, planOf(run, rows), settings.key);
        if (submitted.isErr()) {
          io.err(explain(submitted.error));
          return EXIT.attention;
        }
        io.out(settings.json ? JSON.stringify(submitJson(submitted.value)) : submitLine(submitted.value));
        return EXIT.ok;
      });
    }),
  );

  withOptions(
    payouts
      .command('worker')
      .description(
        "work queued runs of the given API keys until SIGINT or SIGTERM (needs a PostgreSQL --db); several workers share the runs and each key's rate limit",
      ),
    ['api', 'db', 'rateLimit', 'timeout', 'claimTimeout', 'json'],
  )
    .addOption(
      new Option(
        '--key <key>',
        'an API key whose runs this worker takes; give it once per key (env CONCIERGE_API_KEY: several separated by commas)',
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(pollOption())
    .action(
      act(async (flags: Flags) => {
        const read = readSettings(
          ['api', 'db', 'rateLimit', 'timeout', 'claimTimeout', 'json'],
          flags,
          io.env,
        );
        // Every problem at once: the settings, the database, the keys, the poll interval.
        const problems: UsageProblem[] = read.isErr() ? [...read.error] : [];
        const s = (read.isOk() ? read.value : {}) as Pick<
          SettingValues,
          'api' | 'db' | 'rateLimit' | 'timeout' | 'claimTimeout' | 'json'
        >;
        const onServer = read.isOk() ? serverDb('worker', s.db) : undefined;
        if (onServer) problems.push(onServer);
        const keys = workerKeys(flags, io.env);
        problems.push(...keys.problems);
        const poll = readPollInterval(flags, io.env);
        if (poll.problem) problems.push(poll.problem);
        if (problems.length > 0) return usage(io, 'worker', problems);
        const controller = new AbortController();
        const off =
          io.onInterrupt?.(() => {
            if (controller.signal.aborted) {
              io.err('Stopped at once: its run is taken over by another worker once its claim expires.');
              io.exit?.(EXIT.attention);
              return;
            }
            io.err(
              'Stopping after the current step, letting its run go (interrupt again to quit at once)...',
            );
            controller.abort();
          }) ?? (() => {});
        try {
          return await withServer(
            io,
            s.db,
            async (connection, postgres) => {
              const worked = await postgres.runWorker({
                connection,
                apiKeys: keys.keys,
                clientFor: (apiKey, fetch) =>
                  createHttpConciergeClient({
                    baseUrl: s.api,
                    apiKey,
                    fetch,
                    // The worker keeps to the key's limit with the other workers, through the database.
                    rateLimit: false,
                    timeoutMs: Math.round(s.timeout * 1000),
                  }),
                rateLimit: s.rateLimit,
                signal: controller.signal,
                startTimeoutMs: WORKER_START_WAIT_MS,
                queue: { claimSeconds: s.claimTimeout },
                ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
                tuning: { ...io.tuning, ...(poll.ms === undefined ? {} : { pollIntervalMs: poll.ms }) },
                onEvent: (event) =>
                  io.out(s.json ? JSON.stringify(workerEventJson(event)) : workerEventLine(event)),
              });
              if (worked.isErr()) {
                io.err(explain(worked.error));
                return EXIT.attention;
              }
              return EXIT.ok;
            },
            { waitMs: WORKER_START_WAIT_MS, signal: controller.signal },
          );
        } finally {
          off();
        }
      }),
    );

  return payouts;
};
