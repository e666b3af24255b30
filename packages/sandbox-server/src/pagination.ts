import { type ConciergeError, MAX_PAGE_SIZE, type Page, type PageQuery } from '@concierge-ts/application';
import { err, ok, type Result, type ResultAsync } from 'neverthrow';

/** One page of a list, as the client port reads it. */
export type ListPage<T> = (page: PageQuery) => ResultAsync<Page<T>, ConciergeError>;

/** Where probe page `k` (of `MAX_PAGE_SIZE` items) stands against the end of the list. */
type Probe =
  | { readonly at: 'before' }
  | { readonly at: 'last'; readonly count: number }
  | { readonly at: 'after' };

/**
 * How many items the list holds, knowing at least `atLeast`. A `Page` says whether there
 * is a next page, not how many there are, so the count is searched for with pages of the
 * largest size: doubling until a page is the last or past the end, then halving. That
 * is about 2·log2(n/500) reads of at most 500 items each, most often none (a list that
 * fits in the page asked for needs no probe at all).
 */
const countItems = async <T>(list: ListPage<T>, atLeast: number): Promise<Result<number, ConciergeError>> => {
  const probe = async (k: number): Promise<Result<Probe, ConciergeError>> =>
    (await list({ number: k, size: MAX_PAGE_SIZE })).map((p): Probe => {
      if (p.items.length === 0) return { at: 'after' };
      if (p.next === null) return { at: 'last', count: (k - 1) * MAX_PAGE_SIZE + p.items.length };
      return { at: 'before' };
    });
  // Pages 1..below are known to be full; a page known to be past the end is above.
  let below = Math.floor(atLeast / MAX_PAGE_SIZE);
  let above: number | undefined;
  let step = 1;
  for (;;) {
    const k = above === undefined ? below + step : Math.floor((below + above) / 2);
    if (above !== undefined && k <= below) return ok(below * MAX_PAGE_SIZE);
    const found = await probe(k);
    if (found.isErr()) return err(found.error);
    const p = found.value;
    if (p.at === 'last') return ok(p.count);
    if (p.at === 'before') {
      below = k;
      step *= 2;
    } else above = k;
  }
};

/**
 * The number of the last page of a list in pages of `page.size`, given one page of it:
 * the page itself when it is the last one with data, else the count of the list's
 * items, searched for with `list`. An empty list has one (empty) page.
 */
export const lastPageNumber = async <T>(
  list: ListPage<T>,
  page: Page<T>,
): Promise<Result<number, ConciergeError>> => {
  if (page.next === null && (page.items.length > 0 || page.number === 1)) return ok(page.number);
  // A page with a next one proves every item up to the next page's first.
  const atLeast = page.next === null ? 0 : page.number * page.size + 1;
  return (await countItems(list, atLeast)).map((count) => Math.max(1, Math.ceil(count / page.size)));
};
