// Draft a request, add outputs by amount and by budget, and read the refusals.
import assert from 'node:assert/strict';
import { type ConciergeError, createInMemoryConcierge, describeField } from 'concierge-ts';
import { ok, safeTry } from 'neverthrow';

// Every call answers a Result: on an error (or a surprise), say what it was and stop.
function stop(error: ConciergeError | string): never {
  console.error(typeof error === 'string' ? error : `${error.type} (${error.code}): ${error.detail}`);
  process.exit(1);
}

const { client, operator } = createInMemoryConcierge({ seed: false });

// A bank account in Chile, in the provider's published shape (payment_method domestic_bank,
// country, currency and that method's fields). The holder's RUT is checked by Chile's rule
// (its check digit), and kept compact: 123456785.
const chileanAccount = {
  payment_method: 'domestic_bank',
  country: 'CL',
  currency: 'CLP',
  name: 'Ana Pérez',
  rut: '12.345.678-5',
  bank: 'Banco de Chile',
  account_type: 'checking',
  bank_account_number: '00123456781',
} as const;

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
    body: chileanAccount,
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
// `unprocessable`, the error carries that `field`, in the resource's own names: the same
// value in-process and over HTTP (where the wire's `source.pointer` is read back into it).
// `describeField` says it for people.
const refused = await client.outputs.create({ ...to, amount: 1500.5 }); // CLP has no decimals
if (refused.isOk()) stop('a CLP amount with decimals was accepted');
const error = refused.error;
if (error.type !== 'unprocessable') stop(error);
console.log(error.type, error.code, describeField(error.field), '-', error.detail);
assert.deepEqual(error.field, { attribute: ['amount'] });

// An instruction is checked the same way: a RUT with a wrong check digit is refused at
// the `rut` of its `body`, with the check that failed as its code.
const badRut = await client.withdrawalInstructions.create({
  userId: to.payeeId,
  body: { ...chileanAccount, rut: '12.345.678-9' },
});
if (badRut.isOk()) stop('a RUT with a wrong check digit was accepted');
if (badRut.error.type !== 'unprocessable') stop(badRut.error);
assert.deepEqual(badRut.error.field, { attribute: ['body', 'rut'] });
assert.equal(badRut.error.code, 'invalid_check_digit');

// An output must be payable with its instruction: the port's country and currency, and the
// fields the port requires (served with the ports). This Chilean account cannot pay in Mexico.
const ports = await client.ports.list();
if (ports.isErr()) stop(ports.error);
assert.deepEqual(ports.value.find((p) => p.code === 'mx_mxn')?.withdrawalInstructionFields, ['clabe']);
const mismatch = await client.outputs.create({ ...to, portCode: 'mx_mxn', amount: 500 });
if (mismatch.isOk()) stop('a Chilean account was accepted for a payment in Mexico');
if (mismatch.error.type !== 'unprocessable') stop(mismatch.error);
assert.equal(mismatch.error.code, 'instruction_mismatch');
assert.deepEqual(mismatch.error.field, { relationship: 'withdrawal_instruction' });

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
