import type { OutputState } from '../output.js';
import type { RequestState } from '../request.js';

/**
 * SPEC sections 3 and 4 written out by hand, for tests to compare the domain with: never read
 * from the domain's own tables and sets, so that a mistake there cannot hide in the check.
 * Each move is `from -trigger-> to`.
 */
export const SPEC_REQUEST_MOVES: readonly string[] = [
  'draft -request_quote-> quote_requested',
  'draft -cancel-> cancelled',
  'draft -prune_draft-> cancelled',
  'quote_requested -produce_quote-> quoted',
  'quote_requested -cancel-> cancelled',
  'quoted -accept_quote-> quote_accepted',
  'quoted -cancel-> cancelled',
  'quoted -expire_quote-> cancelled',
  'quote_accepted -start_working-> working',
  'quote_accepted -funds_deadline-> cancelled',
  'quote_requested -no_payable_outputs-> cancelled',
  'quoted -no_payable_outputs-> cancelled',
  'quote_accepted -no_payable_outputs-> cancelled',
  'working -finish-> finished',
];

export const SPEC_OUTPUT_MOVES: readonly string[] = [
  'accepting -pass_checks-> accepted',
  'accepting -fail_checks-> rejected',
  'accepting -cancel_with_request-> cancelled',
  'accepted -cancel_with_request-> cancelled',
  'accepted -start_working-> working',
  'working -issue-> settling',
  'working -provider_cancel-> cancelled',
  'settling -settle-> settled',
  'settling -fail-> failed',
  'failed -retry-> working',
  'failed -give_up-> returned',
];

/** SPEC section 3: "Final: `finished`, `cancelled`". */
export const SPEC_FINAL_REQUEST_STATES: readonly RequestState[] = ['finished', 'cancelled'];
/** SPEC section 4: "Final: `rejected`, `settled`, `returned`, `cancelled`". */
export const SPEC_FINAL_OUTPUT_STATES: readonly OutputState[] = [
  'rejected',
  'settled',
  'returned',
  'cancelled',
];

/** The state a trigger moves `state` to in one of the tables above, or undefined when SPEC has no such move. */
export const specMove = (moves: readonly string[], state: string, trigger: string): string | undefined =>
  moves.find((m) => m.startsWith(`${state} -${trigger}-> `))?.split('-> ')[1];

/** Whether one of the tables above moves `from` to `to` by some trigger. */
export const specStep = (moves: readonly string[], from: string, to: string): boolean =>
  moves.some((m) => m.startsWith(`${from} -`) && m.endsWith(`-> ${to}`));
