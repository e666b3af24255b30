import type { DomainError } from '@concierge-ts/domain';
import { match } from 'ts-pattern';
import { type Field, field, isField } from './field.js';

/**
 * Every failure an integrator can see from a `ConciergeClient`, mirroring the API's
 * error taxonomy. `type` is the kind, `code` the stable reason, `detail` the sentence
 * for people. Each kind carries the fields it always has, so narrowing on `type` gives
 * them without optional checks:
 *
 * - the service answered (`bad_request` … `server`): the HTTP `status`, and `field`
 *   where a field is at fault, in the resource's own names (`{ attribute: ['body', 'cbu'] }`,
 *   `{ relationship: 'user' }`, `{ parameter: 'page[size]' }`: see `Field`), the same
 *   value in-process and over HTTP; `unprocessable` always names its field,
 *   `rate_limited` always says when to try again;
 * - no answer (`connection`, `timeout`): `outcome`, whether the request may have reached
 *   the service and taken effect;
 * - an answer that is not the documented shape (`decode`).
 */
export type ConciergeError =
  | BadRequestError
  | AuthenticationError
  | PermissionError
  | NotFoundError
  | ConflictError
  | UnprocessableError
  | RateLimitedError
  | ServerError
  | ConnectionError
  | TimeoutError
  | DecodeError;

export type ConciergeErrorType = ConciergeError['type'];

/**
 * What became of a request that got no answer. `not_sent`: the service did not act on
 * it (the connection was refused, or the service turned it away before any work), so
 * sending it again is safe. `unknown`: it may have reached the service and taken
 * effect; a call that creates something must not be sent again blindly (SPEC 10.2).
 */
export type RequestOutcome = 'not_sent' | 'unknown';

interface Described<T extends string> {
  readonly type: T;
  readonly code: string;
  readonly detail: string;
}

/** A refusal the service answered (the in-process client answers the status the API would). */
interface Answered<T extends string> extends Described<T> {
  readonly status: number;
  /** The field at fault, in the resource's own names. */
  readonly field?: Field;
}

/** 400 (also 406, 413, 415): malformed JSON or document, unknown parameters, bad pages. */
export interface BadRequestError extends Answered<'bad_request'> {}
/** 401: unknown or missing API key. */
export interface AuthenticationError extends Answered<'authentication'> {}
/** 403: not a master user, or not allowed. */
export interface PermissionError extends Answered<'permission'> {}
/** 404: unknown id, or another master's resource. */
export interface NotFoundError extends Answered<'not_found'> {}
/** 409: the resource is in the wrong state for the action. */
export interface ConflictError extends Answered<'conflict'> {}
/** 422: an invalid value, at `field`. */
export interface UnprocessableError extends Answered<'unprocessable'> {
  readonly field: Field;
}
/** 429: over the key's rate limit; wait `retryAfterMs` before trying again. */
export interface RateLimitedError extends Answered<'rate_limited'> {
  readonly retryAfterMs: number;
}
/** 5xx: the service failed. It may have failed after doing the work (see `mayHaveTakenEffect`). */
export interface ServerError extends Answered<'server'> {}
/** The connection failed, or the caller aborted the call. */
export interface ConnectionError extends Described<'connection'> {
  readonly outcome: RequestOutcome;
}
/** No complete answer in time (or a 408 from the server, which did nothing: `status` 408). */
export interface TimeoutError extends Described<'timeout'> {
  readonly outcome: RequestOutcome;
  readonly status?: number;
}
/**
 * An answer that is not the documented shape; `pointer` says where in the document that
 * was received (a JSON pointer: only an answer read from the wire can be undecodable).
 */
export interface DecodeError extends Described<'decode'> {
  readonly pointer?: string;
}

export const STATUS_OF: Readonly<Record<ConciergeErrorType, number | undefined>> = {
  bad_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  server: 500,
  connection: undefined,
  timeout: undefined,
  decode: undefined,
};

const withPointer = (pointer: string | undefined) => (pointer === undefined ? {} : { pointer });
const withField = (at: Field | undefined) => (at === undefined ? {} : { field: at });

