import {
  createInMemoryConcierge,
  type InMemoryConcierge,
  testInstructionBody,
} from '@concierge-ts/adapter-memory';
import { PORT_REQUIRED_FIELDS, type SandboxPortCode, TEST_OUTCOMES } from '@concierge-ts/domain';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSandboxApp, type SandboxApp } from '../src/index.js';
import { schemaErrors } from './json-api-schema.js';

/**
 * Thousands of random and malformed requests against the app, in-process: never a 5xx,
 * never a crash, always a JSON:API answer that the JSON:API 1.0 schema accepts, and a
 * refused request changes nothing.
 */

interface World {
  readonly concierge: InMemoryConcierge;
  readonly app: SandboxApp;
  readonly bugs: unknown[];
  readonly otherKey: string;
  readonly ids: {
    readonly users: string[];
    readonly requests: string[];
    readonly outputs: string[];
    readonly instructions: string[];
  };
}

const buildWorld = async (): Promise<World> => {
  const concierge = createInMemoryConcierge();
  const bugs: unknown[] = [];
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false, onBug: (e) => bugs.push(e) });
  const other = concierge.addMaster('other@example.com');
  const seeded = concierge.seeded;
  if (!seeded) throw new Error('seeded sandbox expected');
  const c = concierge.client;
  const requests: string[] = [];
  const outputs: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const request = (
      await c.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId, externalId: `x${i}` })
    )._unsafeUnwrap();
    requests.push(request.id);
    for (const payee of seeded.payees.slice(0, 3)) {
      const amount = payee.portCode === 'ar_usd' ? 10 : 1000;
      const created = await c.outputs.create({
        requestId: request.id,
        payeeId: payee.userId,
        withdrawalInstructionId: payee.withdrawalInstructionId,
        portCode: payee.portCode,
        amount,
      });
      if (created.isOk()) outputs.push(created.value.id);
    }
  }
  (await c.requests.requestQuote(requests[1] ?? ''))._unsafeUnwrap();
  return {
    concierge,
    app,
    bugs,
    otherKey: other.apiKey,
    ids: {
      users: [seeded.payerId, ...seeded.payees.map((p) => p.userId)],
      requests,
      outputs,
      instructions: seeded.payees.map((p) => p.withdrawalInstructionId),
    },
  };
};

const json = (value: unknown): string =>
  JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

/** Everything a caller could observe, for both masters. */
const snapshot = async (w: World): Promise<string> => {
  const all = { page: { size: 500 } };
  const views = [];
  for (const client of [w.concierge.client, w.concierge.clientFor(w.otherKey)]) {
    views.push(
      await client.requests.list(all),
      await client.outputs.list(all),
      await client.users.list(all),
      await client.withdrawalInstructions.list(all),
      await client.users.me(),
    );
  }
  views.push(await w.concierge.operator.events());
  return json(views);
};

// ---------------------------------------------------------------- generators

const SANDBOX_PORTS = Object.keys(PORT_REQUIRED_FIELDS) as SandboxPortCode[];

const weirdText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '.',
    '%',
    '%zz',
    '%00',
    '\u0000',
    '😀',
    'null',
    '-1',
    '1e999',
    '0x1F',
    '999999',
    'a'.repeat(2000),
  ),
);

const jsonScalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -0, 1e308, -1e-308, 2 ** 53 + 1, 1.005, 0.1, 100000000000000000000),
  weirdText,
);
const jsonLike: fc.Arbitrary<unknown> = fc.oneof(
  jsonScalar,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant({}),
  fc.constant([]),
);

