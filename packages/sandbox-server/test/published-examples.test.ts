import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import { TEST_IDENTIFIERS } from '@concierge-ts/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSandboxApp, type Listening, listenOnLoopback, type SandboxApp } from '../src/index.js';
import { referencePath } from './reference.js';

/**
 * The provider's published request and response examples (shared/reference, beside the
 * repository), replayed in order against the sandbox server on loopback and compared as
 * the file's `comparison` says. The file is read when the tests are collected: a new
 * example is replayed without a change here, and an expectation this replay does not
 * know how to compare fails the data check instead of being ignored.
 */
const EXAMPLES_URL = referencePath('published-examples.json');

// ------------------------------------------------------------------ the file

const expectation = z
  .object({
    status_class: z.string().regex(/^[1-5]xx$/),
    says: z.string().min(1),
    state: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    state_attribute: z.string().optional(),
    states_in: z.array(z.string()).min(1).optional(),
    attributes_from: z.literal('published_response').optional(),
    relationships_from: z.literal('published_response').optional(),
    opaque: z.array(z.string()).optional(),
    port_codes: z.array(z.string()).min(1).optional(),
    includes_master: z.boolean().optional(),
    attributes_present: z.array(z.string()).min(1).optional(),
  })
  .strict();
type Expectation = z.output<typeof expectation>;

const example = z
  .object({
    id: z.string().regex(/^\w+$/),
    title: z.string(),
    applicable: z.boolean(),
    applicability_reason: z.string().optional(),
    request: z
      .object({
        method: z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']),
        path: z.string().startsWith('/'),
        headers: z.record(z.string(), z.string()),
        body_raw: z.string().nullable(),
        id_map: z.record(z.string(), z.string()).optional(),
        replay: z.boolean().optional(),
      })
      .loose(),
    published_response: z.unknown(),
    published_status: z.number().int().min(100).max(599).optional(),
    expect: expectation.optional(),
  })
  .loose();
type Example = z.output<typeof example>;

const resourceObject = z
  .object({
    type: z.string(),
    attributes: z.record(z.string(), z.unknown()),
    relationships: z.record(z.string(), z.object({ data: z.unknown() }).loose()),
  })
  .loose();

const referenceFile = z
  .object({
    placeholders: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string()),
    examples: z.array(example).min(1),
    documented_states: z
      .object({
        request: z.array(z.string()).min(1),
        output: z.array(z.string()).min(1),
        user_compliance_state: z.array(z.string()).min(1),
      })
      .loose(),
    webhook: z
      .object({
        id: z.string(),
        applicable: z.boolean(),
        envelope: z.object({ data: resourceObject, included: z.array(z.unknown()) }).loose(),
        event_relationships_in_handler_example: z.array(z.string()).default([]),
        expect: z
          .object({
            says: z.string().min(1),
            content_type: z.string().min(1),
            // The only digest this replay knows how to compute: a new rule fails here.
            webhook_auth: z.literal('sha256 hex digest of the API key'),
            attributes_from: z.literal('envelope'),
            relationships_from: z.literal('envelope'),
            included_carries_resource: z.boolean(),
          })
          .strict(),
      })
      .loose(),
  })
  .loose();
type ReferenceFile = z.output<typeof referenceFile>;

