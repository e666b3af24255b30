import { err, ok, type Result } from 'neverthrow';
import type { FieldRefusal } from './errors.js';

/** Control characters (C0, DEL, C1) other than tab, line feed and carriage return: never part of a name or an address. */
const CONTROL = /(?![\t\n\r])\p{Cc}/u;

/** Length in characters (code points), so that an accent or an emoji counts once. */
const lengthOf = (text: string, max: number): number => {
  // A code point is one or two UTF-16 units: a string of at most `max` units has at most `max` of them.
  if (text.length <= max) return text.length;
  let count = 0;
  for (const _ of text) count++;
  return count;
};

export type TextRefusal = Extract<FieldRefusal, 'invalid_type' | 'empty' | 'too_long' | 'invalid_format'>;

/**
 * Free text given by a user (a name, a city, an address): a string, not blank, at most
 * `maxLength` characters, without control characters. Kept as given.
 */
export const checkText = (
  value: unknown,
  maxLength: number,
): Result<string, { readonly reason: TextRefusal; readonly why: string }> => {
  if (typeof value !== 'string') return err({ reason: 'invalid_type', why: 'expected a string' });
  if (value.trim() === '') return err({ reason: 'empty', why: 'it must not be blank' });
  if (lengthOf(value, maxLength) > maxLength)
    return err({ reason: 'too_long', why: `at most ${maxLength} characters` });
  if (CONTROL.test(value))
    return err({ reason: 'invalid_format', why: 'it must not hold control characters' });
  return ok(value);
};
