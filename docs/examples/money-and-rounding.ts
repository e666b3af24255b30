// Exact money and the rounding rules of pricing, with the provider's published example.
import assert from 'node:assert/strict';
import { moneyText, parseMoney, rateText } from 'concierge-ts';
import { parseFee, parseRate, priceOutput, totalToSpend } from 'concierge-ts/domain';
import { ok, Result, safeTry } from 'neverthrow';

const CLP = { code: 'CLP', exponent: 0 };
const USD = { code: 'USD', exponent: 2 };
const MXN = { code: 'MXN', exponent: 2 };
// Rates and fees are parsed like money: a Result, refused if not a decimal.
const quote = (rate: string, fee: string) =>
  Result.combine([parseRate(rate), parseFee(fee)]).map(([r, f]) => ({ rate: r, fee: f }));

const priced = safeTry(function* () {
  // Budget given (origin CLP): amount = budget × all_in_rate, rounded DOWN to the cent.
  const usd = priceOutput(
    { kind: 'budget', budget: yield* parseMoney(100_000, 'CLP') },
    yield* quote('0.00135317', '0.0099688'),
    CLP,
    USD,
  );
  // Amount given (destination MXN): budget = amount ÷ all_in_rate, rounded UP to the peso.
  const mxn = priceOutput(
    { kind: 'amount', amount: yield* parseMoney(500, 'MXN') },
    yield* quote('0.02647582', '0.0129356'),
    CLP,
    MXN,
  );
  return ok({ usd, mxn });
});
if (priced.isErr()) {
  console.error(`${priced.error.type}: ${priced.error.message}`);
  process.exit(1);
}
const { usd, mxn } = priced.value;
for (const [port, p] of [
  ['us_usd', usd],
  ['mx_mxn', mxn],
] as const) {
  console.log(
    `${port}: all_in_rate ${rateText(p.allInRate)}, amount ${moneyText(p.amount)} ${p.amount.currency}, budget ${moneyText(p.budget)} CLP, fee_and_cost ${moneyText(p.feeAndCost)} CLP`,
  );
}
assert.equal(moneyText(usd.amount), '133.96'); // the payer never spends more than the budget
assert.equal(moneyText(mxn.budget), '19133'); // the payee never gets less than the amount
assert.equal(moneyText(totalToSpend(CLP, [usd, mxn])), '119133'); // an exact sum

// Input is checked against the currency: each refusal names its reason.
for (const input of [10.5, 0, -3, Number.NaN, Number.POSITIVE_INFINITY, 1e20, 'abc']) {
  const refused = parseMoney(input, 'CLP');
  assert.ok(refused.isErr() && refused.error.type === 'InvalidMoney');
  console.log(`${String(input).padEnd(9)} → ${refused.error.reason}`);
}
