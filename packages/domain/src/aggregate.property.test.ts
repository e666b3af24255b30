import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cancelRequest } from './aggregate.js';
import { updateRequest } from './request.js';
import {
  absorbingViolations,
  arbRequestWithOutputs,
  arbScenario,
  counterViolations,
  eventViolations,
  finalState,
  finishViolations,
  outputsOf,
  propertyTest,
  runOperation,
  runScenario,
  snapshot,
  workingViolations,
} from './testing/index.js';

const test = propertyTest(it);

/** Random sequences of operations on requests with random outputs, SPEC sections 2-4 and 8. */
describe('the request aggregate over random sequences of operations', () => {
  test.prop([arbScenario()], { numRuns: 300 })(
    'counters always equal a recount of the outputs and add up to outputs_total',
    ({ config, operations }) => {
      for (const step of runScenario(config, operations)) expect(counterViolations(step.after)).toEqual([]);
    },
  );

  test.prop([arbScenario()], { numRuns: 300 })(
    'a working request finishes exactly when its last output becomes final',
    ({ config, operations }) => {
      for (const step of runScenario(config, operations)) expect(finishViolations(step)).toEqual([]);
    },
  );

  test.prop([arbScenario()], { numRuns: 300 })(
    'outputs work only inside a working request, and an accepted output of a working request starts working at once',
    ({ config, operations }) => {
      for (const step of runScenario(config, operations)) expect(workingViolations(step.after)).toEqual([]);
    },
  );

  test.prop([arbScenario()], { numRuns: 300 })(
    'final states are absorbing: a finished or cancelled request, a rejected, settled, returned or cancelled output never changes again',
    ({ config, operations }) => {
      for (const step of runScenario(config, operations)) expect(absorbingViolations(step)).toEqual([]);
    },
  );

  test.prop([arbScenario()], { numRuns: 300 })(
    'every state change emits exactly one event concierge_request_<state> / concierge_request_output_<state>, along the tables',
    ({ config, operations }) => {
      for (const step of runScenario(config, operations)) expect(eventViolations(step)).toEqual([]);
    },
  );

  test.prop([arbScenario(40)], { numRuns: 200 })(
    'no operation mutates the entities it is given, and a refused one changes nothing',
    ({ config, operations }) => {
      // Every entity of the world is deeply frozen: a write would throw. The snapshot also
      // catches a change hidden from freezing.
      for (const step of runScenario(config, operations)) {
        const before = snapshot(step.before);
        const again = runOperation(config, step.before, step.operation);
        expect(snapshot(step.before)).toBe(before);
        expect(snapshot(again.after)).toBe(snapshot(step.after));
        if (step.result?.isErr()) {
          expect(step.after.requests).toEqual(step.before.requests);
          expect(step.after.outputs).toEqual(step.before.outputs);
        }
      }
    },
  );

  it('cancelling a request cancels its accepting and accepted outputs and leaves the rejected ones', () => {
    let checked = 0;
    fc.assert(
      fc.property(arbScenario(), ({ config, operations }) => {
        const steps = runScenario(config, operations);
        // Every cancellation that happened along the way...
        for (const step of steps) {
          for (const request of step.after.requests) {
            const before = step.before.requests.find((r) => r.id === request.id);
            if (!before || before.state === 'cancelled' || request.state !== 'cancelled') continue;
            checked += 1;
            for (const output of outputsOf(step.before, request.id)) {
              const after = step.after.outputs.get(output.id)!;
              if (after.state === 'rejected' && request.cancellationReason === 'no_payable_outputs') {
                // The step rejected the last payable output, and the request followed.
                expect(['accepting', 'rejected']).toContain(output.state);
              } else if (output.state === 'accepting' || output.state === 'accepted') {
                expect(after.state).toBe('cancelled');
                expect(after.cancellationReason).toBe(request.cancellationReason);
              } else expect(after).toBe(output);
            }
          }
        }
        // ...and a user's cancel of every request at the end that still allows one.
        const world = finalState(config, steps);
        for (const request of world.requests) {
          const outputs = outputsOf(world, request.id);
          const cancelled = cancelRequest(request, outputs, 'cancel', world.now);
          if (['draft', 'quote_requested', 'quoted'].includes(request.state)) {
            checked += 1;
            const change = cancelled._unsafeUnwrap();
            expect(change.request.state).toBe('cancelled');
            expect(change.request.cancellationReason).toBe('cancelled_by_user');
            const changed = new Map(change.outputs.map((o) => [o.id, o]));
            for (const output of outputs) {
              if (output.state === 'accepting' || output.state === 'accepted')
                expect(changed.get(output.id)?.state).toBe('cancelled');
              else expect(changed.has(output.id)).toBe(false);
            }
            const c = change.request.counters;
            expect(c.cancelled).toBe(
              request.counters.cancelled + request.counters.accepting + request.counters.accepted,
            );
            expect(c.rejected).toBe(request.counters.rejected);
            expect(c.accepting + c.accepted).toBe(0);
          } else {
            // Once the quote is accepted the integrator is committed (SPEC section 3).
            expect(cancelled._unsafeUnwrapErr().code).toBe('invalid_transition');
          }
        }
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(100);
  });

  test.prop(
    [
      arbRequestWithOutputs(),
      fc.option(fc.string({ maxLength: 12 })),
      fc.option(fc.string({ maxLength: 12 })),
      fc.boolean(),
    ],
    { numRuns: 300 },
  )(
    'external_id and payment_authorization_code may be changed until the request is final, and nothing else changes',
    ({ request, world }, externalId, code, both) => {
      const update = both ? { externalId, paymentAuthorizationCode: code } : { externalId };
      const result = updateRequest(request, update, world.now + 1);
      // SPEC section 3: finished and cancelled are final.
      if (request.state === 'finished' || request.state === 'cancelled') {
        expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'invalid_transition', action: 'update' });
        return;
      }
      const updated = result._unsafeUnwrap();
      expect(updated).toEqual({
        ...request,
        externalId,
        paymentAuthorizationCode: both ? code : request.paymentAuthorizationCode,
        updatedAt: world.now + 1,
      });
    },
  );

  it('the scenarios reach every request and output state (the properties above are not vacuous)', () => {
    const requestStates = new Set<string>();
    const outputStates = new Set<string>();
    fc.assert(
      fc.property(arbScenario(), ({ config, operations }) => {
        const world = finalState(config, runScenario(config, operations));
        for (const r of world.requests) requestStates.add(r.state);
        for (const o of world.outputs.values()) outputStates.add(o.state);
      }),
      // A fixed seed: coverage is a property of the generator, checked the same way each run.
      { numRuns: 500, seed: 20_261_123 },
    );
    expect([...requestStates].sort()).toEqual(
      ['cancelled', 'draft', 'finished', 'quote_accepted', 'quote_requested', 'quoted', 'working'].sort(),
    );
    expect(outputStates.size).toBe(9);
  });
});
