import {
  type SandboxPortCode,
  TEST_OUTCOMES,
  type TestOutcome,
  testInstructionBody,
  type WithdrawalInstructionBody,
} from '@concierge-ts/domain';
import fc from 'fast-check';
import { DEFAULT_PORT_ROWS } from '../catalog.js';

/** fast-check arbitraries for driving a ConciergeClient with realistic and hostile input. */

export const destinationPortCodes = DEFAULT_PORT_ROWS.map((row) => row.code);

/** A valid destination port of the default catalog. */
export const arbPortCode = (): fc.Arbitrary<string> => fc.constantFrom(...destinationPortCodes);

/** An amount within the port's limits, with the port currency's decimals (as the API takes it: a number). */
export const arbAmountFor = (portCode: string): fc.Arbitrary<number> => {
  const row = DEFAULT_PORT_ROWS.find((r) => r.code === portCode);
  const decimals = portCode.endsWith('clp') || portCode.endsWith('pyg') ? 0 : 2;
  const scale = 10 ** decimals;
  const min = (row?.min ?? 1) * scale;
  const max = Math.min((row?.max ?? 1000) * scale, min * 1000);
  return fc.integer({ min, max }).map((minor) => minor / scale);
};

/** A budget in ARS (origin), in pesos with cents. */
export const arbBudgetArs = (): fc.Arbitrary<number> =>
  fc.integer({ min: 10_000, max: 5_000_000 }).map((c) => c / 100);

/** Amount or budget for a destination, as the output attributes carry it. */
export const arbTargetFor = (portCode: string): fc.Arbitrary<{ amount: number } | { budget: number }> =>
  fc.oneof(
    arbAmountFor(portCode).map((amount) => ({ amount })),
    arbBudgetArs().map((budget) => ({ budget })),
  );

/** Values that are not a valid amount for any currency. */
export const arbMalformedAmount = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      0,
      -1,
      1e300,
      '',
      'abc',
      '1,5',
      null,
    ),
    fc.double({ max: -0.01, noNaN: true }),
    fc.integer({ min: 1, max: 1000 }).map((n) => n + 0.001),
    fc.string().filter((s) => Number.isNaN(Number(s))),
    fc.object(),
    fc.array(fc.integer()),
  );

/** What a sandbox payment to an instruction does: a test outcome, or `other` (settles, as any real account). */
export const arbInstructionOutcome = (): fc.Arbitrary<TestOutcome | 'other'> =>
  fc.constantFrom(...TEST_OUTCOMES, 'other' as const);

/** A withdrawal instruction body that can pay to `portCode` and picks one of the sandbox's outcomes. */
export const arbInstructionBodyFor = (portCode: SandboxPortCode): fc.Arbitrary<WithdrawalInstructionBody> =>
  arbInstructionOutcome().map((outcome) => testInstructionBody(portCode, outcome));

export const arbEmail = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.constantFrom('', '+new', '+disabled', '+rejected'))
    .map(([name, tag]) => `${name}${tag}@example.com`);
