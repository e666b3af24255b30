import { createInMemoryConcierge, type InMemoryConcierge } from '@concierge-ts/adapter-memory';
import { describe, expect, it } from 'vitest';
import { createSandboxApp, readConfig, type SandboxApp } from '../src/index.js';
import { schemaErrors } from './json-api-schema.js';

const setup = (options: Parameters<typeof createSandboxApp>[1] = {}) => {
  const concierge = createInMemoryConcierge();
  const bugs: unknown[] = [];
  const app = createSandboxApp(concierge, {
    rateLimit: 0,
    webhooks: false,
    onBug: (e) => bugs.push(e),
    ...options,
  });
  return { concierge, app, bugs, seeded: concierge.seeded ?? raise('seeded sandbox expected') };
};

const raise = (message: string): never => {
  throw new Error(message);
};

const call = async (
  app: SandboxApp,
  method: string,
  path: string,
  init: { key?: string | undefined; body?: string; contentType?: string } = {},
) => {
  const headers = new Headers();
  if (init.key !== undefined) headers.set('authorization', init.key);
  if (init.contentType !== undefined) headers.set('content-type', init.contentType);
  const response = await app.fetch(
    new Request(`http://sandbox.test${path}`, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
    }),
  );
  const text = await response.text();
  const json = text === '' ? undefined : JSON.parse(text);
  // Every JSON:API answer is a valid JSON:API 1.0 document.
  if (response.headers.get('content-type') === 'application/vnd.api+json')
    expect(schemaErrors(json), `${method} ${path}`).toEqual([]);
  return { status: response.status, headers: response.headers, json };
};

/** The provider guide's curl bodies (seed/create-a-concierge-request.md), as text. */
const guideRequest = (payer: number) => `{
    "data": {
      "type": "concierge_requests",
      "attributes": {
        "port_code": "ar_ars"
      },
      "relationships": { "user": { "data": { "id": ${payer}, "type": "users" } } }
    }
  }`;
const guideOutput = (request: number, instruction: number, user: number) => `{
    "data": {
        "type": "concierge_request_outputs",
        "attributes": {
            "port_code": "cl_clp",
            "amount": 1000
        },
        "relationships": {
            "request": {
                "data": {
                    "id": ${request},
                    "type": "concierge_requests"
                }
            },
            "withdrawal_instruction": {
                "data": {
                    "id": ${instruction},
                    "type": "withdrawal_instructions"
                }
            },
            "user": {
                "data": {
                    "id": ${user},
                    "type": "users"
                }
            }
        }
    }
}`;

const payeeIn = (c: InMemoryConcierge, port: string) =>
  c.seeded?.payees.find((p) => p.portCode === port) ?? raise(`payee in ${port}`);

