import * as isoCurrencies from 'dinero.js/bigint/currencies';
import fc, { type Arbitrary } from 'fast-check';
import type { Result } from 'neverthrow';
import type { CheckInput } from '../checks.js';
import type { OutputCounters } from '../counters.js';
import { type Currency, currencyOf } from '../currency.js';
import type { DomainError, MoneyRefusal } from '../errors.js';
import { MAX_MAJOR_UNITS, type Money, money } from '../money.js';
import {
  OUTPUT_STATES,
  OUTPUT_TRIGGERS,
  type Output,
  type OutputState,
  type OutputTrigger,
} from '../output.js';
import { type Port, type PortCatalog, type PortCode, parsePortCode } from '../port.js';
import { allInRate, type OutputTarget, type PriceQuote, priceOutput } from '../pricing.js';
import type { Rate } from '../rate.js';
import {
  REQUEST_STATES,
  REQUEST_TRIGGERS,
  type Request,
  type RequestState,
  type RequestTrigger,
} from '../request.js';
import { COMPLIANCE_STATES, type ComplianceState } from '../user/user.js';
import { requiredFieldsOf } from '../withdrawal-instruction/port-requirements.js';

/**
 * fast-check arbitraries of the domain, for our own property tests and for integrators'.
 * Everything here is pure data generation: no vitest, no I/O.
 */

/** The value of an Ok; throws on an Err. For test data built from known-good input only. */
export const unwrap = <T>(result: Result<T, DomainError>): T =>
  result.match(
    (value) => value,
    (error) => {
      throw new Error(`expected Ok, got ${error.code}: ${error.message}`);
    },
  );

// ---------------------------------------------------------------------------------------------
// Currencies and port codes

/** Every ISO 4217 currency the domain knows, with its exponent. */
export const ISO_CURRENCIES: readonly Currency[] = Object.keys(isoCurrencies)
  .map((code) => currencyOf(code))
  .flatMap((result) => (result.isOk() ? [result.value] : []));

/** The ports SPEC section 1 lists. */
export const SPEC_PORT_CODES = [
  'ar_ars',
  'ar_usd',
  'cl_clp',
  'mx_mxn',
  'uy_uyu',
  'py_pyg',
  'py_usd',
  'us_usd',
] as const;

/** The currencies of the ports SPEC section 1 lists (exponents 0 and 2). */
export const SPEC_CURRENCIES: readonly Currency[] = ['ARS', 'CLP', 'MXN', 'PYG', 'USD', 'UYU'].map((code) =>
  unwrap(currencyOf(code)),
);

/** Any ISO 4217 currency; the spec's currencies come up more often. */
export const arbCurrency = (): Arbitrary<Currency> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...SPEC_CURRENCIES), weight: 1 },
    { arbitrary: fc.constantFrom(...ISO_CURRENCIES), weight: 2 },
  );

const LOWER = 'abcdefghijklmnopqrstuvwxyz'.split('');

/** Two lower-case letters, as a port code spells a country. */
export const arbCountryCode = (): Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom('ar', 'cl', 'mx', 'uy', 'py', 'us'),
    fc.tuple(fc.constantFrom(...LOWER), fc.constantFrom(...LOWER)).map(([a, b]) => a + b),
  );

/** A well-formed port code (`ar_ars`): any country, any ISO 4217 currency, lower case. */
export const arbPortCode = (): Arbitrary<PortCode> =>
  fc
    .oneof(
      fc.constantFrom(...SPEC_PORT_CODES),
      fc
        .tuple(arbCountryCode(), arbCurrency())
        .map(([country, currency]) => `${country}_${currency.code.toLowerCase()}`),
    )
    .map((text) => unwrap(parsePortCode(text)).code);

const PORT_CODE_SHAPE = /^[a-z]{2}_[a-z]{3}$/;

/** Three lower-case letters that are not an ISO 4217 currency. */
export const arbUnknownCurrencyCode = (): Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...LOWER), fc.constantFrom(...LOWER), fc.constantFrom(...LOWER))
    .map((letters) => letters.join(''))
    .filter((code) => currencyOf(code).isErr());

/**
 * Anything `parsePortCode` must refuse with `invalid_port_code`: strings of the wrong shape
 * (case, separator, length, spaces), an unknown currency, and values that are not strings.
 */
