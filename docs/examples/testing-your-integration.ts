// Test your own payout code against the in-memory Concierge, and run the contract suite.
import assert from 'node:assert/strict';
import { type ConciergeClient, createInMemoryConcierge } from 'concierge-ts';

// Your code depends on the ConciergeClient port, never on a concrete client...
async function payOne(
  client: ConciergeClient,
  payerId: string,
  payee: { id: string; instructionId: string },
) {
  const request = await client.requests.create({ portCode: 'ar_ars', payerId, externalId: 'invoice-77' });
  if (request.isErr()) return request.error.code;
  const output = await client.outputs.create({
    requestId: request.value.id,
    payeeId: payee.id,
    withdrawalInstructionId: payee.instructionId,
    portCode: 'cl_clp',
    amount: 90_000,
  });
  if (output.isErr()) return output.error.code;
  const quoted = await client.requests.requestQuote(request.value.id);
  if (quoted.isErr()) return quoted.error.code;
  const accepted = await client.requests.acceptQuote(request.value.id);
  return accepted.isErr() ? accepted.error.code : accepted.value.state;
}

// ...so a test hands it the in-memory client, and picks outcomes with magic values.
const sandbox = createInMemoryConcierge({ seed: false });
const { client, operator } = sandbox;
const payer = (await client.users.create({ email: 'payer@example.com' }))._unsafeUnwrap();
const payee = async (email: string, accountNumber: string) => {
  const user = (await client.users.create({ email }))._unsafeUnwrap();
  const body = {
    payment_method: 'bank_transfer',
    country: 'CL',
    currency: 'CLP',
    account_number: accountNumber,
  };
  const instruction = (
    await client.withdrawalInstructions.create({ userId: user.id, label: 'cl', body })
  )._unsafeUnwrap();
  return { id: user.id, instructionId: instruction.id };
};

// No funds yet: the accepted quote waits for them.
assert.equal(await payOne(client, payer.id, await payee('ana@example.com', '11110000')), 'quote_accepted');
await operator.deposit(payer.id, { portCode: 'ar_ars', amount: 1_000_000 });
// Account ending in 0000: settles by itself once working, so the request finishes.
assert.equal(await payOne(client, payer.id, await payee('bo@example.com', '22220000')), 'finished');
// A payee whose compliance is rejected: the only output is rejected, the quote refused.
assert.equal(
  await payOne(client, payer.id, await payee('cy+rejected@example.com', '33330000')),
  'no_payable_outputs',
);
console.log('payOne behaves on the in-memory client');

// In a vitest file, the same behaviour every client must have is one call away:
//   import { describeConciergeClient } from 'concierge-ts/testing';
//   describeConciergeClient('my wiring', async () => ({ client, operator, other, dispose }));
