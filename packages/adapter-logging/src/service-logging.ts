import type { ConciergeService, Logger, UserRecord } from '@concierge-ts/application';
import { collectIds, intercept, isObject } from './intercept.js';
import { type CallDescription, type ObserveLevels, observeCall } from './observe.js';
import { levelsOf, type WithLoggingOptions } from './with-logging.js';

interface ServiceCall {
  /** Names of the arguments after the caller; a name ending in `Id` makes it a logged id. */
  readonly args?: readonly string[];
  /** Under which id the result's `id` is logged. */
  readonly resultId?: string;
  /** Routine calls (the clock's tick) are logged at debug. */
  readonly routine?: boolean;
}

/**
 * How each public method's arguments are named in logs. Keyed by the service's own
 * method names, so renaming one there is a compile error here. `authenticate` names
 * its argument `apiKey`, which redaction then hides.
 */
export const SERVICE_CALLS: { readonly [K in keyof ConciergeService]?: ServiceCall } = {
  authenticate: { args: ['apiKey'], resultId: 'userId' },
  createMasterUser: { args: ['input'], resultId: 'userId' },
  listPorts: {},
  createRequest: { args: ['input'], resultId: 'requestId' },
  getRequest: { args: ['requestId'] },
  getRequestWithOutputs: { args: ['requestId'] },
  listRequests: { args: ['query'] },
  updateRequest: { args: ['requestId', 'input'] },
  requestQuote: { args: ['requestId', 'input'] },
  acceptQuote: { args: ['requestId'] },
  cancelRequest: { args: ['requestId'] },
  getDocument: { args: ['requestId', 'kind'] },
  createOutput: { args: ['input'], resultId: 'outputId' },
  getOutput: { args: ['outputId'] },
  listOutputs: { args: ['query'] },
  createEstimate: { args: ['input'] },
  createUser: { args: ['input'], resultId: 'userId' },
  getUser: { args: ['userId'] },
  listUsers: { args: ['query'] },
  me: { resultId: 'userId' },
  updateMe: { args: ['input'], resultId: 'userId' },
  createWithdrawalInstruction: { args: ['input'], resultId: 'withdrawalInstructionId' },
  getWithdrawalInstruction: { args: ['withdrawalInstructionId'] },
  listWithdrawalInstructions: { args: ['query'] },
  deleteWithdrawalInstruction: { args: ['withdrawalInstructionId'] },
  setCompliance: { args: ['userId', 'state'] },
  deposit: { args: ['userId', 'input'] },
  produceQuoteNow: { args: ['requestId'] },
  outputAction: { args: ['outputId', 'action', 'input'] },
  listEvents: {},
  reset: {},
  tick: { routine: true },
};

/** Not operations: passed through without a log line. */
const UNLOGGED = new Set(['now']);

const isUserRecord = (value: unknown): value is UserRecord =>
  isObject(value) &&
  typeof (value as UserRecord).id === 'string' &&
  ((value as UserRecord).role === 'master' || (value as UserRecord).role === 'managed') &&
  'apiKey' in value;

const describeServiceCall = (call: ServiceCall, args: readonly unknown[]): CallDescription => {
  const ids: Record<string, string> = {};
  const [first, ...others] = args;
  // The caller is logged by id only: its record holds the API key.
  const rest = isUserRecord(first) ? others : args;
  if (isUserRecord(first)) ids.callerId = first.id;
  const input: Record<string, unknown> = {};
  rest.forEach((arg, index) => {
    const name = call.args?.[index] ?? (rest.length === 1 ? 'input' : `arg${index}`);
    if (typeof arg === 'string' && name.endsWith('Id')) ids[name] = arg;
    else collectIds(arg, ids);
    input[name] = arg;
  });
  return { ids, input };
};

const summariseServiceValue = (
  call: ServiceCall,
  value: unknown,
  ids: Record<string, string>,
): Record<string, unknown> => {
  if (Array.isArray(value)) return { count: value.length };
  if (!isObject(value)) return {};
  const own = call.resultId ?? call.args?.find((name) => name.endsWith('Id'));
  if (own !== undefined) collectIds({ id: (value as { id?: unknown }).id }, ids, { own });
  const items = (value as { items?: unknown }).items;
  return Array.isArray(items) ? { count: items.length } : {};
};

/**
 * The concierge service with every public method logged as `service.createRequest`...,
 * same shape as `withLogging`. The caller appears as `ids.callerId`, never as its
 * record; results keep their identity (the proxy is still a `ConciergeService`).
 */
export const withServiceLogging = <S extends ConciergeService>(
  service: S,
  logger: Logger,
  options: WithLoggingOptions = {},
): S => {
  const levels = levelsOf(options);
  const routine: ObserveLevels = { ...levels, ok: levels.bodies ?? 'debug' };
  return intercept(service, (method, fn) => {
    if (typeof fn !== 'function' || UNLOGGED.has(method)) return fn;
    const call: ServiceCall = (SERVICE_CALLS as Record<string, ServiceCall | undefined>)[method] ?? {};
    return function logged(...args: unknown[]): unknown {
      return observeCall(
        {
          logger,
          levels: call.routine === true ? routine : levels,
          op: `service.${method}`,
          describe: () => describeServiceCall(call, args),
          summarise: (value, ids) => summariseServiceValue(call, value, ids),
        },
        () => Reflect.apply(fn, service, args),
      );
    };
  });
};