export const arbMalformedPortCode = (): Arbitrary<unknown> =>
  fc.oneof(
    fc.string({ maxLength: 12 }).filter((s) => !PORT_CODE_SHAPE.test(s)),
    arbPortCode().chain((code) =>
      fc.constantFrom(
        code.toUpperCase(),
        `${code.slice(0, 2)}_${code.slice(3).toUpperCase()}`,
        code.replace('_', '-'),
        code.replace('_', ''),
        ` ${code}`,
        `${code} `,
        `${code}\n`,
        `${code}x`,
        code.slice(1),
        `${code.slice(0, 2)}__${code.slice(3)}`,
      ),
    ),
    fc
      .tuple(arbCountryCode(), arbUnknownCurrencyCode())
      .map(([country, currency]) => `${country}_${currency}`),
    fc.anything().filter((value) => typeof value !== 'string'),
    fc.constantFrom(null, undefined, 42, Number.NaN, true, [], {}, ['ar_ars'], { code: 'ar_ars' }, 10n),
  );

// ---------------------------------------------------------------------------------------------
// Money

export interface MoneyRange {
  /** Smallest amount in minor units (default 1). */
  readonly min?: bigint;
  /** Largest amount in minor units (default: the largest amount parseMoney accepts). */
  readonly max?: bigint;
}

/** The largest amount `parseMoney` accepts in a currency, in minor units. */
export const maxMinorUnits = (currency: Currency): bigint =>
  MAX_MAJOR_UNITS * 10n ** BigInt(currency.exponent);

/** A bigint in [min, max], small values more often than huge ones. */
export const arbMinorUnits = (min: bigint, max: bigint): Arbitrary<bigint> => {
  const small = min + 10n ** 6n < max ? min + 10n ** 6n : max;
  return fc.oneof(
    { arbitrary: fc.bigInt({ min, max: small }), weight: 3 },
    { arbitrary: fc.bigInt({ min, max }), weight: 1 },
    { arbitrary: fc.constantFrom(min, max), weight: 1 },
  );
};

/** Money of a currency, positive by default, never beyond what parseMoney accepts. */
export const arbMoney = (currency: Currency, range: MoneyRange = {}): Arbitrary<Money> =>
  arbMinorUnits(range.min ?? 1n, range.max ?? maxMinorUnits(currency)).map((amount) =>
    money(amount, currency),
  );

/** Money of any currency. */
export const arbAnyMoney = (range: MoneyRange = {}): Arbitrary<Money> =>
  arbCurrency().chain((currency) => arbMoney(currency, range));

/** Decimal text of minor units at a scale, e.g. 150n, 2 -> "1.50". Independent of the domain's formatter. */
export const decimalText = (minor: bigint, scale: number): string => {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const text =
    scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
};

/**
 * Spellings of a valid amount that parseMoney must read as `expected` (SPEC 5): plain
 * decimal text, with extra trailing zeros, and the JSON number when it is exact.
 */
export const arbAmountSpelling = (currency: Currency, range: MoneyRange = {}) =>
  arbMoney(currency, range).chain((expected) => {
    const text = decimalText(expected.amount, expected.scale);
    const spellings: string[] = [text, expected.scale === 0 ? `${text}.00` : `${text}000`];
    // The JSON number, when it reads back as the same decimal (up to 15 significant digits).
    const asNumber = Number(text);
    const canonical = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
    const inputs: (string | number)[] = [...spellings];
    if (String(asNumber) === canonical) inputs.push(asNumber);
    return fc.constantFrom(...inputs).map((input) => ({ input, expected }));
  });

/** An input parseMoney must refuse, with the reason it must give. */
export interface MalformedAmount {
  readonly input: unknown;
  readonly reason: MoneyRefusal;
}

const digitString = (maxLength: number) =>
  fc.array(fc.constantFrom(...'0123456789'.split('')), { minLength: 1, maxLength }).map((d) => d.join(''));

/**
 * Amounts parseMoney must refuse for `currency` (payments: zero refused), each with its
 * reason: NaN, non-numbers and strings that are not plain decimal text (a sign, an
 * exponent, spaces), infinite numbers, zero, negatives, too many decimals, too large.
 */
