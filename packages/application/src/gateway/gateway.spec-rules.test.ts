import { ok, type Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import type { ConciergeError } from './errors.js';
import { isConciergeError } from './errors.js';
import { field, isInAttribute, isRelationship } from './field.js';
import { allItems } from './page.js';
import type { Page, PageQuery } from './views.js';

describe('a list is walked page by page with page[number] and page[size] (SPEC 7)', () => {
  it('asks page 1, 2, 3 with the size given, and gets every item once', async () => {
    const asked: PageQuery[] = [];
    const items = ['a', 'b', 'c', 'd', 'e'];
    const fetchPage = async (page: PageQuery): Promise<Result<Page<string>, ConciergeError>> => {
      asked.push(page);
      const number = page.number ?? 1;
      const size = page.size ?? 50;
      const start = (number - 1) * size;
      return ok({
        items: items.slice(start, start + size),
        number,
        size,
        next: start + size < items.length ? number + 1 : null,
      });
    };
    expect((await allItems(fetchPage, 2))._unsafeUnwrap()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(asked).toEqual([
      { number: 1, size: 2 },
      { number: 2, size: 2 },
      { number: 3, size: 2 },
    ]);
  });
});

describe('an error read from an HTTP answer is a ConciergeError only with a status and a well-formed source (SPEC 7)', () => {
  const rateLimited = { type: 'rate_limited', code: 'rate_limited', detail: 'slow down', retryAfterMs: 1000 };

  it('a 429 needs its status as well as its Retry-After', () => {
    expect(isConciergeError({ ...rateLimited, status: 429 })).toBe(true);
    expect(isConciergeError({ ...rateLimited, status: 'soon' })).toBe(false);
    expect(isConciergeError({ ...rateLimited })).toBe(false);
  });

  it('a field path is made of member names and array indexes (whole numbers from 0)', () => {
    const unprocessable = (at: unknown) => ({
      type: 'unprocessable',
      status: 422,
      code: 'invalid',
      detail: 'bad',
      field: at,
    });
    expect(isConciergeError(unprocessable({ attribute: ['outputs', 0, 'amount'] }))).toBe(true);
    expect(isConciergeError(unprocessable({ path: ['data', 'type'] }))).toBe(true);
    expect(isConciergeError(unprocessable({ attribute: ['outputs', -1, 'amount'] }))).toBe(false);
    expect(isConciergeError(unprocessable({ attribute: ['outputs', 1.5] }))).toBe(false);
    expect(isConciergeError(unprocessable({ attribute: [null] }))).toBe(false);
    expect(isConciergeError(unprocessable({ attribute: [true] }))).toBe(false);
    expect(isConciergeError(unprocessable({ attribute: ['body', null] }))).toBe(false);
    expect(isConciergeError(unprocessable({ path: ['amount', {}] }))).toBe(false);
    expect(isConciergeError(unprocessable({ pointer: '/data/attributes/amount' }))).toBe(false);
  });
});

describe('which field a refusal names', () => {
  it('the relationship `request` is that relationship only', () => {
    expect(isRelationship(field.relationship('request'), 'request')).toBe(true);
    expect(isRelationship(field.relationship('user'), 'request')).toBe(false);
    expect(isRelationship(field.attribute('request'), 'request')).toBe(false);
    expect(isRelationship(undefined, 'request')).toBe(false);
  });

  it('the attribute `hint_token` is that attribute or a member inside it, nothing else', () => {
    expect(isInAttribute(field.attribute('hint_token'), 'hint_token')).toBe(true);
    expect(isInAttribute(field.attribute('hint_token', 'expires'), 'hint_token')).toBe(true);
    expect(isInAttribute(field.attribute('amount'), 'hint_token')).toBe(false);
    expect(isInAttribute(field.attribute(), 'hint_token')).toBe(false);
    expect(isInAttribute(field.relationship('hint_token'), 'hint_token')).toBe(false);
    expect(isInAttribute(field.path('hint_token'), 'hint_token')).toBe(false);
    expect(isInAttribute(undefined, 'hint_token')).toBe(false);
  });
});