/** A body close to a valid one, then bent: fields dropped, retyped or added. */
const templates = (w: World) => {
  const rel = (type: string, id: unknown) => ({ data: { type, id } });
  const id = (pool: readonly string[]) =>
    fc.oneof(fc.constantFrom(...pool), fc.constantFrom(...pool).map(Number), jsonScalar);
  return fc.oneof(
    fc.record({
      data: fc.record({
        type: fc.constant('concierge_requests'),
        attributes: fc.record({
          port_code: fc.constantFrom('ar_ars', 'cl_clp', 'zz_zzz'),
          external_id: fc.string(),
        }),
        relationships: fc.record({ user: id(w.ids.users).map((u) => rel('users', u)) }),
      }),
    }),
    fc.record({
      data: fc.record({
        type: fc.constant('concierge_request_outputs'),
        attributes: fc.record(
          {
            port_code: fc.constantFrom('cl_clp', 'ar_ars', 'mx_mxn', 'us_usd'),
            amount: fc.oneof(fc.integer({ min: -10, max: 10_000_000 }), fc.double(), fc.string()),
            budget: fc.integer({ min: 1, max: 1_000_000 }),
          },
          { requiredKeys: ['port_code'] },
        ),
        relationships: fc.record({
          request: id(w.ids.requests).map((r) => rel('concierge_requests', r)),
          user: id(w.ids.users).map((u) => rel('users', u)),
          withdrawal_instruction: id(w.ids.instructions).map((i) => rel('withdrawal_instructions', i)),
        }),
      }),
    }),
    fc.record({
      data: fc.record({
        type: fc.constantFrom(
          'concierge_requests',
          'users',
          'concierge_estimates',
          'withdrawal_instructions',
        ),
        attributes: fc.record(
          {
            hint_token: fc.string(),
            external_id: fc.option(fc.string()),
            email: fc.oneof(fc.emailAddress(), fc.string()),
            webhook_url: fc.oneof(fc.webUrl(), fc.string()),
            label: fc.string(),
            body: fc.dictionary(fc.string({ maxLength: 8 }), jsonScalar, { maxKeys: 4 }),
            port_code: fc.constantFrom('ar_ars', 'cl_clp'),
            outputs: fc.array(
              fc.record({
                port_code: fc.constantFrom('cl_clp', 'mx_mxn'),
                amount: fc.integer({ min: -5, max: 100000 }),
              }),
              { maxLength: 3 },
            ),
          },
          { requiredKeys: [] },
        ),
        relationships: fc.record({ user: id(w.ids.users).map((u) => rel('users', u)) }, { requiredKeys: [] }),
      }),
    }),
    fc.record({
      state: fc.constantFrom('new', 'enabled', 'disabled', 'rejected', 'approved', 'maybe'),
      port_code: fc.constantFrom('ar_ars', 'zz_zzz'),
      amount: jsonScalar,
      seconds: fc.oneof(fc.integer({ min: -5, max: 100 }), jsonScalar),
      reason: jsonScalar,
    }),
  );
};

/** Replaces, removes or adds one value somewhere in a document. */
const bend = (doc: unknown) =>
  fc
    .tuple(fc.nat(), jsonLike, fc.constantFrom('replace', 'delete', 'add', 'none', 'none', 'none'))
    .map(([pick, value, how]) => {
      const copy = structuredClone(doc) as Record<string, unknown>;
      const slots: [Record<string, unknown>, string][] = [];
      const walk = (node: unknown) => {
        if (typeof node !== 'object' || node === null) return;
        for (const key of Object.keys(node)) {
          slots.push([node as Record<string, unknown>, key]);
          walk((node as Record<string, unknown>)[key]);
        }
      };
      walk(copy);
      const slot = slots[pick % Math.max(1, slots.length)];
      if (slot && how === 'replace') slot[0][slot[1]] = value;
      if (slot && how === 'delete') delete slot[0][slot[1]];
      if (slot && how === 'add') slot[0][`extra_${pick % 7}`] = value;
      return copy;
    });

