import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startWorking } from './aggregate.js';
import { applyMovement, type Balance, emptyBalance, type MoneyMovement } from './balance.js';
import type { Currency } from './currency.js';
import { money } from './money.js';
import {
  arbCurrency,
  arbScenario,
  conservationViolations,
  outputsOf,
  propertyTest,
  runScenario,
} from './testing/index.js';

const test = propertyTest(it);

/** SPEC section 4: money is conserved. */

const arbLedger = (currency: Currency): fc.Arbitrary<Balance> =>
  fc
    .record({
      available: fc.bigInt({ min: 0n, max: 10n ** 15n }),
      inFlight: fc.bigInt({ min: 0n, max: 10n ** 15n }),
      spent: fc.bigInt({ min: 0n, max: 10n ** 15n }),
      returnCosts: fc.bigInt({ min: 0n, max: 10n ** 15n }),
    })
    .map((r) => ({
      ...emptyBalance('payer', currency),
      ...r,
      deposited: r.available + r.inFlight + r.spent + r.returnCosts,
    }));

const arbMovement = (currency: Currency): fc.Arbitrary<MoneyMovement> => {
  const amount = fc.bigInt({ min: 0n, max: 10n ** 12n }).map((n) => money(n, currency));
  const base = { payerId: 'payer', requestId: 'r1', outputId: 'o1' };
  return fc.oneof(
    amount.map((a): MoneyMovement => ({ kind: 'deposit', payerId: 'payer', amount: a })),
    amount.map((a): MoneyMovement => ({ kind: 'debit', payerId: 'payer', requestId: 'r1', amount: a })),
    amount.map((a): MoneyMovement => ({ kind: 'refund', ...base, amount: a })),
    amount.map((a): MoneyMovement => ({ kind: 'spend', ...base, amount: a })),
    fc
      .tuple(amount, amount)
      .map(([refunded, cost]): MoneyMovement => ({ kind: 'return', ...base, refunded, cost })),
  );
};

describe('money', () => {
  it('is conserved over random sequences of deposits, start of work, settlements, failures, retries, returns, provider cancels and rejections', () => {
    const kinds = new Set<string>();
    fc.assert(
      fc.property(arbScenario(), ({ config, operations }) => {
        for (const step of runScenario(config, operations)) {
          expect(step.refusedMovements).toEqual([]);
          expect(conservationViolations(config, step.after)).toEqual([]);
          if (step.result?.isOk()) for (const m of step.result.value.movements) kinds.add(m.kind);
        }
      }),
      { numRuns: 400 },
    );
    // Every kind of movement came up, so the property was not vacuous.
    expect([...kinds].sort()).toEqual(['debit', 'refund', 'return', 'spend']);
  });

  test.prop(
    [
      arbCurrency().chain((c) =>
        fc.tuple(arbLedger(c), fc.bigInt({ min: 1n, max: 10n ** 16n }), fc.constant(c)),
      ),
    ],
    { numRuns: 300 },
  )(
    'applyMovement refuses a debit beyond the available balance and accepts one within it',
    ([ledger, amount, currency]) => {
      const result = applyMovement(ledger, {
        kind: 'debit',
        payerId: 'payer',
        requestId: 'r1',
        amount: money(amount, currency),
      });
      if (amount > ledger.available) {
        const error = result._unsafeUnwrapErr();
        expect(error.code).toBe('insufficient_funds');
      } else {
        const next = result._unsafeUnwrap();
        expect(next.available).toBe(ledger.available - amount);
        expect(next.inFlight).toBe(ledger.inFlight + amount);
        expect(next.deposited).toBe(next.available + next.inFlight + next.spent + next.returnCosts);
      }
    },
  );

  test.prop(
    [arbCurrency().chain((c) => fc.tuple(arbLedger(c), fc.array(arbMovement(c), { maxLength: 30 })))],
    {
      numRuns: 300,
    },
  )(
    'every movement the ledger accepts keeps deposited = available + in flight + spent + return costs',
    ([ledger, movements]) => {
      let balance = ledger;
      for (const movement of movements) {
        const next = applyMovement(balance, movement);
        if (next.isErr()) {
          expect(next.error.code).toBe('insufficient_funds');
          continue;
        }
        balance = next.value;
        expect(balance.deposited).toBe(
          balance.available + balance.inFlight + balance.spent + balance.returnCosts,
        );
        expect(balance.available).toBeGreaterThanOrEqual(0n);
      }
    },
  );

  test.prop(
    [
      fc
        .tuple(arbCurrency(), arbCurrency())
        .filter(([a, b]) => a.code !== b.code)
        .chain(([a, b]) => fc.tuple(arbLedger(a), arbMovement(b))),
    ],
    { numRuns: 200 },
  )('a movement in another currency is refused with currency_mismatch', ([ledger, movement]) => {
    expect(applyMovement(ledger, movement)._unsafeUnwrapErr().code).toBe('currency_mismatch');
  });

  it('startWorking debits exactly total_to_spend, and a balance one minor unit short is refused with insufficient_funds', () => {
    let checked = 0;
    fc.assert(
      fc.property(arbScenario(), fc.bigInt({ min: 0n, max: 10n ** 9n }), ({ config, operations }, extra) => {
        // Every request that reached quote_accepted along the way, in the world of that moment.
        const seen = new Set<object>();
        for (const { after: world } of runScenario(config, operations))
          for (const request of world.requests) {
            if (request.state !== 'quote_accepted' || seen.has(request)) continue;
            seen.add(request);
            checked += 1;
            const total = request.totalToSpend!;
            const outputs = outputsOf(world, request.id);
            const short = startWorking(
              request,
              outputs,
              money(total.amount - 1n, config.origin.currency),
              world.now,
            );
            expect(short._unsafeUnwrapErr().code).toBe('insufficient_funds');
            const change = startWorking(
              request,
              outputs,
              money(total.amount + extra, config.origin.currency),
              world.now,
            )._unsafeUnwrap();
            const debits = change.movements.filter((m) => m.kind === 'debit');
            expect(debits).toEqual([
              { kind: 'debit', payerId: request.payerId, requestId: request.id, amount: total },
            ]);
            expect(change.request.fundsAvailable).toEqual(total);
            expect(change.request.state === 'working' || change.request.state === 'finished').toBe(true);
            // Every accepted output starts working; a priced output rejected since the quote is refunded in full.
            for (const output of outputs) {
              const after = change.outputs.find((o) => o.id === output.id) ?? output;
              if (output.state === 'accepted') expect(after.state).toBe('working');
              if (output.state === 'rejected' && output.price)
                expect(change.movements).toContainEqual(
                  expect.objectContaining({
                    kind: 'refund',
                    outputId: output.id,
                    amount: output.price.budget,
                  }),
                );
            }
          }
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(50);
  });
});