export const arbMalformedAmount = (currency: Currency): Arbitrary<MalformedAmount> => {
  const exp = currency.exponent;
  const positiveText = arbMoney(currency, { max: 10n ** 12n }).map((m) => decimalText(m.amount, m.scale));
  const notANumber = fc.oneof(
    fc.constant(Number.NaN),
    fc.constantFrom(null, undefined, true, false, 10n, [], [1], {}, { amount: 1 }, Symbol('amount'), () => 1),
    fc.anything().filter((v) => typeof v !== 'number' && typeof v !== 'string'),
    fc.constantFrom(
      '',
      ' ',
      'abc',
      '1,5',
      '1.2.3',
      '--1',
      '0x10',
      '1_000',
      '½',
      '1e',
      'e5',
      '.',
      '-',
      '5.',
      '1 000',
      'NaN',
      // SPEC 5: a string amount is digits and one optional point, nothing else.
      '.5',
      '+0',
      '0e5',
      'Infinity',
      '-Infinity',
      '+Infinity',
      'inf',
      'INF',
      '-inf',
    ),
    positiveText.chain((t) => fc.constantFrom(`+${t}`, ` ${t}`, `${t} `, `${t}e0`, `${t}E2`, `\t${t}`)),
    fc
      .tuple(
        digitString(10),
        fc.constantFrom('#', ',', '_', 'x', 'q', '$', '/', '..', ' 1', '%'),
        digitString(10),
      )
      .map(([a, junk, b]) => `${a}${junk}${b}`),
  );
  const notFinite = fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
  const notPositive = fc.constantFrom(0, -0, '0', '0.0', '0.000000');
  const negative = fc.oneof(
    fc.constant('-0'),
    positiveText.map((t) => `-${t}`),
    positiveText.map((t) => -Number(t)).filter((n) => n < 0),
    fc.constantFrom(-1, -0.01, Number.MIN_SAFE_INTEGER, -Number.MAX_VALUE),
  );
  const tooManyDecimals = fc
    .tuple(
      fc.bigInt({ min: 0n, max: 10n ** 9n }),
      fc.integer({ min: exp + 1, max: exp + 12 }),
      fc.integer({ min: 1, max: 9 }),
    )
    .chain(([whole, scale, last]) => {
      const fraction = `${'0'.repeat(scale - 1)}${last}`;
      const text = `${whole}.${fraction}`;
      const asNumber = Number(text);
      return fc.constantFrom<unknown>(text, ...(String(asNumber) === text ? [asNumber] : []));
    });
  const max = maxMinorUnits(currency);
  const tooLarge = fc.oneof(
    fc.bigInt({ min: MAX_MAJOR_UNITS + 1n, max: 10n ** 30n }).map((n) => n.toString()),
    fc.constantFrom(1e13, 1e20, 1e300, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER * 1000),
    fc.constant(decimalText(max + 1n, exp)),
    fc.integer({ min: 65, max: 200 }).map((n) => '9'.repeat(n)),
  );
  return fc.oneof(
    notANumber.map((input) => ({ input, reason: 'not_a_number' as const })),
    notFinite.map((input) => ({ input, reason: 'not_finite' as const })),
    notPositive.map((input) => ({ input, reason: 'not_positive' as const })),
    negative.map((input) => ({ input, reason: 'negative' as const })),
    tooManyDecimals.map((input) => ({ input, reason: 'too_many_decimals' as const })),
    tooLarge.map((input) => ({ input, reason: 'too_large' as const })),
  );
};

// ---------------------------------------------------------------------------------------------
// Ports and catalogs

export interface PortOptions {
  readonly code?: Arbitrary<PortCode>;
  /** Force the port active (true) or inactive (false); random otherwise. */
  readonly active?: boolean;
  /** Force a quote delay in milliseconds; random otherwise (mostly 0, as for Latin America). */
  readonly quoteDelayMs?: number;
}

/** A port of the catalog: limits min ≤ max, a return cost, a quote delay, active or not. */
export const arbPort = (options: PortOptions = {}): Arbitrary<Port> =>
  (options.code ?? arbPortCode()).chain((code) => {
    const parsed = unwrap(parsePortCode(code));
    const currency = parsed.currency;
    const unit = 10n ** BigInt(currency.exponent);
    return fc
      .record({
        min: fc.bigInt({ min: 1n, max: 1000n * unit }),
        spread: fc.bigInt({ min: 0n, max: 10n ** 7n * unit }),
        returnCost: fc.bigInt({ min: 0n, max: 100n * unit }),
        quoteDelayMs:
          options.quoteDelayMs === undefined
            ? fc.oneof(
                fc.constant(0),
                fc.constantFrom(3_600_000, 60_000),
                fc.integer({ min: 0, max: 7_200_000 }),
              )
            : fc.constant(options.quoteDelayMs),
        active: options.active === undefined ? fc.boolean() : fc.constant(options.active),
      })
      .map(
        (r): Port => ({
          code: parsed.code,
          country: parsed.country,
          currency,
          minAmount: money(r.min, currency),
          maxAmount: money(r.min + r.spread, currency),
          quoteDelayMs: r.quoteDelayMs,
          returnCost: money(r.returnCost, currency),
          active: r.active,
          instructionFields: requiredFieldsOf(parsed.code),
        }),
      );
  });

