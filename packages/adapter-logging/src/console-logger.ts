import type { Logger, LogLevel } from '@concierge-ts/application';
import { createRedactor, type RedactionOptions } from './redact.js';
import { type LogSink, levelPasses, redactingLogger, type WritableLevel } from './sink.js';

export interface ConsoleLoggerOptions extends RedactionOptions {
  /** Default `info`. */
  readonly level?: LogLevel;
  /** Where each line goes. Default: `console.error` for error and fatal, `console.warn` for warn, else `console.log`. */
  readonly write?: (line: string, level: WritableLevel) => void;
  /** `text` (default): `time LEVEL message {fields}`; `json`: one JSON object a line. */
  readonly format?: 'text' | 'json';
  /** Epoch milliseconds for the time stamp. Default `Date.now`. */
  readonly now?: () => number;
}

const consoleWrite = (line: string, level: WritableLevel): void => {
  if (level === 'error' || level === 'fatal') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};

/** A `Logger` printing one line per entry, for a terminal or a captured buffer. */
export const createConsoleLogger = (options: ConsoleLoggerOptions = {}): Logger => {
  const threshold = options.level ?? 'info';
  const write = options.write ?? consoleWrite;
  const now = options.now ?? Date.now;
  const format = options.format ?? 'text';
  const sink = (bindings: Record<string, unknown>): LogSink => ({
    level: threshold,
    isLevelEnabled: (level) => levelPasses(level, threshold),
    write: (level, fields, message) => {
      const time = new Date(now()).toISOString();
      const merged = { ...bindings, ...fields };
      const line =
        format === 'json'
          ? JSON.stringify({ level, time, ...(message === undefined ? {} : { msg: message }), ...merged })
          : [
              time,
              level.toUpperCase().padEnd(5),
              ...(message === undefined ? [] : [message]),
              ...(Object.keys(merged).length === 0 ? [] : [JSON.stringify(merged)]),
            ].join(' ');
      write(line, level);
    },
    child: (more) => sink({ ...bindings, ...more }),
  });
  return redactingLogger(sink({}), createRedactor(options));
};
