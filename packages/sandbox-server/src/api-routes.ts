import {
  decodeCreateOutputBody,
  decodeCreateRequestBody,
  decodeCreateUserBody,
  decodeCreateWithdrawalInstructionBody,
  decodeEstimateBody,
  decodeRequestQuoteBody,
  decodeUpdateMeBody,
  decodeUpdateRequestBody,
  encodeConciergeDocument,
  encodeEstimate,
  encodeLinkedRequest,
  encodeOutput,
  encodePage,
  encodePort,
  encodeRequestPage,
  encodeRequestWithOutputs,
  encodeUser,
  encodeWithdrawalInstruction,
} from '@concierge-ts/adapter-http';
import {
  type ConciergeClient,
  type ConciergeError,
  type OutputView,
  type Page,
  type PageQuery,
  pageOf,
  type RequestView,
  type UserView,
  type WithdrawalInstructionView,
} from '@concierge-ts/application';
import { OUTPUT_STATES, type OutputState, REQUEST_STATES, type RequestState } from '@concierge-ts/domain';
import { type Context, Hono } from 'hono';
import { err, ok, type Result, ResultAsync } from 'neverthrow';
import type { Callers } from './caller.js';
import { withOutputs } from './linkage.js';
import { jsonApiMediaTypes } from './media-types.js';
import { type ListPage, lastPageNumber } from './pagination.js';
import { badParameter, includePaths, onlyParameters, PAGE_PARAMETERS } from './query-parameters.js';
import { readJsonBody } from './request-body.js';
import { answer, sendError } from './respond.js';

/** What `include` may name on a request or a list of them. */
const REQUEST_INCLUDES = ['outputs'] as const;

/** `page[number]`, `page[size]` as given; the service checks their bounds. */
const pageQuery = (c: Context): PageQuery => {
  const number = c.req.query('page[number]');
  const size = c.req.query('page[size]');
  return {
    ...(number === undefined ? {} : { number: Number(number) }),
    ...(size === undefined ? {} : { size: Number(size) }),
  };
};

const oneOf = <T extends string>(
  c: Context,
  parameter: string,
  allowed: readonly T[],
): Result<T | undefined, ConciergeError> => {
  const value = c.req.query(parameter);
  if (value === undefined) return ok(undefined);
  return (allowed as readonly string[]).includes(value)
    ? ok(value as T)
    : err(badParameter(parameter, `${parameter} must be one of ${allowed.join(', ')}`));
};

const optionalFilter = (c: Context, parameter: string) => {
  const value = c.req.query(parameter);
  return value === undefined ? undefined : value;
};

/** The page asked for, and the number of the list's last page (for `links.last`). */
const pageWithLast = <T>(
  list: ListPage<T>,
  query: PageQuery,
): ResultAsync<{ page: Page<T>; last: number }, ConciergeError> =>
  list(query).andThen((page) => new ResultAsync(lastPageNumber(list, page)).map((last) => ({ page, last })));

/** A request action's answer: the request as the action left it, with its outputs' linkage. */
const linkedRequest = (client: ConciergeClient) => (request: RequestView) => withOutputs(client, request);

