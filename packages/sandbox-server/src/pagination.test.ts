import { type ConciergeError, type Page, type PageQuery, pageOf } from '@concierge-ts/application';
import fc from 'fast-check';
import { errAsync, ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { lastPageNumber } from './pagination.js';

/** A list of `n` items paginated by the application's own paginator, counting its reads. */
const listOf = (n: number) => {
  const items = Array.from({ length: n }, (_, i) => i);
  const reads: PageQuery[] = [];
  const list = (page: PageQuery): ResultAsync<Page<number>, ConciergeError> => {
    reads.push(page);
    return new ResultAsync(Promise.resolve(pageOf(items, page, (i) => i)));
  };
  return { list, reads };
};

describe('the last page of a list', () => {
  it('is the page count for every list length, page size and page asked for, in few reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.nat({ max: 60 }), fc.nat({ max: 20_000 })),
        fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 500 })),
        fc.nat({ max: 3 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (n, size, beyond, at) => {
          const pages = Math.max(1, Math.ceil(n / size));
          const number = 1 + Math.floor(at * (pages - 1)) + (beyond === 3 ? 2 : 0);
          const { list, reads } = listOf(n);
          const page = (await list({ number, size }))._unsafeUnwrap();
          reads.length = 0;
          expect((await lastPageNumber(list, page))._unsafeUnwrap()).toBe(pages);
          // Doubling then halving over pages of 500.
          expect(reads.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n / 500 + 1)) + 2);
          expect(reads.every((r) => r.size === 500)).toBe(true);
          // The last page with data needs no read at all.
          if (number === pages) expect(reads).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('passes on the refusal of a read', async () => {
    const refused: ConciergeError = { type: 'server', status: 503, code: 'server_error', detail: 'down' };
    const page: Page<number> = { items: [1], number: 1, size: 1, next: 2 };
    expect((await lastPageNumber(() => errAsync(refused), page))._unsafeUnwrapErr()).toBe(refused);
  });
});
