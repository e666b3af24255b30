import {
  acceptQuote as domainAcceptQuote,
  cancelRequest as domainCancelRequest,
  requestQuote as domainRequestQuote,
  updateRequest as domainUpdateRequest,
  draftRequest,
  invalidTransition,
  matchHint,
  type Output,
  type OutputPrice,
  type Request,
} from '@concierge-ts/domain';
import { err, ok, safeTry } from 'neverthrow';
import type { CreateRequestInput, ListRequestsQuery, UpdateRequestInput } from '../gateway/client.js';
import { conciergeError, fromDomainError } from '../gateway/errors.js';
import { type Field, field } from '../gateway/field.js';
import { pageOf } from '../gateway/page.js';
import type { Page, RequestView, RequestWithOutputs } from '../gateway/views.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { planFundsCheck } from './funds-checks.js';
import { optionalText, unprocessable } from './input.js';
import { activePort, quoteDelay } from './port-catalog.js';
import type { UserRecord } from './ports.js';
import { presentOutput, presentRequest } from './present.js';
import { destinationsOf } from './quotes.js';
import { apply, applyDomain } from './unit-of-work.js';
import { managedUser } from './users.js';

/**
 * The requests resource (SPEC sections 2 and 3): a payer's intent to pay many people, from
 * its draft to its quote request, acceptance or cancellation. What happens to a request
 * later, on the service's clock, is planned here and done by the timed moves.
 */

export const createRequest = (
  p: ProviderContext,
  caller: UserRecord,
  input: CreateRequestInput,
): ServiceResult<RequestView> =>
  safeTry(function* () {
    const port = yield* activePort(p, input.portCode, field.attribute('port_code'));
    const payer = yield* managedUser(p, caller, input.payerId, field.relationship('user'));
    const externalId = yield* optionalText(input.externalId, field.attribute('external_id'));
    const code = yield* optionalText(
      input.paymentAuthorizationCode,
      field.attribute('payment_authorization_code'),
    );
    const { request } = yield* apply(
      p,
      draftRequest({
        id: p.ids.next('request'),
        ownerId: caller.id,
        payerId: payer.id,
        portCode: port.code,
        externalId: externalId ?? null,
        paymentAuthorizationCode: code ?? null,
        now: p.time.now(),
      }),
    );
    // A draft left without a quote request is pruned (SPEC section 3).
    p.scheduler.schedule(request.createdAt + p.timings.pruneDraftAfterMs, {
      kind: 'prune_draft',
      requestId: request.id,
    });
    return ok(presentRequest(request));
  });

export const getRequest = (p: ProviderContext, caller: UserRecord, id: string): ServiceResult<RequestView> =>
  ownRequest(p, caller, id).map(presentRequest);

export const getRequestWithOutputs = (
  p: ProviderContext,
  caller: UserRecord,
  id: string,
): ServiceResult<RequestWithOutputs> =>
  ownRequest(p, caller, id).map((request) => ({
    ...presentRequest(request),
    outputs: Array.from(p.repos.outputs.listByRequest(request.id), (o) => presentOutput(o, request.portCode)),
  }));

export const listRequests = (
  p: ProviderContext,
  caller: UserRecord,
  query: ListRequestsQuery = {},
): ServiceResult<Page<RequestView>> => {
  const all = p.repos.requests.listByOwner(caller.id);
  const filtered = all.filter(
    (r) =>
      (query.state === undefined || r.state === query.state) &&
      (query.externalId === undefined || r.externalId === query.externalId),
  );
  return pageOf(filtered, query.page, presentRequest);
};

/** Changes `external_id` and `payment_authorization_code`, those given. */
export const updateRequest = (
  p: ProviderContext,
  caller: UserRecord,
  id: string,
  input: UpdateRequestInput,
): ServiceResult<RequestView> =>
  safeTry(function* () {
    const externalId = yield* optionalText(input.externalId, field.attribute('external_id'));
    const code = yield* optionalText(
      input.paymentAuthorizationCode,
      field.attribute('payment_authorization_code'),
    );
    const request = yield* ownRequest(p, caller, id);
    const updated = yield* domainUpdateRequest(
      request,
      {
        ...(externalId === undefined ? {} : { externalId }),
        ...(code === undefined ? {} : { paymentAuthorizationCode: code }),
      },
      p.time.now(),
    ).mapErr((e) => fromDomainError(e));
    p.repos.requests.save(updated);
    return ok(presentRequest(updated));
  });

