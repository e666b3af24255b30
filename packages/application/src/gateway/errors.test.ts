import { fc, test } from '@fast-check/vitest';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ConciergeError,
  type ConciergeErrorType,
  conciergeError,
  isConciergeError,
  mayHaveTakenEffect,
  type RequestOutcome,
} from './errors.js';
import { describeField, type Field, field } from './field.js';

/** What an integrator writes: narrow on `type`, read the kind's own fields. */
const explain = (error: ConciergeError): string => {
  switch (error.type) {
    case 'rate_limited':
      return `wait ${error.retryAfterMs} ms`;
    case 'unprocessable':
      return `fix ${describeField(error.field)}`;
    case 'connection':
    case 'timeout':
      return error.outcome === 'unknown' ? 'find out before sending again' : 'send again';
    case 'server':
      return `HTTP ${error.status}`;
    case 'bad_request':
    case 'authentication':
    case 'permission':
    case 'not_found':
    case 'conflict':
      return `${error.status} ${error.code}`;
    case 'decode':
      return `unreadable at ${error.pointer ?? '/'}`;
    default: {
      const unreachable: never = error;
      return unreachable;
    }
  }
};

describe('ConciergeError narrows to the fields each kind always has', () => {
  it('types: narrowing gives required fields, and the union hides what a kind lacks', () => {
    const error = conciergeError.rateLimited(1500) as ConciergeError;
    if (error.type === 'rate_limited') expectTypeOf(error.retryAfterMs).toEqualTypeOf<number>();
    if (error.type === 'unprocessable') expectTypeOf(error.field).toEqualTypeOf<Field>();
    if (error.type === 'connection') expectTypeOf(error.outcome).toEqualTypeOf<RequestOutcome>();
    if (error.type === 'timeout') expectTypeOf(error.outcome).toEqualTypeOf<RequestOutcome>();
    if (error.type === 'server') expectTypeOf(error.status).toEqualTypeOf<number>();
    if (error.type === 'not_found') expectTypeOf(error.status).toEqualTypeOf<number>();
    expectTypeOf<RequestOutcome>().toEqualTypeOf<'not_sent' | 'unknown'>();
    expectTypeOf<ConciergeErrorType>().toEqualTypeOf<
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
      | 'decode'
    >();
    // Not readable without narrowing first: no kind's field leaks onto the others.
    // @ts-expect-error retryAfterMs belongs to rate_limited only
    void error.retryAfterMs;
    // @ts-expect-error outcome belongs to connection and timeout only
    void error.outcome;
    // A kind cannot be built without its own fields.
    // @ts-expect-error rate_limited needs retryAfterMs
    const noWait: ConciergeError = { type: 'rate_limited', status: 429, code: 'c', detail: 'd' };
    // @ts-expect-error unprocessable needs its field
    const noPointer: ConciergeError = { type: 'unprocessable', status: 422, code: 'c', detail: 'd' };
    // @ts-expect-error timeout needs its outcome
    const noOutcome: ConciergeError = { type: 'timeout', code: 'c', detail: 'd' };
    expect([noWait, noPointer, noOutcome].length).toBe(3);
    expect(explain(error)).toBe('wait 1500 ms');
  });

  it('the factories take the arguments they always took, and give each kind its fields', () => {
    expect(conciergeError.rateLimited(2500)).toMatchObject({
      type: 'rate_limited',
      status: 429,
      retryAfterMs: 2500,
    });
    expect(conciergeError.unprocessable('invalid_amount', 'too small', field.attribute('amount'))).toEqual({
      type: 'unprocessable',
      status: 422,
      code: 'invalid_amount',
      detail: 'too small',
      field: { attribute: ['amount'] },
    });
    expect(conciergeError.server('down')).toMatchObject({ type: 'server', status: 500 });
    expect(conciergeError.server('gateway', 502)).toMatchObject({ type: 'server', status: 502 });
    expect(conciergeError.notFound('user', '7')).toMatchObject({ type: 'not_found', status: 404 });
    // Without knowing better, a failed connection or a timeout may have taken effect.
    expect(conciergeError.connection('reset')).toMatchObject({ type: 'connection', outcome: 'unknown' });
    expect(conciergeError.timeout('slow')).toMatchObject({ type: 'timeout', outcome: 'unknown' });
    expect(conciergeError.connection('refused', 'not_sent')).toMatchObject({ outcome: 'not_sent' });
    expect(conciergeError.timeout('408', 'not_sent')).toMatchObject({ outcome: 'not_sent' });
    expect(conciergeError.decode('bad')).toEqual({ type: 'decode', code: 'decode_error', detail: 'bad' });
  });

  it('says which failures may still have taken effect', () => {
    expect(mayHaveTakenEffect(conciergeError.timeout('slow'))).toBe(true);
    expect(mayHaveTakenEffect(conciergeError.connection('reset', 'unknown'))).toBe(true);
    expect(mayHaveTakenEffect(conciergeError.connection('refused', 'not_sent'))).toBe(false);
    expect(mayHaveTakenEffect(conciergeError.server('failed after the work, maybe'))).toBe(true);
    expect(mayHaveTakenEffect(conciergeError.decode('a 201 that is not JSON'))).toBe(true);
    expect(mayHaveTakenEffect(conciergeError.rateLimited(100))).toBe(false);
    expect(mayHaveTakenEffect(conciergeError.conflict('invalid_transition', 'not a draft'))).toBe(false);
    expect(
      mayHaveTakenEffect(conciergeError.unprocessable('invalid_amount', 'no', field.path('amount'))),
    ).toBe(false);
  });
});

