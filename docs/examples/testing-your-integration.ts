// Test your own payout code against the in-memory Concierge, and run the contract suite.
import assert from 'node:assert/strict';
import {
  type ConciergeClient,
  type ConciergeError,
  createInMemoryConcierge,
  type RequestView,
  type TestOutcome,
  testInstructionBody,
} from 'concierge-ts';
import type { ResultAsync } from 'neverthrow';

/** Lets `seconds` pass: a sleep in production, a move of the sandbox clock in a test. */
type Wait = (seconds: number) => Promise<void>;

// Your code depends on the ConciergeClient port, never on a concrete client, and is given
// its way to wait: like the provider, the service answers first and moves later (checks
// after an output is added, the quote after it is asked for), so the code reads again.
async function payOne(
  client: ConciergeClient,
  wait: Wait,
  invoice: string,
  payerId: string,
  payee: { id: string; instructionId: string },
) {
  const request = await client.requests.create({ portCode: 'ar_ars', payerId, externalId: invoice });
  if (request.isErr()) return request.error.code;
  const id = request.value.id;
  // Reads the request until `done`, a second apart, for at most a minute.
  const readUntil = async (done: (r: RequestView) => boolean) => {
    let read = await client.requests.get(id);
    for (let tries = 0; tries < 60 && read.isOk() && !done(read.value); tries += 1) {
      await wait(1);
      read = await client.requests.get(id);
    }
    return read;
  };
  const output = await client.outputs.create({
    requestId: id,
    payeeId: payee.id,
    withdrawalInstructionId: payee.instructionId,
    portCode: 'cl_clp',
    amount: 90_000,
  });
  if (output.isErr()) return output.error.code;
  // Added accepting: quote once the checks have run, so a rejected payee is known first.
  const checked = await readUntil((r) => r.counters.accepting === 0);
  if (checked.isErr()) return checked.error.code;
  const requested = await client.requests.requestQuote(id);
  if (requested.isErr()) return requested.error.code;
  // Answered quote_requested, unpriced: the quote comes later.
  const quoted = await readUntil((r) => r.state !== 'quote_requested');
  if (quoted.isErr()) return quoted.error.code;
  if (quoted.value.state !== 'quoted') return quoted.value.state;
  const accepted = await client.requests.acceptQuote(id);
  return accepted.isErr() ? accepted.error.code : accepted.value.state;
}

// ...so a test hands it the in-memory client and a wait that moves the sandbox clock, and
// picks outcomes with magic values. The test's own setup cannot go on without each call.
async function must<T>(call: ResultAsync<T, ConciergeError>): Promise<T> {
  const result = await call;
  if (result.isErr()) {
    console.error(`${result.error.type} (${result.error.code}): ${result.error.detail}`);
    process.exit(1);
  }
  return result.value;
}
const sandbox = createInMemoryConcierge({ seed: false });
const { client, operator } = sandbox;
const wait: Wait = async (seconds) => {
  await must(operator.advanceClock(seconds));
};
const stateOf = async (invoice: string) =>
  (await must(client.requests.list({ externalId: invoice }))).items[0]?.state;
const payer = await must(client.users.create({ email: 'payer@example.com' }));
// testInstructionBody: a Chilean bank account whose identifiers pass their checks and pick
// what the sandbox does with its payments (its magic values, SPEC section 9).
const payee = async (email: string, outcome: TestOutcome) => {
  const user = await must(client.users.create({ email }));
  const instruction = await must(
    client.withdrawalInstructions.create({
      userId: user.id,
      label: 'cl',
      body: testInstructionBody('cl_clp', outcome),
    }),
  );
  return { id: user.id, instructionId: instruction.id };
};

// Chile's test RUT that settles by itself once working. Accepting answers quote_accepted;
// with no funds yet, the request waits for them.
const ana = await payee('ana@example.com', 'settles');
assert.equal(await payOne(client, wait, 'invoice-77', payer.id, ana), 'quote_accepted');
await wait(60);
assert.equal(await stateOf('invoice-77'), 'quote_accepted');
// A deposit is noticed a second later: the work starts. The payment is issued 10 minutes
// after that and settles an hour later; runUntilIdle moves the clock through every move
// due (it would also prune drafts and expire quotes: use it when nothing should wait).
await must(operator.deposit(payer.id, { portCode: 'ar_ars', amount: 1_000_000 }));
await wait(1);
assert.equal(await stateOf('invoice-77'), 'working');
await must(operator.runUntilIdle());
assert.equal(await stateOf('invoice-77'), 'finished');
// A payee whose compliance_state is rejected: the only output is rejected, the quote refused.
const cy = await payee('cy+rejected@example.com', 'settles');
assert.equal(await payOne(client, wait, 'invoice-78', payer.id, cy), 'no_payable_outputs');
console.log('payOne behaves on the in-memory client');

// In a test file, the same behaviour every client must have is one call away (under
// node --test, import it from 'concierge-ts/testing/node'; see the contract suite below):
//   import { describeConciergeClient } from 'concierge-ts/testing';
//   describeConciergeClient('my wiring', async () => ({ client, operator, other, dispose }));