/** A catalog of ports with distinct codes. */
export const arbPortCatalog = (
  options: { readonly minPorts?: number; readonly maxPorts?: number; readonly active?: boolean } = {},
): Arbitrary<PortCatalog> =>
  fc
    .uniqueArray(arbPort(options.active === undefined ? {} : { active: options.active }), {
      selector: (port) => port.code,
      minLength: options.minPorts ?? 1,
      maxLength: options.maxPorts ?? 8,
    })
    .map((ports) => ({ ports }));

// ---------------------------------------------------------------------------------------------
// Rates, quotes and targets

/** A rate with 8 decimals from 0.00000001 to about 10^5 (CLP→USD, USD→PYG, ...). */
export const arbRate = (): Arbitrary<Rate> =>
  fc
    .tuple(fc.integer({ min: 1, max: 99_999_999 }), fc.integer({ min: 0, max: 5 }))
    .map(([mantissa, shift]) => ({ units: BigInt(mantissa) * 10n ** BigInt(shift) }));

/** A fee fraction in [0, 1) with 8 decimals, mostly a few percent. */
export const arbFee = (): Arbitrary<Rate> =>
  fc
    .oneof(
      { arbitrary: fc.integer({ min: 0, max: 5_000_000 }), weight: 4 },
      { arbitrary: fc.integer({ min: 0, max: 99_999_999 }), weight: 1 },
      { arbitrary: fc.constantFrom(0, 99_999_999), weight: 1 },
    )
    .map((units) => ({ units: BigInt(units) }));

/**
 * What a pricing source gives for one destination: a rate and a fee whose all-in rate is
 * at least 0.00000001 (a pricing source that prices a payment at nothing is not one).
 */
export const arbPriceQuote = (): Arbitrary<PriceQuote> =>
  fc.record({ rate: arbRate(), fee: arbFee() }).filter((quote) => allInRate(quote).units > 0n);

/** What an output asks for: an amount in the destination currency or a budget in the origin's. */
export const arbOutputTarget = (
  origin: Currency,
  destination: Currency,
  range: MoneyRange = {},
): Arbitrary<OutputTarget> =>
  fc.oneof(
    arbMoney(destination, range).map((amount): OutputTarget => ({ kind: 'amount', amount })),
    arbMoney(origin, range).map((budget): OutputTarget => ({ kind: 'budget', budget })),
  );

/** A priced output: origin and destination currencies, target, quote and the price the domain gives. */
export const arbPricing = (range: MoneyRange = {}) =>
  fc
    .record({ origin: arbCurrency(), destination: arbCurrency(), quote: arbPriceQuote() })
    .chain(({ origin, destination, quote }) =>
      arbOutputTarget(origin, destination, range).map((target) => ({
        origin,
        destination,
        quote,
        target,
        price: priceOutput(target, quote, origin, destination),
      })),
    );

// ---------------------------------------------------------------------------------------------
// Lifecycle records (any field values, reachable or not: for the transition tables)

export const arbRequestState = (): Arbitrary<RequestState> => fc.constantFrom(...REQUEST_STATES);
export const arbOutputState = (): Arbitrary<OutputState> => fc.constantFrom(...OUTPUT_STATES);
export const arbRequestTrigger = (): Arbitrary<RequestTrigger> => fc.constantFrom(...REQUEST_TRIGGERS);
export const arbOutputTrigger = (): Arbitrary<OutputTrigger> => fc.constantFrom(...OUTPUT_TRIGGERS);

/** Counters that add up, with small numbers (zero often). */
export const arbCounters = (): Arbitrary<OutputCounters> =>
  fc
    .tuple(...OUTPUT_STATES.map(() => fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 }))))
    .map((counts) => {
      const entries = OUTPUT_STATES.map((state, i) => [state, counts[i] ?? 0] as const);
      const total = entries.reduce((sum, [, n]) => sum + n, 0);
      return { ...Object.fromEntries(entries), total } as OutputCounters;
    });

