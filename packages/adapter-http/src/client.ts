import type {
  CallOptions,
  ConciergeClient,
  ConciergeError,
  ListOutputsQuery,
  ListRequestsQuery,
  ListWithdrawalInstructionsQuery,
  Page,
  PageQuery,
  PortView,
  RequestView,
} from '@concierge-ts/application';
import type { RequestState } from '@concierge-ts/domain';
import { err, ok, okAsync, type Result, type ResultAsync } from 'neverthrow';
import type { z } from 'zod';
import {
  encodeCreateOutputBody,
  encodeCreateRequestBody,
  encodeCreateUserBody,
  encodeCreateWithdrawalInstructionBody,
  encodeEstimateBody,
  encodeRequestQuoteBody,
  encodeUpdateMeBody,
  encodeUpdateRequestBody,
} from './codec/body.codec.js';
import { decodeRequestWithOutputs, documents, pageFromDocument } from './codec/document.codec.js';
import { decodeWith } from './codec/json-api.js';
import { decodeOutputPage } from './codec/output-list.fast.js';
import { type Call, HttpTransport, type Reconcile, type TransportOptions } from './http-transport.js';

export type HttpConciergeClientOptions = TransportOptions;

/** Decodes `{ data: resource }` to the view. */
const one =
  <T>(schema: z.ZodType<{ data: T }>) =>
  (json: unknown): Result<T, ConciergeError> =>
    decodeWith(schema, json).map((doc) => doc.data);

/** Decodes a list document to a page. */
const page =
  <T>(schema: z.ZodType<Parameters<typeof pageFromDocument<T>>[0]>, query?: PageQuery) =>
  (json: unknown): Result<Page<T>, ConciergeError> =>
    decodeWith(schema, json).map((doc) => pageFromDocument(doc, query));

const pageParams = (query?: PageQuery) => ({
  'page[number]': query?.number,
  'page[size]': query?.size,
});

const segment = (id: string): string => encodeURIComponent(id);

/**
 * The `ConciergeClient` port over the real HTTP API (SPEC section 7), with ky: raw
 * `Authorization` and `Version: 2.0` headers, JSON:API bodies, timeouts, retries with
 * backoff and Retry-After, and a client-side rate limit per key. What is not idempotent
 * is never sent again blindly: a create that may have taken effect answers an error
 * whose `outcome` is `unknown` (an identical resource at the service could be another
 * caller's or a late copy, so this client does not guess which is its own); a request's
 * transition is checked against the request's state. Every method returns a Result; none throws.
 */
