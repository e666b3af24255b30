import { conciergeError } from '../src/gateway/errors.js';

// Where an unprocessable (422) error points, in the one place the tests say it: a change
// of how errors locate a field (a pointer, or a field path the HTTP codec turns into
// one) is a change here only.

/** A 422 at a place in the request document. */
export const errorAt = (code: string, pointer: string) => conciergeError.unprocessable(code, code, pointer);

/** What an unprocessable error carries to say where it points (matched with `toMatchObject`). */
export const located = (pointer: string) => ({ type: 'unprocessable', status: 422, pointer });