const paths = (w: World) => {
  const any = <T>(pool: readonly T[]) =>
    fc.oneof(fc.constantFrom(...pool.map(String)), weirdText.map(encodeURIComponent));
  const query = fc
    .array(
      fc.tuple(
        fc.constantFrom(
          'page[number]',
          'page[size]',
          'filter[state]',
          'filter[external_id]',
          'filter[request_id]',
          'filter[user_id]',
          'include',
          'sort',
          'fields[users]',
          'x',
        ),
        fc.oneof(
          fc.constantFrom('1', '2', '0', '500', '501', 'outputs', 'draft', 'quoted', 'accepted', ''),
          weirdText,
        ),
      ),
      { maxLength: 3 },
    )
    .map((pairs) =>
      pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`,
    );
  const path = fc.oneof(
    fc.constantFrom(
      '/api/concierge_ports',
      '/api/concierge_requests',
      '/api/concierge_request_outputs',
      '/api/concierge_estimates',
      '/api/users',
      '/api/users/me',
      '/api/withdrawal_instructions',
      '/sandbox/events',
      '/sandbox/clock/advance',
      '/',
      '/api',
      '/api/',
      '/api//users',
    ),
    any(w.ids.requests).map((id) => `/api/concierge_requests/${id}`),
    fc
      .tuple(any(w.ids.requests), fc.constantFrom('request_quote', 'accept_quote', 'cancel', 'nope'))
      .map(([id, action]) => `/api/concierge_requests/${id}/${action}`),
    any(w.ids.outputs).map((id) => `/api/concierge_request_outputs/${id}`),
    any(w.ids.users).map((id) => `/api/users/${id}`),
    any(w.ids.instructions).map((id) => `/api/withdrawal_instructions/${id}`),
    fc
      .tuple(any(w.ids.users), fc.constantFrom('compliance', 'deposits', 'x'))
      .map(([id, what]) => `/sandbox/users/${id}/${what}`),
    any(w.ids.requests).map((id) => `/sandbox/concierge_requests/${id}/quote`),
    fc
      .tuple(
        any(w.ids.outputs),
        fc.constantFrom(
          'accept',
          'reject',
          'issue',
          'settle',
          'fail',
          'retry',
          'return',
          'cancel',
          'explode',
          '__proto__',
        ),
      )
      .map(([id, action]) => `/sandbox/concierge_request_outputs/${id}/${action}`),
    weirdText.map((t) => `/api/${encodeURIComponent(t)}`),
  );
  return fc.tuple(path, query).map(([p, q]) => p + q);
};

/** An endpoint with a body meant for it: these get past the structure and into the service. */
const coherent = (w: World) => {
  const pick = (pool: readonly string[]) => fc.constantFrom(...pool);
  const amount = fc.oneof(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom(1000, 5000, 0.5, '12.5', -1));
  const rel = (type: string, id: fc.Arbitrary<string>) =>
    fc.tuple(id, fc.boolean()).map(([v, asNumber]) => ({ data: { type, id: asNumber ? Number(v) : v } }));
  const endpoints: fc.Arbitrary<{ method: string; path: string; body: unknown }>[] = [
    fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/api/concierge_requests'),
      body: fc.record({
        data: fc.record({
          type: fc.constant('concierge_requests'),
          attributes: fc.record({
            port_code: fc.constantFrom('ar_ars', 'cl_clp', 'zz_zzz'),
            external_id: fc.string(),
          }),
          relationships: fc.record({ user: rel('users', pick(w.ids.users)) }),
        }),
      }),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/api/concierge_request_outputs'),
      body: fc.record({
        data: fc.record({
          type: fc.constant('concierge_request_outputs'),
          attributes: fc.record({
            port_code: fc.constantFrom('cl_clp', 'ar_ars', 'mx_mxn', 'us_usd'),
            amount,
          }),
          relationships: fc.record({
            request: rel('concierge_requests', pick(w.ids.requests)),
            user: rel('users', pick(w.ids.users)),
            withdrawal_instruction: rel('withdrawal_instructions', pick(w.ids.instructions)),
          }),
        }),
      }),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/api/users'),
      body: fc.record({
        data: fc.record({ type: fc.constant('users'), attributes: fc.record({ email: fc.emailAddress() }) }),
      }),
    }),
    fc.record({
      method: fc.constant('PATCH'),
      path: fc.constant('/api/users/me'),
      body: fc.record({
        data: fc.record({
          type: fc.constant('users'),
          attributes: fc.record({ webhook_url: fc.option(fc.webUrl()) }),
        }),
      }),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/api/withdrawal_instructions'),
      body: fc.record({
        data: fc.record({
          type: fc.constant('withdrawal_instructions'),
          attributes: fc.record({
            label: fc.string({ minLength: 1, maxLength: 10 }),
            body: fc.oneof(
              // Valid, for any port and outcome, or near it: another method, country or identifier.
              fc
                .tuple(fc.constantFrom(...SANDBOX_PORTS), fc.constantFrom(...TEST_OUTCOMES, 'other' as const))
                .map(([port, outcome]) => testInstructionBody(port, outcome)),
              fc.record({
                payment_method: fc.constantFrom('domestic_bank', 'bank_transfer', 'third_party'),
                country: fc.constantFrom('CL', 'AR', 'Chile', 'ar'),
                currency: fc.constantFrom('CLP', 'ARS', 'XYZ'),
                cbu: fc.string({ maxLength: 24 }),
                cuit: fc.stringMatching(/^[0-9-]{0,13}$/),
              }),
            ),
          }),
          relationships: fc.record({ user: rel('users', pick(w.ids.users)) }),
        }),
      }),
    }),
    fc.record({
      method: fc.constant('DELETE'),
      path: pick(w.ids.instructions).map((id) => `/api/withdrawal_instructions/${id}`),
      body: fc.constant(undefined),
    }),
    fc.record({
      method: fc.constant('PATCH'),
      path: pick(w.ids.requests).map((id) => `/api/concierge_requests/${id}`),
      body: fc.record({
        data: fc.record({
          type: fc.constant('concierge_requests'),
          attributes: fc.record({
            external_id: fc.option(fc.string()),
            payment_authorization_code: fc.string(),
          }),
        }),
      }),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: fc
        .tuple(pick(w.ids.requests), fc.constantFrom('request_quote', 'accept_quote', 'cancel'))
        .map(([id, action]) => `/api/concierge_requests/${id}/${action}`),
      body: fc.constantFrom(undefined, {
        data: { type: 'concierge_requests', attributes: { hint_token: 'hint_x' } },
      }),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/api/concierge_estimates'),
      body: fc.record({
        data: fc.record({
          type: fc.constant('concierge_estimates'),
          attributes: fc.record({
            port_code: fc.constantFrom('ar_ars', 'cl_clp'),
            outputs: fc.array(fc.record({ port_code: fc.constantFrom('cl_clp', 'mx_mxn'), amount }), {
              maxLength: 3,
            }),
          }),
        }),
      }),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: pick(w.ids.users).map((id) => `/sandbox/users/${id}/deposits`),
      body: fc.record({ port_code: fc.constantFrom('ar_ars', 'cl_clp'), amount }),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: pick(w.ids.users).map((id) => `/sandbox/users/${id}/compliance`),
      body: fc.record({ state: fc.constantFrom('new', 'enabled', 'disabled', 'rejected') }),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: fc
        .tuple(
          pick(w.ids.outputs),
          fc.constantFrom('accept', 'reject', 'issue', 'settle', 'fail', 'retry', 'return', 'cancel'),
        )
        .map(([id, action]) => `/sandbox/concierge_request_outputs/${id}/${action}`),
      body: fc.option(fc.record({ reason: fc.string({ maxLength: 10 }) }), { nil: undefined }),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: pick(w.ids.requests).map((id) => `/sandbox/concierge_requests/${id}/quote`),
      body: fc.constant(undefined),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/sandbox/clock/advance'),
      body: fc.record({ seconds: fc.integer({ min: 0, max: 1200 }) }),
    }),
  ];
  return fc
    .record({
      endpoint: fc
        .oneof(...endpoints)
        .chain((e) =>
          (e.body === undefined ? fc.constant(undefined) : bend(e.body)).map((body) => ({ ...e, body })),
        ),
      auth: fc.oneof(
        fc.constant(w.concierge.apiKey),
        fc.constant(w.concierge.apiKey),
        fc.constant(w.concierge.apiKey),
        fc.constant(w.otherKey),
      ),
      contentType: fc.constantFrom('application/json', 'application/vnd.api+json', undefined),
    })
    .map(({ endpoint, auth, contentType }) => ({
      method: endpoint.method,
      path: endpoint.path,
      auth,
      contentType,
      version: '2.0' as string | undefined,
      body: endpoint.body === undefined ? undefined : JSON.stringify(endpoint.body),
    }));
};

/** Anything at all: methods, paths, headers and bodies drawn independently. */
const anything = (w: World) =>
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'),
    path: paths(w),
    auth: fc.oneof(
      fc.constant(w.concierge.apiKey),
      fc.constant(w.concierge.apiKey),
      fc.constant(w.otherKey),
      fc.constant(`Bearer ${w.concierge.apiKey}`),
      fc.constant(undefined),
      fc.string({ maxLength: 20 }),
    ),
    contentType: fc.option(
      fc.constantFrom(
        'application/json',
        'application/vnd.api+json',
        'application/json; charset=utf-8',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
        'application/vnd.api+json; charset=utf-8',
        '',
        ';;;',
      ),
      { nil: undefined },
    ),
    accept: fc.option(
      fc.constantFrom(
        'application/vnd.api+json',
        'application/vnd.api+json; ext=x',
        'application/json, text/plain, */*',
        '*/*',
        ';,;',
      ),
      { nil: undefined },
    ),
    version: fc.option(fc.constantFrom('2.0', '1.0', 'banana'), { nil: undefined }),
    body: fc.oneof(
      {
        weight: 5,
        arbitrary: templates(w)
          .chain(bend)
          .map((b) => JSON.stringify(b)),
      },
      { weight: 2, arbitrary: jsonLike.map((b) => JSON.stringify(b) ?? 'undefined') },
      { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '{',
          '{"data":',
          '[1,2',
          '\u0000',
          'null',
          '""',
          '{"data":{"type":"users"}}',
        ),
      },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
  });

const requests = (w: World) =>
  fc.oneof(
    { weight: 1, arbitrary: coherent(w) as fc.Arbitrary<Fuzzed> },
    { weight: 1, arbitrary: anything(w) as fc.Arbitrary<Fuzzed> },
  );

interface Fuzzed {
  readonly method: string;
  readonly path: string;
  readonly auth: string | undefined;
  readonly contentType: string | undefined;
  readonly accept?: string | undefined;
  readonly version: string | undefined;
  readonly body: string | undefined;
}

const send = (w: World, r: Fuzzed): Promise<Response> => {
  const headers = new Headers();
  if (r.auth !== undefined) headers.set('authorization', r.auth);
  if (r.contentType !== undefined) headers.set('content-type', r.contentType);
  if (r.accept !== undefined) headers.set('accept', r.accept);
  if (r.version !== undefined) headers.set('version', r.version);
  const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
  return Promise.resolve(
    w.app.fetch(
      new Request(`http://sandbox.test${r.path}`, {
        method: r.method,
        headers,
        ...(hasBody ? { body: r.body } : {}),
      }),
    ),
  );
};