describe('the sandbox API over HTTP', () => {
  it("accepts the provider guide's bodies: Content-Type application/json, integer ids", async () => {
    const { app, concierge, seeded } = setup();
    const key = concierge.apiKey;
    const drafted = await call(app, 'POST', '/api/concierge_requests', {
      key,
      contentType: 'application/json',
      body: guideRequest(Number(seeded.payerId)),
    });
    expect(drafted.status).toBe(201);
    // As SPEC section 7 shows a drafted request.
    expect(drafted.json.data).toMatchObject({
      type: 'concierge_requests',
      attributes: {
        state: 'draft',
        port_code: 'ar_ars',
        outputs_accepting: 0,
        outputs_total: 0,
        total_to_spend: null,
        eta: null,
      },
      relationships: { user: { data: { id: seeded.payerId, type: 'users' } }, outputs: { data: [] } },
    });
    expect(typeof drafted.json.data.id).toBe('string');
    const payee = payeeIn(concierge, 'cl_clp');
    const output = await call(app, 'POST', '/api/concierge_request_outputs', {
      key,
      contentType: 'application/json',
      body: guideOutput(
        Number(drafted.json.data.id),
        Number(payee.withdrawalInstructionId),
        Number(payee.userId),
      ),
    });
    expect(output.status).toBe(201);
    // The published answer: accepting ("preliminary checks have not run yet").
    expect(output.json.data.attributes).toMatchObject({
      state: 'accepting',
      port_code: 'cl_clp',
      amount: 1000,
    });
  });

  it("refuses the guide's draft without a payer, naming the relationship (SPEC: the payer is required)", async () => {
    const { app, concierge } = setup();
    const refused = await call(app, 'POST', '/api/concierge_requests', {
      key: concierge.apiKey,
      contentType: 'application/json',
      body: '{"data":{"type":"concierge_requests","attributes":{"port_code":"ar_ars"}}}',
    });
    expect(refused.status).toBe(422);
    expect(refused.json.errors[0]).toMatchObject({
      status: '422',
      code: 'missing_relationship',
      source: { pointer: '/data/relationships/user' },
    });
  });

  it('accepts application/vnd.api+json, refuses other media types with 415 and bad JSON with 400', async () => {
    const { app, concierge, seeded } = setup();
    const key = concierge.apiKey;
    const body = guideRequest(Number(seeded.payerId));
    expect(
      (
        await call(app, 'POST', '/api/concierge_requests', {
          key,
          body,
          contentType: 'application/vnd.api+json',
        })
      ).status,
    ).toBe(201);
    expect(
      (await call(app, 'POST', '/api/concierge_requests', { key, body, contentType: 'text/plain' })).status,
    ).toBe(415);
    const bad = await call(app, 'POST', '/api/concierge_requests', {
      key,
      body: '{"data":',
      contentType: 'application/json',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].code).toBe('malformed_json');
  });

  it('authenticates by the raw Authorization header; ports and estimates need none', async () => {
    const { app, concierge } = setup();
    expect((await call(app, 'GET', '/api/users/me')).status).toBe(401);
    expect((await call(app, 'GET', '/api/users/me', { key: 'sk_nope' })).status).toBe(401);
    expect((await call(app, 'GET', '/api/users/me', { key: `Bearer ${concierge.apiKey}` })).status).toBe(401);
    expect((await call(app, 'GET', '/api/users/me', { key: concierge.apiKey })).status).toBe(200);
    expect((await call(app, 'GET', '/sandbox/events')).status).toBe(401);
    expect((await call(app, 'GET', '/api/concierge_ports')).status).toBe(200);
    const estimate = await call(app, 'POST', '/api/concierge_estimates', {
      contentType: 'application/json',
      body: JSON.stringify({
        data: {
          type: 'concierge_estimates',
          attributes: { port_code: 'ar_ars', outputs: [{ port_code: 'cl_clp', amount: 5000 }] },
        },
      }),
    });
    expect(estimate.status).toBe(200);
    expect(estimate.json.data.attributes.hint_token).toEqual(expect.any(String));
  });

  it('shows a request with include=outputs, paginates with links.next, and refuses unknown includes', async () => {
    const { app, concierge, seeded } = setup();
    const key = concierge.apiKey;
    const request = (
      await concierge.client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    const payee = payeeIn(concierge, 'cl_clp');
    for (const amount of [5000, 6000, 7000])
      (
        await concierge.client.outputs.create({
          requestId: request.id,
          payeeId: payee.userId,
          withdrawalInstructionId: payee.withdrawalInstructionId,
          portCode: 'cl_clp',
          amount,
        })
      )._unsafeUnwrap();
    const shown = await call(app, 'GET', `/api/concierge_requests/${request.id}?include=outputs`, { key });
    expect(shown.json.data.relationships.outputs.data).toHaveLength(3);
    expect(shown.json.included.map((o: { type: string }) => o.type)).toEqual(
      Array(3).fill('concierge_request_outputs'),
    );
    const plain = await call(app, 'GET', `/api/concierge_requests/${request.id}`, { key });
    expect(plain.json.included).toBeUndefined();
    // Without include, the relationship still names the outputs (resource linkage).
    expect(plain.json.data.relationships.outputs).toEqual({
      data: shown.json.data.relationships.outputs.data,
    });
    expect(
      (await call(app, 'GET', `/api/concierge_requests/${request.id}?include=user`, { key })).status,
    ).toBe(400);

    const first = await call(
      app,
      'GET',
      `/api/concierge_request_outputs?filter[request_id]=${request.id}&page[size]=2`,
      { key },
    );
    expect(first.json.data).toHaveLength(2);
    const next = new URL(first.json.links.next);
    const second = await call(app, 'GET', `${next.pathname}${next.search}`, { key });
    expect(second.json.data).toHaveLength(1);
    expect(second.json.links.next).toBeNull();
    expect(
      (await call(app, 'GET', '/api/concierge_request_outputs?filter[state]=lost', { key })).json.errors[0],
    ).toMatchObject({
      status: '400',
      source: { parameter: 'filter[state]' },
    });
  });

  it('refuses a PATCH whose data.id is another request with 409', async () => {
    const { app, concierge, seeded } = setup();
    const request = (
      await concierge.client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    const refused = await call(app, 'PATCH', `/api/concierge_requests/${request.id}`, {
      key: concierge.apiKey,
      contentType: 'application/json',
      body: JSON.stringify({
        data: { type: 'concierge_requests', id: '999', attributes: { external_id: 'x' } },
      }),
    });
    expect(refused.status).toBe(409);
    expect((await concierge.client.requests.get(request.id))._unsafeUnwrap().externalId).toBeNull();
  });

  it('answers unknown routes with a JSON:API 404, and a bug with a JSON:API 500', async () => {
    const { app, concierge, bugs } = setup();
    const missing = await call(app, 'DELETE', '/api/concierge_requests/1', { key: concierge.apiKey });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/vnd.api+json');
    // A service that throws where nothing expects it stands in for a bug.
    concierge.service.authenticate = () => raise('boom at line 42');
    const broken = await call(app, 'GET', '/api/users/me', { key: concierge.apiKey });
    expect(broken.status).toBe(500);
    expect(broken.headers.get('content-type')).toBe('application/vnd.api+json');
    expect(broken.json.errors[0]).toMatchObject({ status: '500', code: 'server_error' });
    expect(broken.json.errors[0].detail).not.toMatch(/boom/);
    expect(bugs).toHaveLength(1);
  });

  it('limits each key to its rate with 429 and Retry-After; other keys are unaffected', async () => {
    let now = 0;
    const { app, concierge } = setup({ rateLimit: 5, now: () => now });
    const other = concierge.addMaster('other@example.com');
    const statuses = [];
    for (let i = 0; i < 6; i += 1)
      statuses.push((await call(app, 'GET', '/api/users/me', { key: concierge.apiKey })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await call(app, 'GET', '/api/users/me', { key: concierge.apiKey });
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.json.errors[0]).toMatchObject({ status: '429', code: 'rate_limited' });
    expect((await call(app, 'GET', '/api/users/me', { key: other.apiKey })).status).toBe(200);
    now += 200;
    expect((await call(app, 'GET', '/api/users/me', { key: concierge.apiKey })).status).toBe(200);
  });

  it('creates a user with the published bare body, shows its compliance_state, and lists the master itself', async () => {
    const { app, concierge } = setup();
    const key = concierge.apiKey;
    const created = await call(app, 'POST', '/api/users', {
      key,
      contentType: 'application/json',
      body: '{ "data": { "type": "users" } }',
    });
    expect(created.status).toBe(201);
    expect(created.json.data).toMatchObject({
      type: 'users',
      attributes: { email: null, name: null, compliance_state: 'enabled' },
    });
    expect(created.json.data.attributes).not.toHaveProperty('compliance_status');
    const me = (await call(app, 'GET', '/api/users/me', { key })).json.data;
    const listed = await call(app, 'GET', '/api/users?page[size]=500', { key });
    const ids = (listed.json.data as { id: string }[]).map((u) => u.id);
    expect(ids[0]).toBe(me.id);
    expect(ids).toContain(created.json.data.id);
    const set = await call(app, 'POST', `/sandbox/users/${created.json.data.id}/compliance`, {
      key,
      contentType: 'application/json',
      body: '{"state": "disabled"}',
    });
    expect(set.status).toBe(200);
    expect(set.json.data.attributes.compliance_state).toBe('disabled');
    const old = await call(app, 'POST', `/sandbox/users/${created.json.data.id}/compliance`, {
      key,
      contentType: 'application/json',
      body: '{"status": "approved"}',
    });
    expect(old.status).toBe(422);
    expect(old.json.errors[0]).toMatchObject({ source: { pointer: '/state' } });
  });

  it('runs the operator API with plain JSON bodies', async () => {
    const { app, concierge, seeded } = setup();
    const key = concierge.apiKey;
    const deposit = await call(app, 'POST', `/sandbox/users/${seeded.payerId}/deposits`, {
      key,
      contentType: 'application/json',
      body: '{"port_code": "ar_ars", "amount": 1000}',
    });
    expect(deposit.status).toBe(200);
    expect(deposit.json.data.attributes.balances.ars).toBe(100_001_000);
    const json = 'application/json';
    const clock = await call(app, 'POST', '/sandbox/clock/advance', {
      key,
      body: '{"seconds": 600}',
      contentType: json,
    });
    expect(clock.json).toEqual({ now: '2026-01-05T12:10:00.000Z' });
    expect(
      (await call(app, 'POST', '/sandbox/clock/advance', { key, body: '[600]', contentType: json })).status,
    ).toBe(400);
    expect((await call(app, 'POST', '/sandbox/reset', { key })).status).toBe(204);
    // Emptied and seeded again: a payer with its opening deposit, the 1000 above gone.
    const users = (await call(app, 'GET', '/api/users', { key })).json.data as {
      id: string;
      attributes: { balances: Record<string, number> };
    }[];
    expect(users.map((u) => u.id)).not.toContain(seeded.payerId);
    expect(users.map((u) => u.attributes.balances['ars'] ?? 0)).toContain(100_000_000);
  });

  it('names the log levels it accepts', () => {
    expect(readConfig({ CONCIERGE_LOG_LEVEL: 'verbose' })._unsafeUnwrapErr()).toBe(
      'CONCIERGE_LOG_LEVEL="verbose" is invalid: expected one of trace, debug, info, warn, error, fatal, silent',
    );
  });
});

describe('sandbox configuration from the environment', () => {
  it('defaults to port 4100, a random key and 5 requests per second', () => {
    expect(readConfig({})._unsafeUnwrap()).toEqual({
      port: 4100,
      apiKey: undefined,
      rateLimit: 5,
      logLevel: 'info',
      clockSpeed: 1,
    });
  });

  it('reads PORT, CONCIERGE_SANDBOX_API_KEY, CONCIERGE_SANDBOX_RATE_LIMIT (0 = off) and CONCIERGE_LOG_LEVEL', () => {
    expect(
      readConfig({
        PORT: '4200',
        CONCIERGE_SANDBOX_API_KEY: 'sk_test_1234',
        CONCIERGE_SANDBOX_RATE_LIMIT: '0',
        CONCIERGE_LOG_LEVEL: ' Debug ',
        CONCIERGE_SANDBOX_CLOCK_SPEED: '60',
      })._unsafeUnwrap(),
    ).toEqual({ port: 4200, apiKey: 'sk_test_1234', rateLimit: 0, logLevel: 'debug', clockSpeed: 60 });
    expect(readConfig({ CONCIERGE_LOG_LEVEL: 'silent' })._unsafeUnwrap().logLevel).toBe('silent');
  });

  it('refuses invalid values naming the variable', () => {
    for (const [name, value] of [
      ['CONCIERGE_SANDBOX_RATE_LIMIT', 'fast'],
      ['CONCIERGE_SANDBOX_RATE_LIMIT', '-1'],
      ['CONCIERGE_SANDBOX_RATE_LIMIT', '2.5'],
      ['CONCIERGE_SANDBOX_CLOCK_SPEED', '0'],
      ['CONCIERGE_SANDBOX_CLOCK_SPEED', 'fast'],
      ['CONCIERGE_SANDBOX_CLOCK_SPEED', '-2'],
      ['PORT', '70000'],
      ['CONCIERGE_SANDBOX_API_KEY', 'has space in it'],
      ['CONCIERGE_LOG_LEVEL', 'verbose'],
      ['CONCIERGE_LOG_LEVEL', '30'],
    ] as const)
      expect(readConfig({ [name]: value })._unsafeUnwrapErr()).toMatch(new RegExp(`^${name}=`));
  });

  it('names the log levels it accepts', () => {
    expect(readConfig({ CONCIERGE_LOG_LEVEL: 'verbose' })._unsafeUnwrapErr()).toBe(
      'CONCIERGE_LOG_LEVEL="verbose" is invalid: expected one of trace, debug, info, warn, error, fatal, silent',
    );
  });
});
