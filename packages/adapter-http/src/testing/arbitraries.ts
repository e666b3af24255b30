import type {
  DocumentView,
  EstimateView,
  OutputView,
  PortView,
  RequestView,
  UserView,
  WithdrawalInstructionView,
} from '@concierge-ts/application';
import {
  CANCELLATION_REASONS,
  type CancellationReason,
  COMPLIANCE_STATES,
  DOCUMENT_KINDS,
  type Money,
  OUTPUT_STATES,
  PORT_REQUIRED_FIELDS,
  type Rate,
  REQUEST_STATES,
  type SandboxPortCode,
  TEST_OUTCOMES,
  testInstructionBody,
} from '@concierge-ts/domain';
import fc from 'fast-check';

/**
 * fast-check arbitraries of the views a `ConciergeClient` returns, shaped as the API
 * sends them (money within what JSON numbers carry exactly, rates with 8 decimals,
 * timestamps with milliseconds): for codec round trips and wire fuzzing.
 */

const PORTS: readonly { code: SandboxPortCode; currency: string; scale: number }[] = [
  { code: 'ar_ars', currency: 'ARS', scale: 2 },
  { code: 'ar_usd', currency: 'USD', scale: 2 },
  { code: 'cl_clp', currency: 'CLP', scale: 0 },
  { code: 'mx_mxn', currency: 'MXN', scale: 2 },
  { code: 'uy_uyu', currency: 'UYU', scale: 2 },
  { code: 'py_pyg', currency: 'PYG', scale: 0 },
  { code: 'py_usd', currency: 'USD', scale: 2 },
  { code: 'us_usd', currency: 'USD', scale: 2 },
];

export const arbPortCodeOf = () => fc.constantFrom(...PORTS);

export const arbId = (): fc.Arbitrary<string> => fc.integer({ min: 1, max: 10_000_000 }).map(String);

/** Minor units up to 10^14: every such amount survives a JSON number. */
export const arbMoneyIn = (port: { currency: string; scale: number }, min = 1n): fc.Arbitrary<Money> =>
  fc
    .bigInt({ min, max: 100_000_000_000_000n })
    .map((amount) => ({ amount, currency: port.currency, scale: port.scale }));

export const arbRate = (): fc.Arbitrary<Rate> =>
  fc.bigInt({ min: 1n, max: 1_000_000_000_000n }).map((units) => ({ units }));

export const arbIsoTime = (): fc.Arbitrary<string> =>
  fc
    .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) })
    .map((ms) => new Date(ms).toISOString());

const arbText = () => fc.string({ maxLength: 24 });
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

export const arbOutputView = (): fc.Arbitrary<OutputView> =>
  fc.record({ destination: arbPortCodeOf(), origin: arbPortCodeOf() }).chain(({ destination, origin }) =>
    fc.record({
      id: arbId(),
      requestId: arbId(),
      payeeId: arbId(),
      withdrawalInstructionId: arbId(),
      state: fc.constantFrom(...OUTPUT_STATES),
      portCode: fc.constant(destination.code),
      originPortCode: fc.constant(origin.code),
      given: fc.constantFrom('amount' as const, 'budget' as const),
      amount: nullable(arbMoneyIn(destination)),
      budget: nullable(arbMoneyIn(origin)),
      rate: nullable(arbRate()),
      allInRate: nullable(arbRate()),
      feeAndCost: nullable(arbMoneyIn(origin, 0n)),
      attempts: fc.nat({ max: 10 }),
      rejectionReason: nullable(arbText()),
      failureReason: nullable(arbText()),
      cancellationReason: nullable(arbText()),
      failures: nullable(fc.array(arbId(), { maxLength: 3 })),
      createdAt: arbIsoTime(),
      updatedAt: arbIsoTime(),
    }),
  );

const cancellationReasons = [...new Set(Object.values(CANCELLATION_REASONS))] as CancellationReason[];

export const arbRequestView = (): fc.Arbitrary<RequestView> =>
  arbPortCodeOf().chain((origin) =>
    fc.record({
      id: arbId(),
      state: fc.constantFrom(...REQUEST_STATES),
      portCode: fc.constant(origin.code),
      payerId: arbId(),
      externalId: nullable(arbText()),
      paymentAuthorizationCode: nullable(arbText()),
      counters: fc.tuple(...OUTPUT_STATES.map(() => fc.nat({ max: 1000 }))).map((counts) => {
        const byState = Object.fromEntries(OUTPUT_STATES.map((s, i) => [s, counts[i] ?? 0]));
        const total = counts.reduce((a, b) => a + b, 0);
        return { ...byState, total } as RequestView['counters'];
      }),
      eta: nullable(arbIsoTime()),
      quoteRequestedAt: nullable(arbIsoTime()),
      quotedAt: nullable(arbIsoTime()),
      acceptQuoteBefore: nullable(arbIsoTime()),
      quoteAcceptedAt: nullable(arbIsoTime()),
      provisionFundsBefore: nullable(arbIsoTime()),
      totalToSpend: nullable(arbMoneyIn(origin)),
      fundsAvailable: nullable(arbMoneyIn(origin, 0n)),
      cancellationReason: nullable(fc.constantFrom(...cancellationReasons)),
      receiptUrl: nullable(arbText()),
      creditNoteUrl: nullable(arbText()),
      createdAt: arbIsoTime(),
      updatedAt: arbIsoTime(),
    }),
  );

