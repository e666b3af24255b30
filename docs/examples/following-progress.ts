// Follow a request two ways: polling the client, and webhooks verified and applied in order.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSandboxApp, listenOnLoopback } from '@concierge-ts/sandbox-server';
import { createConcierge, createInMemoryConcierge, EventLedger, verifyWebhook } from 'concierge-ts';

// A sandbox server on loopback (what `pnpm sandbox` runs), and a client of it.
const apiKey = 'sk_docs_following_progress';
const sandbox = createInMemoryConcierge({ masterApiKey: apiKey });
const app = createSandboxApp(sandbox, { rateLimit: 0 });
const server = await listenOnLoopback(app);
const { client, operator } = createConcierge({
  mode: 'http',
  baseUrl: server.url,
  apiKey,
  rateLimit: 0,
})._unsafeUnwrap();

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
(await client.users.updateMe({ webhookUrl: hook }))._unsafeUnwrap();

// Pay one seeded payee (its account settles by itself). Each answer is the service's
// first step; like the provider, it makes the next ones later.
const seeded = sandbox.seeded!;
const payee = seeded.payees.find((p) => p.portCode === 'cl_clp')!;
const request = (
  await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
)._unsafeUnwrap();
const output = (
  await client.outputs.create({
    requestId: request.id,
    payeeId: payee.userId,
    withdrawalInstructionId: payee.withdrawalInstructionId,
    portCode: 'cl_clp',
    amount: 120_000,
  })
)._unsafeUnwrap();
assert.equal(output.state, 'accepting'); // checked 2 s later
assert.equal((await client.requests.requestQuote(request.id))._unsafeUnwrap().state, 'quote_requested');

// Against the provider each wait is a sleep. This sandbox's clock moves only when told
// (POST /sandbox/clock/advance, through the operator), so here each wait moves it instead.
const wait = async (seconds: number) => {
  (await operator.advanceClock(seconds))._unsafeUnwrap();
};
await wait(1); // the quote arrives 1 s after it was asked for
assert.equal((await client.requests.get(request.id))._unsafeUnwrap().state, 'quoted');
assert.equal((await client.requests.acceptQuote(request.id))._unsafeUnwrap().state, 'quote_accepted');

// Polling: read the request every 10 minutes until it is final (the provider issues a
// payment minutes after work starts; the receiving bank confirms it hours or days later).
let polled = (await client.requests.get(request.id))._unsafeUnwrap();
const seen = new Set([polled.state]);
for (let i = 0; i < 50 && polled.state !== 'finished' && polled.state !== 'cancelled'; i += 1) {
  await wait(600);
  polled = (await client.requests.get(request.id))._unsafeUnwrap();
  seen.add(polled.state);
}
console.log(`polled: request ${polled.id} went ${[...seen].join(' → ')}`);
assert.equal(polled.state, 'finished');

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
