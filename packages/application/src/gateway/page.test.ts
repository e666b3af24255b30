import { fc, test } from '@fast-check/vitest';
import { err, ok, type Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { type ConciergeError, conciergeError } from './errors.js';
import { allItems, allPages, pageOf } from './page.js';
import type { Page, PageQuery } from './views.js';

/** A list of `count` numbers served in pages; page `failAt` (if any) is refused. */
const served = (count: number, failAt?: number) => {
  const asked: number[] = [];
  const items = Array.from({ length: count }, (_, i) => i);
  const fetchPage = async (page: PageQuery): Promise<Result<Page<number>, ConciergeError>> => {
    asked.push(page.number ?? 1);
    if (page.number === failAt) return err(conciergeError.server('page lost', 503));
    return pageOf(items, page, (n) => n);
  };
  return { asked, fetchPage };
};

const walk = async <T>(walker: AsyncIterable<T>): Promise<T[]> => {
  const seen: T[] = [];
  for await (const item of walker) seen.push(item);
  return seen;
};

describe('allPages and allItems: every item of a list, or the first error, never a throw', () => {
  test.prop([fc.nat({ max: 60 }), fc.integer({ min: 1, max: 7 })])(
    'walks every item once, in order, asking for each page once',
    async (count, size) => {
      const { asked, fetchPage } = served(count);
      expect(await walk(allPages(fetchPage, size))).toEqual(Array.from({ length: count }, (_, i) => ok(i)));
      expect(asked).toEqual(Array.from({ length: Math.max(1, Math.ceil(count / size)) }, (_, i) => i + 1));
      expect((await allItems(fetchPage, size))._unsafeUnwrap()).toEqual(
        Array.from({ length: count }, (_, i) => i),
      );
    },
  );

  test.prop([fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 7 }), fc.nat()])(
    'stops at the first page it cannot read: the items before it, then that error, then nothing',
    async (count, size, pick) => {
      const pages = Math.ceil(count / size);
      const failAt = (pick % pages) + 1;
      const { asked, fetchPage } = served(count, failAt);
      const seen = await walk(allPages(fetchPage, size));
      const before = (failAt - 1) * size;
      expect(seen.slice(0, before)).toEqual(Array.from({ length: before }, (_, i) => ok(i)));
      expect(seen.length).toBe(before + 1);
      expect(seen[before]?._unsafeUnwrapErr()).toMatchObject({ type: 'server', status: 503 });
      expect(asked.at(-1)).toBe(failAt);
      expect((await allItems(fetchPage, size))._unsafeUnwrapErr()).toMatchObject({ type: 'server' });
    },
  );

  it('refuses a list whose next page does not move forward, instead of walking it forever', async () => {
    const fetchPage = async (page: PageQuery): Promise<Result<Page<string>, ConciergeError>> =>
      ok({ items: [`item ${page.number}`], number: page.number ?? 1, size: 1, next: 1 });
    const seen = await walk(allPages(fetchPage, 1));
    expect(seen.map((r) => r.isOk())).toEqual([true, false]);
    expect(seen[1]?._unsafeUnwrapErr()).toMatchObject({ type: 'decode', pointer: '/links/next' });
  });
});
