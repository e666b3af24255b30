import {
  type ConciergeError,
  conciergeError,
  type EventView,
  type SandboxOperator,
} from '@concierge-ts/application';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { amountToWire } from './codec/body.codec.js';
import { documents } from './codec/document.codec.js';
import { decodeEventResource, isEventView } from './codec/event.codec.js';
import { decodeWith, valueAt } from './codec/json-api.js';
import { type Call, HttpTransport, type TransportOptions } from './http-transport.js';

export type HttpSandboxOperatorOptions = TransportOptions;

const clockAnswer = z.object({ now: z.string() });

const segment = (id: string): string => encodeURIComponent(id);

/**
 * The sandbox operator (SPEC section 9) over the local sandbox's /sandbox routes, with
 * the same key and the same resilience as the API client. Operator actions change money
 * or lifecycles, so after an ambiguous failure they are not sent again.
 */
export const createHttpSandboxOperator = (options: HttpSandboxOperatorOptions): SandboxOperator => {
  const transport = new HttpTransport(options);
  const post = <T>(
    path: string,
    body: unknown,
    decode: (json: unknown) => Result<T, ConciergeError>,
    idempotent = false,
  ) => {
    const call: Call = { method: 'POST', path, idempotent, ...(body === undefined ? {} : { body }) };
    return transport.request(call, decode);
  };
  const user = (json: unknown) => decodeWith(documents.user, json).map((d) => d.data);
  const request = (json: unknown) => decodeWith(documents.request, json).map((d) => d.data);
  const output = (json: unknown) => decodeWith(documents.output, json).map((d) => d.data);

  return {
    // Setting the same state twice is harmless.
    setCompliance: (userId, state) =>
      post(`sandbox/users/${segment(userId)}/compliance`, { state }, user, true),
    deposit: (userId, input) =>
      post(
        `sandbox/users/${segment(userId)}/deposits`,
        { port_code: input.portCode, amount: amountToWire(input.amount) },
        user,
      ),
    produceQuote: (requestId) =>
      post(`sandbox/concierge_requests/${segment(requestId)}/quote`, undefined, request),
    outputAction: (outputId, action, input = {}) =>
      post(
        `sandbox/concierge_request_outputs/${segment(outputId)}/${segment(action)}`,
        input.reason === undefined ? undefined : { reason: input.reason },
        output,
      ),
    advanceClock: (seconds) =>
      post('sandbox/clock/advance', { seconds }, (json) => decodeWith(clockAnswer, json)),
    runUntilIdle: () =>
      post('sandbox/clock/run_until_idle', undefined, (json) => decodeWith(clockAnswer, json)),
    events: () =>
      transport.request({ method: 'GET', path: 'sandbox/events', idempotent: true }, (json) =>
        decodeWith(documents.events, json).andThen((doc): Result<readonly EventView[], ConciergeError> => {
          const events: EventView[] = [];
          for (const [index, e] of doc.data.entries()) {
            if (!isEventView(e))
              return err(
                conciergeError.decode(
                  `event ${e.id} is about a ${e.resourceType}, not a request, an output, a user or a withdrawal instruction`,
                  `/data/${index}/relationships/resource/data/type`,
                ),
              );
            // The resource as it was then, in the event's meta (GET /sandbox/events).
            const snapshot = valueAt(json, ['data', index, 'meta', 'snapshot']);
            const resource =
              snapshot === undefined ? undefined : decodeEventResource(e.resourceType, snapshot);
            if (resource === undefined) events.push(e);
            else if (resource.isOk()) events.push({ ...e, resource: resource.value });
            else
              return err(
                conciergeError.decode(
                  resource.error.detail,
                  `/data/${index}/meta/snapshot${resource.error.pointer ?? ''}`,
                ),
              );
          }
          return ok(events);
        }),
      ),
    reset: () => post('sandbox/reset', undefined, () => ok(undefined), true),
  };
};
