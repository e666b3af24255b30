// A non-binding estimate, then a quote at the estimate's prices with its hint token.
import assert from 'node:assert/strict';
import {
  type ConciergeError,
  createInMemoryConcierge,
  describeField,
  formatMoney,
  rateText,
} from 'concierge-ts';

// Every call answers a Result: on an error (or a surprise), say what it was and stop.
function stop(error: ConciergeError | string): never {
  console.error(typeof error === 'string' ? error : `${error.type} (${error.code}): ${error.detail}`);
  process.exit(1);
}

const sandbox = createInMemoryConcierge();
const { client, operator } = sandbox;
const seeded = sandbox.seeded!;
const us = seeded.payees.find((p) => p.portCode === 'us_usd')!;

// Estimates need no request (and no API key on the HTTP API).
const estimate = await client.estimates.create({
  portCode: 'ar_ars',
  outputs: [{ portCode: 'us_usd', amount: 500 }],
});
if (estimate.isErr()) stop(estimate.error);
const { hintToken, totalToSpend } = estimate.value;
const line = estimate.value.outputs[0]!;
console.log(
  `500 USD costs ${formatMoney(line.budget)} ARS at rate ${rateText(line.rate)} (all-in ${rateText(line.allInRate)}), fee ${formatMoney(line.feeAndCost)} ARS`,
);

// A draft with one output of 500 USD to the seeded payee.
const draft = async () => {
  const request = await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId });
  if (request.isErr()) stop(request.error);
  const output = await client.outputs.create({
    requestId: request.value.id,
    payeeId: us.userId,
    withdrawalInstructionId: us.withdrawalInstructionId,
    portCode: 'us_usd',
    amount: 500,
  });
  if (output.isErr()) stop(output.error);
  return request.value;
};

// A request with the same ports and amounts, quoted within 10 minutes with the token, is
// quoted at these prices one quote step later (1 second in the sandbox), even to us_usd
// whose quotes otherwise take an hour.
const request = await draft();
const requested = await client.requests.requestQuote(request.id, { hintToken });
if (requested.isErr()) stop(requested.error);
// The answer is quote_requested, unpriced: the provider produces quotes later, even this one.
assert.equal(requested.value.state, 'quote_requested');
assert.equal(requested.value.totalToSpend, null);
const moved = await operator.advanceClock(1);
if (moved.isErr()) stop(moved.error);
const quoted = await client.requests.get(request.id);
if (quoted.isErr()) stop(quoted.error);
assert.equal(quoted.value.state, 'quoted');
assert.deepEqual(quoted.value.totalToSpend, totalToSpend);
console.log(`quoted ${quoted.value.quotedAt}, at the estimate's prices`);

// A token past its 10 minutes, or for other amounts, is refused: never silently repriced.
// The refusal is `unprocessable`, so it names the field at fault.
const late = await draft();
const waited = await operator.advanceClock(600);
if (waited.isErr()) stop(waited.error);
await client.requests.requestQuote(late.id, { hintToken }).match(
  () => stop('an expired token was accepted'),
  (error) => {
    assert.ok(error.type === 'unprocessable');
    assert.equal(error.code, 'hint_token_expired');
    console.log(`after 10 minutes: ${error.code} at ${describeField(error.field)}`);
  },
);
