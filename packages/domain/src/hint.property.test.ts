import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { produceQuote } from './aggregate.js';
import { bindHint, HINT_VALIDITY_MS, matchHint } from './hint.js';
import { createOutput, type Output } from './output.js';
import { type PortCode, parsePortCode } from './port.js';
import { estimate, type OutputTarget } from './pricing.js';
import { createRequest, type Request } from './request.js';
import {
  arbOutputTarget,
  arbPortCode,
  arbPriceQuote,
  deepFreeze,
  propertyTest,
  unwrap,
} from './testing/index.js';

const test = propertyTest(it);

/** SPEC section 6: a hint token prices a matching request at the estimate's prices, within 10 minutes. */

const arbHintCase = arbPortCode()
  .chain((originCode) => {
    const origin = { code: originCode, currency: unwrap(parsePortCode(originCode)).currency };
    const line = arbPortCode().chain((portCode) => {
      const destination = unwrap(parsePortCode(portCode)).currency;
      return fc.record({
        portCode: fc.constant(portCode),
        destination: fc.constant(destination),
        quote: arbPriceQuote(),
        target: arbOutputTarget(origin.currency, destination, { max: 10n ** 12n }),
      });
    });
    return fc.record({
      origin: fc.constant(origin),
      lines: fc.array(line, { minLength: 1, maxLength: 8 }),
      order: fc.array(fc.double({ noNaN: true }), { minLength: 8, maxLength: 8 }),
      accepted: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      rejected: fc.array(fc.tuple(arbPortCode(), arbOutputTarget(origin.currency, origin.currency)), {
        maxLength: 3,
      }),
      issuedAt: fc.integer({ min: 0, max: 2_000_000_000_000 }),
      after: fc.oneof(
        fc.integer({ min: 0, max: HINT_VALIDITY_MS - 1 }),
        fc.constantFrom(0, HINT_VALIDITY_MS - 1),
      ),
    });
  })
  .map((c) => {
    const est = estimate(c.origin, c.lines);
    const binding = deepFreeze(bindHint(est, c.issuedAt));
    const request = deepFreeze(
      createRequest({ id: 'r1', ownerId: 'm', payerId: 'p', portCode: c.origin.code, now: c.issuedAt }),
    );
    const output = (
      id: string,
      portCode: PortCode,
      target: OutputTarget,
      state: Output['state'],
    ): Output => ({
      ...createOutput({
        id,
        requestId: 'r1',
        payeeId: 'p',
        withdrawalInstructionId: 'w',
        portCode,
        target,
        now: c.issuedAt,
      }),
      state,
    });
    // The estimate's lines as outputs, in another order, accepting or accepted; and rejected extras.
    const matching = c.lines
      .map((l, i) => ({ l, i, key: c.order[i] ?? 0 }))
      .sort((a, b) => a.key - b.key)
      .map(({ l, i }) => output(`o${i}`, l.portCode, l.target, c.accepted[i] ? 'accepted' : 'accepting'));
    const rejected = c.rejected.map(([portCode, target], i) => output(`x${i}`, portCode, target, 'rejected'));
    return {
      ...c,
      est,
      binding,
      request,
      outputs: deepFreeze([...matching, ...rejected]),
      now: c.issuedAt + c.after,
    };
  });

const sameTarget = (a: OutputTarget, b: OutputTarget) =>
  JSON.stringify(a, bigints) === JSON.stringify(b, bigints);
const bigints = (_: string, v: unknown) => (typeof v === 'bigint' ? `${v}` : v);

const mismatch = (
  binding: ReturnType<typeof bindHint>,
  request: Request,
  outputs: readonly Output[],
  now: number,
) => matchHint(binding, request, outputs, now)._unsafeUnwrapErr();