/** The API of SPEC section 7 under /api, on top of the in-process client of each caller's key. */
export const apiRoutes = (callers: Callers): Hono => {
  // A path with a trailing slash is the same route (the provider's own client sends one).
  const api = new Hono({ strict: false });
  api.use('*', jsonApiMediaTypes());

  /**
   * Runs a handler with the caller's client, or answers 401/403; then refuses any query
   * parameter but the endpoint's `parameters` with 400.
   */
  const authed =
    (parameters: readonly string[], handler: (c: Context, client: ConciergeClient) => Promise<Response>) =>
    (c: Context): Promise<Response> => {
      const caller = callers
        .authenticate(c)
        .andThen((caller) => onlyParameters(c, parameters).map(() => caller));
      return caller.isOk() ? handler(c, caller.value.client) : Promise.resolve(sendError(c, caller.error));
    };

  /** An endpoint open to anyone (ports, estimates), with the same refusal of unknown parameters. */
  const open =
    (parameters: readonly string[], handler: (c: Context, client: ConciergeClient) => Promise<Response>) =>
    (c: Context): Promise<Response> => {
      const checked = onlyParameters(c, parameters);
      return checked.isOk() ? handler(c, callers.open()) : Promise.resolve(sendError(c, checked.error));
    };

  /** Reads and decodes the body, or answers its refusal. */
  const withBody =
    <T>(
      decode: (json: unknown) => Result<T, ConciergeError>,
      handler: (c: Context, client: ConciergeClient, body: T) => Promise<Response>,
    ) =>
    (c: Context, client: ConciergeClient): Promise<Response> =>
      readJsonBody(c).then((json) => {
        const body = json.andThen(decode);
        return body.isOk() ? handler(c, client, body.value) : sendError(c, body.error);
      });

  // ------------------------------------------------------------ open: ports, estimates

  api.get(
    '/concierge_ports',
    open(PAGE_PARAMETERS, (c, client) =>
      answer(
        c,
        client.ports.list().andThen((ports) =>
          pageOf(ports, pageQuery(c), (p) => p).map((page) => ({
            page,
            last: Math.max(1, Math.ceil(ports.length / page.size)),
          })),
        ),
        ({ page, last }) => encodePage(page, encodePort, c.req.url, last),
      ),
    ),
  );

  api.post(
    '/concierge_estimates',
    open(
      [],
      withBody(decodeEstimateBody, (c, client, input) =>
        answer(c, client.estimates.create(input), (e) => ({ data: encodeEstimate(e) })),
      ),
    ),
  );

  // ------------------------------------------------------------ requests

  api.post(
    '/concierge_requests',
    authed(
      [],
      withBody(decodeCreateRequestBody, (c, client, input) =>
        answer(
          c,
          client.requests.create(input).andThen(linkedRequest(client)),
          (r) => ({ data: encodeLinkedRequest(r, c.req.url) }),
          201,
        ),
      ),
    ),
  );

  api.get(
    '/concierge_requests',
    authed(['filter[state]', 'filter[external_id]', ...PAGE_PARAMETERS, 'include'], (c, client) => {
      const query = oneOf<RequestState>(c, 'filter[state]', REQUEST_STATES).andThen((state) =>
        includePaths(c, REQUEST_INCLUDES).map((include) => ({ state, include })),
      );
      if (query.isErr()) return Promise.resolve(sendError(c, query.error));
      const { state, include } = query.value;
      const externalId = optionalFilter(c, 'filter[external_id]');
      const list: ListPage<RequestView> = (page) =>
        client.requests.list({
          ...(state === undefined ? {} : { state }),
          ...(externalId === undefined ? {} : { externalId }),
          page,
        });
      return answer(
        c,
        pageWithLast(list, pageQuery(c)).andThen(({ page, last }) =>
          ResultAsync.combine(page.items.map((r) => withOutputs(client, r))).map((items) => ({
            page: { ...page, items },
            last,
          })),
        ),
        ({ page, last }) => encodeRequestPage(page, c.req.url, { last, include: include.has('outputs') }),
      );
    }),
  );

  api.get(
    '/concierge_requests/:id',
    authed(['include'], (c, client) => {
      const include = includePaths(c, REQUEST_INCLUDES);
      if (include.isErr()) return Promise.resolve(sendError(c, include.error));
      return answer(c, client.requests.getWithOutputs(c.req.param('id') ?? ''), (r) =>
        encodeRequestWithOutputs(r, include.value.has('outputs'), c.req.url),
      );
    }),
  );

  api.patch(
    '/concierge_requests/:id',
    authed(
      [],
      withBody(decodeUpdateRequestBody, (c, client, { id: bodyId, ...input }) => {
        const id = c.req.param('id') ?? '';
        if (bodyId !== undefined && bodyId !== id)
          return Promise.resolve(
            sendError(c, {
              type: 'conflict',
              status: 409,
              code: 'id_mismatch',
              detail: `data.id ${bodyId} does not match the request ${id} in the path`,
              field: { path: ['data', 'id'] },
            }),
          );
        return answer(c, client.requests.update(id, input).andThen(linkedRequest(client)), (r) => ({
          data: encodeLinkedRequest(r, c.req.url),
        }));
      }),
    ),
  );

  api.post(
    '/concierge_requests/:id/request_quote',
    authed(
      [],
      withBody(decodeRequestQuoteBody, (c, client, input) =>
        answer(
          c,
          client.requests.requestQuote(c.req.param('id') ?? '', input).andThen(linkedRequest(client)),
          (r) => ({ data: encodeLinkedRequest(r, c.req.url) }),
        ),
      ),
    ),
  );

  api.post(
    '/concierge_requests/:id/accept_quote',
    authed([], (c, client) =>
      answer(c, client.requests.acceptQuote(c.req.param('id') ?? '').andThen(linkedRequest(client)), (r) => ({
        data: encodeLinkedRequest(r, c.req.url),
      })),
    ),
  );

  api.post(
    '/concierge_requests/:id/cancel',
    authed([], (c, client) =>
      answer(c, client.requests.cancel(c.req.param('id') ?? '').andThen(linkedRequest(client)), (r) => ({
        data: encodeLinkedRequest(r, c.req.url),
      })),
    ),
  );

  // A request's documents (SPEC section 7), behind receipt_url and credit_note_url.
  api.get(
    '/concierge_requests/:id/receipt',
    authed([], (c, client) =>
      answer(c, client.requests.receipt(c.req.param('id') ?? ''), (d) => ({
        data: encodeConciergeDocument(d),
      })),
    ),
  );

  api.get(
    '/concierge_requests/:id/credit_note',
    authed([], (c, client) =>
      answer(c, client.requests.creditNote(c.req.param('id') ?? ''), (d) => ({
        data: encodeConciergeDocument(d),
      })),
    ),
  );

  // ------------------------------------------------------------ outputs

  api.post(
    '/concierge_request_outputs',
    authed(
      [],
      withBody(decodeCreateOutputBody, (c, client, input) =>
        answer(c, client.outputs.create(input), (o) => ({ data: encodeOutput(o) }), 201),
      ),
    ),
  );

  api.get(
    '/concierge_request_outputs',
    authed(['filter[request_id]', 'filter[state]', ...PAGE_PARAMETERS], (c, client) => {
      const state = oneOf<OutputState>(c, 'filter[state]', OUTPUT_STATES);
      if (state.isErr()) return Promise.resolve(sendError(c, state.error));
      const requestId = optionalFilter(c, 'filter[request_id]');
      const list: ListPage<OutputView> = (page) =>
        client.outputs.list({
          ...(state.value === undefined ? {} : { state: state.value }),
          ...(requestId === undefined ? {} : { requestId }),
          page,
        });
      return answer(c, pageWithLast(list, pageQuery(c)), ({ page, last }) =>
        encodePage(page, encodeOutput, c.req.url, last),
      );
    }),
  );

  api.get(
    '/concierge_request_outputs/:id',
    authed([], (c, client) =>
      answer(c, client.outputs.get(c.req.param('id') ?? ''), (o) => ({ data: encodeOutput(o) })),
    ),
  );

  // ------------------------------------------------------------ users

  api.post(
    '/users',
    authed(
      [],
      withBody(decodeCreateUserBody, (c, client, input) =>
        answer(c, client.users.create(input), (u) => ({ data: encodeUser(u) }), 201),
      ),
    ),
  );

  api.get(
    '/users',
    authed(PAGE_PARAMETERS, (c, client) => {
      const list: ListPage<UserView> = (page) => client.users.list({ page });
      return answer(c, pageWithLast(list, pageQuery(c)), ({ page, last }) =>
        encodePage(page, encodeUser, c.req.url, last),
      );
    }),
  );

  api.get(
    '/users/me',
    authed([], (c, client) => answer(c, client.users.me(), (u) => ({ data: encodeUser(u) }))),
  );

  api.patch(
    '/users/me',
    authed(
      [],
      withBody(decodeUpdateMeBody, (c, client, input) =>
        answer(c, client.users.updateMe(input), (u) => ({ data: encodeUser(u) })),
      ),
    ),
  );

  api.get(
    '/users/:id',
    authed([], (c, client) =>
      answer(c, client.users.get(c.req.param('id') ?? ''), (u) => ({ data: encodeUser(u) })),
    ),
  );

  // ------------------------------------------------------------ withdrawal instructions

  api.post(
    '/withdrawal_instructions',
    authed(
      [],
      withBody(decodeCreateWithdrawalInstructionBody, (c, client, input) =>
        answer(
          c,
          client.withdrawalInstructions.create(input),
          (i) => ({ data: encodeWithdrawalInstruction(i) }),
          201,
        ),
      ),
    ),
  );

  api.get(
    '/withdrawal_instructions',
    authed(['filter[user_id]', ...PAGE_PARAMETERS], (c, client) => {
      const userId = optionalFilter(c, 'filter[user_id]');
      const list: ListPage<WithdrawalInstructionView> = (page) =>
        client.withdrawalInstructions.list({ ...(userId === undefined ? {} : { userId }), page });
      return answer(c, pageWithLast(list, pageQuery(c)), ({ page, last }) =>
        encodePage(page, encodeWithdrawalInstruction, c.req.url, last),
      );
    }),
  );

  api.get(
    '/withdrawal_instructions/:id',
    authed([], (c, client) =>
      answer(c, client.withdrawalInstructions.get(c.req.param('id') ?? ''), (i) => ({
        data: encodeWithdrawalInstruction(i),
      })),
    ),
  );

  // 204 and no document, as JSON:API answers a deletion; 409 while a live output pays to it.
  api.delete(
    '/withdrawal_instructions/:id',
    authed([], async (c, client) => {
      const deleted = await client.withdrawalInstructions.delete(c.req.param('id') ?? '');
      return deleted.isOk() ? c.body(null, 204) : sendError(c, deleted.error);
    }),
  );

  return api;
};