const read = (): { file: ReferenceFile } | { problem: string } => {
  try {
    const parsed = referenceFile.safeParse(JSON.parse(readFileSync(EXAMPLES_URL, 'utf8')));
    return parsed.success
      ? { file: parsed.data }
      : {
          problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
        };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
};

// ------------------------------------------------------------------ comparing

const jsonType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const preview = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/**
 * `published` against `ours` as `comparison.attributes` says: same JSON type, published
 * null accepts any; objects member by member (a member named in `opaque` by its type
 * only); arrays item by item. Values are not compared.
 */
const compareShape = (
  published: unknown,
  ours: unknown,
  at: string,
  opaque: ReadonlySet<string>,
  out: string[],
): void => {
  if (published === null) return;
  const want = jsonType(published);
  const got = jsonType(ours);
  if (want !== got) {
    out.push(`${at}: published ${want}, here ${got} (${preview(ours)})`);
    return;
  }
  if (Array.isArray(published) && Array.isArray(ours)) {
    published.forEach((item, i) => {
      if (i >= ours.length)
        out.push(`${at}[${i}]: missing (published ${published.length} items, here ${ours.length})`);
      else compareShape(item, ours[i], `${at}[${i}]`, opaque, out);
    });
    return;
  }
  if (isRecord(published) && isRecord(ours))
    for (const [name, value] of Object.entries(published)) {
      const path = `${at}.${name}`;
      if (!(name in ours)) out.push(`${path}: missing (published ${preview(value)})`);
      else if (opaque.has(name)) {
        if (value !== null && jsonType(value) !== jsonType(ours[name]))
          out.push(`${path}: published ${jsonType(value)}, here ${jsonType(ours[name])}`);
      } else compareShape(value, ours[name], path, opaque, out);
    }
};

/** A resource object's attributes (and type) against the published one's. */
const compareAttributes = (
  published: unknown,
  ours: unknown,
  at: string,
  opaque: ReadonlySet<string>,
  out: string[],
) => {
  if (!isRecord(published) || !isRecord(ours)) {
    out.push(`${at}: expected a resource object, here ${preview(ours)}`);
    return;
  }
  if (published.type !== ours.type) out.push(`${at}.type: published ${published.type}, here ${ours.type}`);
  compareShape(published.attributes ?? {}, ours.attributes, `${at}.attributes`, opaque, out);
};

/** Every published relationship is there, with data of the same shape where the published one has data. */
const compareRelationships = (published: unknown, ours: unknown, at: string, out: string[]) => {
  const theirs = isRecord(published) && isRecord(published.relationships) ? published.relationships : {};
  const mine = isRecord(ours) && isRecord(ours.relationships) ? ours.relationships : undefined;
  for (const [name, relationship] of Object.entries(theirs)) {
    const path = `${at}.relationships.${name}`;
    const own = mine?.[name];
    if (!isRecord(own)) {
      out.push(`${path}: missing`);
      continue;
    }
    const data = isRecord(relationship) ? relationship.data : undefined;
    if (data === undefined || data === null) continue;
    if (!('data' in own) || own.data === null) {
      out.push(`${path}.data: published ${jsonType(data)}, here ${own.data === null ? 'null' : 'missing'}`);
      continue;
    }
    if (Array.isArray(data) !== Array.isArray(own.data)) {
      out.push(
        `${path}.data: published ${Array.isArray(data) ? 'to-many (array)' : 'to-one (object)'}, here ${preview(own.data)}`,
      );
      continue;
    }
    // Shape only: the type and id of a linked resource are values (the envelope's sample
    // links a user_enabled event to a request).
    const linkage = (Array.isArray(own.data) ? own.data : [own.data]) as unknown[];
    for (const identifier of linkage)
      if (!isRecord(identifier) || typeof identifier.type !== 'string' || typeof identifier.id !== 'string')
        out.push(`${path}.data: not a resource identifier: ${preview(identifier)}`);
  }
};

const primaryData = (document: unknown): unknown => (isRecord(document) ? document.data : undefined);

const attributesOf = (resource: unknown): Record<string, unknown> | undefined =>
  isRecord(resource) && isRecord(resource.attributes) ? resource.attributes : undefined;

const errorDetail = (document: unknown): string => {
  const first = isRecord(document) && Array.isArray(document.errors) ? document.errors[0] : undefined;
  return isRecord(first) ? `${first.code ?? ''} ${first.detail ?? ''}`.trim() : preview(document);
};

interface Answer {
  readonly call: string;
  readonly status: number;
  readonly document: unknown;
  readonly text: string;
}

/** The state expectations only: the replay polls a read until they hold. */
const stateDifferences = (expected: Expectation, answer: Answer): string[] => {
  const out: string[] = [];
  const data = primaryData(answer.document);
  if (expected.state !== undefined) {
    const attribute = expected.state_attribute ?? 'state';
    const allowed = typeof expected.state === 'string' ? [expected.state] : expected.state;
    const value = attributesOf(data)?.[attribute];
    if (typeof value !== 'string' || !allowed.includes(value))
      out.push(`attributes.${attribute}: expected ${allowed.join(' or ')}, here ${preview(value)}`);
  }
  if (expected.states_in !== undefined) {
    if (!Array.isArray(data)) out.push(`data: expected a list, here ${preview(data)}`);
    else
      data.forEach((item, i) => {
        const value = attributesOf(item)?.state;
        if (typeof value !== 'string' || !expected.states_in?.includes(value))
          out.push(
            `data[${i}].attributes.state: expected one of ${expected.states_in?.join(', ')}, here ${preview(value)}`,
          );
      });
  }
  return out;
};

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

/** Everything `comparison` asks of one answer; empty when it agrees with the published example. */
/**
 * Where an applicable example cannot be replayed as printed because SPEC.md asks for more
 * than the published material shows, with the evidence. Each is asserted both ways: as
 * printed it is refused exactly as said (and creates nothing), and with only the named
 * values replaced it matches the published answer as `comparison` says.
 */
const DEVIATIONS: Readonly<
  Record<
    string,
    {
      readonly why: string;
      readonly status: number;
      readonly pointer: string;
      readonly replace: Readonly<Record<string, string>>;
    }
  >
> = {
  wi_create: {
    why:
      'the recorded body (bitex-js fixture, 2018) carries cbu "1234123412341234" (16 digits) and cuit ' +
      '"12341234" (8 digits); SPEC section 5 requires a CBU of 22 digits with two check digits and a ' +
      'CUIT of 11 with its check digit, refused at /data/attributes/body/<field> with nothing created',
    status: 422,
    pointer: '/data/attributes/body/cbu',
    replace: {
      '"cbu":"1234123412341234"': `"cbu":"${TEST_IDENTIFIERS.settles.AR.cbu}"`,
      '"cuit":"12341234"': `"cuit":"${TEST_IDENTIFIERS.settles.AR.cuit}"`,
    },
  },
};

const differences = (ex: Example, expected: Expectation, answer: Answer, masterId: string): string[] => {
  const wanted = ex.published_status === undefined ? expected.status_class : statusClass(ex.published_status);
  if (statusClass(answer.status) !== wanted)
    return [`${answer.call} answered ${answer.status} (expected ${wanted}): ${errorDetail(answer.document)}`];
  if (!isRecord(answer.document))
    return [`${answer.call} answered ${answer.status} without a JSON document: ${preview(answer.text)}`];
  const out = stateDifferences(expected, answer);
  const data = primaryData(answer.document);
  const published = primaryData(ex.published_response);
  const opaque = new Set(expected.opaque ?? []);
  // A published list is a sample of one resource shape (its cleanup keeps the first
  // items): each resource we list is compared with the published one at its index, or the
  // last published one past it.
  const pairs = (): [unknown, unknown, string][] => {
    if (!Array.isArray(published)) return [[published, data, 'data']];
    if (!Array.isArray(data)) {
      out.push(`data: published a list, here ${preview(data)}`);
      return [];
    }
    if (data.length === 0) out.push('data: published a non-empty list, here an empty one');
    return data.map((item, i) => [published[Math.min(i, published.length - 1)], item, `data[${i}]`]);
  };
  if (expected.attributes_from !== undefined)
    for (const [theirs, ours, at] of pairs()) compareAttributes(theirs, ours, at, opaque, out);
  if (expected.relationships_from !== undefined)
    for (const [theirs, ours, at] of pairs()) compareRelationships(theirs, ours, at, out);
  const list = Array.isArray(data) ? data : [];
  if (expected.port_codes !== undefined) {
    const codes = new Set(list.map((p) => (isRecord(p) ? (attributesOf(p)?.code ?? p.id) : undefined)));
    const missing = expected.port_codes.filter((code) => !codes.has(code));
    if (missing.length > 0)
      out.push(`port codes missing: ${missing.join(', ')} (here ${[...codes].join(', ')})`);
  }
  if (expected.includes_master === true && !list.some((u) => isRecord(u) && u.id === masterId))
    out.push(`the master (user ${masterId}) is not in the list`);
  for (const name of expected.attributes_present ?? [])
    if (!(name in (attributesOf(data) ?? {}))) out.push(`attributes.${name}: missing`);
  return out;
};

// ------------------------------------------------------------------ the server, the receiver

interface Captured {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const startReceiver = async () => {
  const captured: Captured[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    captured.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    captured,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ------------------------------------------------------------------ the replay

const loaded = read();

if ('problem' in loaded)
  it('published-examples.json is readable', () => {
    expect.fail(`${EXAMPLES_URL}: ${loaded.problem}`);
  });
else {
  const { file } = loaded;

  describe('the published examples, replayed against the sandbox server on loopback', () => {
    const concierge = createInMemoryConcierge();
    let app: SandboxApp;
    let listening: Listening;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    /** Placeholder name → id in this sandbox. */
    const bound = new Map<string, string>();
    /** Placeholders bound to the id of what an example creates: "request created by request_create". */
    const createdBy = new Map<string, string>();
    for (const [name, description] of Object.entries(file.placeholders)) {
      const made = /created by (\w+)$/.exec(description)?.[1];
      if (made !== undefined) createdBy.set(made, name);
    }
    const replayed: string[] = [];

    beforeAll(async () => {
      app = createSandboxApp(concierge, {
        rateLimit: 0,
        webhooks: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 },
      });
      listening = await listenOnLoopback(app);
      receiver = await startReceiver();
      const seeded = concierge.seeded;
      if (!seeded) throw new Error('the sandbox seeds a payer and payees');
      const payee = (port: string) => {
        const found = seeded.payees.find((p) => p.portCode === port);
        if (!found) throw new Error(`the sandbox seeds a ${port} payee`);
        return found;
      };
      // What the seeded sandbox provides for the file's placeholders.
      const seededIds: Record<string, string> = {
        PAYER: seeded.payerId,
        PAYEE_CL: payee('cl_clp').userId,
        WI_CL: payee('cl_clp').withdrawalInstructionId,
        PAYEE_MX: payee('mx_mxn').userId,
        WI_MX: payee('mx_mxn').withdrawalInstructionId,
        MASTER: concierge.id,
      };
      for (const [name, id] of Object.entries(seededIds)) if (name in file.placeholders) bound.set(name, id);
      // Webhooks of the whole replay go to the loopback receiver.
      const hooked = await fetch(`${listening.url}/api/users/me`, {
        method: 'PATCH',
        headers: { authorization: concierge.apiKey, 'content-type': 'application/vnd.api+json' },
        body: JSON.stringify({ data: { type: 'users', attributes: { webhook_url: receiver.url } } }),
      });
      if (hooked.status !== 200) throw new Error(`setting webhook_url answered ${hooked.status}`);
    });

    afterAll(async () => {
      app?.close();
      await listening?.close();
      await receiver?.close();
    });

    /** A placeholder's id, or why there is none. */
    const idOf = (name: string): string => {
      const id = bound.get(name);
      if (id !== undefined) return id;
      const maker = [...createdBy].find(([, n]) => n === name)?.[0];
      throw new Error(
        `placeholder ${name} (${file.placeholders[name] ?? 'not in placeholders'}) is not bound${maker === undefined ? '' : `: ${maker} created nothing`}`,
      );
    };

    /** A published id map value ("REQUEST", "\"MASTER\"") with the placeholders' ids in it. */
    const substitute = (text: string): string =>
      Object.keys(file.placeholders)
        .sort((a, b) => b.length - a.length)
        .reduce((out, name) => out.replace(new RegExp(`\\b${name}\\b`, 'g'), () => idOf(name)), text);

    /** The request as the replay sends it: ids of this sandbox, its key, its receiver. */
    const prepare = (ex: Example) => {
      let path = ex.request.path;
      let body = ex.request.body_raw;
      for (const [published, placeholder] of Object.entries(ex.request.id_map ?? {})) {
        const value = substitute(placeholder);
        // A published integer id stays an integer when ours is one (the guide sends integers).
        const quote = /^\d+$/.test(published) && !/^\d+$/.test(value);
        const pattern = new RegExp(`(?<!\\w)${escapeRegExp(published)}(?!\\w)`, 'g');
        path = path.replace(pattern, () => value);
        if (body !== null)
          body = body.replace(pattern, (_, offset: number, whole: string) =>
            quote && whole[offset - 1] !== '"' ? JSON.stringify(value) : value,
          );
      }
      // The published webhook_url (a placeholder host) is replaced by the loopback receiver's.
      if (body !== null)
        body = body.replace(
          /("webhook_url"\s*:\s*)"[^"]*"/g,
          (_, key: string) => `${key}${JSON.stringify(receiver.url)}`,
        );
      const headers = Object.fromEntries(
        Object.entries(ex.request.headers).map(([name, value]) => [
          name,
          value.replace(/\{(\w+)\}/g, (_, placeholder: string) =>
            placeholder === 'API_KEY' ? concierge.apiKey : idOf(placeholder),
          ),
        ]),
      );
      return { path, body, headers };
    };

    const send = async (ex: Example): Promise<Answer> => {
      const { path, body, headers } = prepare(ex);
      const response = await fetch(`${listening.url}${path}`, {
        method: ex.request.method,
        headers,
        ...(body === null ? {} : { body }),
      });
      const text = await response.text();
      let document: unknown;
      try {
        document = text === '' ? undefined : JSON.parse(text);
      } catch {
        document = undefined;
      }
      return { call: `${ex.request.method} ${path}`, status: response.status, document, text };
    };

    const operator = async (path: string, body?: unknown) => {
      const response = await fetch(`${listening.url}/sandbox${path}`, {
        method: 'POST',
        headers: { authorization: concierge.apiKey, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (response.status !== 200) throw new Error(`POST /sandbox${path} answered ${response.status}`);
    };

    const instructionCount = async (): Promise<number> => {
      const response = await fetch(`${listening.url}/api/withdrawal_instructions?page%5Bsize%5D=100`, {
        headers: { authorization: concierge.apiKey },
      });
      const document: unknown = await response.json();
      return isRecord(document) && Array.isArray(document.data) ? document.data.length : -1;
    };

    /** How long (sandbox time) a read is polled for a documented state: past every default delay. */
    const POLL_FOR_SECONDS = 3 * 24 * 3600;

    for (const ex of file.examples.filter((e) => e.applicable)) {
      it(ex.id, async () => {
        const expected = ex.expect;
        if (!expected) throw new Error(`${ex.id} is applicable but has no expect`);
        replayed.push(ex.id);
        let answer: Answer;
        let waited = 0;
        let replay = ex;
        const deviation = DEVIATIONS[ex.id];
        if (deviation !== undefined) {
          const before = await instructionCount();
          const printed = await send(ex);
          const refusal =
            isRecord(printed.document) && Array.isArray(printed.document.errors)
              ? printed.document.errors[0]
              : undefined;
          expect(printed.status, deviation.why).toBe(deviation.status);
          expect(
            isRecord(refusal) && isRecord(refusal.source) ? refusal.source.pointer : undefined,
            deviation.why,
          ).toBe(deviation.pointer);
          expect(await instructionCount(), 'a refused instruction creates nothing').toBe(before);
          let body = ex.request.body_raw ?? '';
          for (const [printedValue, valid] of Object.entries(deviation.replace)) {
            expect(body, `${ex.id} still prints ${printedValue}`).toContain(printedValue);
            body = body.replace(printedValue, valid);
          }
          replay = { ...ex, request: { ...ex.request, body_raw: body } };
        }
        try {
          answer = await send(replay);
          // A read whose documented state comes with time (quoted, finished) is polled as an
          // integrator polls, the sandbox clock moved by the operator between two reads.
          for (
            let step = 1;
            ex.request.method === 'GET' &&
            statusClass(answer.status) === '2xx' &&
            stateDifferences(expected, answer).length > 0 &&
            waited < POLL_FOR_SECONDS;
            step = Math.min(step * 2, 3600)
          ) {
            await operator('/clock/advance', { seconds: step });
            waited += step;
            answer = await send(replay);
          }
        } catch (error) {
          return expect.fail(`${expected.says}: ${error instanceof Error ? error.message : String(error)}`);
        }
        const found = differences(ex, expected, answer, concierge.id);
        const maker = createdBy.get(ex.id);
        const made = primaryData(answer.document);
        if (
          maker !== undefined &&
          statusClass(answer.status) === '2xx' &&
          isRecord(made) &&
          typeof made.id === 'string'
        )
          bound.set(maker, made.id);
        expect(
          found,
          `${expected.says}${waited > 0 ? ` (read again over ${waited} s of sandbox time)` : ''}`,
        ).toEqual([]);
      });
    }

    const { webhook } = file;
    if (webhook.applicable)
      it(webhook.id, async () => {
        await app.webhooks?.idle();
        const { envelope } = webhook;
        const expected = webhook.expect;
        const out: string[] = [];
        if (receiver.captured.length === 0) out.push('the replay captured no webhook');
        const digest = createHash('sha256').update(concierge.apiKey).digest('hex');
        // Relationships the provider's handler reads on some event types: "failures (to-many; on x)".
        const extra = webhook.event_relationships_in_handler_example.flatMap((text) => {
          const found = /^(\w+) \((to-many|to-one); on (\w+)\)$/.exec(text);
          return found ? [{ name: found[1] ?? '', many: found[2] === 'to-many', on: found[3] ?? '' }] : [];
        });
        // A state event carries the resource as it was when the event happened (SPEC section 8).
        const states = file.documented_states;
        const stateOf = (
          eventType: string,
        ): { type: string; attribute: string; state: string } | undefined => {
          const output = /^concierge_request_output_(\w+)$/.exec(eventType)?.[1];
          if (output !== undefined && states.output.includes(output))
            return { type: 'concierge_request_outputs', attribute: 'state', state: output };
          const request = /^concierge_request_(\w+)$/.exec(eventType)?.[1];
          if (request !== undefined && states.request.includes(request))
            return { type: 'concierge_requests', attribute: 'state', state: request };
          const user = /^user_(\w+)$/.exec(eventType)?.[1];
          if (user !== undefined && states.user_compliance_state.includes(user))
            return { type: 'users', attribute: 'compliance_state', state: user };
          return undefined;
        };
        for (const [n, hook] of receiver.captured.entries()) {
          let document: unknown;
          try {
            document = JSON.parse(hook.body);
          } catch {
            out.push(`webhook ${n}: the body is not JSON: ${preview(hook.body)}`);
            continue;
          }
          const data = primaryData(document);
          const eventType = String(attributesOf(data)?.event_type);
          const at = `webhook ${n} (event ${isRecord(data) ? String(data.id) : '?'} ${eventType})`;
          const mine: string[] = [];
          const contentType = (hook.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
          if (contentType !== expected.content_type)
            mine.push(
              `Content-Type: expected ${expected.content_type}, here ${hook.headers['content-type']}`,
            );
          if (hook.headers['webhook-auth'] !== digest)
            mine.push(
              `WEBHOOK-AUTH: expected the sha256 hex digest of the API key, here ${preview(hook.headers['webhook-auth'])}`,
            );
          compareAttributes(envelope.data, data, 'data', new Set(), mine);
          compareRelationships(envelope.data, data, 'data', mine);
          const relationships = isRecord(data) && isRecord(data.relationships) ? data.relationships : {};
          for (const relationship of extra.filter((r) => r.on === eventType)) {
            const linkage = isRecord(relationships[relationship.name])
              ? (relationships[relationship.name] as { data?: unknown }).data
              : undefined;
            if (relationship.many ? !Array.isArray(linkage) : !isRecord(linkage))
              mine.push(
                `data.relationships.${relationship.name}.data: expected ${relationship.many ? 'a to-many array' : 'a to-one object'} on ${eventType}, here ${preview(linkage)}`,
              );
          }
          if (expected.included_carries_resource) {
            const target = isRecord(relationships.resource) ? relationships.resource.data : undefined;
            const included = isRecord(document) && Array.isArray(document.included) ? document.included : [];
            const resource = included.find(
              (r) => isRecord(r) && isRecord(target) && r.type === target.type && r.id === target.id,
            );
            if (!isRecord(resource) || !isRecord(resource.attributes))
              mine.push(
                `included: no resource ${preview(target)} with attributes (here ${preview(included)})`,
              );
            else {
              const snapshot = stateOf(eventType);
              const value = resource.attributes[snapshot?.attribute ?? ''];
              if (snapshot && resource.type === snapshot.type && value !== snapshot.state)
                mine.push(
                  `included: the ${snapshot.type} resource is ${snapshot.attribute} ${preview(value)}, not ${snapshot.state} as when the event happened`,
                );
            }
          }
          for (const difference of mine) out.push(`${at}: ${difference}`);
        }
        expect(out, `${expected.says} (${receiver.captured.length} captured)`).toEqual([]);
      });

    it('every example that is not applicable has a reason and was not replayed', () => {
      const inapplicable = file.examples.filter((e) => !e.applicable);
      expect(
        inapplicable.filter((e) => (e.applicability_reason ?? '').trim() === '').map((e) => e.id),
      ).toEqual([]);
      expect(replayed.filter((id) => inapplicable.some((e) => e.id === id))).toEqual([]);
      // Every applicable example was replayed, once, in the file's order.
      expect(replayed).toEqual(file.examples.filter((e) => e.applicable).map((e) => e.id));
      const ids = file.examples.map((e) => e.id);
      expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    });
  });
}
