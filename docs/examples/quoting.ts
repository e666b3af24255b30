// Quote timing: eta, accept_quote_before, provision_funds_before, on the sandbox clock.
import assert from 'node:assert/strict';
import { createInMemoryConcierge } from 'concierge-ts';

const sandbox = createInMemoryConcierge();
const { client, operator } = sandbox;
const seeded = sandbox.seeded!;
const us = seeded.payees.find((p) => p.portCode === 'us_usd')!;

const draft = async () => {
  const request = (
    await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
  )._unsafeUnwrap();
  await client.outputs.create({
    requestId: request.id,
    payeeId: us.userId,
    withdrawalInstructionId: us.withdrawalInstructionId,
    portCode: 'us_usd',
    amount: 100,
  });
  return request;
};

// The answer to request_quote is quote_requested, unpriced, with the eta of the quote:
// the provider prices later. Quotes to us_usd are delayed an hour.
const request = await draft();
const requested = (await client.requests.requestQuote(request.id))._unsafeUnwrap();
assert.equal(requested.state, 'quote_requested');
assert.equal(requested.totalToSpend, null);
console.log(`quote_requested at ${requested.quoteRequestedAt}, eta ${requested.eta}`);
(await operator.advanceClock(3600))._unsafeUnwrap();
const quoted = (await client.requests.get(request.id))._unsafeUnwrap();
assert.equal(quoted.state, 'quoted');
console.log(`quoted at ${quoted.quotedAt}; accept before ${quoted.acceptQuoteBefore}`);

// Accept before accept_quote_before (10 minutes). The answer is quote_accepted: the
// service notices the payer's funds later (1 second in the sandbox) and starts the work.
const accepted = (await client.requests.acceptQuote(request.id))._unsafeUnwrap();
assert.equal(accepted.state, 'quote_accepted');
(await operator.advanceClock(1))._unsafeUnwrap();
const working = (await client.requests.get(request.id))._unsafeUnwrap();
assert.equal(working.state, 'working');
assert.deepEqual(working.fundsAvailable, quoted.totalToSpend); // debited from the payer
console.log(`accepted: ${accepted.state}, a second later ${working.state}`);

// A quote left alone expires: the request is cancelled with reason quote_not_accepted.
const other = await draft();
await client.requests.requestQuote(other.id);
await operator.produceQuote(other.id); // the operator can produce it now instead of waiting
(await operator.advanceClock(600))._unsafeUnwrap();
const expired = (await client.requests.get(other.id))._unsafeUnwrap();
assert.equal(expired.state, 'cancelled');
assert.equal(expired.cancellationReason, 'quote_not_accepted');
const late = await client.requests.acceptQuote(other.id);
assert.ok(late.isErr() && late.error.type === 'conflict');
console.log(`left alone: ${expired.state} (${expired.cancellationReason})`);
