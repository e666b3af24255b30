import { JSON_API_MEDIA_TYPE } from '@concierge-ts/adapter-http';
import type { ConciergeError } from '@concierge-ts/application';
import type { MiddlewareHandler } from 'hono';
import { sendError } from './respond.js';

interface MediaRange {
  readonly type: string;
  /** Media type parameters; for a range of `Accept`, those before its weight (`q`). */
  readonly parameters: readonly string[];
}

/** `type/subtype; a=1; b=2` read leniently: the type lower-cased, empty parameters dropped. */
const parseRange = (text: string, accept: boolean): MediaRange => {
  const [type = '', ...rest] = text.split(';');
  const parameters = rest.map((p) => p.trim()).filter((p) => p !== '');
  // In Accept, `q` and what follows it are accept parameters, not the media type's (RFC 9110, 12.5.1).
  const weight = accept ? parameters.findIndex((p) => /^q\s*=/i.test(p)) : -1;
  return {
    type: type.trim().toLowerCase(),
    parameters: weight === -1 ? parameters : parameters.slice(0, weight),
  };
};

const refusal = (status: 406 | 415, code: string, detail: string): ConciergeError => ({
  type: 'bad_request',
  status,
  code,
  detail,
});

/**
 * What JSON:API 1.0 asks of a server about its media type: a request whose
 * `Content-Type` is the JSON:API media type with parameters is refused with 415; one
 * whose `Accept` names the JSON:API media type only with parameters, with 406 (the
 * answer could only be a document the client said it cannot read). Plain
 * `application/json` and a missing Content-Type stay accepted (SPEC section 7).
 */
export const negotiate = (
  contentType: string | undefined,
  accept: string | undefined,
): ConciergeError | null => {
  if (contentType !== undefined) {
    const range = parseRange(contentType, false);
    if (range.type === JSON_API_MEDIA_TYPE && range.parameters.length > 0)
      return refusal(
        415,
        'unsupported_media_type',
        `Content-Type ${JSON_API_MEDIA_TYPE} must not carry media type parameters (${range.parameters.join('; ').slice(0, 80)}): send it bare`,
      );
  }
  if (accept !== undefined) {
    const jsonApi = accept
      .split(',')
      .map((range) => parseRange(range, true))
      .filter((range) => range.type === JSON_API_MEDIA_TYPE);
    if (jsonApi.length > 0 && jsonApi.every((range) => range.parameters.length > 0))
      return refusal(
        406,
        'not_acceptable',
        `Accept names ${JSON_API_MEDIA_TYPE} only with media type parameters: accept it bare`,
      );
  }
  return null;
};

/** The JSON:API media type rules as a middleware, before anything else reads the request. */
export const jsonApiMediaTypes = (): MiddlewareHandler => async (c, next) => {
  const refused = negotiate(c.req.header('content-type'), c.req.header('accept'));
  if (refused) return sendError(c, refused);
  await next();
};
