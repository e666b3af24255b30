import type { ConciergeClient, Logger, SandboxOperator } from '@concierge-ts/application';
import { collectIds, intercept, isObject } from './intercept.js';
import { type CallDescription, type ObserveLevels, observeCall } from './observe.js';
import type { WritableLevel } from './sink.js';

export interface WithLoggingOptions {
  /** Level of a call that succeeded. Default `info`. */
  readonly okLevel?: WritableLevel;
  /** Level of a call that returned an error. Default `warn`. */
  readonly errorLevel?: WritableLevel;
  /** Level of the lines with the input and the result; `null` for never. Default `debug`. */
  readonly bodiesLevel?: WritableLevel | null;
}

export const levelsOf = (
  options: WithLoggingOptions,
  defaults: ObserveLevels = { ok: 'info', failed: 'warn', bodies: 'debug' },
): ObserveLevels => ({
  ok: options.okLevel ?? defaults.ok,
  failed: options.errorLevel ?? defaults.failed,
  bodies: options.bodiesLevel === undefined ? defaults.bodies : options.bodiesLevel,
});

/** The id a resource's positional argument and result `id` are logged under. */
export const RESOURCE_IDS: { readonly [K in keyof ConciergeClient]: string | null } = {
  ports: null,
  requests: 'requestId',
  outputs: 'outputId',
  estimates: null,
  users: 'userId',
  withdrawalInstructions: 'withdrawalInstructionId',
};

const idKeyOf = (resource: string): string | undefined =>
  Object.hasOwn(RESOURCE_IDS, resource)
    ? (RESOURCE_IDS[resource as keyof ConciergeClient] ?? undefined)
    : 'id';

/** Ids from arguments: a string argument is the resource's id; objects give their `...Id` fields. */
const describeArgs = (idKey: string | undefined, args: readonly unknown[]): CallDescription => {
  const ids: Record<string, string> = {};
  let named = false;
  for (const arg of args) {
    if (typeof arg === 'string' && !named) {
      ids[idKey ?? 'id'] = arg;
      named = true;
    } else collectIds(arg, ids);
  }
  return { ids, input: args.length === 1 ? args[0] : args };
};

/** Summary fields of a result: the ids it carries, and `count` for a page or a list. */
const summariseValue = (
  idKey: string | undefined,
  value: unknown,
  ids: Record<string, string>,
): Record<string, unknown> => {
  if (Array.isArray(value)) return { count: value.length };
  if (!isObject(value)) return {};
  collectIds(value, ids, idKey === undefined ? {} : { own: idKey });
  const items = (value as { items?: unknown }).items;
  return Array.isArray(items) ? { count: items.length } : {};
};

/** Wraps every method of `target` whose results it logs, named `${prefix}${method}`. */
const logMethods = <T extends object>(
  target: T,
  logger: Logger,
  levels: ObserveLevels,
  prefix: string,
  idKeyOfMethod: (method: string) => string | undefined,
): T =>
  intercept(target, (method, fn) =>
    typeof fn === 'function'
      ? function logged(...args: unknown[]): unknown {
          const idKey = idKeyOfMethod(method);
          return observeCall(
            {
              logger,
              levels,
              op: `${prefix}${method}`,
              describe: () => describeArgs(idKey, args),
              summarise: (value, ids) => summariseValue(idKey, value, ids),
            },
            () => Reflect.apply(fn, target, args),
          );
        }
      : fn,
  );

/**
 * A `ConciergeClient` that logs every call of every resource, whatever the
 * implementation: `{ op: 'outputs.create', ids, durationMs, outcome: 'ok' | code, status? }`
 * at info (errors at warn), and the input and the result at debug. Results are the
 * ones the client returned, untouched; a failing logger never breaks a call. Redaction
 * is the logger's job: use one of this package's loggers.
 */
export const withLogging = <C extends ConciergeClient>(
  client: C,
  logger: Logger,
  options: WithLoggingOptions = {},
): C => {
  const levels = levelsOf(options);
  return intercept(client, (resource, value) =>
    isObject(value) ? logMethods(value, logger, levels, `${resource}.`, () => idKeyOf(resource)) : value,
  );
};

/** The operator's positional id per command. */
const OPERATOR_IDS: { readonly [K in keyof SandboxOperator]: string | undefined } = {
  setCompliance: 'userId',
  deposit: 'userId',
  produceQuote: 'requestId',
  outputAction: 'outputId',
  advanceClock: undefined,
  runUntilIdle: undefined,
  events: undefined,
  reset: undefined,
};

/** The sandbox operator with the same logging as `withLogging`: ops `operator.deposit`... */
export const withOperatorLogging = <O extends SandboxOperator>(
  operator: O,
  logger: Logger,
  options: WithLoggingOptions = {},
): O =>
  logMethods(operator, logger, levelsOf(options), 'operator.', (method) =>
    Object.hasOwn(OPERATOR_IDS, method) ? OPERATOR_IDS[method as keyof SandboxOperator] : undefined,
  );
