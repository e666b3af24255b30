import { okAsync, type ResultAsync } from 'neverthrow';
import type { ConciergeError } from '../gateway/errors.js';
import { MAX_PAGE_SIZE, type Page, type PageQuery } from '../gateway/views.js';

/** Every item of a list, page after page at the largest page size; the first error ends it. */
export const listAll = <T>(
  fetchPage: (page: PageQuery) => ResultAsync<Page<T>, ConciergeError>,
): ResultAsync<T[], ConciergeError> => {
  const from = (number: number, items: T[]): ResultAsync<T[], ConciergeError> =>
    fetchPage({ number, size: MAX_PAGE_SIZE }).andThen((page) => {
      items.push(...page.items);
      return page.next === null || page.next <= page.number ? okAsync(items) : from(page.next, items);
    });
  return from(1, []);
};