export const conciergeError = {
  badRequest: (code: string, detail: string, at?: Field): BadRequestError => ({
    type: 'bad_request',
    status: 400,
    code,
    detail,
    ...withField(at),
  }),
  authentication: (detail = 'unknown or missing API key'): AuthenticationError => ({
    type: 'authentication',
    status: 401,
    code: 'unauthorized',
    detail,
  }),
  permission: (detail: string): PermissionError => ({
    type: 'permission',
    status: 403,
    code: 'forbidden',
    detail,
  }),
  notFound: (resource: string, id: string): NotFoundError => ({
    type: 'not_found',
    status: 404,
    code: 'not_found',
    detail: `${resource} ${id} was not found`,
  }),
  conflict: (code: string, detail: string, at?: Field): ConflictError => ({
    type: 'conflict',
    status: 409,
    code,
    detail,
    ...withField(at),
  }),
  unprocessable: (code: string, detail: string, at: Field): UnprocessableError => ({
    type: 'unprocessable',
    status: 422,
    code,
    detail,
    field: at,
  }),
  rateLimited: (retryAfterMs: number): RateLimitedError => ({
    type: 'rate_limited',
    status: 429,
    code: 'rate_limited',
    detail: `too many requests: retry after ${Math.ceil(retryAfterMs / 1000)} s`,
    retryAfterMs,
  }),
  server: (detail: string, status = 500): ServerError => ({
    type: 'server',
    status,
    code: 'server_error',
    detail,
  }),
  /** `outcome` defaults to `unknown`: without knowing better, the request may have taken effect. */
  connection: (
    detail: string,
    outcome: RequestOutcome = 'unknown',
    code = 'connection_error',
  ): ConnectionError => ({
    type: 'connection',
    code,
    detail,
    outcome,
  }),
  /** `outcome` defaults to `unknown`: a request that timed out may still be acted on. */
  timeout: (detail: string, outcome: RequestOutcome = 'unknown'): TimeoutError => ({
    type: 'timeout',
    code: 'timeout',
    detail,
    outcome,
  }),
  decode: (detail: string, pointer?: string): DecodeError => ({
    type: 'decode',
    code: 'decode_error',
    detail,
    ...withPointer(pointer),
  }),
};

/**
 * Whether the call that failed may still have taken effect at the service: a request
 * whose outcome is `unknown`, a 5xx (the service may have failed after the work), or an
 * answer that could not be read (it may be a success). A refusal (4xx) and a request
 * that was `not_sent` did nothing. For a call that creates something, `true` means:
 * find out what the service holds before sending it again.
 */
export const mayHaveTakenEffect = (error: ConciergeError): boolean =>
  match(error)
    .with({ type: 'connection' }, { type: 'timeout' }, (e) => e.outcome === 'unknown')
    .with({ type: 'server' }, { type: 'decode' }, () => true)
    .with(
      { type: 'bad_request' },
      { type: 'authentication' },
      { type: 'permission' },
      { type: 'not_found' },
      { type: 'conflict' },
      { type: 'unprocessable' },
      { type: 'rate_limited' },
      () => false,
    )
    .exhaustive();

/**
 * A domain refusal as the API reports it: lifecycle refusals are conflicts (409),
 * invalid values are unprocessable (422) at `at` (by default the attributes as a whole).
 */
export const fromDomainError = (error: DomainError, at: Field = field.attribute()): ConciergeError =>
  match(error)
    .with({ type: 'InvalidTransition' }, { type: 'GuardFailed' }, (e) =>
      conciergeError.conflict(e.code, e.message),
    )
    .with({ type: 'HintTokenRefused' }, (e) =>
      conciergeError.unprocessable(e.code, e.message, field.attribute('hint_token')),
    )
    .with(
      { type: 'InvalidPortCode' },
      { type: 'UnknownPort' },
      { type: 'InactivePort' },
      { type: 'InvalidMoney' },
      { type: 'InvalidRate' },
      { type: 'AmountOrBudget' },
      { type: 'CurrencyMismatch' },
      (e) => conciergeError.unprocessable(e.code, e.message, at),
    )
    .exhaustive();

const OUTCOMES: ReadonlySet<unknown> = new Set<RequestOutcome>(['not_sent', 'unknown']);

const isText = (value: unknown): value is string => typeof value === 'string';
const isAbsentOr = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);
const isStatus = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599;

/**
 * Whether a value is a `ConciergeError`, each kind with the fields it always has: for
 * errors that crossed a process boundary (a worker's message, a thrown value), where
 * `instanceof` does not survive.
 */
export const isConciergeError = (value: unknown): value is ConciergeError => {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (!isText(v.type) || !isText(v.code) || !isText(v.detail)) return false;
  if (!Object.hasOwn(STATUS_OF, v.type)) return false;
  const type = v.type as ConciergeErrorType;
  const answered = isStatus(v.status) && isAbsentOr(v.field, isField);
  switch (type) {
    case 'bad_request':
    case 'authentication':
    case 'permission':
    case 'not_found':
    case 'conflict':
    case 'server':
      return answered;
    case 'unprocessable':
      return answered && isField(v.field);
    case 'rate_limited':
      return (
        answered &&
        typeof v.retryAfterMs === 'number' &&
        Number.isFinite(v.retryAfterMs) &&
        v.retryAfterMs >= 0
      );
    case 'connection':
      return OUTCOMES.has(v.outcome);
    case 'timeout':
      return OUTCOMES.has(v.outcome) && isAbsentOr(v.status, isStatus);
    case 'decode':
      return isAbsentOr(v.pointer, isText);
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
};