const arbInstant = (): Arbitrary<number> => fc.integer({ min: 0, max: 4_000_000_000_000 });
const arbId = (prefix: string): Arbitrary<string> => fc.nat({ max: 10_000 }).map((n) => `${prefix}${n}`);

/** A request record in any state with arbitrary (consistent) counters and deadlines. */
export const arbRequestRecord = (state: Arbitrary<RequestState> = arbRequestState()): Arbitrary<Request> =>
  fc
    .record({
      id: arbId('r'),
      state,
      portCode: arbPortCode(),
      counters: arbCounters(),
      eta: fc.option(arbInstant()),
      quoteRequestedAt: fc.option(arbInstant()),
      quotedAt: fc.option(arbInstant()),
      acceptQuoteBefore: fc.option(arbInstant()),
      quoteAcceptedAt: fc.option(arbInstant()),
      provisionFundsBefore: fc.option(arbInstant()),
      total: fc.option(fc.bigInt({ min: 1n, max: 10n ** 12n })),
      createdAt: arbInstant(),
    })
    .map((r): Request => {
      const currency = unwrap(parsePortCode(r.portCode)).currency;
      return {
        id: r.id,
        ownerId: 'master',
        payerId: 'payer',
        portCode: r.portCode,
        state: r.state,
        externalId: null,
        paymentAuthorizationCode: null,
        counters: r.counters,
        eta: r.eta,
        quoteRequestedAt: r.quoteRequestedAt,
        quotedAt: r.quotedAt,
        acceptQuoteBefore: r.acceptQuoteBefore,
        quoteAcceptedAt: r.quoteAcceptedAt,
        provisionFundsBefore: r.provisionFundsBefore,
        totalToSpend: r.total === null ? null : money(r.total, currency),
        fundsAvailable: null,
        cancellationReason: null,
        receiptIssuedAt: null,
        creditNoteIssuedAt: null,
        createdAt: r.createdAt,
        updatedAt: r.createdAt,
      };
    });

/** An output record in any state, priced or not. */
export const arbOutputRecord = (state: Arbitrary<OutputState> = arbOutputState()): Arbitrary<Output> =>
  fc
    .record({
      id: arbId('o'),
      state,
      pricing: arbPricing({ max: 10n ** 9n }),
      priced: fc.boolean(),
      attempts: fc.nat({ max: 5 }),
      createdAt: arbInstant(),
      reason: fc.option(fc.constantFrom('compliance_rejected', 'instruction_mismatch', 'bank_refused')),
    })
    .map(
      (r): Output => ({
        id: r.id,
        requestId: 'r1',
        payeeId: 'payee',
        withdrawalInstructionId: 'wi',
        portCode: unwrap(parsePortCode(`us_${r.pricing.destination.code.toLowerCase()}`)).code,
        target: r.pricing.target,
        price: r.priced ? r.pricing.price : null,
        state: r.state,
        attempts: r.attempts,
        rejectionReason: r.state === 'rejected' ? r.reason : null,
        failureReason: r.state === 'failed' ? r.reason : null,
        cancellationReason: null,
        createdAt: r.createdAt,
        updatedAt: r.createdAt,
      }),
    );

// ---------------------------------------------------------------------------------------------
// Acceptance checks

export const arbComplianceState = (): Arbitrary<ComplianceState> => fc.constantFrom(...COMPLIANCE_STATES);

/**
 * Input of the acceptance checks that passes every check but compliance, which is random:
 * the instruction belongs to the payee and matches the port, the amount is within limits.
 */
export const arbCheckInput = (): Arbitrary<CheckInput> =>
  fc
    .record({
      port: arbPort({ active: true }),
      state: arbComplianceState(),
      payeeId: arbId('u'),
      upper: fc.boolean(),
    })
    .chain(({ port, state, payeeId, upper }) =>
      fc.bigInt({ min: port.minAmount.amount, max: port.maxAmount.amount }).map(
        (amount): CheckInput => ({
          payee: { id: payeeId, complianceState: state },
          instruction: {
            userId: payeeId,
            country: upper ? port.country : port.country.toLowerCase(),
            currency: upper ? port.currency.code : port.currency.code.toLowerCase(),
          },
          port,
          amount: money(amount, port.currency),
        }),
      ),
    );
