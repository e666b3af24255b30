import {
  decodeCreateOutputBody,
  decodeCreateRequestBody,
  decodeCreateUserBody,
  decodeCreateWithdrawalInstructionBody,
  decodeEstimateBody,
  decodeRequestQuoteBody,
  decodeUpdateMeBody,
  decodeUpdateRequestBody,
  encodeEstimate,
  encodeOutput,
  encodePage,
  encodePort,
  encodeRequest,
  encodeRequestWithOutputs,
  encodeUser,
  encodeWithdrawalInstruction,
} from '@concierge-ts/adapter-http';
import type { ConciergeClient, ConciergeError, PageQuery } from '@concierge-ts/application';
import { OUTPUT_STATES, type OutputState, REQUEST_STATES, type RequestState } from '@concierge-ts/domain';
import { type Context, Hono } from 'hono';
import { err, ok, type Result } from 'neverthrow';
import type { Callers } from './caller.js';
import { readJsonBody } from './request-body.js';
import { answer, sendError } from './respond.js';

const badParameter = (parameter: string, detail: string): ConciergeError => ({
  type: 'bad_request',
  status: 400,
  code: 'invalid_parameter',
  detail,
  pointer: parameter,
});

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

/** The API of SPEC section 7 under /api, on top of the in-process client of each caller's key. */
export const apiRoutes = (callers: Callers): Hono => {
  const api = new Hono();

  /** Runs a handler with the caller's client, or answers 401/403. */
  const authed =
    (handler: (c: Context, client: ConciergeClient) => Promise<Response>) =>
    (c: Context): Promise<Response> => {
      const caller = callers.authenticate(c);
      return caller.isOk() ? handler(c, caller.value.client) : Promise.resolve(sendError(c, caller.error));
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

  api.get('/concierge_ports', (c) =>
    answer(c, callers.open().ports.list(), (ports) => ({ data: ports.map(encodePort) })),
  );

  api.post(
    '/concierge_estimates',
    async (c) =>
      await withBody(decodeEstimateBody, (c, client, input) =>
        answer(c, client.estimates.create(input), (e) => ({ data: encodeEstimate(e) })),
      )(c, callers.open()),
  );

  // ------------------------------------------------------------ requests

  api.post(
    '/concierge_requests',
    authed(
      withBody(decodeCreateRequestBody, (c, client, input) =>
        answer(c, client.requests.create(input), (r) => ({ data: encodeRequest(r) }), 201),
      ),
    ),
  );

  api.get(
    '/concierge_requests',
    authed((c, client) => {
      const state = oneOf<RequestState>(c, 'filter[state]', REQUEST_STATES);
      if (state.isErr()) return Promise.resolve(sendError(c, state.error));
      const externalId = optionalFilter(c, 'filter[external_id]');
      return answer(
        c,
        client.requests.list({
          ...(state.value === undefined ? {} : { state: state.value }),
          ...(externalId === undefined ? {} : { externalId }),
          page: pageQuery(c),
        }),
        (page) => encodePage(page, (r) => encodeRequest(r), c.req.url),
      );
    }),
  );

  api.get(
    '/concierge_requests/:id',
    authed((c, client) => {
      const include = c.req.query('include');
      const id = c.req.param('id') ?? '';
      if (include === undefined || include === '')
        return answer(c, client.requests.get(id), (r) => ({ data: encodeRequest(r) }));
      if (include === 'outputs')
        return answer(c, client.requests.getWithOutputs(id), encodeRequestWithOutputs);
      return Promise.resolve(sendError(c, badParameter('include', 'include supports only "outputs"')));
    }),
  );

  api.patch(
    '/concierge_requests/:id',
    authed(
      withBody(decodeUpdateRequestBody, (c, client, { id: bodyId, ...input }) => {
        const id = c.req.param('id') ?? '';
        if (bodyId !== undefined && bodyId !== id)
          return Promise.resolve(
            sendError(c, {
              type: 'conflict',
              status: 409,
              code: 'id_mismatch',
              detail: `data.id ${bodyId} does not match the request ${id} in the path`,
              pointer: '/data/id',
            }),
          );
        return answer(c, client.requests.update(id, input), (r) => ({ data: encodeRequest(r) }));
      }),
    ),
  );

  api.post(
    '/concierge_requests/:id/request_quote',
    authed(
      withBody(decodeRequestQuoteBody, (c, client, input) =>
        answer(c, client.requests.requestQuote(c.req.param('id') ?? '', input), (r) => ({
          data: encodeRequest(r),
        })),
      ),
    ),
  );

  api.post(
    '/concierge_requests/:id/accept_quote',
    authed((c, client) =>
      answer(c, client.requests.acceptQuote(c.req.param('id') ?? ''), (r) => ({ data: encodeRequest(r) })),
    ),
  );

  api.post(
    '/concierge_requests/:id/cancel',
    authed((c, client) =>
      answer(c, client.requests.cancel(c.req.param('id') ?? ''), (r) => ({ data: encodeRequest(r) })),
    ),
  );

  // ------------------------------------------------------------ outputs

  api.post(
    '/concierge_request_outputs',
    authed(
      withBody(decodeCreateOutputBody, (c, client, input) =>
        answer(c, client.outputs.create(input), (o) => ({ data: encodeOutput(o) }), 201),
      ),
    ),
  );

  api.get(
    '/concierge_request_outputs',
    authed((c, client) => {
      const state = oneOf<OutputState>(c, 'filter[state]', OUTPUT_STATES);
      if (state.isErr()) return Promise.resolve(sendError(c, state.error));
      const requestId = optionalFilter(c, 'filter[request_id]');
      return answer(
        c,
        client.outputs.list({
          ...(state.value === undefined ? {} : { state: state.value }),
          ...(requestId === undefined ? {} : { requestId }),
          page: pageQuery(c),
        }),
        (page) => encodePage(page, encodeOutput, c.req.url),
      );
    }),
  );

  api.get(
    '/concierge_request_outputs/:id',
    authed((c, client) =>
      answer(c, client.outputs.get(c.req.param('id') ?? ''), (o) => ({ data: encodeOutput(o) })),
    ),
  );

  // ------------------------------------------------------------ users

  api.post(
    '/users',
    authed(
      withBody(decodeCreateUserBody, (c, client, input) =>
        answer(c, client.users.create(input), (u) => ({ data: encodeUser(u) }), 201),
      ),
    ),
  );

  api.get(
    '/users',
    authed((c, client) =>
      answer(c, client.users.list({ page: pageQuery(c) }), (page) => encodePage(page, encodeUser, c.req.url)),
    ),
  );

  api.get(
    '/users/me',
    authed((c, client) => answer(c, client.users.me(), (u) => ({ data: encodeUser(u) }))),
  );

  api.patch(
    '/users/me',
    authed(
      withBody(decodeUpdateMeBody, (c, client, input) =>
        answer(c, client.users.updateMe(input), (u) => ({ data: encodeUser(u) })),
      ),
    ),
  );

  api.get(
    '/users/:id',
    authed((c, client) =>
      answer(c, client.users.get(c.req.param('id') ?? ''), (u) => ({ data: encodeUser(u) })),
    ),
  );

  // ------------------------------------------------------------ withdrawal instructions

  api.post(
    '/withdrawal_instructions',
    authed(
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
    authed((c, client) => {
      const userId = optionalFilter(c, 'filter[user_id]');
      return answer(
        c,
        client.withdrawalInstructions.list({
          ...(userId === undefined ? {} : { userId }),
          page: pageQuery(c),
        }),
        (page) => encodePage(page, encodeWithdrawalInstruction, c.req.url),
      );
    }),
  );

  api.get(
    '/withdrawal_instructions/:id',
    authed((c, client) =>
      answer(c, client.withdrawalInstructions.get(c.req.param('id') ?? ''), (i) => ({
        data: encodeWithdrawalInstruction(i),
      })),
    ),
  );

  return api;
};
