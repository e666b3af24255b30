// Draft a request, add outputs by amount and by budget, and read the refusals.
import assert from 'node:assert/strict';
import { type ConciergeError, createInMemoryConcierge } from 'concierge-ts';
import { ok, safeTry } from 'neverthrow';

// Every call answers a Result: on an error (or a surprise), say what it was and stop.
function stop(error: ConciergeError | string): never {
  console.error(typeof error === 'string' ? error : `${error.type} (${error.code}): ${error.detail}`);
  process.exit(1);
}

const { client, operator } = createInMemoryConcierge({ seed: false });

// Each step needs the one before. Inside safeTry, `yield*` gives a call's value, and the
// first refusal ends the block with that error: a straight line, no nesting.
const drafted = await safeTry(async function* () {
  // The payer and a payee in Chile, with the bank instruction that pays them.
  const payer = yield* client.users.create({ email: 'payroll@acme.example', name: 'ACME' });
  yield* operator.deposit(payer.id, { portCode: 'ar_ars', amount: 5_000_000 });
  const ana = yield* client.users.create({ email: 'ana@example.com', name: 'Ana Pérez' });
  const account = yield* client.withdrawalInstructions.create({
    userId: ana.id,
    label: 'Ana, Banco de Chile',
    body: { payment_method: 'bank_transfer', country: 'CL', currency: 'CLP', account_number: '00123456781' },
  });

  // 1. Draft: origin port and payer; external_id is your own reference.
  const request = yield* client.requests.create({
    portCode: 'ar_ars',
    payerId: payer.id,
    externalId: 'payroll-2026-01',
  });

  // 2. Outputs: who, where, how much (amount in CLP, or budget in ARS), how.
  const to = {
    requestId: request.id,
    payeeId: ana.id,
    withdrawalInstructionId: account.id,
    portCode: 'cl_clp',
  };
  const byAmount = yield* client.outputs.create({ ...to, amount: 250_000 });
  const byBudget = yield* client.outputs.create({ ...to, budget: '120000.50' });
  return ok({ to, request, byAmount, byBudget });
});
if (drafted.isErr()) stop(drafted.error);
const { to, request, byAmount, byBudget } = drafted.value;
assert.equal(request.state, 'draft');
// Both answer `accepting`: like the provider, the service runs the acceptance checks
// (compliance, instruction, limits) later, never inside the answer.
assert.equal(byAmount.state, 'accepting');
assert.equal(byBudget.state, 'accepting');

// The sandbox runs them 2 seconds later on its clock, which moves only when told.
const moved = await operator.advanceClock(2);
if (moved.isErr()) stop(moved.error);
for (const output of [byAmount, byBudget]) {
  const read = await client.outputs.get(output.id);
  if (read.isErr()) stop(read.error);
  assert.equal(read.value.state, 'accepted');
}

// Bad input is refused with the field that is wrong, and nothing is created. Narrowed to
// `unprocessable`, the error carries that field's `pointer`.
const refused = await client.outputs.create({ ...to, amount: 1500.5 }); // CLP has no decimals
if (refused.isOk()) stop('a CLP amount with decimals was accepted');
const error = refused.error;
if (error.type !== 'unprocessable') stop(error);
console.log(error.type, error.code, error.pointer, '-', error.detail);
assert.equal(error.pointer, '/data/attributes/amount');

const shown = await client.requests.get(request.id);
if (shown.isErr()) stop(shown.error);
assert.deepEqual([shown.value.counters.accepted, shown.value.counters.total], [2, 2]);

// Lists are paginated; filter by request and state.
await client.outputs.list({ requestId: request.id, state: 'accepted', page: { size: 1 } }).match(
  (page) => {
    assert.equal(page.items.length, 1);
    assert.equal(page.next, 2);
  },
  (e) => stop(e),
);
