// A non-binding estimate, then a quote at the estimate's prices with its hint token.
import assert from 'node:assert/strict';
import { createInMemoryConcierge, formatMoney, rateText } from 'concierge-ts';

const sandbox = createInMemoryConcierge();
const { client, operator } = sandbox;
const seeded = sandbox.seeded!;
const us = seeded.payees.find((p) => p.portCode === 'us_usd')!;

// Estimates need no request (and no API key on the HTTP API).
const estimate = (
  await client.estimates.create({ portCode: 'ar_ars', outputs: [{ portCode: 'us_usd', amount: 500 }] })
)._unsafeUnwrap();
const line = estimate.outputs[0]!;
console.log(
  `500 USD costs ${formatMoney(line.budget)} ARS at rate ${rateText(line.rate)} (all-in ${rateText(line.allInRate)}), fee ${formatMoney(line.feeAndCost)} ARS`,
);

// A request with the same ports and amounts, quoted within 10 minutes with the token, is
// quoted at these prices one quote step later (1 second in the sandbox), even to us_usd
// whose quotes otherwise take an hour.
const request = (
  await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
)._unsafeUnwrap();
await client.outputs.create({
  requestId: request.id,
  payeeId: us.userId,
  withdrawalInstructionId: us.withdrawalInstructionId,
  portCode: 'us_usd',
  amount: 500,
});
const requested = (
  await client.requests.requestQuote(request.id, { hintToken: estimate.hintToken })
)._unsafeUnwrap();
// The answer is quote_requested, unpriced: the provider produces quotes later, even this one.
assert.equal(requested.state, 'quote_requested');
assert.equal(requested.totalToSpend, null);
(await operator.advanceClock(1))._unsafeUnwrap();
const quoted = (await client.requests.get(request.id))._unsafeUnwrap();
assert.equal(quoted.state, 'quoted');
assert.deepEqual(quoted.totalToSpend, estimate.totalToSpend);
console.log(`quoted ${quoted.quotedAt}, at the estimate's prices`);

// A token past its 10 minutes, or for other amounts, is refused: never silently repriced.
const late = (await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId }))._unsafeUnwrap();
await client.outputs.create({
  requestId: late.id,
  payeeId: us.userId,
  withdrawalInstructionId: us.withdrawalInstructionId,
  portCode: 'us_usd',
  amount: 500,
});
await operator.advanceClock(600);
const refused = await client.requests.requestQuote(late.id, { hintToken: estimate.hintToken });
assert.ok(refused.isErr());
assert.equal(refused.error.code, 'hint_token_expired');
console.log(`after 10 minutes: ${refused.error.code}`);
