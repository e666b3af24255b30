import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptQuote,
  addOutput,
  type CancelTrigger,
  cancelRequest,
  type OutputAction,
  produceQuote,
  requestQuote,
  startWorking,
  stepOutput,
} from './aggregate.js';
import { type OutputCounters, recount } from './counters.js';
import { money } from './money.js';
import {
  isFinalOutputState,
  OUTPUT_STATES,
  OUTPUT_TRANSITIONS,
  OUTPUT_TRIGGERS,
  type Output,
  type OutputState,
  type OutputTrigger,
  transitionOutput,
} from './output.js';
import {
  isFinalRequestState,
  REQUEST_STATES,
  REQUEST_TRANSITIONS,
  REQUEST_TRIGGERS,
  type Request,
  type RequestState,
  type RequestTrigger,
  transitionRequest,
  updateRequest,
} from './request.js';
import {
  arbCounters,
  arbOutputRecord,
  arbOutputState,
  arbPricing,
  arbRequestRecord,
  arbRequestState,
  deepFreeze,
  propertyTest,
} from './testing/index.js';
import {
  SPEC_FINAL_OUTPUT_STATES,
  SPEC_FINAL_REQUEST_STATES,
  SPEC_OUTPUT_MOVES,
  SPEC_REQUEST_MOVES,
  specMove,
} from './testing/spec.js';

const test = propertyTest(it);

/** SPEC sections 3 and 4: the lifecycles, as SPEC's tables written out in testing/spec.ts. */
const requestMove = (state: RequestState, trigger: RequestTrigger): RequestState | undefined =>
  specMove(SPEC_REQUEST_MOVES, state, trigger) as RequestState | undefined;
const outputMove = (state: OutputState, trigger: OutputTrigger): OutputState | undefined =>
  specMove(SPEC_OUTPUT_MOVES, state, trigger) as OutputState | undefined;

const open = (c: OutputCounters) => c.accepting + c.accepted + c.working + c.settling + c.failed;

/** The guard SPEC section 3 puts on each trigger: the error code when it does not hold. */
const requestGuard = (request: Request, trigger: RequestTrigger, now: number): string | undefined => {
  const c = request.counters;
  switch (trigger) {
    case 'request_quote':
      return c.total - c.rejected > 0 ? undefined : 'no_payable_outputs';
    case 'accept_quote':
      return request.acceptQuoteBefore !== null && now < request.acceptQuoteBefore
        ? undefined
        : 'quote_expired';
    case 'expire_quote':
      return request.acceptQuoteBefore !== null && now >= request.acceptQuoteBefore
        ? undefined
        : 'quote_not_expired';
    case 'funds_deadline':
      return request.provisionFundsBefore !== null && now >= request.provisionFundsBefore
        ? undefined
        : 'deadline_not_reached';
    case 'no_payable_outputs':
      return c.total > 0 && c.rejected === c.total ? undefined : 'no_payable_outputs';
    case 'finish':
      return open(c) === 0 ? undefined : 'outputs_not_final';
    default:
      return undefined;
  }
};

const REASON_OF: Partial<Record<RequestTrigger, string>> = {
  cancel: 'cancelled_by_user',
  expire_quote: 'quote_not_accepted',
  funds_deadline: 'payment_not_received',
  prune_draft: 'draft_was_pruned',
  no_payable_outputs: 'no_payable_outputs',
};

/** A request record and an instant near one of its deadlines (both sides of each guard come up). */
/** Counters at the edges of the guards: none, all rejected, all final, or anything. */
const arbGuardCounters = fc.oneof(
  arbCounters(),
  fc.nat({ max: 4 }).map((n) => ({ ...recount([]), rejected: n, total: n })),
  fc
    .tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }))
    .map(([rejected, settled, returned, cancelled]) => ({
      ...recount([]),
      rejected,
      settled,
      returned,
      cancelled,
      total: rejected + settled + returned + cancelled,
    })),
);

const arbRequestAndNow = fc
  .tuple(arbRequestRecord(), arbGuardCounters, fc.integer({ min: -2, max: 2 }), fc.nat())
  .map(([record, counters, offset, which]) => {
    const request = { ...record, counters };
    const anchors = [
      request.acceptQuoteBefore,
      request.provisionFundsBefore,
      request.eta,
      request.createdAt,
    ].filter((t): t is number => t !== null);
    const anchor = anchors[which % anchors.length] ?? 0;
    return { request, now: anchor + offset };
  });

