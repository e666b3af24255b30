// Follow a request two ways: polling the client, and webhooks verified and applied in order.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSandboxApp, listenOnLoopback } from '@concierge-ts/sandbox-server';
import {
  allPages,
  type ConciergeError,
  createConcierge,
  createInMemoryConcierge,
  EventLedger,
  verifyWebhook,
} from 'concierge-ts';
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

// A sandbox server on loopback (what `pnpm sandbox` runs), and a client of it.
const apiKey = 'sk_docs_following_progress';
const sandbox = createInMemoryConcierge({ masterApiKey: apiKey });
const app = createSandboxApp(sandbox, { rateLimit: 0 });
const server = await listenOnLoopback(app);
const concierge = createConcierge({ mode: 'http', baseUrl: server.url, apiKey, rateLimit: 0 });
if (concierge.isErr()) stop(concierge.error);
const { client, operator } = concierge.value;

// The webhook receiver: raw body in, WEBHOOK-AUTH checked in constant time, each event
// id applied once, never moving a resource backwards.
const ledger = new EventLedger();
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const event = verifyWebhook(Buffer.concat(chunks), req.headers, apiKey);
    if (event.isErr()) {
      res.writeHead(401).end(event.error.message);
      return;
    }
    ledger.apply(event.value);
    res.writeHead(200).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/concierge`;
await must(client.users.updateMe({ webhookUrl: hook }));

// Pay one seeded payee (its account settles by itself). Each answer is the service's
// first step; like the provider, it makes the next ones later.
const seeded = sandbox.seeded!;
const payee = seeded.payees.find((p) => p.portCode === 'cl_clp')!;
const request = await must(client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId }));
const output = await must(
  client.outputs.create({
    requestId: request.id,
    payeeId: payee.userId,
    withdrawalInstructionId: payee.withdrawalInstructionId,
    portCode: 'cl_clp',
    amount: 120_000,
  }),
);
assert.equal(output.state, 'accepting'); // checked 2 s later
assert.equal((await must(client.requests.requestQuote(request.id))).state, 'quote_requested');

// Against the provider each wait is a sleep. This sandbox's clock moves only when told
// (POST /sandbox/clock/advance, through the operator), so here each wait moves it instead.
const wait = async (seconds: number) => {
  await must(operator.advanceClock(seconds));
};
await wait(1); // the quote arrives 1 s after it was asked for
assert.equal((await must(client.requests.get(request.id))).state, 'quoted');
assert.equal((await must(client.requests.acceptQuote(request.id))).state, 'quote_accepted');

// Polling: read the request every 10 minutes until it is final (the provider issues a
// payment minutes after work starts; the receiving bank confirms it hours or days later).
let polled = await must(client.requests.get(request.id));
const seen = new Set([polled.state]);
for (let i = 0; i < 50 && polled.state !== 'finished' && polled.state !== 'cancelled'; i += 1) {
  await wait(600);
  polled = await must(client.requests.get(request.id));
  seen.add(polled.state);
}
console.log(`polled: request ${polled.id} went ${[...seen].join(' → ')}`);
assert.equal(polled.state, 'finished');

// The outputs themselves, page by page: allPages gives each one as a Result, and a page
// that cannot be read as one error that ends the walk.
const settled: string[] = [];
for await (const listed of allPages((page) => client.outputs.list({ requestId: request.id, page }))) {
  if (listed.isErr()) stop(listed.error);
  if (listed.value.state === 'settled') settled.push(listed.value.id);
}
assert.deepEqual(settled, [output.id]);

// Webhooks: every one of those moves was POSTed to the receiver; wait (real time, the
// deliveries are HTTP calls) until the ledger has seen the request finish.
for (let i = 0; i < 50 && ledger.request(request.id)?.state !== 'finished'; i += 1)
  await new Promise((resolve) => setTimeout(resolve, 100));
console.log(`webhooks: request ${request.id} is ${ledger.request(request.id)?.state}`);
assert.equal(ledger.request(request.id)?.state, 'finished');

// A forged webhook is refused; a parsed object instead of the raw body is refused loudly.
const forged = verifyWebhook('{}', { 'webhook-auth': 'not-the-digest' }, apiKey);
assert.equal(forged.isErr() && forged.error.type, 'bad_signature');
const parsed = verifyWebhook({} as never, {}, apiKey);
assert.equal(parsed.isErr() && parsed.error.type, 'not_raw_body');

app.close();
receiver.close();
await server.close();
