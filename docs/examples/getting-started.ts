// Pay two people from Argentine pesos, end to end, on the in-process sandbox.
import assert from 'node:assert/strict';
import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import { formatMoney } from '@concierge-ts/domain';

// A sandbox with a funded payer and one payee per port (their accounts settle by themselves).
const sandbox = createInMemoryConcierge();
const { client } = sandbox;
const seeded = sandbox.seeded;
assert.ok(seeded);
const chile = seeded.payees.find((p) => p.portCode === 'cl_clp');
const mexico = seeded.payees.find((p) => p.portCode === 'mx_mxn');
assert.ok(chile && mexico);

const request = (
  await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
)._unsafeUnwrap();
for (const [payee, target] of [
  [chile, { amount: 150_000 }],
  [mexico, { budget: 80_000 }],
] as const) {
  const output = await client.outputs.create({
    requestId: request.id,
    payeeId: payee.userId,
    withdrawalInstructionId: payee.withdrawalInstructionId,
    portCode: payee.portCode,
    ...target,
  });
  if (output.isErr()) throw new Error(output.error.detail);
}

const quoted = (await client.requests.requestQuote(request.id))._unsafeUnwrap();
console.log(`quoted: ${formatMoney(quoted.totalToSpend!)} ARS to spend`);
const accepted = (await client.requests.acceptQuote(request.id))._unsafeUnwrap();
console.log(`after accept: ${accepted.state}`, accepted.counters);
assert.equal(accepted.state, 'finished');
assert.equal(accepted.counters.settled, 2);
