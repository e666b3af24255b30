import type { DomainError } from '@concierge-ts/domain';
import { fc, test } from '@fast-check/vitest';
import { ok } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { fieldAt, located } from '../../test/error-location.js';
import { listAll } from '../workflows/list-all.js';
import { conciergeError, fromDomainError, isConciergeError, STATUS_OF } from './errors.js';
import { field } from './field.js';
import { pageBounds, pageOf } from './page.js';
import { isoTime, isoTimeOrNull, type Page, type PageQuery } from './views.js';

describe('pages (SPEC 7): page[number] from 1, page[size] from 1 to 500, default 50', () => {
  it('refuses a bad page naming the parameter (400 invalid_page)', () => {
    const cases: [PageQuery, string][] = [
      [{ number: 0 }, 'page[number]'],
      [{ number: -1 }, 'page[number]'],
      [{ number: 1.5 }, 'page[number]'],
      [{ number: Number.MAX_SAFE_INTEGER + 1 }, 'page[number]'],
      [{ size: 0 }, 'page[size]'],
      [{ size: 501 }, 'page[size]'],
      [{ size: 2.5 }, 'page[size]'],
    ];
    for (const [query, parameter] of cases)
      expect(pageBounds(query)._unsafeUnwrapErr(), JSON.stringify(query)).toMatchObject({
        type: 'bad_request',
        status: 400,
        code: 'invalid_page',
        field: { parameter },
      });
  });

  it('takes the limits and the defaults', () => {
    expect(pageBounds()._unsafeUnwrap()).toEqual({ number: 1, size: 50 });
    expect(pageBounds({ number: 1, size: 1 })._unsafeUnwrap()).toEqual({ number: 1, size: 1 });
    expect(pageBounds({ size: 500 })._unsafeUnwrap()).toEqual({ number: 1, size: 500 });
  });

  test.prop([fc.nat({ max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 8 })])(
    'a page holds items (number-1) x size to number x size, and says whether there is a next one',
    (count, number, size) => {
      const items = Array.from({ length: count }, (_, i) => i);
      const page = pageOf(items, { number, size }, (n) => `#${n}`)._unsafeUnwrap();
      const first = (number - 1) * size;
      const expected = items.slice(first, first + size).map((n) => `#${n}`);
      expect(page).toEqual({ items: expected, number, size, next: count > first + size ? number + 1 : null });
    },
  );

  it('listAll walks every page at the largest size and stops where the next page does not move forward', async () => {
    const asked: PageQuery[] = [];
    const items = Array.from({ length: 1203 }, (_, i) => i);
    const all = await listAll((page) => {
      asked.push(page);
      return pageOf(items, page, (n) => n).asyncAndThen((p) => ok(p).asyncMap(async (x) => x));
    });
    expect(all._unsafeUnwrap()).toEqual(items);
    expect(asked).toEqual([
      { number: 1, size: 500 },
      { number: 2, size: 500 },
      { number: 3, size: 500 },
    ]);
    const looping = await listAll((page) =>
      ok<Page<number>>({ items: [page.number ?? 0], number: page.number ?? 1, size: 500, next: 1 }).asyncMap(
        async (x) => x,
      ),
    );
    expect(looping._unsafeUnwrap()).toEqual([1]);
  });
});

describe('a domain refusal as the API reports it (SPEC 7: lifecycle 409, invalid values 422 at the field)', () => {
  const lifecycle: DomainError[] = [
    {
      type: 'InvalidTransition',
      code: 'invalid_transition',
      entity: 'request',
      id: '1',
      state: 'draft',
      action: 'accept',
      message: 'm',
    },
    {
      type: 'GuardFailed',
      code: 'insufficient_funds',
      entity: 'request',
      id: '1',
      state: 'quoted',
      action: 'accept',
      message: 'm',
    },
  ];
  const values: DomainError[] = [
    { type: 'InvalidPortCode', code: 'invalid_port_code', input: 'x', message: 'm' },
    { type: 'UnknownPort', code: 'unknown_port', portCode: 'zz_zzz', message: 'm' },
    { type: 'InactivePort', code: 'inactive_port', portCode: 'py_pyg', message: 'm' },
    {
      type: 'InvalidMoney',
      code: 'invalid_amount',
      reason: 'not_positive',
      currency: 'CLP',
      input: '0',
      message: 'm',
    },
    { type: 'InvalidRate', code: 'invalid_rate', input: 'x', message: 'm' },
    { type: 'AmountOrBudget', code: 'amount_or_budget', message: 'm' },
    { type: 'CurrencyMismatch', code: 'currency_mismatch', expected: 'ARS', actual: 'MXN', message: 'm' },
  ];

  it('a lifecycle refusal is a conflict with the domain code', () => {
    for (const e of lifecycle)
      expect(fromDomainError(e)).toMatchObject({ type: 'conflict', status: 409, code: e.code });
  });

  it('an invalid value is unprocessable at the field given (the attributes when none is)', () => {
    for (const e of values) {
      expect(fromDomainError(e, fieldAt('/data/attributes/amount'))).toMatchObject({
        ...located('/data/attributes/amount'),
        code: e.code,
      });
      expect(fromDomainError(e)).toMatchObject({ ...located('/data/attributes'), code: e.code });
    }
  });

  it('a refused hint token points at the hint token, whatever field was given', () => {
    const e: DomainError = { type: 'HintTokenRefused', code: 'hint_token_expired', message: 'm' };
    expect(fromDomainError(e, fieldAt('/data/attributes/amount'))).toMatchObject({
      ...located('/data/attributes/hint_token'),
      code: 'hint_token_expired',
    });
  });
});

