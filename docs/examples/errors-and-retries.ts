// The error taxonomy, and how the client keeps an integrator clear of rate limits.
import assert from 'node:assert/strict';
import { createSandboxApp, listenOnLoopback } from '@concierge-ts/sandbox-server';
import { type ConciergeError, createConcierge, createInMemoryConcierge } from 'concierge-ts';

const apiKey = 'sk_docs_errors';
const sandbox = createInMemoryConcierge({ masterApiKey: apiKey });
// This server allows 3 requests a second per key, like a strict provider.
const app = createSandboxApp(sandbox, { rateLimit: 3 });
const server = await listenOnLoopback(app);
const connect = (options: { apiKey?: string; rateLimit?: number; retries?: number }) =>
  createConcierge({ mode: 'http', baseUrl: server.url, apiKey, ...options })._unsafeUnwrap().client;

const show = (label: string, error: ConciergeError) =>
  console.log(
    `${label.padEnd(16)} ${error.type} ${'status' in error ? (error.status ?? '') : ''} ${error.code}${'pointer' in error && error.pointer ? ` at ${error.pointer}` : ''}`,
  );

// Errors are values with a type, an HTTP status, a stable code, a detail and the field.
const client = connect({ rateLimit: 3 });
const seeded = sandbox.seeded!;
const bad = await client.requests.create({ portCode: 'ar_xyz', payerId: seeded.payerId });
assert.ok(bad.isErr());
show('unprocessable', bad.error);
const missing = await client.requests.get('424242');
assert.ok(missing.isErr());
show('not found', missing.error);
const draft = (await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId }))._unsafeUnwrap();
const early = await client.requests.acceptQuote(draft.id);
assert.ok(early.isErr());
show('conflict', early.error);
const stranger = await connect({ apiKey: 'sk_unknown', rateLimit: 3 }).requests.list();
assert.ok(stranger.isErr());
show('authentication', stranger.error);

// Without its limiter and without retries, a burst meets the server's 429 and Retry-After...
const reckless = connect({ rateLimit: 0, retries: 0 });
await new Promise((resolve) => setTimeout(resolve, 1100));
const burst = await Promise.all(Array.from({ length: 8 }, () => reckless.ports.list()));
const limited = burst.find((r) => r.isErr());
assert.ok(limited?.isErr() && limited.error.type === 'rate_limited');
show('rate limited', limited.error);
console.log(`                 retry after ${limited.error.retryAfterMs} ms`);

// ...while the default client spaces its calls (and would retry a 429 after Retry-After).
await new Promise((resolve) => setTimeout(resolve, 1100));
const polite = await Promise.all(Array.from({ length: 8 }, () => client.ports.list()));
assert.ok(polite.every((r) => r.isOk()));
console.log('8 calls through the limiter: all answered, no 429');

app.close();
await server.close();