export const createHttpConciergeClient = (options: HttpConciergeClientOptions): ConciergeClient => {
  const transport = new HttpTransport(options);

  const send = <T>(
    call: Call,
    decode: (json: unknown) => Result<T, ConciergeError>,
    callOptions?: CallOptions,
    reconcile?: Reconcile<T>,
  ): ResultAsync<T, ConciergeError> => transport.request(call, decode, callOptions, reconcile);

  const get = <T>(
    path: string,
    decode: (json: unknown) => Result<T, ConciergeError>,
    callOptions?: CallOptions,
    query?: Call['query'],
  ) =>
    send(
      { method: 'GET', path, idempotent: true, ...(query === undefined ? {} : { query }) },
      decode,
      callOptions,
    );

  const decodeRequest = one(documents.request);

  const listRequests = (query: ListRequestsQuery = {}, callOptions?: CallOptions) =>
    get('api/concierge_requests', page(documents.requests, query.page), callOptions, {
      'filter[state]': query.state,
      'filter[external_id]': query.externalId,
      ...pageParams(query.page),
    });

  const listOutputs = (query: ListOutputsQuery = {}, callOptions?: CallOptions) =>
    get('api/concierge_request_outputs', (json) => decodeOutputPage(json, query.page), callOptions, {
      'filter[request_id]': query.requestId,
      'filter[state]': query.state,
      ...pageParams(query.page),
    });

  const getRequest = (id: string, callOptions?: CallOptions) =>
    get(`api/concierge_requests/${segment(id)}`, decodeRequest, callOptions);

  const decodeDocument = one(documents.conciergeDocument);

  /**
   * A request action (request_quote, accept_quote, cancel) is not idempotent: sent twice,
   * the second is refused with 409 although the first worked. After an ambiguous
   * failure, the request's state says whether it worked.
   */
  const transition = (
    id: string,
    action: string,
    done: (state: RequestState) => boolean,
    body: unknown,
    callOptions?: CallOptions,
  ) =>
    send(
      {
        method: 'POST',
        path: `api/concierge_requests/${segment(id)}/${action}`,
        idempotent: false,
        ...(body === undefined ? {} : { body }),
      },
      decodeRequest,
      callOptions,
      async () => (await getRequest(id)).map((r): RequestView | null => (done(r.state) ? r : null)),
    );

  /** Every port: the pages one after another, from the server's first (a server may not paginate them). */
  const listPorts = (
    callOptions?: CallOptions,
    query?: PageQuery,
    before: readonly PortView[] = [],
  ): ResultAsync<readonly PortView[], ConciergeError> =>
    get(
      'api/concierge_ports',
      page(documents.ports, query),
      callOptions,
      query === undefined ? undefined : pageParams(query),
    ).andThen((p) => {
      const ports = [...before, ...p.items];
      return p.next === null || p.next <= p.number
        ? okAsync(ports)
        : listPorts(callOptions, { number: p.next, size: p.size }, ports);
    });

  return {
    ports: { list: (callOptions) => listPorts(callOptions) },
    requests: {
      create: (input, callOptions) =>
        send(
          {
            method: 'POST',
            path: 'api/concierge_requests',
            body: encodeCreateRequestBody(input),
            idempotent: false,
          },
          decodeRequest,
          callOptions,
        ),
      get: getRequest,
      getWithOutputs: (id, callOptions) =>
        get(`api/concierge_requests/${segment(id)}`, decodeRequestWithOutputs, callOptions, {
          include: 'outputs',
        }),
      list: (query, callOptions) => listRequests(query, callOptions),
      update: (id, input, callOptions) =>
        send(
          {
            method: 'PATCH',
            path: `api/concierge_requests/${segment(id)}`,
            body: encodeUpdateRequestBody(id, input),
            idempotent: true,
          },
          decodeRequest,
          callOptions,
        ),
      requestQuote: (id, input = {}, callOptions) =>
        transition(
          id,
          'request_quote',
          // A cancelled request may never have been quoted: sent again, the service says why.
          (s) => s !== 'draft' && s !== 'cancelled',
          encodeRequestQuoteBody(input),
          callOptions,
        ),
      acceptQuote: (id, callOptions) =>
        transition(
          id,
          'accept_quote',
          (s) => s === 'quote_accepted' || s === 'working' || s === 'finished',
          undefined,
          callOptions,
        ),
      cancel: (id, callOptions) => transition(id, 'cancel', (s) => s === 'cancelled', undefined, callOptions),
      receipt: (id, callOptions) =>
        get(`api/concierge_requests/${segment(id)}/receipt`, decodeDocument, callOptions),
      creditNote: (id, callOptions) =>
        get(`api/concierge_requests/${segment(id)}/credit_note`, decodeDocument, callOptions),
    },
    outputs: {
      create: (input, callOptions) =>
        send(
          {
            method: 'POST',
            path: 'api/concierge_request_outputs',
            body: encodeCreateOutputBody(input),
            idempotent: false,
          },
          one(documents.output),
          callOptions,
        ),
      get: (id, callOptions) =>
        get(`api/concierge_request_outputs/${segment(id)}`, one(documents.output), callOptions),
      list: (query, callOptions) => listOutputs(query, callOptions),
    },
    estimates: {
      // Estimates are not persisted: sending one twice is harmless.
      create: (input, callOptions) =>
        send(
          {
            method: 'POST',
            path: 'api/concierge_estimates',
            body: encodeEstimateBody(input),
            idempotent: true,
          },
          one(documents.estimate),
          callOptions,
        ),
    },
    users: {
      create: (input = {}, callOptions) =>
        send(
          { method: 'POST', path: 'api/users', body: encodeCreateUserBody(input), idempotent: false },
          one(documents.user),
          callOptions,
        ),
      get: (id, callOptions) => get(`api/users/${segment(id)}`, one(documents.user), callOptions),
      list: (query = {}, callOptions) =>
        get('api/users', page(documents.users, query.page), callOptions, pageParams(query.page)),
      me: (callOptions) => get('api/users/me', one(documents.user), callOptions),
      updateMe: (input, callOptions) =>
        send(
          { method: 'PATCH', path: 'api/users/me', body: encodeUpdateMeBody(input), idempotent: true },
          one(documents.user),
          callOptions,
        ),
    },
    withdrawalInstructions: {
      create: (input, callOptions) =>
        send(
          {
            method: 'POST',
            path: 'api/withdrawal_instructions',
            body: encodeCreateWithdrawalInstructionBody(input),
            idempotent: false,
          },
          one(documents.withdrawalInstruction),
          callOptions,
        ),
      get: (id, callOptions) =>
        get(`api/withdrawal_instructions/${segment(id)}`, one(documents.withdrawalInstruction), callOptions),
      list: (query: ListWithdrawalInstructionsQuery = {}, callOptions) =>
        get('api/withdrawal_instructions', page(documents.withdrawalInstructions, query.page), callOptions, {
          'filter[user_id]': query.userId,
          ...pageParams(query.page),
        }),
      // Sent again only after the instruction is read: once it is gone, a second DELETE would be a 404.
      delete: (id, callOptions) =>
        send(
          { method: 'DELETE', path: `api/withdrawal_instructions/${segment(id)}`, idempotent: false },
          () => ok(undefined),
          callOptions,
          async () => {
            const held = await get(
              `api/withdrawal_instructions/${segment(id)}`,
              one(documents.withdrawalInstruction),
              callOptions,
            );
            if (held.isOk()) return ok(null);
            return held.error.type === 'not_found' ? ok(undefined) : err(held.error);
          },
        ),
    },
  };
};
