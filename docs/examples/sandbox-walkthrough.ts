// SPEC section 2 against the sandbox server, as raw HTTP: what the curl commands of the guide send.
import assert from 'node:assert/strict';
import { createSandboxApp, listenOnLoopback } from '@concierge-ts/sandbox-server';
import { createInMemoryConcierge } from 'concierge-ts';

const key = 'sk_docs_walkthrough';
const app = createSandboxApp(createInMemoryConcierge({ masterApiKey: key, seed: false }), { rateLimit: 0 });
const { url, close } = await listenOnLoopback(app);

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: key, Version: '2.0', 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as { data: { id: string; attributes: Record<string, unknown> } };
  console.log(`${method} ${path} → ${response.status}`);
  assert.ok(response.ok, JSON.stringify(json));
  return json.data;
};

// The payer, created as the published guide does, with no attributes, and a payee in
// Chile with a bank account whose RUT is the sandbox's test RUT that settles by itself
// (GET /sandbox/magic serves them, per country and outcome).
const payer = await call('POST', '/api/users', { data: { type: 'users' } });
assert.equal(payer.attributes.compliance_state, 'enabled');
await call('POST', `/sandbox/users/${payer.id}/deposits`, { port_code: 'ar_ars', amount: 2_000_000 });
const payee = await call('POST', '/api/users', {
  data: { type: 'users', attributes: { email: 'ana@example.com' } },
});
const magic = (await (await fetch(`${url}/sandbox/magic`)).json()) as {
  withdrawal_instructions: Record<string, Record<string, Record<string, string>>>;
};
const settles = magic.withdrawal_instructions.CL?.settles;
assert.deepEqual(settles, { rut: '100000016' });
const instruction = await call('POST', '/api/withdrawal_instructions', {
  data: {
    type: 'withdrawal_instructions',
    attributes: {
      label: 'Ana, Banco de Chile',
      body: {
        payment_method: 'domestic_bank',
        country: 'CL',
        currency: 'CLP',
        name: 'Ana Pérez',
        bank: 'Banco de Chile',
        account_type: 'checking',
        bank_account_number: '00123456781',
        ...settles,
      },
    },
    relationships: { user: { data: { id: Number(payee.id), type: 'users' } } },
  },
});

// Answered with label, schema "bitex" and the body as the service keeps it.
assert.equal(instruction.attributes.schema, 'bitex');

// 1. Draft a request from ar_ars for the payer.
const request = await call('POST', '/api/concierge_requests', {
  data: {
    type: 'concierge_requests',
    attributes: { port_code: 'ar_ars' },
    relationships: { user: { data: { id: Number(payer.id), type: 'users' } } },
  },
});
assert.equal(request.attributes.state, 'draft');

// 2. Add an output, with integer ids as the provider's guide sends them.
const output = await call('POST', '/api/concierge_request_outputs', {
  data: {
    type: 'concierge_request_outputs',
    attributes: { port_code: 'cl_clp', amount: 1000 },
    relationships: {
      request: { data: { id: Number(request.id), type: 'concierge_requests' } },
      withdrawal_instruction: { data: { id: Number(instruction.id), type: 'withdrawal_instructions' } },
      user: { data: { id: Number(payee.id), type: 'users' } },
    },
  },
});
// Created `accepting`: like the provider, the service runs its checks later (2 s here).
assert.equal(output.attributes.state, 'accepting');

// This server's clock moves only when the operator says so (`pnpm sandbox` follows real time).
const advance = (seconds: number) => call('POST', '/sandbox/clock/advance', { seconds });
await advance(2);
assert.equal((await call('GET', `/api/concierge_request_outputs/${output.id}`)).attributes.state, 'accepted');

// 3. An estimate needs no request.
await call('POST', '/api/concierge_estimates', {
  data: {
    type: 'concierge_estimates',
    attributes: { port_code: 'ar_ars', outputs: [{ port_code: 'cl_clp', amount: 1000 }] },
  },
});

// 4-5. Ask for the quote: answered `quote_requested`, unpriced; the quote follows 1 s later.
const requested = await call('POST', `/api/concierge_requests/${request.id}/request_quote`);
assert.equal(requested.attributes.state, 'quote_requested');
assert.equal(requested.attributes.total_to_spend, null);
await advance(1);
const quoted = await call('GET', `/api/concierge_requests/${request.id}`);
assert.equal(quoted.attributes.state, 'quoted');
console.log(
  `   total_to_spend ${quoted.attributes.total_to_spend}, accept before ${quoted.attributes.accept_quote_before}`,
);

// 6-7. Accept: answered `quote_accepted`; the funds are there, so work starts 1 s later.
const accepted = await call('POST', `/api/concierge_requests/${request.id}/accept_quote`);
assert.equal(accepted.attributes.state, 'quote_accepted');
await advance(1);
assert.equal((await call('GET', `/api/concierge_requests/${request.id}`)).attributes.state, 'working');

// 8-9. The payment is issued 10 minutes later, then settles: run the
// clock until nothing is due, and the request is finished.
await advance(600);
assert.equal((await call('GET', `/api/concierge_request_outputs/${output.id}`)).attributes.state, 'settling');
await call('POST', '/sandbox/clock/run_until_idle');
assert.equal((await call('GET', `/api/concierge_requests/${request.id}`)).attributes.state, 'finished');
const events = (await (await fetch(`${url}/sandbox/events`, { headers: { Authorization: key } })).json()) as {
  data: { attributes: { event_type: string } }[];
};
console.log(`${events.data.length} events, the last: ${events.data.at(-1)?.attributes.event_type}`);

app.close();
await close();
