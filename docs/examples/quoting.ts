// Quote timing: eta, accept_quote_before, provision_funds_before, on the sandbox clock.
import assert from 'node:assert/strict';
import { type ConciergeError, createInMemoryConcierge, type RequestView } from 'concierge-ts';
import type { ResultAsync } from 'neverthrow';

// Every call answers a Result: on an error, say what it was and stop.
function stop(error: ConciergeError): never {
  console.error(`${error.type} (${error.code}): ${error.detail}`);
  process.exit(1);
}
// A call this script cannot go on without: its value, or stop.
async function must<T>(call: ResultAsync<T, ConciergeError>): Promise<T> {
  const result = await call;
  if (result.isErr()) stop(result.error);
  return result.value;
}

const sandbox = createInMemoryConcierge();
const { client, operator } = sandbox;
const seeded = sandbox.seeded!;
const us = seeded.payees.find((p) => p.portCode === 'us_usd')!;

const draft = async (): Promise<RequestView> => {
  const request = await must(client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId }));
  await must(
    client.outputs.create({
      requestId: request.id,
      payeeId: us.userId,
      withdrawalInstructionId: us.withdrawalInstructionId,
      portCode: 'us_usd',
      amount: 100,
    }),
  );
  return request;
};

// The answer to request_quote is quote_requested, unpriced, with the eta of the quote:
// the provider prices later. Quotes to us_usd are delayed an hour.
const request = await draft();
const requested = await must(client.requests.requestQuote(request.id));
assert.equal(requested.state, 'quote_requested');
assert.equal(requested.totalToSpend, null);
console.log(`quote_requested at ${requested.quoteRequestedAt}, eta ${requested.eta}`);
await must(operator.advanceClock(3600));
const quoted = await must(client.requests.get(request.id));
assert.equal(quoted.state, 'quoted');
console.log(`quoted at ${quoted.quotedAt}; accept before ${quoted.acceptQuoteBefore}`);

// Accept before accept_quote_before (10 minutes). The answer is quote_accepted: the
// service notices the payer's funds later (1 second in the sandbox) and starts the work.
const accepted = await must(client.requests.acceptQuote(request.id));
assert.equal(accepted.state, 'quote_accepted');
await must(operator.advanceClock(1));
const working = await must(client.requests.get(request.id));
assert.equal(working.state, 'working');
assert.deepEqual(working.fundsAvailable, quoted.totalToSpend); // debited from the payer
console.log(`accepted: ${accepted.state}, a second later ${working.state}`);

// A quote left alone expires: the request is cancelled with reason quote_not_accepted.
const other = await draft();
await must(client.requests.requestQuote(other.id));
await must(operator.produceQuote(other.id)); // the operator can produce it now instead of waiting
await must(operator.advanceClock(600));
const expired = await must(client.requests.get(other.id));
assert.equal(expired.state, 'cancelled');
assert.equal(expired.cancellationReason, 'quote_not_accepted');
// Accepting it now is a conflict: the request is in the wrong state for the action.
const late = await client.requests.acceptQuote(other.id);
assert.ok(late.isErr() && late.error.type === 'conflict');
console.log(`left alone: ${expired.state} (${expired.cancellationReason}); accepting it: ${late.error.code}`);
