import { LOG_LEVELS, type LogFields, type Logger, type LogLevel } from '@concierge-ts/application';
import { createRedactor, type RedactionOptions, type Redactor } from './redact.js';

export type WritableLevel = Exclude<LogLevel, 'silent'>;

const RANK: Readonly<Record<LogLevel, number>> = Object.fromEntries(
  LOG_LEVELS.map((level, index) => [level, index]),
) as Record<LogLevel, number>;

/** Whether a line at `level` passes a logger set to `threshold`. */
export const levelPasses = (level: WritableLevel, threshold: LogLevel): boolean =>
  threshold !== 'silent' && RANK[level] >= RANK[threshold];

/**
 * Where redacted lines go: a pino instance, the console, a buffer. A sink never sees a
 * field or message that has not been through the `Redactor`.
 */
export interface LogSink {
  readonly level: LogLevel;
  isLevelEnabled(level: WritableLevel): boolean;
  write(level: WritableLevel, fields: Record<string, unknown>, message: string | undefined): void;
  child(bindings: Record<string, unknown>): LogSink;
}

type Emit = (level: WritableLevel) => (fields: LogFields, message?: string) => void;

/** The six level methods of the `Logger` port, from one function per level. */
export const levelMethods = (emit: Emit): Pick<Logger, WritableLevel> => ({
  trace: emit('trace'),
  debug: emit('debug'),
  info: emit('info'),
  warn: emit('warn'),
  error: emit('error'),
  fatal: emit('fatal'),
});

/** The `Logger` port over a sink: the one path by which every logger of this package redacts. */
export const redactingLogger = (sink: LogSink, redaction: Redactor | RedactionOptions = {}): Logger => {
  const redactor = isRedactor(redaction) ? redaction : createRedactor(redaction);
  const emit =
    (level: WritableLevel) =>
    (fields: LogFields, message?: string): void => {
      if (!sink.isLevelEnabled(level)) return;
      sink.write(
        level,
        redactor.fields(fields ?? {}),
        message === undefined ? undefined : redactor.text(String(message)),
      );
    };
  return {
    get level() {
      return sink.level;
    },
    isLevelEnabled: (level) => sink.isLevelEnabled(level),
    ...levelMethods(emit),
    child: (bindings) => redactingLogger(sink.child(redactor.fields(bindings ?? {})), redactor),
  };
};

const isRedactor = (value: Redactor | RedactionOptions): value is Redactor =>
  typeof (value as Redactor).fields === 'function' && typeof (value as Redactor).text === 'function';
