import { err, ok } from 'neverthrow';
import { conciergeError } from '../gateway/errors.js';
import type { Field } from '../gateway/field.js';
import type { ServiceResult } from './context.js';

/** Checks of the fields a caller sends, shared by the resources. */

/** The longest short text attribute (external ids, names, reasons, instruction body fields). */
export const MAX_TEXT = 255;

/** A refusal of a field (422) at `at`. */
export const unprocessable = (code: string, detail: string, at: Field) =>
  err(conciergeError.unprocessable(code, detail, at));

/** Optional short text: undefined, null or a string of at most 255 characters. */
export const optionalText = (value: unknown, at: Field): ServiceResult<string | null | undefined> => {
  if (value === undefined || value === null) return ok(value);
  if (typeof value !== 'string' || value.length > MAX_TEXT)
    return unprocessable('invalid_attribute', `expected text of at most ${MAX_TEXT} characters`, at);
  return ok(value);
};