const text = fc.string({ maxLength: 12 });
const outcome = fc.constantFrom<RequestOutcome>('not_sent', 'unknown');
const segments = fc.array(fc.oneof(text, fc.nat()), { maxLength: 4 });
const arbField: fc.Arbitrary<Field> = fc.oneof(
  segments.map((path) => field.attribute(...path)),
  text.map((name) => field.relationship(name)),
  text.map((name) => field.parameter(name)),
  segments.map((path) => field.path(...path)),
);
/** Every kind, built the way producers build them. */
const arbError: fc.Arbitrary<ConciergeError> = fc.oneof(
  fc
    .tuple(text, text, fc.option(arbField, { nil: undefined }))
    .map(([c, d, f]) => conciergeError.badRequest(c, d, f)),
  text.map((d) => conciergeError.authentication(d)),
  text.map((d) => conciergeError.permission(d)),
  fc.tuple(text, text).map(([r, id]) => conciergeError.notFound(r, id)),
  fc.tuple(text, text).map(([c, d]) => conciergeError.conflict(c, d)),
  fc.tuple(text, text, arbField).map(([c, d, f]) => conciergeError.unprocessable(c, d, f)),
  fc.nat().map((ms) => conciergeError.rateLimited(ms)),
  fc.tuple(text, fc.integer({ min: 500, max: 599 })).map(([d, s]) => conciergeError.server(d, s)),
  fc.tuple(text, outcome).map(([d, o]) => conciergeError.connection(d, o)),
  fc.tuple(text, outcome).map(([d, o]) => conciergeError.timeout(d, o)),
  fc.tuple(text, fc.option(text, { nil: undefined })).map(([d, p]) => conciergeError.decode(d, p)),
);

/** The field a kind cannot be without, beyond type, code and detail. */
const REQUIRED: Readonly<Record<ConciergeErrorType, string | null>> = {
  bad_request: 'status',
  authentication: 'status',
  permission: 'status',
  not_found: 'status',
  conflict: 'status',
  unprocessable: 'field',
  rate_limited: 'retryAfterMs',
  server: 'status',
  connection: 'outcome',
  timeout: 'outcome',
  decode: null,
};

describe('isConciergeError', () => {
  test.prop([arbError])('recognises every error, also after crossing a process boundary as JSON', (error) => {
    expect(isConciergeError(error)).toBe(true);
    expect(isConciergeError(JSON.parse(JSON.stringify(error)))).toBe(true);
  });

  test.prop([arbError])('refuses an error of a kind that lacks the field the kind always has', (error) => {
    const field = REQUIRED[error.type];
    fc.pre(field !== null);
    const { [field as string]: _dropped, ...without } = error as unknown as Record<string, unknown>;
    expect(isConciergeError(without)).toBe(false);
  });

  it('refuses what is not an error of the taxonomy', () => {
    for (const value of [
      null,
      'timeout',
      { type: 'timeout', code: 'timeout', detail: 'x', outcome: 'maybe' },
      { type: 'toString', code: 'c', detail: 'd' },
      { type: 'rate_limited', status: 429, code: 'c', detail: 'd', retryAfterMs: '5' },
      { type: 'not_found', status: 404, code: 'c' },
      { type: 'unprocessable', status: 422, code: 'c', detail: 'd', pointer: '/data/attributes/amount' },
      { type: 'unprocessable', status: 422, code: 'c', detail: 'd', field: { attribute: 'amount' } },
      {
        type: 'unprocessable',
        status: 422,
        code: 'c',
        detail: 'd',
        field: { attribute: [], relationship: 'user' },
      },
      { type: 'bad_request', status: 400, code: 'c', detail: 'd', field: { parameter: 7 } },
    ])
      expect(isConciergeError(value), JSON.stringify(value)).toBe(false);
  });
});
