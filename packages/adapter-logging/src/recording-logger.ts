import type { Logger, LogLevel } from '@concierge-ts/application';
import { createRedactor, type RedactionOptions } from './redact.js';
import { type LogSink, levelPasses, redactingLogger, type WritableLevel } from './sink.js';

export interface LogEntry {
  readonly level: WritableLevel;
  /** The logger's bindings and the line's fields, after redaction. */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string | undefined;
}

export interface RecordingLogger extends Logger {
  /** Every line written so far, by this logger and its children, oldest first. */
  readonly entries: readonly LogEntry[];
  clear(): void;
}

export interface RecordingLoggerOptions extends RedactionOptions {
  /** Default `trace`: everything. */
  readonly level?: LogLevel;
}

/** A `Logger` that keeps its (redacted) entries in memory: for tests that assert on log fields. */
export const createRecordingLogger = (options: RecordingLoggerOptions = {}): RecordingLogger => {
  const threshold = options.level ?? 'trace';
  const entries: LogEntry[] = [];
  const sink = (bindings: Record<string, unknown>): LogSink => ({
    level: threshold,
    isLevelEnabled: (level) => levelPasses(level, threshold),
    write: (level, fields, message) => {
      entries.push({ level, fields: { ...bindings, ...fields }, message });
    },
    child: (more) => sink({ ...bindings, ...more }),
  });
  const logger = redactingLogger(sink({}), createRedactor(options));
  return {
    ...logger,
    entries,
    clear: () => {
      entries.length = 0;
    },
  };
};
