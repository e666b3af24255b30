// The error taxonomy: narrow on `type` to read what each kind carries; rate limits; outcomes.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSandboxApp, listenOnLoopback } from '@concierge-ts/sandbox-server';
import {
  type ConciergeError,
  createConcierge,
  createInMemoryConcierge,
  describeField,
  mayHaveTakenEffect,
} from 'concierge-ts';

// What to do about an error. Each kind carries what the decision needs, so narrowing on
// `type` is enough: no optional fields, no reading of `detail`.
function advice(error: ConciergeError): string {
  switch (error.type) {
    case 'unprocessable':
      return `fix ${describeField(error.field)}`;
    case 'rate_limited':
      return `wait ${error.retryAfterMs} ms, then send it again`;
    case 'connection':
    case 'timeout':
      return error.outcome === 'not_sent'
        ? 'it never reached the service: safe to send again'
        : 'it may have taken effect: find out before sending it again';
    case 'server':
      return `the service failed (HTTP ${error.status}), maybe after doing the work`;
    case 'bad_request':
    case 'authentication':
    case 'permission':
    case 'not_found':
    case 'conflict':
      return `refused with HTTP ${error.status} (${error.code}): nothing was done`;
    case 'decode':
      return 'the answer is not the documented shape';
    default: {
      const unreachable: never = error;
      return unreachable;
    }
  }
}
const show = (label: string, error: ConciergeError) =>
  console.log(`${label.padEnd(15)} ${error.type.padEnd(14)} ${advice(error)}`);
function stop(error: ConciergeError | string): never {
  console.error(typeof error === 'string' ? error : `${error.type} (${error.code}): ${error.detail}`);
  process.exit(1);
}

const apiKey = 'sk_docs_errors';
const sandbox = createInMemoryConcierge({ masterApiKey: apiKey });
// This server allows 3 requests a second per key, like a strict provider.
const app = createSandboxApp(sandbox, { rateLimit: 3 });
const server = await listenOnLoopback(app);
const connect = (options: {
  baseUrl?: string;
  apiKey?: string;
  rateLimit?: number;
  retries?: number;
  timeoutMs?: number;
}) => {
  const concierge = createConcierge({ mode: 'http', baseUrl: server.url, apiKey, ...options });
  if (concierge.isErr()) stop(concierge.error);
  return concierge.value.client;
};

// Refusals: the service answered, and did nothing.
const client = connect({ rateLimit: 3 });
const seeded = sandbox.seeded!;
const bad = await client.requests.create({ portCode: 'ar_xyz', payerId: seeded.payerId });
assert.ok(bad.isErr() && bad.error.type === 'unprocessable');
assert.deepEqual(bad.error.field, { attribute: ['port_code'] });
show('unprocessable', bad.error);
const missing = await client.requests.get('424242');
assert.ok(missing.isErr() && missing.error.type === 'not_found');
show('not found', missing.error);
const draft = await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId });
if (draft.isErr()) stop(draft.error);
const early = await client.requests.acceptQuote(draft.value.id);
assert.ok(early.isErr() && early.error.type === 'conflict');
show('conflict', early.error);
const stranger = await connect({ apiKey: 'sk_unknown', rateLimit: 3 }).requests.list();
assert.ok(stranger.isErr() && stranger.error.type === 'authentication');
show('authentication', stranger.error);

// Without its limiter and without retries, a burst meets the server's 429 and Retry-After...
const reckless = connect({ rateLimit: 0, retries: 0 });
await new Promise((resolve) => setTimeout(resolve, 1100));
const burst = await Promise.all(Array.from({ length: 8 }, () => reckless.ports.list()));
const limited = burst.find((r) => r.isErr());
assert.ok(limited?.isErr() && limited.error.type === 'rate_limited');
assert.ok(limited.error.retryAfterMs > 0);
show('rate limited', limited.error);

// ...while the default client spaces its calls (and would retry a 429 after Retry-After).
await new Promise((resolve) => setTimeout(resolve, 1100));
const polite = await Promise.all(Array.from({ length: 8 }, () => client.ports.list()));
assert.ok(polite.every((r) => r.isOk()));
console.log('8 calls through the limiter: all answered, no 429');

// No answer: `outcome` says whether the request may have reached the service. Here a
// server that reads every request and never answers...
const silent = createServer(() => {});
await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
const hopeful = connect({ baseUrl: silentUrl, rateLimit: 0, timeoutMs: 300 });
const order = { portCode: 'ar_ars', payerId: seeded.payerId, externalId: 'payroll-2026-02' };
const lost = await hopeful.requests.create(order);
// ...so the draft may exist. The client did not send it again (that could draft it twice),
// and did not guess either: find it by its external_id before drafting again.
assert.ok(lost.isErr() && lost.error.type === 'timeout' && lost.error.outcome === 'unknown');
assert.ok(mayHaveTakenEffect(lost.error));
show('timed out', lost.error);
// Once nothing listens there, the connection is refused: nothing was sent (and the
// client retried it, since that is safe).
silent.closeAllConnections();
await new Promise((resolve) => silent.close(resolve));
const refused = await hopeful.requests.create(order);
assert.ok(refused.isErr() && refused.error.type === 'connection' && refused.error.outcome === 'not_sent');
assert.ok(!mayHaveTakenEffect(refused.error));
show('refused', refused.error);

app.close();
await server.close();
