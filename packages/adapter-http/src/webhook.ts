import { createHash, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { decodeEventResource, eventResource, type ReceivedEvent } from './codec/event.codec.js';
import { decodeWith } from './codec/json-api.js';
import { WEBHOOK_AUTH_HEADER, webhookSignature } from './webhook-signature.js';

/** Why a webhook was refused. A receiver answers non-200 to all of them (the sender retries). */
export type WebhookRefusal =
  | { readonly type: 'missing_signature'; readonly message: string }
  | { readonly type: 'bad_signature'; readonly message: string }
  | { readonly type: 'not_raw_body'; readonly message: string }
  | { readonly type: 'malformed_event'; readonly message: string; readonly pointer?: string };

/** Headers as frameworks hand them over: fetch `Headers`, Node's lower-cased record, or any record. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

const headerValue = (headers: WebhookHeaders, name: string): string | undefined => {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === name) return typeof value === 'string' ? value : value?.[0];
  return undefined;
};

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares in constant time, whatever the lengths: both sides are hashed to 32 bytes first. */
const sameSecret = (given: string, expected: string): boolean =>
  timingSafeEqual(digest(given), digest(expected));

const eventDocument = z.object({
  data: eventResource,
  included: z.array(z.unknown()).optional(),
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks and reads a webhook (SPEC section 8). `rawBody` must be the body exactly as
 * received: a parsed object is refused loudly, because code that parses first usually
 * also skips the check. `WEBHOOK-AUTH` must be the SHA-256 hex digest of the master's
 * API key, compared in constant time. Every event type is accepted (SPEC section 8), those
 * this client does not know too; the resource in `included` is decoded when it is a request,
 * an output, a user or a withdrawal instruction, and an output's working event gives its
 * earlier `failures`.
 */
export const verifyWebhook = (
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  apiKey: string,
): Result<ReceivedEvent, WebhookRefusal> => {
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array))
    return err({
      type: 'not_raw_body',
      message:
        'verifyWebhook needs the raw request body (a string or bytes), not a parsed object: read the body as text before any JSON middleware',
    });
  const given = headerValue(headers, WEBHOOK_AUTH_HEADER);
  if (given === undefined)
    return err({ type: 'missing_signature', message: 'the WEBHOOK-AUTH header is missing' });
  if (!sameSecret(given.trim().toLowerCase(), webhookSignature(apiKey)))
    return err({ type: 'bad_signature', message: 'WEBHOOK-AUTH does not match this API key' });

  let json: unknown;
  try {
    json = JSON.parse(typeof rawBody === 'string' ? rawBody : utf8.decode(rawBody));
  } catch {
    return err({ type: 'malformed_event', message: 'the body is not UTF-8 JSON' });
  }
  const decoded = decodeWith(eventDocument, json);
  if (decoded.isErr())
    return err({
      type: 'malformed_event',
      message: decoded.error.detail,
      ...(decoded.error.pointer === undefined ? {} : { pointer: decoded.error.pointer }),
    });
  const event = decoded.value.data;
  const included = decoded.value.included ?? [];
  const index = included.findIndex(
    (item) =>
      typeof item === 'object' &&
      item !== null &&
      (item as { type?: unknown }).type === event.resourceType &&
      String((item as { id?: unknown }).id) === event.resourceId,
  );
  if (index < 0) return ok(event);
  const resource = decodeEventResource(event.resourceType, included[index]);
  if (resource === undefined) return ok(event);
  if (resource.isErr())
    return err({
      type: 'malformed_event',
      message: resource.error.detail,
      pointer: `/included/${index}${resource.error.pointer ?? ''}`,
    });
  return ok({ ...event, resource: resource.value });
};
