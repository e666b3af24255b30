import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { type ConciergeError, conciergeError } from './errors.js';
import { field } from './field.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageQuery } from './views.js';

/** Checks a page query: `page[number]` ≥ 1, 1 ≤ `page[size]` ≤ 500. */
export const pageBounds = (
  query: PageQuery = {},
): Result<{ number: number; size: number }, ConciergeError> => {
  const number = query.number ?? 1;
  const size = query.size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(number) || number < 1)
    return err(
      conciergeError.badRequest(
        'invalid_page',
        'page[number] must be a whole number ≥ 1',
        field.parameter('page[number]'),
      ),
    );
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_PAGE_SIZE)
    return err(
      conciergeError.badRequest(
        'invalid_page',
        `page[size] must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
        field.parameter('page[size]'),
      ),
    );
  return ok({ number, size });
};

/** One page of a sequence, transforming only the items on the page. */
export const pageOf = <T, V>(
  items: Iterable<T>,
  query: PageQuery | undefined,
  view: (item: T) => V,
): Result<Page<V>, ConciergeError> =>
  pageBounds(query).map(({ number, size }) => {
    const start = (number - 1) * size;
    const out: V[] = [];
    let index = 0;
    let more = false;
    for (const item of items) {
      if (index >= start + size) {
        more = true;
        break;
      }
      if (index >= start) out.push(view(item));
      index += 1;
    }
    return { items: out, number, size, next: more ? number + 1 : null };
  });

type FetchPage<T> = (page: PageQuery) => PromiseLike<Result<Page<T>, ConciergeError>>;

/**
 * Walks every page of a list, for `for await`, item by item: each item comes as `ok`,
 * and a page that cannot be read comes as one `err`, after which the walk stops.
 *
 * ```ts
 * for await (const output of allPages((page) => client.outputs.list({ requestId, page }))) {
 *   if (output.isErr()) return handle(output.error);
 *   use(output.value);
 * }
 * ```
 */
export async function* allPages<T>(
  fetchPage: FetchPage<T>,
  size = DEFAULT_PAGE_SIZE,
): AsyncGenerator<Result<T, ConciergeError>, void, undefined> {
  let number: number | null = 1;
  while (number !== null) {
    const result = await fetchPage({ number, size });
    if (result.isErr()) {
      yield err(result.error);
      return;
    }
    for (const item of result.value.items) yield ok(item);
    const next: number | null = result.value.next;
    if (next !== null && next <= number) {
      // A list whose next page is not after this one would be walked forever.
      yield err(conciergeError.decode(`page ${number} gives ${next} as its next page`, '/links/next'));
      return;
    }
    number = next;
  }
}

/** Every item of every page of a list, in order, or the first error: `allItems((page) => client.users.list({ page }))`. */
export const allItems = <T>(
  fetchPage: FetchPage<T>,
  size = DEFAULT_PAGE_SIZE,
): ResultAsync<T[], ConciergeError> =>
  new ResultAsync(
    (async (): Promise<Result<T[], ConciergeError>> => {
      const items: T[] = [];
      for await (const item of allPages(fetchPage, size)) {
        if (item.isErr()) return err(item.error);
        items.push(item.value);
      }
      return ok(items);
    })(),
  );