describe('hint tokens', () => {
  test.prop([arbHintCase], { numRuns: 300 })(
    'a matching request within 10 minutes is priced at the estimate prices, whatever the order of its outputs, and its total is the estimate total',
    ({ est, binding, request, outputs, now }) => {
      const prices = matchHint(binding, request, outputs, now)._unsafeUnwrap();
      const payable = outputs.filter((o) => o.state !== 'rejected');
      expect(prices.size).toBe(payable.length);
      for (const output of payable) {
        const price = prices.get(output.id)!;
        expect(
          est.outputs.some(
            (l) => l.portCode === output.portCode && sameTarget(l.target, output.target) && l.price === price,
          ),
        ).toBe(true);
      }
      const quoted = produceQuote(
        { ...request, state: 'quote_requested' },
        outputs,
        (o) => prices.get(o.id)!,
        now,
      );
      const change = quoted._unsafeUnwrap();
      expect(change.request.totalToSpend).toEqual(est.totalToSpend);
    },
  );

  test.prop([arbHintCase, fc.nat(), fc.bigInt({ min: 1n, max: 1000n }), arbPortCode()], { numRuns: 400 })(
    'any change of an output port, amount or budget, of what it asks for, or of the origin is refused with hint_token_mismatch',
    ({ binding, request, outputs, now }, which, delta, otherPort) => {
      const payable = outputs.filter((o) => o.state !== 'rejected');
      const target = payable[which % payable.length]!;
      const replace = (changed: Output) => outputs.map((o) => (o.id === target.id ? changed : o));
      const t = target.target;
      const bumped: OutputTarget =
        t.kind === 'amount'
          ? { kind: 'amount', amount: { ...t.amount, amount: t.amount.amount + delta } }
          : { kind: 'budget', budget: { ...t.budget, amount: t.budget.amount + delta } };
      const flipped: OutputTarget =
        t.kind === 'amount' ? { kind: 'budget', budget: t.amount } : { kind: 'amount', amount: t.budget };
      const variants: Output[][] = [
        replace({ ...target, target: bumped }),
        replace({ ...target, target: flipped }),
      ];
      if (t.kind === 'amount' ? t.amount.amount > delta : t.budget.amount > delta) {
        const lowered: OutputTarget =
          t.kind === 'amount'
            ? { kind: 'amount', amount: { ...t.amount, amount: t.amount.amount - delta } }
            : { kind: 'budget', budget: { ...t.budget, amount: t.budget.amount - delta } };
        variants.push(replace({ ...target, target: lowered }));
      }
      if (otherPort !== target.portCode) variants.push(replace({ ...target, portCode: otherPort }));
      for (const variant of variants)
        expect(mismatch(binding, request, variant, now).code).toBe('hint_token_mismatch');
      if (otherPort !== request.portCode)
        expect(mismatch(binding, { ...request, portCode: otherPort }, outputs, now).code).toBe(
          'hint_token_mismatch',
        );
    },
  );

  test.prop([arbHintCase, fc.nat()], { numRuns: 300 })(
    'a request missing one of the estimate outputs, or with one more payable output, is refused with hint_token_mismatch',
    ({ binding, request, outputs, now }, which) => {
      const payable = outputs.filter((o) => o.state !== 'rejected');
      const dropped = payable[which % payable.length]!;
      expect(
        mismatch(
          binding,
          request,
          outputs.filter((o) => o.id !== dropped.id),
          now,
        ).code,
      ).toBe('hint_token_mismatch');
      const extra = { ...dropped, id: 'extra' };
      expect(mismatch(binding, request, [...outputs, extra], now).code).toBe('hint_token_mismatch');
      // A rejected output is not priced, so it does not count.
      expect(matchHint(binding, request, [...outputs, { ...extra, state: 'rejected' }], now).isOk()).toBe(
        true,
      );
    },
  );

  test.prop([arbHintCase, fc.oneof(fc.constant(0), fc.nat({ max: 10 ** 9 }))], { numRuns: 300 })(
    'at or after 10 minutes the token is refused with hint_token_expired, even for a matching request',
    ({ binding, request, outputs, issuedAt }, late) => {
      const now = issuedAt + HINT_VALIDITY_MS + late;
      expect(binding.expiresAt).toBe(issuedAt + 10 * 60_000);
      expect(mismatch(binding, request, outputs, now).code).toBe('hint_token_expired');
    },
  );
});
