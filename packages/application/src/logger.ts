/** Log levels, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logging port: structured fields plus a message. Implementations (pino, console,
 * silent) live in the logging adapter, which also redacts secrets before anything is
 * written.
 */
export interface Logger {
  readonly level: LogLevel;
  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean;
  trace(fields: LogFields, message?: string): void;
  debug(fields: LogFields, message?: string): void;
  info(fields: LogFields, message?: string): void;
  warn(fields: LogFields, message?: string): void;
  error(fields: LogFields, message?: string): void;
  fatal(fields: LogFields, message?: string): void;
  /** A logger that adds these fields to every line. */
  child(bindings: LogFields): Logger;
}

/** Parses a level name (e.g. from CONCIERGE_LOG_LEVEL); undefined when it is not one. */
export const parseLogLevel = (value: string | undefined): LogLevel | undefined => {
  const name = value?.trim().toLowerCase();
  return LOG_LEVELS.find((level) => level === name);
};