export const arbPortView = (): fc.Arbitrary<PortView> =>
  arbPortCodeOf().chain((port) =>
    fc.record({
      code: fc.constant(port.code),
      country: fc.constant(port.code.slice(0, 2).toUpperCase()),
      currency: fc.constant(port.currency),
      minAmount: arbMoneyIn(port),
      maxAmount: arbMoneyIn(port),
      quoteDelaySeconds: fc.nat({ max: 86_400 }),
      returnCost: arbMoneyIn(port, 0n),
      active: fc.boolean(),
      withdrawalInstructionFields: fc.constant(PORT_REQUIRED_FIELDS[port.code]),
    }),
  );

export const arbEstimateView = (): fc.Arbitrary<EstimateView> =>
  arbPortCodeOf().chain((origin) =>
    fc.record({
      portCode: fc.constant(origin.code),
      totalToSpend: arbMoneyIn(origin),
      hintToken: fc.string({ minLength: 1, maxLength: 40 }),
      expiresAt: arbIsoTime(),
      outputs: fc.array(
        arbPortCodeOf().chain((destination) =>
          fc.record({
            portCode: fc.constant(destination.code),
            given: fc.constantFrom('amount' as const, 'budget' as const),
            amount: arbMoneyIn(destination),
            budget: arbMoneyIn(origin),
            rate: arbRate(),
            allInRate: arbRate(),
            feeAndCost: arbMoneyIn(origin, 0n),
          }),
        ),
        { maxLength: 5 },
      ),
    }),
  );

/** A receipt or credit note as the API sends it (its totals need not add up: this is for the codec). */
export const arbDocumentView = (): fc.Arbitrary<DocumentView> =>
  fc.record({ origin: arbPortCodeOf(), requestId: arbId() }).chain(({ origin, requestId }) =>
    fc.constantFrom(...DOCUMENT_KINDS).chain((kind) =>
      fc.record({
        id: fc.constant(`${requestId}-${kind}`),
        kind: fc.constant(kind),
        requestId: fc.constant(requestId),
        requestState: fc.constantFrom(...REQUEST_STATES),
        portCode: fc.constant(origin.code),
        issuedAt: arbIsoTime(),
        lines: fc.array(
          arbPortCodeOf().chain((destination) =>
            fc.record({
              outputId: arbId(),
              state: fc.constantFrom(...OUTPUT_STATES),
              portCode: fc.constant(destination.code),
              amount: arbMoneyIn(destination),
              budget: arbMoneyIn(origin),
              feeAndCost: arbMoneyIn(origin, 0n),
              credited: arbMoneyIn(origin, 0n),
              returnCost: arbMoneyIn(origin, 0n),
            }),
          ),
          { maxLength: 5 },
        ),
        totals: fc.record({
          budget: arbMoneyIn(origin, 0n),
          fees: arbMoneyIn(origin, 0n),
          settled: arbMoneyIn(origin, 0n),
          inFlight: arbMoneyIn(origin, 0n),
          credited: arbMoneyIn(origin, 0n),
          returnCosts: arbMoneyIn(origin, 0n),
        }),
      }),
    ),
  );

export const arbUserView = (): fc.Arbitrary<UserView> =>
  fc.record({
    id: arbId(),
    email: nullable(fc.emailAddress()),
    name: nullable(arbText()),
    complianceState: fc.constantFrom(...COMPLIANCE_STATES),
    master: fc.boolean(),
    webhookUrl: nullable(fc.webUrl()),
    balances: fc
      .uniqueArray(arbPortCodeOf(), { selector: (p) => p.currency, maxLength: 4 })
      .chain((ports) =>
        fc
          .tuple(...ports.map((p) => arbMoneyIn(p, 0n)))
          .map((amounts) => Object.fromEntries(amounts.map((m) => [m.currency.toLowerCase(), m]))),
      ),
    createdAt: arbIsoTime(),
  });

/** A body as the service keeps it: one that pays to a port of the catalog, with any outcome in a sandbox, and a holder's name. */
export const arbInstructionBody = (): fc.Arbitrary<Readonly<Record<string, string>>> =>
  fc
    .record({
      port: arbPortCodeOf(),
      outcome: fc.constantFrom(...TEST_OUTCOMES, 'other' as const),
      name: arbText(),
    })
    .map(({ port, outcome, name }) => ({ ...testInstructionBody(port.code, outcome), name }));

export const arbWithdrawalInstructionView = (): fc.Arbitrary<WithdrawalInstructionView> =>
  fc.record({
    id: arbId(),
    userId: arbId(),
    label: nullable(arbText()),
    body: arbInstructionBody(),
    createdAt: arbIsoTime(),
  });