describe('error kinds and their HTTP statuses (SPEC 7)', () => {
  it('each kind the service answers has its status; the others have none', () => {
    expect(STATUS_OF).toEqual({
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
    });
    expect(conciergeError.authentication()).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(conciergeError.permission('no')).toMatchObject({ status: 403, code: 'forbidden' });
    expect(conciergeError.notFound('user', '7')).toMatchObject({ code: 'not_found' });
    expect(conciergeError.conflict('invalid_transition', 'x', field.path('data', 'id'))).toMatchObject({
      status: 409,
      field: { path: ['data', 'id'] },
    });
    expect(conciergeError.conflict('invalid_transition', 'x')).not.toHaveProperty('field');
    expect(conciergeError.badRequest('invalid_page', 'x', field.parameter('page[size]'))).toMatchObject({
      status: 400,
      field: { parameter: 'page[size]' },
    });
    expect(conciergeError.badRequest('bad', 'x')).not.toHaveProperty('pointer');
    expect(conciergeError.decode('x', '/data')).toMatchObject({ code: 'decode_error', pointer: '/data' });
    expect(conciergeError.server('x')).toMatchObject({ code: 'server_error' });
    expect(conciergeError.connection('x', 'not_sent', 'econnrefused')).toMatchObject({
      code: 'econnrefused',
    });
    expect(conciergeError.connection('x')).toMatchObject({ code: 'connection_error' });
    expect(conciergeError.timeout('x')).toMatchObject({ code: 'timeout' });
    expect(conciergeError.rateLimited(10)).toMatchObject({ code: 'rate_limited' });
  });

  it('a value that crossed a process boundary is an error only with a status from 100 to 599 and a usable wait', () => {
    const base = { code: 'c', detail: 'd' };
    const yes = [
      { ...base, type: 'server', status: 599 },
      { ...base, type: 'server', status: 100 },
      { ...base, type: 'conflict', status: 409, field: { path: ['data'] } },
      { ...base, type: 'rate_limited', status: 429, retryAfterMs: 0 },
      { ...base, type: 'timeout', outcome: 'unknown', status: 408 },
      { ...base, type: 'timeout', outcome: 'not_sent' },
      { ...base, type: 'decode' },
      { ...base, type: 'decode', pointer: '/a' },
      { ...base, ...located('/data/attributes/amount') },
      { ...base, type: 'connection', outcome: 'not_sent' },
    ];
    const no = [
      { ...base, type: 'server', status: 600 },
      { ...base, type: 'server', status: 99 },
      { ...base, type: 'server', status: 500.5 },
      { ...base, type: 'server', status: '500' },
      { ...base, type: 'server' },
      { ...base, type: 'conflict', status: 409, field: 1 },
      { ...base, type: 'conflict', status: 409, field: { path: ['data'], parameter: 'x' } },
      { ...base, type: 'rate_limited', status: 429, retryAfterMs: -1 },
      { ...base, type: 'rate_limited', status: 429, retryAfterMs: Number.POSITIVE_INFINITY },
      { ...base, type: 'rate_limited', status: 429 },
      { ...base, type: 'timeout', outcome: 'unknown', status: 1000 },
      { ...base, type: 'connection', outcome: 'later' },
      { ...base, type: 'decode', pointer: 5 },
      { ...base, type: 'unprocessable', status: 422 },
      { ...base, ...located('/data/attributes/amount'), status: 1000 },
      { ...base, type: 'connection' },
      { ...base, type: 'nonsense', status: 500 },
      { type: 'server', status: 500, code: 'c' },
      { type: 'server', status: 500, detail: 'd' },
      { type: 5, status: 500, code: 'c', detail: 'd' },
      'server',
      undefined,
    ];
    for (const value of yes) expect(isConciergeError(value), JSON.stringify(value)).toBe(true);
    for (const value of no) expect(isConciergeError(value), JSON.stringify(value)).toBe(false);
  });
});

describe('timestamps as the API writes them (ISO 8601 UTC with milliseconds)', () => {
  it('writes each instant, the same one twice in a row too', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTime(1_767_614_400_123)).toBe('2026-01-05T12:00:00.123Z');
    expect(isoTime(1_767_614_400_123)).toBe('2026-01-05T12:00:00.123Z');
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTimeOrNull(null)).toBeNull();
    expect(isoTimeOrNull(1000)).toBe('1970-01-01T00:00:01.000Z');
  });
});
