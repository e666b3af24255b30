import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestDocument } from './documents.js';
import type { Output } from './output.js';
import { arbScenario, destinationOf, outputsOf, runScenario } from './testing/index.js';

/**
 * SPEC section 7: a request's receipt and credit note, over random sequences of operations.
 * The documents are worked out from the outputs; the ledger from the money movements the
 * domain made, applied one by one: the two must tell the same story.
 */
describe('receipts and credit notes', () => {
  it('exist once the payer is charged and once money went back, add up exactly, and agree with the ledger', () => {
    const seen = { receipts: 0, creditNotes: 0, returned: 0 };
    fc.assert(
      fc.property(arbScenario(), ({ config, operations }) => {
        for (const step of runScenario(config, operations)) {
          const world = step.after;
          const returnCostOf = (o: Output) => destinationOf(config, o).port.returnCost;
          const ledger = { settled: 0n, inFlight: 0n, returnCosts: 0n };
          for (const request of world.requests) {
            const outputs = outputsOf(world, request.id);
            const receipt = requestDocument('receipt', request, outputs, returnCostOf);
            const note = requestDocument('credit_note', request, outputs, returnCostOf);
            const charged = request.state === 'working' || request.state === 'finished';
            // The receipt exists exactly once the request was charged.
            expect(receipt !== null).toBe(charged);
            if (receipt === null) {
              expect(note).toBeNull();
              continue;
            }
            seen.receipts += 1;
            const t = receipt.totals;
            // What was charged: total_to_spend, the sum of the lines, each line's budget counted once.
            expect(t.budget).toEqual(request.totalToSpend);
            expect(t.budget.amount).toBe(receipt.lines.reduce((sum, l) => sum + l.budget.amount, 0n));
            expect(t.settled.amount + t.inFlight.amount + t.credited.amount + t.returnCosts.amount).toBe(
              t.budget.amount,
            );
            // The credit note exists once something was credited back, and credits what the receipt credits.
            const credited = receipt.lines.filter((l) =>
              ['rejected', 'cancelled', 'returned'].includes(l.state),
            );
            expect(note !== null).toBe(credited.length > 0);
            if (note !== null) {
              seen.creditNotes += 1;
              expect(note.lines.map((l) => l.outputId)).toEqual(credited.map((l) => l.outputId));
              expect(note.totals.credited).toEqual(t.credited);
              expect(note.totals.returnCosts).toEqual(t.returnCosts);
              expect(note.totals.credited.amount + note.totals.returnCosts.amount).toBe(
                note.totals.budget.amount,
              );
              if (note.lines.some((l) => l.state === 'returned')) seen.returned += 1;
            }
            if (request.state === 'working') ledger.inFlight += t.inFlight.amount;
            ledger.settled += t.settled.amount;
            ledger.returnCosts += t.returnCosts.amount;
          }
          // The payer's ledger, moved by the domain's movements, holds what the documents say.
          const b = world.balance;
          expect([b.spent, b.inFlight, b.returnCosts]).toEqual([
            ledger.settled,
            ledger.inFlight,
            ledger.returnCosts,
          ]);
          expect(b.deposited).toBe(b.available + b.inFlight + b.spent + b.returnCosts);
        }
      }),
      { numRuns: 200 },
    );
    // Not vacuous: receipts, credit notes and returns came up.
    expect(seen.receipts).toBeGreaterThan(0);
    expect(seen.creditNotes).toBeGreaterThan(0);
    expect(seen.returned).toBeGreaterThan(0);
  });
});