describe('the request lifecycle table', () => {
  it('every (state, trigger) pair outside the table is refused with invalid_transition; every pair inside moves to its target when the guard holds, and is refused with the guard code when not', () => {
    const accepted = new Set<string>();
    fc.assert(
      fc.property(arbRequestAndNow, ({ request: body, now }) => {
        for (const state of REQUEST_STATES) {
          const request = deepFreeze({ ...body, state });
          for (const trigger of REQUEST_TRIGGERS) {
            const result = transitionRequest(request, trigger, now);
            const target = requestMove(state, trigger);
            if (target === undefined) {
              const error = result._unsafeUnwrapErr();
              expect(error).toMatchObject({
                code: 'invalid_transition',
                entity: 'request',
                state,
                action: trigger,
              });
              continue;
            }
            const guard = requestGuard(request, trigger, now);
            if (guard) {
              expect(result._unsafeUnwrapErr()).toMatchObject({ code: guard, state, action: trigger });
              continue;
            }
            const moved = result._unsafeUnwrap();
            accepted.add(`${state} ${trigger}`);
            expect(moved.state).toBe(target);
            expect(moved.updatedAt).toBe(now);
            expect(moved.cancellationReason).toBe(REASON_OF[trigger] ?? request.cancellationReason);
            expect(moved.counters).toEqual(request.counters);
          }
        }
      }),
      { numRuns: 400 },
    );
    // Every pair of the table was seen accepted: the guards' good side came up too.
    expect(accepted.size).toBe(SPEC_REQUEST_MOVES.length);
  });

  test.prop([arbRequestAndNow], { numRuns: 300 })(
    'finished and cancelled are absorbing: every trigger, operation and update is refused with invalid_transition',
    ({ request: body, now }) => {
      for (const state of SPEC_FINAL_REQUEST_STATES) {
        const request = deepFreeze({ ...body, state });
        for (const trigger of REQUEST_TRIGGERS)
          expect(transitionRequest(request, trigger, now)._unsafeUnwrapErr().code).toBe('invalid_transition');
        const enough = money(10n ** 18n, { code: request.portCode.slice(3).toUpperCase(), exponent: 2 });
        const refusals = [
          requestQuote(request, now, now),
          produceQuote(
            request,
            [],
            () => {
              throw new Error('nothing to price');
            },
            now,
          ),
          acceptQuote(request, now),
          startWorking(request, [], request.totalToSpend ?? enough, now),
          ...(['cancel', 'expire_quote', 'funds_deadline', 'prune_draft', 'no_payable_outputs'] as const).map(
            (t) => cancelRequest(request, [], t, now),
          ),
          updateRequest(request, { externalId: 'x' }, now),
        ];
        for (const refused of refusals) expect(refused._unsafeUnwrapErr().code).toBe('invalid_transition');
      }
    },
  );

  test.prop([arbRequestRecord(arbRequestState().filter((s) => s !== 'draft')), fc.integer()], {
    numRuns: 200,
  })(
    'an output can be added only to a draft request; otherwise invalid_transition naming the state and add_output',
    (request, now) => {
      const output = {
        id: 'o1',
        requestId: request.id,
        payeeId: 'p',
        withdrawalInstructionId: 'w',
        portCode: request.portCode,
        target: { kind: 'budget' as const, budget: money(1n, { code: 'USD', exponent: 2 }) },
        now,
      };
      expect(addOutput(request, output)._unsafeUnwrapErr()).toMatchObject({
        code: 'invalid_transition',
        state: request.state,
        action: 'add_output',
      });
      const added = addOutput({ ...request, state: 'draft' }, output)._unsafeUnwrap();
      expect(added.outputs.map((o) => o.state)).toEqual(['accepting']);
      expect(added.request.counters.accepting).toBe(request.counters.accepting + 1);
      expect(added.request.counters.total).toBe(request.counters.total + 1);
    },
  );
});

const arbOutputAndNow = fc.tuple(
  arbOutputRecord(),
  fc.integer(),
  fc.option(fc.constantFrom('bank_refused', 'compliance_rejected')),
);

const OUTPUT_ACTIONS: readonly OutputAction[] = OUTPUT_TRIGGERS.filter(
  (t): t is OutputAction => t !== 'cancel_with_request' && t !== 'start_working',
);

