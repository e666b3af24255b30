import { createHttpConciergeClient } from '@concierge-ts/adapter-http';
import {
  createInMemoryConcierge,
  type InMemoryConcierge,
  testInstructionBody,
} from '@concierge-ts/adapter-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxApp, inProcessFetch, listenOnLoopback, type SandboxApp } from '../src/index.js';
import { DocumentCheck, schemaErrors } from './json-api-schema.js';

/** JSON:API 1.0 as SPEC section 7 lists it: linkage, include, pagination links, protocol errors. */

const raise = (message: string): never => {
  throw new Error(message);
};

const BASE = 'http://sandbox.test';

const setup = () => {
  const concierge = createInMemoryConcierge();
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false, onBug: (e) => raise(String(e)) });
  const seeded = concierge.seeded ?? raise('seeded sandbox expected');
  return { concierge, app, seeded, key: concierge.apiKey };
};

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: documents are read loosely, as a JSON:API client would
  readonly json: any;
}

/** One call through `app.fetch`; every JSON:API answer must validate against the schema. */
const call = async (
  app: SandboxApp,
  method: string,
  path: string,
  init: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> => {
  const headers = new Headers(init.headers);
  if (init.key !== undefined) headers.set('authorization', init.key);
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === 'string'
        ? init.body
        : JSON.stringify(init.body);
  if (body !== undefined && !headers.has('content-type'))
    headers.set('content-type', 'application/vnd.api+json');
  const response = await app.fetch(
    new Request(`${BASE}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }),
  );
  const text = await response.text();
  const json = text === '' ? undefined : JSON.parse(text);
  expect(response.headers.get('content-type')).toBe('application/vnd.api+json');
  expect(schemaErrors(json), `${method} ${path}: ${text.slice(0, 300)}`).toEqual([]);
  return { status: response.status, headers: response.headers, json };
};

/** The refusal's single error object, checked against what it must say. */
const refusal = (answer: Answer, status: number, code: string) => {
  expect(answer.status).toBe(status);
  expect(answer.json.errors).toHaveLength(1);
  const [error] = answer.json.errors;
  expect(error).toMatchObject({ status: String(status), code });
  return error as { source?: { pointer?: string; parameter?: string }; detail: string };
};

const PARAMETER = 'invalid_parameter';

/** A request with `n` outputs to `port`, made in-process. */
const requestWithOutputs = async (
  concierge: InMemoryConcierge,
  n: number,
  externalId?: string,
  port = 'cl_clp',
) => {
  const seeded = concierge.seeded ?? raise('seeded');
  const request = (
    await concierge.client.requests.create({
      portCode: 'ar_ars',
      payerId: seeded.payerId,
      ...(externalId === undefined ? {} : { externalId }),
    })
  )._unsafeUnwrap();
  const payee = seeded.payees.find((p) => p.portCode === port) ?? raise(`${port} payee`);
  const outputs: string[] = [];
  for (let i = 0; i < n; i += 1)
    outputs.push(
      (
        await concierge.client.outputs.create({
          requestId: request.id,
          payeeId: payee.userId,
          withdrawalInstructionId: payee.withdrawalInstructionId,
          portCode: port,
          amount: 5000 + i,
        })
      )._unsafeUnwrap().id,
    );
  return { request, outputs };
};

const linkage = (ids: readonly string[]) => ids.map((id) => ({ type: 'concierge_request_outputs', id }));

const createRequestBody = (payerId: string, extra: Record<string, unknown> = {}) => ({
  data: {
    type: 'concierge_requests',
    attributes: { port_code: 'ar_ars' },
    relationships: { user: { data: { type: 'users', id: payerId } } },
    ...extra,
  },
});

describe("a request's outputs relationship", () => {
  it('always carries resource linkage, without include: show, list, create and every action', async () => {
    const { app, concierge, key, seeded } = setup();
    const { request, outputs } = await requestWithOutputs(concierge, 3);
    const shown = await call(app, 'GET', `/api/concierge_requests/${request.id}`, { key });
    expect(shown.json.data.relationships.outputs).toEqual({ data: linkage(outputs) });
    expect(shown.json.included).toBeUndefined();

    const listed = await call(app, 'GET', '/api/concierge_requests', { key });
    expect(
      listed.json.data.map((r: { relationships: { outputs: unknown } }) => r.relationships.outputs),
    ).toEqual([{ data: linkage(outputs) }]);
    expect(listed.json.included).toBeUndefined();

    const drafted = await call(app, 'POST', '/api/concierge_requests', {
      key,
      body: createRequestBody(seeded.payerId),
    });
    expect(drafted.status).toBe(201);
    expect(drafted.json.data.relationships.outputs).toEqual({ data: [] });

    const patched = await call(app, 'PATCH', `/api/concierge_requests/${request.id}`, {
      key,
      body: { data: { type: 'concierge_requests', id: request.id, attributes: { external_id: 'run-1' } } },
    });
    expect(patched.json.data.relationships.outputs).toEqual({ data: linkage(outputs) });
    (await concierge.operator.advanceClock(60))._unsafeUnwrap();
    const quoting = await call(app, 'POST', `/api/concierge_requests/${request.id}/request_quote`, { key });
    expect(quoting.status).toBe(200);
    expect(quoting.json.data.relationships.outputs).toEqual({ data: linkage(outputs) });
    const cancelled = await call(app, 'POST', `/api/concierge_requests/${request.id}/cancel`, { key });
    expect(cancelled.json.data.attributes.state).toBe('cancelled');
    expect(cancelled.json.data.relationships.outputs).toEqual({ data: linkage(outputs) });

    // The operator's quote answers the same way (us_usd quotes after an hour, unless the operator quotes now).
    const other = await requestWithOutputs(concierge, 2, undefined, 'us_usd');
    (await concierge.operator.advanceClock(60))._unsafeUnwrap();
    (await concierge.client.requests.requestQuote(other.request.id))._unsafeUnwrap();
    const quoted = await call(app, 'POST', `/sandbox/concierge_requests/${other.request.id}/quote`, { key });
    expect(quoted.status, JSON.stringify(quoted.json)).toBe(200);
    expect(quoted.json.data.relationships.outputs).toEqual({ data: linkage(other.outputs) });
  });

  it('include=outputs adds the outputs to included, on one request and on a list, only those of its page', async () => {
    const { app, concierge, key } = setup();
    const first = await requestWithOutputs(concierge, 2, 'a');
    const empty = await requestWithOutputs(concierge, 0, 'b');
    const third = await requestWithOutputs(concierge, 3, 'c');
    const ids = (doc: Answer) =>
      doc.json.included.map((o: { type: string; id: string }) => `${o.type}:${o.id}`);

    const one = await call(app, 'GET', `/api/concierge_requests/${third.request.id}?include=outputs`, {
      key,
    });
    expect(one.json.data.relationships.outputs).toEqual({ data: linkage(third.outputs) });
    expect(ids(one)).toEqual(third.outputs.map((id) => `concierge_request_outputs:${id}`));

    const all = await call(app, 'GET', '/api/concierge_requests?include=outputs', { key });
    expect(all.json.data.map((r: { id: string }) => r.id)).toEqual([
      first.request.id,
      empty.request.id,
      third.request.id,
    ]);
    expect(ids(all)).toEqual(
      [...first.outputs, ...third.outputs].map((id) => `concierge_request_outputs:${id}`),
    );
    // Every included output is named by the linkage of a request in data (full linkage).
    const linked = all.json.data.flatMap((r: { relationships: { outputs: { data: { id: string }[] } } }) =>
      r.relationships.outputs.data.map((o) => o.id),
    );
    expect(all.json.included.map((o: { id: string }) => o.id)).toEqual(linked);

    const page = await call(
      app,
      'GET',
      '/api/concierge_requests?include=outputs&page[size]=1&page[number]=1',
      {
        key,
      },
    );
    expect(ids(page)).toEqual(first.outputs.map((id) => `concierge_request_outputs:${id}`));
    const filtered = await call(app, 'GET', '/api/concierge_requests?include=outputs&filter[external_id]=b', {
      key,
    });
    expect(filtered.json.data).toHaveLength(1);
    expect(filtered.json.included).toEqual([]);
    expect(filtered.json.links.self).toBe(
      `${BASE}/api/concierge_requests?include=outputs&filter%5Bexternal_id%5D=b&page%5Bnumber%5D=1&page%5Bsize%5D=50`,
    );
  });

  it('is decoded by the HTTP client, with or without included outputs', async () => {
    const { app, concierge } = setup();
    const { request, outputs } = await requestWithOutputs(concierge, 2);
    const check = new DocumentCheck();
    const client = createHttpConciergeClient({
      baseUrl: BASE,
      apiKey: concierge.apiKey,
      rateLimit: 0,
      fetch: check.wrap(inProcessFetch(app)),
    });
    expect((await client.requests.get(request.id))._unsafeUnwrap()).toEqual(
      (await concierge.client.requests.get(request.id))._unsafeUnwrap(),
    );
    const withOutputs = (await client.requests.getWithOutputs(request.id))._unsafeUnwrap();
    expect(withOutputs.outputs.map((o) => o.id)).toEqual(outputs);
    const page = (await client.requests.list({ page: { size: 1 } }))._unsafeUnwrap();
    expect(page).toMatchObject({ number: 1, size: 1, next: null });
    expect((await client.ports.list())._unsafeUnwrap()).toHaveLength(8);
    expect(check.violations).toEqual([]);
    expect(check.documents).toBe(4);
  });
});

describe('pagination links', () => {
  const pageOf = (link: string | null) =>
    link === null ? null : new URL(link).searchParams.get('page[number]');

  it('self, first, prev, next and last at the first, a middle and the last page: absolute, brackets encoded', async () => {
    const { app, concierge, key } = setup();
    // The seeded master and the 9 users it manages (payer and 8 payees): pages of 4 are 4, 4 and 2.
    expect((await concierge.client.users.list())._unsafeUnwrap().items).toHaveLength(10);
    const pages = [];
    for (const number of [1, 2, 3])
      pages.push(await call(app, 'GET', `/api/users?page[size]=4&page[number]=${number}`, { key }));
    const [first, middle, last] = pages.map((p) => p.json.links);
    const expected = (n: number) => `${BASE}/api/users?page%5Bsize%5D=4&page%5Bnumber%5D=${n}`;
    expect(first).toEqual({
      self: expected(1),
      first: expected(1),
      prev: null,
      next: expected(2),
      last: expected(3),
    });
    expect(middle).toEqual({
      self: expected(2),
      first: expected(1),
      prev: expected(1),
      next: expected(3),
      last: expected(3),
    });
    expect(last).toEqual({
      self: expected(3),
      first: expected(1),
      prev: expected(2),
      next: null,
      last: expected(3),
    });
    expect(pages.map((p) => p.json.data.length)).toEqual([4, 4, 2]);
    for (const links of [first, middle, last])
      for (const link of Object.values(links)) if (link !== null) expect(link).not.toMatch(/[[\]]/);

    // Following next from the first page walks every user once.
    const seen: string[] = [];
    let next: string | null = `${BASE}/api/users?page[size]=2`;
    while (next !== null) {
      const url = new URL(next);
      const page = await call(app, 'GET', `${url.pathname}${url.search}`, { key });
      seen.push(...page.json.data.map((u: { id: string }) => u.id));
      next = page.json.links.next;
    }
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
  });

  it('names the last page of a long list, of an empty one, and from past the end', async () => {
    const { app, concierge, key } = setup();
    const { request } = await requestWithOutputs(concierge, 0);
    const empty = await call(app, 'GET', `/api/concierge_request_outputs?filter[request_id]=${request.id}`, {
      key,
    });
    expect(empty.json.data).toEqual([]);
    expect([empty.json.links.first, empty.json.links.last].map(pageOf)).toEqual(['1', '1']);
    expect([empty.json.links.prev, empty.json.links.next]).toEqual([null, null]);

    // 1,203 requests: more than the 500 the server reads at once to count them.
    const payerId = concierge.seeded?.payerId ?? raise('payer');
    for (let i = 0; i < 1203; i += 1)
      (await concierge.client.requests.create({ portCode: 'ar_ars', payerId }))._unsafeUnwrap();
    const total = 1204;
    for (const [size, number] of [
      [7, 1],
      [7, 100],
      [500, 1],
      [500, 3],
      [1, 1203],
      [4, 301],
    ] as const) {
      const page = await call(
        app,
        'GET',
        `/api/concierge_requests?page[size]=${size}&page[number]=${number}`,
        { key },
      );
      const last = Math.ceil(total / size);
      expect(pageOf(page.json.links.last), `size ${size}, page ${number}`).toBe(String(last));
      expect(pageOf(page.json.links.next)).toBe(number < last ? String(number + 1) : null);
      expect(page.json.data).toHaveLength(Math.min(size, total - (number - 1) * size));
    }
    const past = await call(app, 'GET', '/api/concierge_requests?page[size]=500&page[number]=9', { key });
    expect(past.json.data).toEqual([]);
    expect([past.json.links.prev, past.json.links.next, past.json.links.last].map(pageOf)).toEqual([
      '3',
      null,
      '3',
    ]);
  });

  it('paginates the ports too, and the client reads them all', async () => {
    const { app } = setup();
    const page = await call(app, 'GET', '/api/concierge_ports?page[size]=3&page[number]=2');
    expect(page.json.data).toHaveLength(3);
    expect([page.json.links.prev, page.json.links.next, page.json.links.last].map(pageOf)).toEqual([
      '1',
      '3',
      '3',
    ]);
  });
});

describe('protocol errors', () => {
  it('refuses the JSON:API media type with parameters with 415; application/json and no Content-Type stay accepted', async () => {
    const { app, key, seeded, concierge } = setup();
    const body = createRequestBody(seeded.payerId);
    for (const contentType of [
      'application/vnd.api+json; charset=utf-8',
      'application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"',
      'Application/VND.API+JSON ; profile=x',
    ]) {
      const refused = await call(app, 'POST', '/api/concierge_requests', {
        key,
        body,
        headers: { 'content-type': contentType },
      });
      refusal(refused, 415, 'unsupported_media_type');
    }
    // Even without a body: the header itself is what JSON:API refuses.
    refusal(
      await call(app, 'GET', '/api/users/me', {
        key,
        headers: { 'content-type': 'application/vnd.api+json; v=1' },
      }),
      415,
      'unsupported_media_type',
    );
    expect((await concierge.client.requests.list())._unsafeUnwrap().items).toEqual([]);

    for (const contentType of [
      'application/vnd.api+json',
      'application/json',
      'application/json; charset=utf-8',
    ])
      expect(
        (
          await call(app, 'POST', '/api/concierge_requests', {
            key,
            body,
            headers: { 'content-type': contentType },
          })
        ).status,
      ).toBe(201);
    // Bytes, not a string: a string body would be given text/plain by the Request itself.
    const unlabelled = new Request(`${BASE}/api/concierge_requests`, {
      method: 'POST',
      headers: { authorization: key },
      body: new TextEncoder().encode(JSON.stringify(body)),
    });
    expect(unlabelled.headers.get('content-type')).toBeNull();
    expect((await app.fetch(unlabelled)).status).toBe(201);
    expect((await concierge.client.requests.list())._unsafeUnwrap().items).toHaveLength(4);
  });

  it('answers 406 when every JSON:API media type in Accept has parameters, not otherwise', async () => {
    const { app, key } = setup();
    for (const accept of [
      'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"',
      'application/vnd.api+json;profile=x, application/vnd.api+json; charset=utf-8',
      'text/html, application/vnd.api+json;ext=x;q=0.9',
    ])
      refusal(await call(app, 'GET', '/api/users/me', { key, headers: { accept } }), 406, 'not_acceptable');
    for (const accept of [
      'application/vnd.api+json',
      'application/vnd.api+json;ext=x, application/vnd.api+json',
      'application/vnd.api+json; q=0.5',
      'application/json, text/plain, */*',
      '*/*',
    ])
      expect((await call(app, 'GET', '/api/users/me', { key, headers: { accept } })).status, accept).toBe(
        200,
      );
  });

  it('answers 409 for a resource object of another type, and changes nothing', async () => {
    const { app, key, seeded, concierge } = setup();
    const wrong = createRequestBody(seeded.payerId);
    wrong.data.type = 'users';
    const error = refusal(
      await call(app, 'POST', '/api/concierge_requests', { key, body: wrong }),
      409,
      'wrong_type',
    );
    expect(error.source).toEqual({ pointer: '/data/type' });
    expect((await concierge.client.requests.list())._unsafeUnwrap().items).toEqual([]);

    const { request } = await requestWithOutputs(concierge, 0);
    const patched = await call(app, 'PATCH', `/api/concierge_requests/${request.id}`, {
      key,
      body: { data: { type: 'concierge_request_outputs', id: request.id, attributes: { external_id: 'x' } } },
    });
    expect(refusal(patched, 409, 'wrong_type').source).toEqual({ pointer: '/data/type' });
    expect((await concierge.client.requests.get(request.id))._unsafeUnwrap().externalId).toBeNull();
    // A missing type is malformed, not a conflict.
    const { type: _, ...untyped } = createRequestBody(seeded.payerId).data;
    refusal(
      await call(app, 'POST', '/api/concierge_requests', { key, body: { data: untyped } }),
      400,
      'wrong_type',
    );
  });

  it('answers 403 for a client-generated id on creation, and creates nothing', async () => {
    const { app, key, seeded, concierge } = setup();
    const payee = seeded.payees[0] ?? raise('payee');
    const { request } = await requestWithOutputs(concierge, 0);
    const creations: [string, unknown][] = [
      ['/api/concierge_requests', createRequestBody(seeded.payerId, { id: '77' })],
      ['/api/users', { data: { type: 'users', id: 77, attributes: { email: 'new@example.com' } } }],
      [
        '/api/withdrawal_instructions',
        {
          data: {
            type: 'withdrawal_instructions',
            id: 'mine',
            attributes: { label: 'x', body: { payment_method: 'bank_transfer' } },
            relationships: { user: { data: { type: 'users', id: payee.userId } } },
          },
        },
      ],
      [
        '/api/concierge_request_outputs',
        {
          data: {
            type: 'concierge_request_outputs',
            id: '1',
            attributes: { port_code: 'cl_clp', amount: 5000 },
            relationships: {
              request: { data: { type: 'concierge_requests', id: request.id } },
              user: { data: { type: 'users', id: payee.userId } },
              withdrawal_instruction: {
                data: { type: 'withdrawal_instructions', id: payee.withdrawalInstructionId },
              },
            },
          },
        },
      ],
    ];
    const everything = async () =>
      JSON.stringify(
        [
          await concierge.client.requests.list(),
          await concierge.client.users.list(),
          await concierge.client.withdrawalInstructions.list(),
          await concierge.client.outputs.list(),
        ],
        (_, v) => (typeof v === 'bigint' ? String(v) : v),
      );
    const before = await everything();
    for (const [path, body] of creations) {
      const error = refusal(await call(app, 'POST', path, { key, body }), 403, 'client_generated_id');
      expect(error.source).toEqual({ pointer: '/data/id' });
    }
    expect(await everything()).toBe(before);
  });

  it('refuses unknown query parameters, unsupported include paths, sort and sparse fieldsets with 400 naming the parameter', async () => {
    const { app, key, concierge } = setup();
    const { request } = await requestWithOutputs(concierge, 1);
    const cases: [string, string, string, string, RegExp][] = [
      ['GET', '/api/users/me?api_key=x', PARAMETER, 'api_key', /unknown query parameter api_key/],
      ['GET', '/api/concierge_requests?sort=-created_at', PARAMETER, 'sort', /sort is not supported/],
      [
        'GET',
        '/api/concierge_requests?fields[concierge_requests]=state',
        PARAMETER,
        'fields[concierge_requests]',
        /sparse fieldsets/,
      ],
      [
        'GET',
        `/api/concierge_requests/${request.id}?fields%5Busers%5D=email`,
        PARAMETER,
        'fields[users]',
        /sparse fieldsets/,
      ],
      [
        'GET',
        `/api/concierge_requests/${request.id}?include=user`,
        PARAMETER,
        'include',
        /include=user is not supported/,
      ],
      [
        'GET',
        '/api/concierge_requests?include=outputs,user',
        PARAMETER,
        'include',
        /include=user is not supported/,
      ],
      [
        'GET',
        '/api/concierge_request_outputs?include=request',
        PARAMETER,
        'include',
        /not supported on this endpoint/,
      ],
      [
        'GET',
        `/api/concierge_request_outputs/1?include=request`,
        PARAMETER,
        'include',
        /not supported on this endpoint/,
      ],
      [
        'GET',
        '/api/concierge_request_outputs?filter[colour]=red',
        PARAMETER,
        'filter[colour]',
        /filters: filter\[request_id\]/,
      ],
      ['GET', '/api/users?page[offset]=3', PARAMETER, 'page[offset]', /page\[number\], page\[size\]/],
      ['GET', '/api/users/me?page[size]=1', PARAMETER, 'page[size]', /not paginated/],
      ['GET', '/api/concierge_ports?/data=1', PARAMETER, '/data', /unknown query parameter/],
      [
        'POST',
        `/api/concierge_requests/${request.id}/cancel?force=true`,
        PARAMETER,
        'force',
        /unknown query parameter/,
      ],
      [
        'GET',
        '/api/concierge_request_outputs?filter[state]=lost',
        PARAMETER,
        'filter[state]',
        /must be one of/,
      ],
      ['GET', '/api/users?page[size]=0', 'invalid_page', 'page[size]', /page\[size\]/],
    ];
    for (const [method, path, code, parameter, detail] of cases) {
      const error = refusal(await call(app, method, path, { key }), 400, code);
      expect(error.source, path).toEqual({ parameter });
      expect(error.detail, path).toMatch(detail);
    }
    // The refused cancel did nothing.
    expect((await concierge.client.requests.get(request.id))._unsafeUnwrap().state).toBe('draft');
    // Empty include is no include; filters and pages the endpoint takes pass.
    expect((await call(app, 'GET', `/api/concierge_requests/${request.id}?include=`, { key })).status).toBe(
      200,
    );
    expect(
      (
        await call(
          app,
          'GET',
          '/api/concierge_requests?filter[state]=draft&filter[external_id]=x&page[number]=1&page[size]=5&include=outputs',
          { key },
        )
      ).status,
    ).toBe(200);
  });

  it('treats a path with a trailing slash as the same route', async () => {
    const { app, key, seeded } = setup();
    expect((await call(app, 'GET', '/api/users/me/', { key })).json.data.type).toBe('users');
    expect((await call(app, 'GET', '/api/concierge_ports/')).json.data).toHaveLength(8);
    // As the provider's own JS client creates an instruction.
    const created = await call(app, 'POST', '/api/withdrawal_instructions/', {
      key,
      headers: { 'content-type': 'application/vnd.api+json', accept: 'application/json, text/plain, */*' },
      body: {
        data: {
          type: 'withdrawal_instructions',
          attributes: { label: 'slash', body: testInstructionBody('ar_ars') },
          relationships: { user: { data: { type: 'users', id: seeded.payerId } } },
        },
      },
    });
    expect(created.status).toBe(201);
    expect(
      (await call(app, 'GET', '/api/withdrawal_instructions/', { key })).json.data.map(
        (i: { id: string }) => i.id,
      ),
    ).toContain(created.json.data.id);
  });
});

describe('over a socket', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const server of open.splice(0)) await server.close();
  });

  it('the same refusals and links through a real HTTP server on loopback', async () => {
    const { app, key } = setup();
    const listening = await listenOnLoopback(app);
    open.push(listening);
    const check = new DocumentCheck();
    const fetch = check.wrap(globalThis.fetch);
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${listening.url}${path}`, { headers: { authorization: key, ...headers } });
    expect((await get('/api/users/me', { accept: 'application/vnd.api+json; ext=x' })).status).toBe(406);
    expect(
      (await get('/api/users/me', { 'content-type': 'application/vnd.api+json; charset=utf-8' })).status,
    ).toBe(415);
    expect((await get('/api/users?sort=email')).status).toBe(400);
    const page = (await (await get('/api/users/?page[size]=4')).json()) as {
      links: Record<string, string | null>;
    };
    expect(page.links).toEqual({
      self: `${listening.url}/api/users/?page%5Bsize%5D=4&page%5Bnumber%5D=1`,
      first: `${listening.url}/api/users/?page%5Bsize%5D=4&page%5Bnumber%5D=1`,
      prev: null,
      next: `${listening.url}/api/users/?page%5Bsize%5D=4&page%5Bnumber%5D=2`,
      last: `${listening.url}/api/users/?page%5Bsize%5D=4&page%5Bnumber%5D=3`,
    });
    expect(check.violations).toEqual([]);
    expect(check.documents).toBe(4);
  });
});
