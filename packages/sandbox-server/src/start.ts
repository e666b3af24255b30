import { webhookSignature } from '@concierge-ts/adapter-http';
import { createPinoLogger, type PinoLoggerOptions } from '@concierge-ts/adapter-logging';
import {
  createInMemoryConcierge,
  type InMemoryConcierge,
  OffsetClock,
  SequentialIds,
} from '@concierge-ts/adapter-memory';
import type { Logger, LogLevel } from '@concierge-ts/application';
import { err, ok, type Result } from 'neverthrow';
import { createSandboxApp, type SandboxApp, type SandboxAppOptions } from './app.js';
import { readConfig, type SandboxConfig } from './config.js';
import { type Listening, listenOnLoopback } from './listen.js';

export interface StartSandboxOptions {
  /** Where the configuration is read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where log lines go (default standard output). */
  readonly logDestination?: PinoLoggerOptions['destination'];
  /** Where the banner goes, line by line (default `console.log`). */
  readonly print?: (line: string) => void;
  /** How often due transitions are applied (default every second). */
  readonly tickEveryMs?: number;
  /** More app options (tests: a webhook `fetch`). */
  readonly app?: SandboxAppOptions;
}

export interface RunningSandbox {
  readonly url: string;
  readonly config: SandboxConfig;
  readonly concierge: InMemoryConcierge;
  readonly app: SandboxApp;
  readonly logger: Logger;
  /** Stops the app (webhooks, ticker) and the listener. */
  close(): Promise<void>;
}

export interface StartFailure {
  /** `config`: an invalid variable; `listen`: the port could not be opened. */
  readonly reason: 'config' | 'listen';
  readonly message: string;
}

/**
 * The logger of `pnpm sandbox`: JSON lines with pino, `name: "sandbox"`, no pid or
 * hostname. The master API key and its WEBHOOK-AUTH signature are masked in every line,
 * at every level.
 */
export const createSandboxLogger = (options: {
  readonly level: LogLevel;
  readonly apiKey: string;
  readonly destination?: PinoLoggerOptions['destination'];
}): Logger =>
  createPinoLogger({
    level: options.level,
    name: 'sandbox',
    base: null,
    secrets: [options.apiKey, webhookSignature(options.apiKey)],
    ...(options.destination === undefined ? {} : { destination: options.destination }),
  });

/** What `pnpm sandbox` prints once listening: the URL, the master API key (once, on purpose), the seed. */
export const bannerLines = (url: string, concierge: InMemoryConcierge, config: SandboxConfig): string[] => {
  const { rateLimit, logLevel } = config;
  const lines = [
    `Concierge sandbox listening on ${url}`,
    `  API:            ${url}/api   operator: ${url}/sandbox`,
    `  master API key: ${concierge.apiKey}`,
    `  rate limit:     ${rateLimit === 0 ? 'off' : `${rateLimit} requests/s per key`}`,
    `  clock:          ${config.clockSpeed === 1 ? 'real time' : `${config.clockSpeed}× real time`} (CONCIERGE_SANDBOX_CLOCK_SPEED)`,
    `  log level:      ${logLevel} (CONCIERGE_LOG_LEVEL)`,
  ];
  const seeded = concierge.seeded;
  if (seeded) {
    lines.push(
      `  payer:          user ${seeded.payerId} (${seeded.deposit.amount} on ${seeded.deposit.portCode})`,
    );
    for (const payee of seeded.payees)
      lines.push(
        `  payee ${payee.portCode.padEnd(7)} user ${payee.userId}, withdrawal instruction ${payee.withdrawalInstructionId}`,
      );
  }
  return lines;
};

/**
 * The wiring of `pnpm sandbox` (SPEC section 9): reads the environment, seeds an
 * in-process concierge on real time, logs every request as JSON lines with pino at
 * `CONCIERGE_LOG_LEVEL`, listens on 127.0.0.1 and prints the banner.
 */
export const startSandbox = async (
  options: StartSandboxOptions = {},
): Promise<Result<RunningSandbox, StartFailure>> => {
  const config = readConfig(options.env ?? process.env);
  if (config.isErr()) return err({ reason: 'config', message: config.error });
  const { port, apiKey, rateLimit, logLevel, clockSpeed } = config.value;

  // Real time (sped up by CONCIERGE_SANDBOX_CLOCK_SPEED), plus whatever the operator advances.
  const concierge = createInMemoryConcierge({
    clock: new OffsetClock(Date.now, clockSpeed),
    newClock: () => new OffsetClock(Date.now, clockSpeed),
    // Ids a long-lived client saw before a restart are never handed out again.
    ids: SequentialIds.neverReused(),
    ...(apiKey === undefined ? {} : { masterApiKey: apiKey }),
  });
  const logger = createSandboxLogger({
    level: logLevel,
    apiKey: concierge.apiKey,
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  });
  const app = createSandboxApp(concierge, {
    rateLimit,
    tickEveryMs: options.tickEveryMs ?? 1_000,
    logger,
    ...options.app,
  });

  let listening: Listening;
  try {
    listening = await listenOnLoopback(app, port);
  } catch (error) {
    app.close();
    return err({
      reason: 'listen',
      message: `cannot listen on 127.0.0.1:${port}: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  const print = options.print ?? ((line: string) => console.log(line));
  for (const line of bannerLines(listening.url, concierge, config.value)) print(line);
  logger.info({ url: listening.url, rateLimit, logLevel }, 'sandbox listening');
  return ok({
    url: listening.url,
    config: config.value,
    concierge,
    app,
    logger,
    close: async () => {
      app.close();
      await listening.close();
    },
  });
};
