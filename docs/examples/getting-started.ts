// src/pay.ts: pay two people from Argentine pesos, end to end, on the in-process sandbox.
import { type ConciergeError, createConcierge, formatMoney } from 'concierge-ts';

// Every call answers a Result, never a throw: on an error, say what it was and stop.
function stop(error: ConciergeError | string): never {
  console.error(typeof error === 'string' ? error : `${error.type} (${error.code}): ${error.detail}`);
  process.exit(1);
}
// Likewise when something is not in the state this script expects.
function check(what: string, state: string, wanted: string) {
  if (state !== wanted) stop(`${what} is ${state}, expected ${wanted}`);
}

// Memory mode: the whole service in this process, with a funded payer and one payee per
// port whose account settles by itself. No server, no account, no API key.
const concierge = createConcierge({ mode: 'memory' });
if (concierge.isErr()) stop(concierge.error);
const { client, operator, sandbox } = concierge.value;
const seeded = sandbox?.seeded;
const chile = seeded?.payees.find((p) => p.portCode === 'cl_clp');
const mexico = seeded?.payees.find((p) => p.portCode === 'mx_mxn');
if (!seeded || !chile || !mexico) stop('the memory sandbox seeds a payer and payees by default');

// Like the provider, the service makes its moves later, never inside an answer. The
// sandbox's clock moves only when told: `wait` lets that many seconds pass on it.
async function wait(seconds: number) {
  const moved = await operator.advanceClock(seconds);
  if (moved.isErr()) stop(moved.error);
}
async function read(id: string) {
  const request = await client.requests.get(id);
  if (request.isErr()) stop(request.error);
  return request.value;
}

// 1. Draft a request: the origin port and the payer.
const request = await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId });
if (request.isErr()) stop(request.error);
const id = request.value.id;

// 2. One output per payee: an amount they receive (CLP), or a budget you spend (ARS).
for (const [payee, target] of [
  [chile, { amount: 150_000 }],
  [mexico, { budget: 80_000 }],
] as const) {
  const output = await client.outputs.create({
    requestId: id,
    payeeId: payee.userId,
    withdrawalInstructionId: payee.withdrawalInstructionId,
    portCode: payee.portCode,
    ...target,
  });
  if (output.isErr()) stop(output.error);
  // Accepting: the checks (compliance, account, limits) run later, 2 s in the sandbox.
  check('a new output', output.value.state, 'accepting');
}
await wait(2);
if ((await read(id)).counters.accepted !== 2) stop('expected both outputs accepted');

// 3. Ask for the quote. It comes later (1 s in the sandbox), pricing every output and
// the whole request.
const requested = await client.requests.requestQuote(id);
if (requested.isErr()) stop(requested.error);
check('the request', requested.value.state, 'quote_requested');
await wait(1);
const quoted = await read(id);
check('the request', quoted.state, 'quoted');
const total = quoted.totalToSpend;
console.log(`quoted: ${total ? formatMoney(total) : '(none)'} ARS to spend`);

// 4. Accept it. The payer's funds are there, so the work starts a second later.
await client.requests.acceptQuote(id).match(
  ({ state }) => check('the request', state, 'quote_accepted'),
  (error) => stop(error),
);
await wait(1);
check('the request', (await read(id)).state, 'working');

// 5. The payments are issued 10 minutes after work starts, and settle an hour later.
await wait(600);
console.log(`after 10 minutes: ${(await read(id)).counters.settling} payments issued`);
await wait(3600);
const { state, counters } = await read(id);
console.log(`an hour later: ${state}, ${counters.settled} of ${counters.total} settled`);
if (state !== 'finished' || counters.settled !== 2) stop('expected both payments settled');
