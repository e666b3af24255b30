import type { LogFields, Logger, LogLevel } from '@concierge-ts/application';
import { pino } from 'pino';
import { createRedactor, REDACTED, type RedactionOptions } from './redact.js';
import { type LogSink, redactingLogger } from './sink.js';

/**
 * Paths pino censors itself. Our `Redactor` has already removed these by the time pino
 * sees a line; pino's `redact` stays as a second lock on the fields most likely to hold
 * a credential. Fixed paths only: pino's wildcards cost about half its serialisation
 * time, for nothing the deep walk has not done already.
 */
export const PINO_REDACT_PATHS: readonly string[] = [
  'apiKey',
  'api_key',
  'authorization',
  'password',
  'secret',
  'token',
  'hintToken',
  '["webhook-auth"]',
  'headers.authorization',
  'headers["webhook-auth"]',
  'input.apiKey',
  'result.apiKey',
];

export interface PinoLoggerOptions extends RedactionOptions {
  /** Default `info`. */
  readonly level?: LogLevel;
  /**
   * Where lines go: a stream-like object with `write(line)`, a file path, or a file
   * descriptor. Default: standard output, through pino's own destination.
   */
  readonly destination?: pino.DestinationStream | string | number;
  /** A `name` field on every line. */
  readonly name?: string;
  /** Fields on every line; default pino's `pid` and `hostname`, `null` for none. */
  readonly base?: LogFields | null;
}

const sinkOver = (instance: pino.Logger): LogSink => ({
  get level() {
    return instance.level as LogLevel;
  },
  isLevelEnabled: (level) => instance.isLevelEnabled(level),
  write: (level, fields, message) => {
    if (message === undefined) instance[level](fields);
    else instance[level](fields, message);
  },
  child: (bindings) => sinkOver(instance.child(bindings)),
});

/** A `Logger` writing JSON lines with pino, after our redaction. */
export const createPinoLogger = (options: PinoLoggerOptions = {}): Logger => {
  const redactor = createRedactor(options);
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: [...PINO_REDACT_PATHS], censor: REDACTED },
    ...(options.name === undefined ? {} : { name: redactor.text(options.name) }),
    // pino writes `name` through `base`: keep it when the base is replaced.
    ...(options.base === undefined
      ? {}
      : {
          base: {
            ...(options.base === null ? {} : redactor.fields(options.base)),
            ...(options.name === undefined ? {} : { name: redactor.text(options.name) }),
          },
        }),
  };
  const destination =
    typeof options.destination === 'string' || typeof options.destination === 'number'
      ? pino.destination(options.destination)
      : options.destination;
  const instance = destination === undefined ? pino(pinoOptions) : pino(pinoOptions, destination);
  return redactingLogger(sinkOver(instance), redactor);
};
