import type { DomainError } from '@concierge-ts/domain';
import { match } from 'ts-pattern';

/**
 * Every failure an integrator can see from a `ConciergeClient`, mirroring the API's
 * error taxonomy. `type` is the kind, `code` the stable reason, `detail` the sentence
 * for people; `pointer` names the offending field (JSON:API `source.pointer`).
 */
export type ConciergeErrorType =
  | 'bad_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'server'
  | 'connection'
  | 'timeout'
  | 'decode';

export interface ConciergeError {
  readonly type: ConciergeErrorType;
  /** HTTP status where one applies (also for the in-process client, as the API would answer). */
  readonly status?: number;
  readonly code: string;
  readonly detail: string;
  readonly pointer?: string;
  /** Rate limited: wait this long before trying again. */
  readonly retryAfterMs?: number;
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

const make = (
  type: ConciergeErrorType,
  code: string,
  detail: string,
  extra: { pointer?: string; retryAfterMs?: number; status?: number } = {},
): ConciergeError => {
  const status = extra.status ?? STATUS_OF[type];
  return {
    type,
    code,
    detail,
    ...(status === undefined ? {} : { status }),
    ...(extra.pointer === undefined ? {} : { pointer: extra.pointer }),
    ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
  };
};

export const conciergeError = {
  badRequest: (code: string, detail: string, pointer?: string) =>
    make('bad_request', code, detail, pointer === undefined ? {} : { pointer }),
  authentication: (detail = 'unknown or missing API key') => make('authentication', 'unauthorized', detail),
  permission: (detail: string) => make('permission', 'forbidden', detail),
  notFound: (resource: string, id: string) =>
    make('not_found', 'not_found', `${resource} ${id} was not found`),
  conflict: (code: string, detail: string) => make('conflict', code, detail),
  unprocessable: (code: string, detail: string, pointer: string) =>
    make('unprocessable', code, detail, { pointer }),
  rateLimited: (retryAfterMs: number) =>
    make(
      'rate_limited',
      'rate_limited',
      `too many requests: retry after ${Math.ceil(retryAfterMs / 1000)} s`,
      {
        retryAfterMs,
      },
    ),
  server: (detail: string, status = 500) => make('server', 'server_error', detail, { status }),
  connection: (detail: string) => make('connection', 'connection_error', detail),
  timeout: (detail: string) => make('timeout', 'timeout', detail),
  decode: (detail: string, pointer?: string) =>
    make('decode', 'decode_error', detail, pointer === undefined ? {} : { pointer }),
};

/**
 * A domain refusal as the API reports it: lifecycle refusals are conflicts (409),
 * invalid values are unprocessable (422) at `pointer`.
 */
export const fromDomainError = (error: DomainError, pointer = '/data/attributes'): ConciergeError =>
  match(error)
    .with({ type: 'InvalidTransition' }, { type: 'GuardFailed' }, (e) =>
      conciergeError.conflict(e.code, e.message),
    )
    .with({ type: 'HintTokenRefused' }, (e) =>
      conciergeError.unprocessable(e.code, e.message, '/data/attributes/hint_token'),
    )
    .with(
      { type: 'InvalidPortCode' },
      { type: 'UnknownPort' },
      { type: 'InactivePort' },
      { type: 'InvalidMoney' },
      { type: 'InvalidRate' },
      { type: 'AmountOrBudget' },
      { type: 'CurrencyMismatch' },
      (e) => conciergeError.unprocessable(e.code, e.message, pointer),
    )
    .exhaustive();

/** Marks errors thrown across a process boundary, where `instanceof` does not survive. */
export const isConciergeError = (value: unknown): value is ConciergeError =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as ConciergeError).type === 'string' &&
  typeof (value as ConciergeError).code === 'string' &&
  typeof (value as ConciergeError).detail === 'string' &&
  (value as ConciergeError).type in STATUS_OF;