describe('fuzzing the sandbox app through app.fetch', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld();
  });

  it('answers every request with a 2xx-4xx JSON:API document; a refusal changes nothing', async () => {
    let refused = 0;
    let accepted = 0;
    let validated = 0;
    await fc.assert(
      fc.asyncProperty(requests(world), async (r) => {
        const before = await snapshot(world);
        const response = await send(world, r);
        expect(response.status, `${r.method} ${r.path}`).toBeLessThan(500);
        const text = await response.text();
        if (response.headers.get('content-type') === 'application/vnd.api+json' && r.method !== 'HEAD') {
          expect(schemaErrors(JSON.parse(text)), `${r.method} ${r.path}`).toEqual([]);
          validated += 1;
        }
        if (response.status >= 400) {
          refused += 1;
          expect(response.headers.get('content-type')).toBe('application/vnd.api+json');
          if (r.method !== 'HEAD') {
            const document = JSON.parse(text) as {
              errors: { status: string; code: string; detail: string }[];
            };
            expect(document.errors[0]?.status).toBe(String(response.status));
            expect(typeof document.errors[0]?.code).toBe('string');
          }
          if (response.status === 429) expect(response.headers.get('retry-after')).not.toBeNull();
          expect(await snapshot(world), `${r.method} ${r.path} ${r.body}`).toBe(before);
        } else {
          accepted += 1;
          if (text !== '') JSON.parse(text);
        }
      }),
      { numRuns: 3000 },
    );
    expect(world.bugs).toEqual([]);
    // The generators reach both sides: enough bodies get through to exercise the service.
    expect(refused).toBeGreaterThan(1000);
    // About a tenth of the bodies are valid (about 300 of 3,000; 293 seen): half that proves it is not vacuous.
    expect(accepted).toBeGreaterThan(150);
    // Nearly every answer is a JSON:API document (HEAD and the operator's plain JSON are not).
    console.info(`fuzz: ${validated} response documents validated against the JSON:API schema`);
    expect(validated).toBeGreaterThan(2500);
  });

  it('survives hostile headers and bodies: huge, binary, deeply nested', async () => {
    const hostile = [
      'x'.repeat(6 * 1024 * 1024),
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `{"data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
      new Uint8Array([0xff, 0xfe, 0x00, 0x01, 0x7b]),
      JSON.stringify({
        data: {
          type: 'concierge_requests',
          attributes: { __proto__: { polluted: true }, port_code: 'ar_ars' },
        },
      }),
      '{"data":{"type":"withdrawal_instructions","attributes":{"label":"x","body":{"__proto__":"y","constructor":"z"}},"relationships":{"user":{"data":{"type":"users","id":"3"}}}}}',
    ];
    for (const body of hostile)
      for (const path of [
        '/api/concierge_requests',
        '/api/withdrawal_instructions',
        '/sandbox/clock/advance',
      ]) {
        const before = await snapshot(world);
        const response = await world.app.fetch(
          new Request(`http://sandbox.test${path}`, {
            method: 'POST',
            headers: { authorization: world.concierge.apiKey, 'content-type': 'application/json' },
            body,
          }),
        );
        expect(response.status, path).toBeLessThan(500);
        await response.text();
        if (response.status >= 400) expect(await snapshot(world)).toBe(before);
      }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(world.bugs).toEqual([]);
  });
});
