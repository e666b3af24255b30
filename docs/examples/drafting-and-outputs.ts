// Draft a request, add outputs by amount and by budget, and read the refusals.
import assert from 'node:assert/strict';
import { createInMemoryConcierge } from 'concierge-ts';

const { client, operator } = createInMemoryConcierge({ seed: false });

// The payer and a payee in Chile, with the bank instruction that pays them.
const payer = (await client.users.create({ email: 'payroll@acme.example', name: 'ACME' }))._unsafeUnwrap();
await operator.deposit(payer.id, { portCode: 'ar_ars', amount: 5_000_000 });
const ana = (await client.users.create({ email: 'ana@example.com', name: 'Ana Pérez' }))._unsafeUnwrap();
const account = (
  await client.withdrawalInstructions.create({
    userId: ana.id,
    label: 'Ana, Banco de Chile',
    body: { payment_method: 'bank_transfer', country: 'CL', currency: 'CLP', account_number: '00123456781' },
  })
)._unsafeUnwrap();

// 1. Draft: origin port and payer; external_id is your own reference.
const request = (
  await client.requests.create({ portCode: 'ar_ars', payerId: payer.id, externalId: 'payroll-2026-01' })
)._unsafeUnwrap();
assert.equal(request.state, 'draft');

// 2. Outputs: who, where, how much (amount in CLP, or budget in ARS), how.
const byAmount = (
  await client.outputs.create({
    requestId: request.id,
    payeeId: ana.id,
    withdrawalInstructionId: account.id,
    portCode: 'cl_clp',
    amount: 250_000,
  })
)._unsafeUnwrap();
const byBudget = (
  await client.outputs.create({
    requestId: request.id,
    payeeId: ana.id,
    withdrawalInstructionId: account.id,
    portCode: 'cl_clp',
    budget: '120000.50',
  })
)._unsafeUnwrap();
// Both answer `accepting`: like the provider, the service runs the acceptance checks
// (compliance, instruction, limits) later, never inside the answer.
assert.equal(byAmount.state, 'accepting');
assert.equal(byBudget.state, 'accepting');

// The sandbox runs them 2 seconds later on its clock, which moves only when told.
(await operator.advanceClock(2))._unsafeUnwrap();
for (const output of [byAmount, byBudget])
  assert.equal((await client.outputs.get(output.id))._unsafeUnwrap().state, 'accepted');

// Bad input is refused with the field that is wrong, and nothing is created.
const refused = await client.outputs.create({
  requestId: request.id,
  payeeId: ana.id,
  withdrawalInstructionId: account.id,
  portCode: 'cl_clp',
  amount: 1500.5, // CLP has no decimals
});
assert.ok(refused.isErr() && refused.error.type === 'unprocessable');
console.log(refused.error.type, refused.error.code, refused.error.pointer, '-', refused.error.detail);
assert.equal(refused.error.pointer, '/data/attributes/amount');

const shown = (await client.requests.get(request.id))._unsafeUnwrap();
assert.deepEqual([shown.counters.accepted, shown.counters.total], [2, 2]);

// Lists are paginated; filter by request and state.
const page = (
  await client.outputs.list({ requestId: request.id, state: 'accepted', page: { size: 1 } })
)._unsafeUnwrap();
assert.equal(page.items.length, 1);
assert.equal(page.next, 2);
