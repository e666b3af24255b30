import { encodeError, httpStatusOf, JSON_API_MEDIA_TYPE } from '@concierge-ts/adapter-http';
import type { ConciergeError } from '@concierge-ts/application';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ResultAsync } from 'neverthrow';

/** Answers with a JSON:API document. */
export const sendDocument = (c: Context, status: number, document: unknown): Response =>
  c.body(JSON.stringify(document), status as ContentfulStatusCode, {
    'content-type': JSON_API_MEDIA_TYPE,
  });

/** Answers a refusal as a JSON:API error document, with Retry-After when rate limited. */
export const sendError = (c: Context, error: ConciergeError): Response => {
  const headers: Record<string, string> = { 'content-type': JSON_API_MEDIA_TYPE };
  if (error.type === 'rate_limited')
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  return c.body(JSON.stringify(encodeError(error)), httpStatusOf(error) as ContentfulStatusCode, headers);
};

/** Runs a use case and answers its value as a document, or its refusal. */
export const answer = async <T>(
  c: Context,
  run: ResultAsync<T, ConciergeError>,
  document: (value: T) => unknown,
  status = 200,
): Promise<Response> => {
  const result = await run;
  return result.isOk() ? sendDocument(c, status, document(result.value)) : sendError(c, result.error);
};
