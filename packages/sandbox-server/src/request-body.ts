import type { ConciergeError } from '@concierge-ts/application';
import type { Context } from 'hono';
import { err, ok, type Result } from 'neverthrow';

const JSON_TYPES = new Set(['application/json', 'application/vnd.api+json']);

const badRequest = (code: string, detail: string, status = 400): ConciergeError => ({
  type: 'bad_request',
  status,
  code,
  detail,
});

/**
 * The parsed JSON body, or undefined when there is none. Both JSON media types are
 * accepted (SPEC section 7); a body without a Content-Type is read as JSON (curl users
 * forget it), one that says it is something else is refused with 415.
 */
export const readJsonBody = async (c: Context): Promise<Result<unknown, ConciergeError>> => {
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    return err(badRequest('unreadable_body', 'the request body could not be read'));
  }
  if (text.trim() === '') return ok(undefined);
  const contentType = c.req.header('content-type');
  if (contentType !== undefined) {
    const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
    if (!JSON_TYPES.has(mediaType))
      return err(
        badRequest(
          'unsupported_media_type',
          `Content-Type ${mediaType.slice(0, 60) || '(empty)'} is not accepted: send application/vnd.api+json or application/json`,
          415,
        ),
      );
  }
  try {
    return ok(JSON.parse(text));
  } catch (thrown) {
    return err(
      badRequest(
        'malformed_json',
        `the body is not valid JSON: ${thrown instanceof Error ? thrown.message : ''}`,
      ),
    );
  }
};
