// src/pay.ts: pay two people from Argentine pesos, end to end, on the in-process sandbox.
import { type ConciergeError, createConcierge, formatMoney } from 'concierge-ts';

// Every call answers a Result, never a throw: on an error, say what it was and stop.
function stop(error: ConciergeError | string): never {
  console.error(typeof error === 'string' ? error : `${error.type} (${error.code}): ${error.detail}`);
  process.exit(1);
}

// Memory mode: the whole service in this process, with a funded payer and one payee per
// port whose account settles by itself. No server, no account, no API key.
const concierge = createConcierge({ mode: 'memory' });
if (concierge.isErr()) stop(concierge.error);
const { client, sandbox } = concierge.value;
const seeded = sandbox?.seeded;
const chile = seeded?.payees.find((p) => p.portCode === 'cl_clp');
const mexico = seeded?.payees.find((p) => p.portCode === 'mx_mxn');
if (!seeded || !chile || !mexico) stop('the memory sandbox seeds a payer and payees by default');

// 1. Draft a request: the origin port and the payer.
const request = await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId });
if (request.isErr()) stop(request.error);

// 2. One output per payee: an amount they receive (CLP), or a budget you spend (ARS).
for (const [payee, target] of [
  [chile, { amount: 150_000 }],
  [mexico, { budget: 80_000 }],
] as const) {
  const output = await client.outputs.create({
    requestId: request.value.id,
    payeeId: payee.userId,
    withdrawalInstructionId: payee.withdrawalInstructionId,
    portCode: payee.portCode,
    ...target,
  });
  if (output.isErr()) stop(output.error);
}

// 3. The quote prices every output and the whole request.
const quoted = await client.requests.requestQuote(request.value.id);
if (quoted.isErr()) stop(quoted.error);
const total = quoted.value.totalToSpend;
console.log(`quoted: ${total ? formatMoney(total) : '(not yet)'} ARS to spend`);

// 4. Accept it: the payer's funds are there, so the work starts, and these accounts settle.
await client.requests.acceptQuote(request.value.id).match(
  ({ state, counters }) => {
    console.log(`after accept: ${state}, ${counters.settled} of ${counters.total} settled`);
    if (state !== 'finished' || counters.settled !== 2) stop('expected both payments settled');
  },
  (error) => stop(error),
);
