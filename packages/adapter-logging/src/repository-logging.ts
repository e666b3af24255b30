import type { Logger, Repositories } from '@concierge-ts/application';
import { collectIds, intercept, isObject } from './intercept.js';
import { type CallDescription, observeCall } from './observe.js';
import { levelsOf, type WithLoggingOptions } from './with-logging.js';

/**
 * Names of repository arguments, by method (or `repository.method` where one differs).
 * A string argument whose name ends in `Id` is a logged id; `apiKey` is redacted.
 */
export const REPOSITORY_ARGS: Readonly<Record<string, readonly string[]>> = {
  get: ['id'],
  'balances.get': ['userId', 'currency'],
  save: ['entity'],
  listByOwner: ['ownerId'],
  listByRequest: ['requestId'],
  listByRequestAndState: ['requestId', 'state'],
  listAcceptingByPayee: ['payeeId'],
  findByApiKey: ['apiKey'],
  listByMaster: ['masterId'],
  listByUser: ['userId'],
};

const describeRepositoryCall = (names: readonly string[], args: readonly unknown[]): CallDescription => {
  const ids: Record<string, string> = {};
  const input: Record<string, unknown> = {};
  args.forEach((arg, index) => {
    const name = names[index] ?? `arg${index}`;
    if (typeof arg === 'string' && (name === 'id' || name.endsWith('Id'))) ids[name] = arg;
    else if (name === 'entity') collectIds(arg, ids, { own: 'id' });
    input[name] = arg;
  });
  return { ids, input };
};

/** `found` for a lookup, `count` for a list; a lazy iterable is left unread. */
const summariseRepositoryValue = (method: string, value: unknown): Record<string, unknown> => {
  if (Array.isArray(value)) return { count: value.length };
  if (method.startsWith('get') || method.startsWith('find')) return { found: value !== undefined };
  return {};
};

/**
 * Repositories whose every call is logged at debug, as `repositories.users.save` with
 * ids and duration (entities at trace). Repositories are called often: with debug off,
 * a call costs one level check.
 */
export const withRepositoryLogging = <R extends Repositories>(
  repositories: R,
  logger: Logger,
  options: WithLoggingOptions = {},
): R => {
  const levels = levelsOf(options, { ok: 'debug', failed: 'error', bodies: 'trace' });
  return intercept(repositories, (repository, store) =>
    isObject(store)
      ? intercept(store, (method, fn) => {
          if (typeof fn !== 'function') return fn;
          const names = REPOSITORY_ARGS[`${repository}.${method}`] ?? REPOSITORY_ARGS[method] ?? [];
          return function logged(...args: unknown[]): unknown {
            return observeCall(
              {
                logger,
                levels,
                op: `repositories.${repository}.${method}`,
                describe: () => describeRepositoryCall(names, args),
                summarise: (value) => summariseRepositoryValue(method, value),
              },
              () => Reflect.apply(fn, store, args),
            );
          };
        })
      : store,
  );
};