describe('the output lifecycle table', () => {
  it('every (state, trigger) pair outside the table is refused with invalid_transition; every pair inside moves to its target, with a reason where one is required', () => {
    const accepted = new Set<string>();
    fc.assert(
      fc.property(arbOutputAndNow, ([body, now, reason]) => {
        for (const state of OUTPUT_STATES) {
          const output = deepFreeze({ ...body, state });
          for (const trigger of OUTPUT_TRIGGERS) {
            const result = transitionOutput(output, trigger, now, reason === null ? {} : { reason });
            const target = outputMove(state, trigger);
            if (target === undefined) {
              expect(result._unsafeUnwrapErr()).toMatchObject({
                code: 'invalid_transition',
                entity: 'output',
                state,
                action: trigger,
              });
              continue;
            }
            if ((trigger === 'fail_checks' || trigger === 'fail') && reason === null) {
              expect(result._unsafeUnwrapErr().code).toBe('reason_required');
              continue;
            }
            const moved = result._unsafeUnwrap();
            accepted.add(`${state} ${trigger}`);
            expect(moved.state).toBe(target);
            expect(moved.updatedAt).toBe(now);
            expect(moved.attempts).toBe(
              output.attempts + (trigger === 'start_working' || trigger === 'retry' ? 1 : 0),
            );
            if (trigger === 'fail_checks') expect(moved.rejectionReason).toBe(reason);
            if (trigger === 'fail') expect(moved.failureReason).toBe(reason);
            expect(moved.target).toEqual(output.target);
            expect(moved.price).toEqual(output.price);
          }
        }
      }),
      { numRuns: 400 },
    );
    expect(accepted.size).toBe(SPEC_OUTPUT_MOVES.length);
  });

  test.prop([arbOutputAndNow, arbRequestRecord(fc.constant<RequestState>('working'))], { numRuns: 300 })(
    'rejected, settled, returned and cancelled are absorbing: every trigger and every operator action is refused with invalid_transition',
    ([body, now, reason], request) => {
      for (const state of SPEC_FINAL_OUTPUT_STATES) {
        const output: Output = deepFreeze({ ...body, state, requestId: request.id });
        for (const trigger of OUTPUT_TRIGGERS)
          expect(
            transitionOutput(output, trigger, now, { reason: reason ?? 'r' })._unsafeUnwrapErr().code,
          ).toBe('invalid_transition');
        for (const action of OUTPUT_ACTIONS) {
          const result = stepOutput(request, output, action, now, {
            reason: 'r',
            returnCost: money(0n, { code: 'USD', exponent: 2 }),
          });
          expect(result._unsafeUnwrapErr().code).toBe('invalid_transition');
        }
      }
    },
  );

  test.prop([arbOutputState(), arbRequestRecord(), arbPricing({ max: 10n ** 6n }), fc.integer()], {
    numRuns: 300,
  })(
    'an operator action the table does not allow from the output state is refused with invalid_transition, whatever the request',
    (state, request, pricing, now) => {
      const output: Output = deepFreeze({
        id: 'o1',
        requestId: request.id,
        payeeId: 'p',
        withdrawalInstructionId: 'w',
        portCode: request.portCode,
        target: pricing.target,
        price: pricing.price,
        state,
        attempts: 1,
        rejectionReason: null,
        failureReason: null,
        cancellationReason: null,
        createdAt: 0,
        updatedAt: 0,
      });
      for (const action of OUTPUT_ACTIONS) {
        if (outputMove(state, action) !== undefined) continue;
        const result = stepOutput(deepFreeze(request), output, action, now, {
          reason: 'r',
          returnCost: money(1n, pricing.destination),
        });
        expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'invalid_transition', state, action });
      }
    },
  );
});

describe('the aggregate refuses what the request table refuses', () => {
  test.prop([arbRequestRecord(), fc.integer()], { numRuns: 300 })(
    'request_quote, accept_quote, start_working and every cancellation are refused with invalid_transition outside the table',
    (request, now) => {
      const frozen = deepFreeze(request);
      const enough = money(10n ** 18n, { code: request.portCode.slice(3).toUpperCase(), exponent: 2 });
      const checks: [RequestTrigger, ReturnType<typeof acceptQuote>][] = [
        ['request_quote', requestQuote(frozen, now, now)],
        ['accept_quote', acceptQuote(frozen, now)],
        ['start_working', startWorking(frozen, [], frozen.totalToSpend ?? enough, now)],
        ...(
          ['cancel', 'expire_quote', 'funds_deadline', 'prune_draft', 'no_payable_outputs'] as CancelTrigger[]
        ).map((t): [RequestTrigger, ReturnType<typeof acceptQuote>] => [
          t,
          cancelRequest(frozen, [], t, now),
        ]),
      ];
      for (const [trigger, result] of checks) {
        if (requestMove(request.state, trigger) === undefined)
          expect(result._unsafeUnwrapErr()).toMatchObject({
            code: 'invalid_transition',
            state: request.state,
          });
        else if (result.isErr()) expect(result.error.code).not.toBe('invalid_transition');
      }
    },
  );
});

it('the tables are the ones SPEC sections 3 and 4 write out', () => {
  const pairs = (table: Record<string, Record<string, string>>) =>
    Object.entries(table).flatMap(([from, moves]) =>
      Object.entries(moves).map(([t, to]) => `${from} -${t}-> ${to}`),
    );
  expect(pairs(REQUEST_TRANSITIONS).sort()).toEqual([...SPEC_REQUEST_MOVES].sort());
  expect(pairs(OUTPUT_TRANSITIONS).sort()).toEqual([...SPEC_OUTPUT_MOVES].sort());
});

it('the final states are the ones SPEC sections 3 and 4 name', () => {
  expect(REQUEST_STATES.filter(isFinalRequestState)).toEqual(SPEC_FINAL_REQUEST_STATES);
  expect(OUTPUT_STATES.filter(isFinalOutputState)).toEqual(SPEC_FINAL_OUTPUT_STATES);
});
