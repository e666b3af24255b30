import { readFileSync } from 'node:fs';
import { createInMemoryConcierge, testInstructionBody } from '@concierge-ts/adapter-memory';
import {
  checkIdentifier,
  INSTRUCTION_FIELD_RULES,
  type InstructionField,
  PORT_REQUIRED_FIELDS,
  TEST_IDENTIFIERS,
  TEST_OUTCOMES,
} from '@concierge-ts/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxApp, listenOnLoopback } from '../src/index.js';
import { schemaErrors } from './json-api-schema.js';
import { referencePath } from './reference.js';

/**
 * Withdrawal instructions over real HTTP on loopback (SPEC sections 5, 7.1 and 9): the
 * provider's recorded request replayed as it was sent, the published shape of the answer,
 * deletion, the ports' required fields and the magic table.
 */

interface Published {
  readonly id: string;
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body_raw: string | null;
  };
  readonly published_response: { readonly data: unknown } | null;
}

const EXAMPLES_URL = referencePath('published-examples.json');
const examples = (JSON.parse(readFileSync(EXAMPLES_URL, 'utf8')) as { examples: Published[] }).examples;
const example = (id: string): Published => {
  const found = examples.find((e) => e.id === id);
  if (!found) throw new Error(`published-examples.json has no ${id}`);
  return found;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const jsonType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

/**
 * Where `ours` differs from `published` in names and JSON types: every published member
 * is present with the same type, objects member by member (unless `opaque`), arrays
 * item by item. Values are not compared.
 */
const shapeDifferences = (
  published: unknown,
  ours: unknown,
  at: string,
  opaque: ReadonlySet<string> = new Set(),
): string[] => {
  if (jsonType(published) !== jsonType(ours))
    return [`${at}: a ${jsonType(published)} was published, here a ${jsonType(ours)}`];
  if (isRecord(published) && isRecord(ours) && !opaque.has(at.split('.').at(-1) ?? ''))
    return Object.keys(published).flatMap((key) =>
      key in ours
        ? shapeDifferences(published[key], ours[key], `${at}.${key}`, opaque)
        : [`${at}.${key}: published, missing here`],
    );
  if (Array.isArray(published) && Array.isArray(ours))
    return published.flatMap((item, i) =>
      i < ours.length ? shapeDifferences(item, ours[i], `${at}[${i}]`, opaque) : [`${at}[${i}]: missing`],
    );
  return [];
};

/** The attributes of a published resource against ours (what the reference's `attributes_from` compares). */
const attributeDifferences = (published: unknown, ours: unknown, opaque?: ReadonlySet<string>): string[] => {
  const attributesOf = (resource: unknown) => (isRecord(resource) ? resource.attributes : undefined);
  return shapeDifferences(attributesOf(published), attributesOf(ours), 'attributes', opaque);
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const start = async () => {
  const concierge = createInMemoryConcierge();
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false });
  const listening = await listenOnLoopback(app);
  closers.push(async () => {
    app.close();
    await listening.close();
  });
  const key = concierge.apiKey;
  const send = async (
    method: string,
    path: string,
    init: { headers?: Readonly<Record<string, string>>; body?: string } = {},
  ) => {
    const response = await fetch(`${listening.url}${path}`, {
      method,
      headers: init.headers ?? { authorization: key, 'content-type': 'application/vnd.api+json' },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const text = await response.text();
    const json: unknown = text === '' ? undefined : JSON.parse(text);
    if (response.headers.get('content-type') === 'application/vnd.api+json')
      expect(schemaErrors(json), `${method} ${path}`).toEqual([]);
    return { status: response.status, contentType: response.headers.get('content-type'), text, json };
  };
  /** A published request as it was sent: its method, path (trailing slash), headers and body. */
  const replay = (published: Published, body = published.request.body_raw) =>
    send(published.request.method, published.request.path, {
      headers: Object.fromEntries(
        Object.entries(published.request.headers).map(([name, value]) => [
          name,
          value.replace('{API_KEY}', key),
        ]),
      ),
      ...(body === null ? {} : { body }),
    });
  const seeded = concierge.seeded;
  if (!seeded) throw new Error('the sandbox seeds a payer and payees');
  return { concierge, key, seeded, send, replay };
};

describe('the recorded withdrawal instruction requests (bitex-js fixtures), replayed on loopback', () => {
  const wiCreate = example('wi_create');
  const wiList = example('wi_list');

  it('wi_create byte for byte: its path, headers and shape are taken; its placeholder CBU fails its check', async () => {
    const { send, replay } = await start();
    const before = await send('GET', '/api/withdrawal_instructions');
    const answer = await replay(wiCreate);
    // The trailing slash, the JSON:API content type, the browser Accept and the absent user
    // relationship are all accepted: what is refused is the CBU's value alone, 16 digits
    // where a CBU has 22 (SPEC section 5: every account identifier passes its check).
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({
      errors: [
        {
          status: '422',
          code: 'invalid_length',
          source: { pointer: '/data/attributes/body/cbu' },
          detail: expect.stringContaining('22 digits'),
        },
      ],
    });
    expect((answer.json as { errors: unknown[] }).errors).toHaveLength(1);
    // Nothing was created.
    expect((await send('GET', '/api/withdrawal_instructions')).json).toEqual(before.json);
  });

  it('wi_create with valid identifiers in place of the placeholders answers the published attributes, names and types', async () => {
    const { send, replay } = await start();
    const raw = wiCreate.request.body_raw ?? '';
    // The same bytes but for the two identifiers' values: a CBU and a CUIT that pass.
    const cbu = '2850590940904181352016';
    const cuit = '20123456786';
    const valid = raw
      .replace('"cbu":"1234123412341234"', `"cbu":"${cbu}"`)
      .replace('"cuit":"12341234"', `"cuit":"${cuit}"`);
    expect(valid).not.toBe(raw);
    expect(valid.length).toBe(raw.length + (cbu.length - 16) + (cuit.length - 8));
    const created = await replay(wiCreate, valid);
    expect(created.status).toBe(201);
    const published = wiCreate.published_response?.data;
    const data = (created.json as { data: Record<string, unknown> }).data;
    expect(attributeDifferences(published, data)).toEqual([]);
    // The values too: the label and the body as sent, schema "bitex".
    const sent = JSON.parse(valid).data.attributes;
    expect(data.attributes).toMatchObject({ label: 'Local Bank', schema: 'bitex', body: sent.body });
    expect(data).toMatchObject({ type: 'withdrawal_instructions', id: expect.any(String) });
    // No user named: the instruction is the caller's own.
    const me = (await send('GET', '/api/users/me')).json as { data: { id: string } };
    expect(data.relationships).toEqual({ user: { data: { type: 'users', id: me.data.id } } });

    // wi_list as recorded: the list with the same attributes; a body is that account's own data.
    const listed = await replay(wiList);
    expect(listed.status).toBe(200);
    const items = (listed.json as { data: unknown[] }).data;
    expect(items.map((i) => (i as { id: string }).id)).toContain(data.id);
    const publishedItem = ((wiList.published_response?.data ?? []) as unknown[])[0];
    for (const item of items)
      expect(attributeDifferences(publishedItem, item, new Set(['body']))).toEqual([]);
  });
});

describe('withdrawal instructions over HTTP', () => {
  it('DELETE answers 204 with no document, then 404; 409 while a live output pays to it; a trailing slash is the same route', async () => {
    const { seeded, send } = await start();
    const create = (body: unknown) =>
      send('POST', '/api/withdrawal_instructions', {
        body: JSON.stringify({
          data: {
            type: 'withdrawal_instructions',
            attributes: { label: 'spare', body },
            relationships: { user: { data: { type: 'users', id: seeded.payees[0]?.userId } } },
          },
        }),
      });
    const spare = (await create(testInstructionBody('ar_ars'))).json as { data: { id: string } };
    const gone = await send('DELETE', `/api/withdrawal_instructions/${spare.data.id}/`);
    expect(gone).toMatchObject({ status: 204, text: '' });
    expect((await send('GET', `/api/withdrawal_instructions/${spare.data.id}`)).status).toBe(404);
    expect((await send('DELETE', `/api/withdrawal_instructions/${spare.data.id}`)).status).toBe(404);

    // The seeded ar_ars payee's instruction, paid by an output still accepting in a draft.
    const payee = seeded.payees.find((p) => p.portCode === 'ar_ars');
    if (!payee) throw new Error('the sandbox seeds an ar_ars payee');
    const draft = (
      await send('POST', '/api/concierge_requests', {
        body: JSON.stringify({
          data: {
            type: 'concierge_requests',
            attributes: { port_code: 'ar_ars' },
            relationships: { user: { data: { type: 'users', id: seeded.payerId } } },
          },
        }),
      })
    ).json as { data: { id: string } };
    const output = await send('POST', '/api/concierge_request_outputs', {
      body: JSON.stringify({
        data: {
          type: 'concierge_request_outputs',
          attributes: { port_code: 'ar_ars', amount: 1000 },
          relationships: {
            request: { data: { type: 'concierge_requests', id: draft.data.id } },
            user: { data: { type: 'users', id: payee.userId } },
            withdrawal_instruction: {
              data: { type: 'withdrawal_instructions', id: payee.withdrawalInstructionId },
            },
          },
        },
      }),
    });
    expect(output.status).toBe(201);
    const inUse = await send('DELETE', `/api/withdrawal_instructions/${payee.withdrawalInstructionId}`);
    expect(inUse.status).toBe(409);
    expect(inUse.json).toMatchObject({ errors: [{ status: '409', code: 'instruction_in_use' }] });
    expect((await send('GET', `/api/withdrawal_instructions/${payee.withdrawalInstructionId}`)).status).toBe(
      200,
    );
  });

  it('refuses a wrong check digit at its field and an instruction that does not fit the port at the relationship', async () => {
    const { seeded, send } = await start();
    const payee = seeded.payees.find((p) => p.portCode === 'mx_mxn');
    if (!payee) throw new Error('the sandbox seeds an mx_mxn payee');
    const body = { ...testInstructionBody('mx_mxn', 'other'), clabe: '002180701234567896' };
    expect(checkIdentifier('clabe', body.clabe).isErr()).toBe(true);
    const refused = await send('POST', '/api/withdrawal_instructions', {
      body: JSON.stringify({
        data: {
          type: 'withdrawal_instructions',
          attributes: { label: 'wrong digit', body },
          relationships: { user: { data: { type: 'users', id: payee.userId } } },
        },
      }),
    });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({
      errors: [{ code: 'invalid_check_digit', source: { pointer: '/data/attributes/body/clabe' } }],
    });
    // A body field of the wrong JSON type: the same refusal over HTTP as in-process.
    const typed = await send('POST', '/api/withdrawal_instructions', {
      body: JSON.stringify({
        data: {
          type: 'withdrawal_instructions',
          attributes: { body: { ...testInstructionBody('mx_mxn'), clabe: 2180 } },
        },
      }),
    });
    expect(typed.json).toMatchObject({
      errors: [{ status: '422', code: 'invalid_type', source: { pointer: '/data/attributes/body/clabe' } }],
    });
  });

  it('serves with each port the instruction fields it requires, as withdrawal_instruction_fields', async () => {
    const { send } = await start();
    const ports = (await send('GET', '/api/concierge_ports/', { headers: {} })).json as {
      data: { id: string; attributes: { withdrawal_instruction_fields: string[] } }[];
    };
    expect(
      Object.fromEntries(ports.data.map((p) => [p.id, p.attributes.withdrawal_instruction_fields])),
    ).toEqual(PORT_REQUIRED_FIELDS);
  });
});

describe('GET /sandbox/magic', () => {
  it('lists, per country, test identifiers that pass their checks, one per outcome; open to anyone, as plain JSON', async () => {
    const { send } = await start();
    const answer = await send('GET', '/sandbox/magic', { headers: {} });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/);
    const table = answer.json as {
      withdrawal_instructions: Record<string, Record<string, Record<string, string>>>;
      outcomes: Record<string, string>;
      emails: Record<string, string>;
    };
    // The countries of the catalog's ports, each with the four outcomes.
    expect(Object.keys(table.withdrawal_instructions).sort()).toEqual(['AR', 'CL', 'MX', 'PY', 'US', 'UY']);
    for (const [country, rows] of Object.entries(table.withdrawal_instructions)) {
      expect(Object.keys(rows).sort()).toEqual([...TEST_OUTCOMES].sort());
      for (const [outcome, fields] of Object.entries(rows)) {
        expect(fields).toEqual(TEST_IDENTIFIERS[outcome as 'settles'][country as 'AR']);
        for (const [field, value] of Object.entries(fields)) {
          const rule = INSTRUCTION_FIELD_RULES[field as InstructionField];
          if (rule.kind === 'identifier')
            expect(
              checkIdentifier(rule.identifier, value)._unsafeUnwrap(),
              `${country} ${outcome} ${field}`,
            ).toBe(value);
          else expect(rule.kind).toBe('account_number');
        }
      }
    }
    expect(Object.keys(table.outcomes).sort()).toEqual([...TEST_OUTCOMES, 'any_other'].sort());
    expect(table.emails).toEqual({ '+new': 'new', '+disabled': 'disabled', '+rejected': 'rejected' });
  });

  it("an instruction built from the served table does what the table says: Argentina's fails_until_returned is returned", async () => {
    const { key, seeded, send } = await start();
    const table = (await send('GET', '/sandbox/magic', { headers: {} })).json as {
      withdrawal_instructions: Record<string, Record<string, Record<string, string>>>;
    };
    const json = (body: unknown) => ({ body: JSON.stringify(body) });
    const payee = (
      await send('POST', '/api/users', json({ data: { type: 'users', attributes: { name: 'Rosa' } } }))
    ).json as { data: { id: string } };
    const instruction = (
      await send(
        'POST',
        '/api/withdrawal_instructions',
        json({
          data: {
            type: 'withdrawal_instructions',
            attributes: {
              body: {
                payment_method: 'domestic_bank',
                country: 'AR',
                currency: 'ARS',
                ...table.withdrawal_instructions.AR?.fails_until_returned,
              },
            },
            relationships: { user: { data: { type: 'users', id: payee.data.id } } },
          },
        }),
      )
    ).json as { data: { id: string } };
    const request = (
      await send(
        'POST',
        '/api/concierge_requests',
        json({
          data: {
            type: 'concierge_requests',
            attributes: { port_code: 'ar_ars' },
            relationships: { user: { data: { type: 'users', id: seeded.payerId } } },
          },
        }),
      )
    ).json as { data: { id: string } };
    const output = (
      await send(
        'POST',
        '/api/concierge_request_outputs',
        json({
          data: {
            type: 'concierge_request_outputs',
            attributes: { port_code: 'ar_ars', amount: 5000 },
            relationships: {
              request: { data: { type: 'concierge_requests', id: request.data.id } },
              user: { data: { type: 'users', id: payee.data.id } },
              withdrawal_instruction: { data: { type: 'withdrawal_instructions', id: instruction.data.id } },
            },
          },
        }),
      )
    ).json as { data: { id: string } };
    const operator = (path: string, body?: unknown) =>
      send('POST', `/sandbox${path}`, {
        headers: { authorization: key, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    await operator('/clock/advance', { seconds: 2 });
    expect((await send('POST', `/api/concierge_requests/${request.data.id}/request_quote`)).status).toBe(200);
    await operator('/clock/advance', { seconds: 1 });
    expect((await send('POST', `/api/concierge_requests/${request.data.id}/accept_quote`)).status).toBe(200);
    expect((await operator('/clock/run_until_idle')).status).toBe(200);
    const after = (await send('GET', `/api/concierge_request_outputs/${output.data.id}`)).json as {
      data: { attributes: { state: string; attempts: number } };
    };
    expect(after.data.attributes).toMatchObject({ state: 'returned', attempts: 3 });
  });
});
