import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptanceChecks, type CheckInput } from './checks.js';
import { money } from './money.js';
import {
  arbCheckInput,
  arbComplianceState,
  arbCountryCode,
  arbCurrency,
  propertyTest,
} from './testing/index.js';

const test = propertyTest(it);

/** SPEC section 4: the acceptance checks that decide accepting → accepted or rejected. */

type Breakage = 'owner' | 'country' | 'currency' | 'below' | 'above' | 'amount_currency';

/** Breaks one thing of an input that passes every check but compliance. */
const arbBroken = (kinds: readonly Breakage[]) =>
  fc
    .record({
      input: arbCheckInput(),
      kind: fc.constantFrom(...kinds),
      country: arbCountryCode(),
      currency: arbCurrency(),
      by: fc.bigInt({ min: 1n, max: 10n ** 6n }),
    })
    .filter(
      ({ input, kind, country, currency }) =>
        (kind !== 'country' || country.toUpperCase() !== input.port.country) &&
        (kind !== 'currency' || currency.code !== input.port.currency.code) &&
        (kind !== 'amount_currency' || currency.code !== input.port.currency.code) &&
        (kind !== 'below' || input.port.minAmount.amount > 1n),
    )
    .map(({ input, kind, country, currency, by }): { input: CheckInput; kind: Breakage } => {
      const { port, instruction, amount } = input;
      switch (kind) {
        case 'owner':
          return {
            kind,
            input: { ...input, instruction: { ...instruction, userId: `${input.payee.id}-other` } },
          };
        case 'country':
          return { kind, input: { ...input, instruction: { ...instruction, country } } };
        case 'currency':
          return { kind, input: { ...input, instruction: { ...instruction, currency: currency.code } } };
        case 'below': {
          const lower = port.minAmount.amount - by;
          return { kind, input: { ...input, amount: money(lower > 0n ? lower : 1n, port.currency) } };
        }
        case 'above':
          return { kind, input: { ...input, amount: money(port.maxAmount.amount + by, port.currency) } };
        case 'amount_currency':
          return { kind, input: { ...input, amount: money(amount.amount, currency) } };
        default: {
          const unreachable: never = kind;
          return unreachable;
        }
      }
    });

const INSTRUCTION: readonly Breakage[] = ['owner', 'country', 'currency'];
const LIMITS: readonly Breakage[] = ['below', 'above', 'amount_currency'];

describe('acceptance checks', () => {
  test.prop([arbCheckInput(), fc.option(arbBroken([...INSTRUCTION, ...LIMITS]))], { numRuns: 300 })(
    'a payee whose compliance was rejected fails with compliance_rejected, whatever else holds',
    (input, broken) => {
      const base = broken?.input ?? input;
      const verdict = acceptanceChecks({ ...base, payee: { ...base.payee, complianceState: 'rejected' } });
      expect(verdict).toEqual({ kind: 'fail', reason: 'compliance_rejected' });
    },
  );

  test.prop([arbBroken(INSTRUCTION), fc.constantFrom('enabled', 'new', 'disabled' as const), fc.boolean()], {
    numRuns: 300,
  })(
    'an instruction of another user, or whose country or currency differ from the destination port, fails with instruction_mismatch (before the limits, even for a payee new or disabled)',
    ({ input }, state, alsoOutOfRange) => {
      const amount = alsoOutOfRange
        ? money(input.port.maxAmount.amount + 1n, input.port.currency)
        : input.amount;
      const verdict = acceptanceChecks({
        ...input,
        amount,
        payee: { ...input.payee, complianceState: state },
      });
      expect(verdict).toEqual({ kind: 'fail', reason: 'instruction_mismatch' });
    },
  );

  test.prop([arbBroken(LIMITS), fc.constantFrom('enabled', 'new', 'disabled' as const)], { numRuns: 300 })(
    'an amount below min_amount or above max_amount of the port (or not in its currency) fails with amount_out_of_range',
    ({ input }, state) => {
      const verdict = acceptanceChecks({ ...input, payee: { ...input.payee, complianceState: state } });
      expect(verdict).toEqual({ kind: 'fail', reason: 'amount_out_of_range' });
    },
  );

  test.prop([arbCheckInput(), arbComplianceState()], { numRuns: 300 })(
    'with the instruction and the amount in order, an enabled payee passes, a new or disabled one waits (accepting), a rejected one fails',
    (input, state) => {
      const verdict = acceptanceChecks({ ...input, payee: { ...input.payee, complianceState: state } });
      const expected = {
        enabled: { kind: 'pass' },
        new: { kind: 'wait' },
        disabled: { kind: 'wait' },
        rejected: { kind: 'fail', reason: 'compliance_rejected' },
      }[state];
      expect(verdict).toEqual(expected);
      // The limits are inclusive.
      for (const edge of [input.port.minAmount, input.port.maxAmount])
        expect(
          acceptanceChecks({ ...input, amount: edge, payee: { ...input.payee, complianceState: state } }),
        ).toEqual(expected);
    },
  );
});
