import { type PayoutError, type PayoutJournal, payoutError } from '@concierge-ts/application';
import { errAsync, type ResultAsync } from 'neverthrow';

/** A journal the caller closes when done. */
export type ClosableJournal = PayoutJournal & { close(): Promise<void> };

/** Where the journal lives by default: a directory in the working directory. */
export const DEFAULT_JOURNAL_LOCATION = '.concierge';

/**
 * Opens the payout journal at `location`: a directory (embedded PostgreSQL, created if
 * missing) or a `postgres://` URL. Migrations run before the journal is handed over.
 */
export const openJournal = (
  _location: string = DEFAULT_JOURNAL_LOCATION,
): ResultAsync<ClosableJournal, PayoutError> => errAsync(payoutError.notImplemented('openJournal'));