/**
 * Asks for the quote (SPEC section 3). It comes later, never inside this answer: at the eta
 * of the slowest destination, or one quote step later when none is delayed or when a hint
 * token gives the estimate's prices.
 */
export const requestQuote = (
  p: ProviderContext,
  caller: UserRecord,
  id: string,
  input: { hintToken?: string } = {},
): ServiceResult<RequestView> =>
  safeTry(function* () {
    const request = yield* ownRequest(p, caller, id);
    const now = p.time.now();
    const outputs = p.repos.outputs.listByRequest(request.id);
    if (input.hintToken === undefined) {
      const eta = now + quoteDelay(p, destinationsOf(outputs));
      const requested = yield* applyDomain(p, domainRequestQuote(request, now, eta, p.windows));
      p.scheduler.schedule(eta > now ? eta : now + p.timings.quoteStepMs, {
        kind: 'produce_quote',
        requestId: requested.request.id,
      });
      return ok(presentRequest(requested.request));
    }
    const prices = yield* hintedPrices(p, request, outputs, input.hintToken, now);
    // Quoted at the estimate's prices, one quote step later: never inside this answer.
    const requested = yield* applyDomain(p, domainRequestQuote(request, now, now, p.windows));
    p.hintPrices.set(requested.request.id, prices);
    p.scheduler.schedule(now + p.timings.quoteStepMs, {
      kind: 'produce_quote',
      requestId: requested.request.id,
    });
    return ok(presentRequest(requested.request));
  });

/** The prices a hint token gives each output of a draft (SPEC section 6), or why it gives none. */
const hintedPrices = (
  p: ProviderContext,
  request: Request,
  outputs: Iterable<Output>,
  token: unknown,
  now: number,
): ServiceResult<ReadonlyMap<string, OutputPrice>> => {
  if (typeof token !== 'string' || token.length === 0)
    return unprocessable(
      'hint_token_malformed',
      'hint_token must be a non-empty string',
      field.attribute('hint_token'),
    );
  if (request.state !== 'draft')
    return err(
      fromDomainError(
        invalidTransition({ entity: 'request', id: request.id, state: request.state }, 'request_quote'),
      ),
    );
  return p.hints
    .decode(token)
    .andThen((binding) => matchHint(binding, request, outputs, now))
    .mapErr((e) => fromDomainError(e, field.attribute('hint_token')));
};

/** Accepts the quote; the funds are looked for later, as the provider does, never inside this answer. */
export const acceptQuote = (p: ProviderContext, caller: UserRecord, id: string): ServiceResult<RequestView> =>
  safeTry(function* () {
    const request = yield* ownRequest(p, caller, id);
    const accepted = (yield* applyDomain(p, domainAcceptQuote(request, p.time.now()))).request;
    planFundsCheck(p, accepted.id);
    if (accepted.provisionFundsBefore !== null)
      p.scheduler.schedule(accepted.provisionFundsBefore, { kind: 'funds_deadline', requestId: accepted.id });
    return ok(presentRequest(accepted));
  });

export const cancelRequest = (
  p: ProviderContext,
  caller: UserRecord,
  id: string,
): ServiceResult<RequestView> =>
  ownRequest(p, caller, id)
    .andThen((request) =>
      applyDomain(
        p,
        domainCancelRequest(request, p.repos.outputs.listByRequest(request.id), 'cancel', p.time.now()),
      ),
    )
    .map((c) => presentRequest(c.request));

/** A request of the caller's (404 otherwise, or 422 at `at` when it is a reference). */
export const ownRequest = (
  p: ProviderContext,
  caller: UserRecord,
  id: unknown,
  at?: Field,
): ServiceResult<Request> => {
  const request = typeof id === 'string' ? p.repos.requests.get(id) : undefined;
  if (request && request.ownerId === caller.id) return ok(request);
  return err(
    at
      ? conciergeError.unprocessable(
          'unknown_request',
          `request ${String(id)} does not exist or is not yours`,
          at,
        )
      : conciergeError.notFound('concierge_request', String(id)),
  );
};
