import type { Logger } from '@concierge-ts/application';
import { type Result, ResultAsync } from 'neverthrow';
import { isObject } from './intercept.js';
import type { WritableLevel } from './sink.js';

/** At which level each kind of line is written. */
export interface ObserveLevels {
  /** A call that succeeded (or returned a value). */
  readonly ok: WritableLevel;
  /** A call that returned an error. A call that threw is always logged at `error`. */
  readonly failed: WritableLevel;
  /** The input and the result; `null` for never. */
  readonly bodies: WritableLevel | null;
}

/** What a call is about, read from its arguments before it runs. */
export interface CallDescription {
  readonly ids: Record<string, string>;
  readonly input: unknown;
}

type Outcome =
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'err'; readonly error: unknown }
  | { readonly kind: 'thrown'; readonly thrown: unknown };

export interface CallObserver {
  readonly logger: Logger;
  readonly levels: ObserveLevels;
  readonly op: string;
  describe(): CallDescription;
  /** Extra summary fields from a successful value (`count`, `found`), adding ids it carries. */
  summarise(value: unknown, ids: Record<string, string>): Record<string, unknown>;
}

/** A logger that throws or misbehaves never breaks the call it observes. */
const safely = (run: () => void): void => {
  try {
    run();
  } catch {
    // Logging is best effort.
  }
};

const enabled = (logger: Logger, level: WritableLevel): boolean => {
  try {
    return logger.isLevelEnabled(level);
  } catch {
    return false;
  }
};

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as PromiseLike<unknown>).then === 'function';

const isResultAsync = (value: unknown): value is ResultAsync<unknown, unknown> =>
  value instanceof ResultAsync ||
  (isThenable(value) &&
    typeof (value as ResultAsync<unknown, unknown>).andThen === 'function' &&
    typeof (value as ResultAsync<unknown, unknown>).mapErr === 'function');

const isResult = (value: unknown): value is Result<unknown, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !isThenable(value) &&
  typeof (value as Result<unknown, unknown>).isOk === 'function' &&
  typeof (value as Result<unknown, unknown>).isErr === 'function' &&
  typeof (value as Result<unknown, unknown>).andThen === 'function';

const outcomeOf = (value: unknown): Outcome =>
  isResult(value)
    ? value.isOk()
      ? { kind: 'ok', value: value.value }
      : { kind: 'err', error: value.error }
    : { kind: 'ok', value };

/** `outcome` is the error's stable `code` (ConciergeError, DomainError), else `error`. */
const errorFields = (error: unknown): Record<string, unknown> => {
  if (!isObject(error)) return { outcome: 'error' };
  const e = error as {
    code?: unknown;
    status?: unknown;
    type?: unknown;
    detail?: unknown;
    message?: unknown;
  };
  return {
    outcome: typeof e.code === 'string' ? e.code : 'error',
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    ...(typeof e.type === 'string' ? { errorType: e.type } : {}),
    ...(typeof e.detail === 'string'
      ? { detail: e.detail }
      : typeof e.message === 'string'
        ? { detail: e.message }
        : {}),
  };
};

const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

/**
 * Runs `call` and logs it: one summary line (op, ids, duration, outcome) and, when the
 * bodies level is enabled, one line with the input and the result. Returns exactly
 * what `call` returned: the same value, the same `Result`, or a `ResultAsync` (or
 * promise) settling to the same `Result`; a throw or a rejection passes through.
 */
export const observeCall = <T>(observer: CallObserver, call: () => T): T => {
  const { logger, levels, op } = observer;
  if (!enabled(logger, levels.ok) && !enabled(logger, levels.failed)) return call();
  let description: CallDescription = { ids: {}, input: undefined };
  safely(() => {
    description = observer.describe();
  });
  const started = performance.now();

  const report = (outcome: Outcome): void => {
    const durationMs = roundMs(performance.now() - started);
    const ids = { ...description.ids };
    let extra: Record<string, unknown> = {};
    if (outcome.kind === 'ok')
      safely(() => {
        extra = observer.summarise(outcome.value, ids);
      });
    if (levels.bodies !== null && enabled(logger, levels.bodies)) {
      const level = levels.bodies;
      const body =
        outcome.kind === 'ok'
          ? { result: outcome.value }
          : outcome.kind === 'err'
            ? { error: outcome.error }
            : { error: outcome.thrown };
      safely(() => logger[level]({ op, ids, input: description.input, ...body }, `${op} bodies`));
    }
    const level = outcome.kind === 'ok' ? levels.ok : outcome.kind === 'err' ? levels.failed : 'error';
    const summary =
      outcome.kind === 'ok'
        ? { outcome: 'ok' }
        : outcome.kind === 'err'
          ? errorFields(outcome.error)
          : { outcome: 'thrown', error: outcome.thrown };
    safely(() => logger[level]({ op, ids, durationMs, ...summary, ...extra }, op));
  };

  const settle = (pending: PromiseLike<unknown>): Promise<unknown> =>
    Promise.resolve(pending).then(
      (value) => {
        report(outcomeOf(value));
        return value;
      },
      (thrown: unknown) => {
        report({ kind: 'thrown', thrown });
        throw thrown;
      },
    );

  let out: T;
  try {
    out = call();
  } catch (thrown) {
    report({ kind: 'thrown', thrown });
    throw thrown;
  }
  if (isResultAsync(out))
    return new ResultAsync(
      settle(out as PromiseLike<unknown>) as Promise<Result<unknown, unknown>>,
    ) as unknown as T;
  if (isThenable(out)) return settle(out) as unknown as T;
  report(outcomeOf(out));
  return out;
};
