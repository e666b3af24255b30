import type { OutputView, Page } from '@concierge-ts/application';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbDocumentView,
  arbEstimateView,
  arbOutputView,
  arbPortView,
  arbRequestView,
  arbUserView,
  arbWithdrawalInstructionView,
} from '../testing/arbitraries.js';
import { encodeConciergeDocument } from './concierge-document.codec.js';
import {
  decodeRequestWithOutputs,
  documents,
  encodeLinkedRequest,
  encodePage,
  encodeRequestPage,
  encodeRequestWithOutputs,
  pageFromDocument,
  pageLinksOf,
  withPage,
} from './document.codec.js';
import { encodeEstimate } from './estimate.codec.js';
import { decodeWith } from './json-api.js';
import { encodeOutput } from './output.codec.js';
import { decodeOutputPage, fastOutputList } from './output-list.fast.js';
import { encodePort } from './port.codec.js';
import { encodeRequest } from './request.codec.js';
import { encodeUser } from './user.codec.js';
import { encodeWithdrawalInstruction } from './withdrawal-instruction.codec.js';

/** Through the wire and back: encode, serialise, parse, decode. */
const wire = (document: unknown): unknown => JSON.parse(JSON.stringify(document));

const decoded = <T>(result: { isOk(): boolean; _unsafeUnwrap(): T; _unsafeUnwrapErr(): unknown }): T => {
  if (!result.isOk()) throw new Error(JSON.stringify(result._unsafeUnwrapErr()));
  return result._unsafeUnwrap();
};

describe('resource codecs round-trip every view through JSON', () => {
  const cases = [
    ['output', arbOutputView(), encodeOutput, documents.output],
    ['request', arbRequestView(), (v: never) => encodeRequest(v), documents.request],
    ['port', arbPortView(), encodePort, documents.port],
    ['estimate', arbEstimateView(), encodeEstimate, documents.estimate],
    ['user', arbUserView(), encodeUser, documents.user],
    [
      'withdrawal instruction',
      arbWithdrawalInstructionView(),
      encodeWithdrawalInstruction,
      documents.withdrawalInstruction,
    ],
    ['receipt or credit note', arbDocumentView(), encodeConciergeDocument, documents.conciergeDocument],
  ] as const;

  for (const [name, arb, encode, schema] of cases)
    it(`${name}: decode(encode(view)) = view, and the zod codec encodes the same wire`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<never>, (view) => {
          const document = { data: (encode as (v: never) => unknown)(view) };
          expect(decoded(decodeWith(schema, wire(document))).data).toEqual(view);
          expect(wire((schema as { encode(v: unknown): unknown }).encode({ data: view }))).toEqual(
            wire(document),
          );
        }),
        { numRuns: 200 },
      );
    });
});

describe('decoding is tolerant where the provider differs', () => {
  const output = (attributes: Record<string, unknown> = {}, id: unknown = '7') => ({
    data: {
      type: 'concierge_request_outputs',
      id,
      attributes: {
        state: 'accepted',
        port_code: 'cl_clp',
        origin_port_code: 'ar_ars',
        amount: 1000,
        created_at: '2026-01-05T12:00:00Z',
        updated_at: '2026-01-05T12:00:00.000Z',
        ...attributes,
      },
      relationships: {
        request: { data: { type: 'concierge_requests', id: 3 } },
        user: { data: { type: 'users', id: 5 } },
        withdrawal_instruction: { data: { type: 'withdrawal_instructions', id: '9' } },
      },
    },
  });

  it('reads integer ids as strings, ignores unknown attributes, normalises timestamps', () => {
    const view = decoded(decodeWith(documents.output, output({ some_future_field: true }, 7))).data;
    expect(view).toMatchObject({ id: '7', requestId: '3', payeeId: '5', withdrawalInstructionId: '9' });
    expect(view.createdAt).toBe('2026-01-05T12:00:00.000Z');
    expect(view.given).toBe('amount');
    expect(view.attempts).toBe(0);
  });

  it('reads money in the right currency: amount in the destination, budget and fee in the origin', () => {
    const view = decoded(
      decodeWith(
        documents.output,
        output({ amount: 1000, budget: '19.82', fee_and_cost: 0.2, rate: 0.50966401 }),
      ),
    ).data;
    expect(view.amount).toEqual({ amount: 1000n, currency: 'CLP', scale: 0 });
    expect(view.budget).toEqual({ amount: 1982n, currency: 'ARS', scale: 2 });
    expect(view.feeAndCost).toEqual({ amount: 20n, currency: 'ARS', scale: 2 });
    expect(view.rate).toEqual({ units: 50966401n });
  });

  it('keeps an unrounded figure from the provider exact rather than refusing it', () => {
    const view = decoded(
      decodeWith(documents.output, output({ port_code: 'us_usd', amount: 133.96820027 })),
    ).data;
    expect(view.amount).toEqual({ amount: 13396820027n, currency: 'USD', scale: 8 });
  });

  it('names the offending field of a malformed document', () => {
    const cases: [unknown, string][] = [
      [output({ amount: 'lots' }), '/data/attributes/amount'],
      [output({ amount: -5 }), '/data/attributes/amount'],
      [output({ port_code: 'nowhere' }), '/data/attributes/port_code'],
      [output({ created_at: 'yesterday' }), '/data/attributes/created_at'],
      [output({ state: 'lost' }), '/data/attributes/state'],
      [output({ rate: 0.123456789 }), '/data/attributes/rate'],
      [output({}, true), '/data/id'],
      [{ data: [] }, '/data'],
    ];
    for (const [json, pointer] of cases) {
      const error = decodeWith(documents.output, json)._unsafeUnwrapErr();
      expect(error, pointer).toMatchObject({ type: 'decode', code: 'decode_error', pointer });
    }
  });
});

describe('the outputs list fast path', () => {
  const listOf = (items: readonly OutputView[]) =>
    wire(
      encodePage({ items, number: 1, size: 50, next: null }, encodeOutput, '/api/concierge_request_outputs'),
    );

  it('decodes what the zod codec decodes, identically', () => {
    fc.assert(
      fc.property(fc.array(arbOutputView(), { maxLength: 8 }), (items) => {
        const json = listOf(items);
        const fast = fastOutputList(json);
        expect(fast).toBeDefined();
        expect(fast?.data).toEqual(decoded(decodeWith(documents.outputs, json)).data);
        expect(fast?.data).toEqual(items);
      }),
      { numRuns: 200 },
    );
  });

  it('never accepts what zod refuses, and agrees on what both accept (mutated documents)', () => {
    const mutation = fc.record({
      index: fc.nat(),
      path: fc.constantFrom(
        ['id'],
        ['type'],
        ['attributes', 'state'],
        ['attributes', 'amount'],
        ['attributes', 'budget'],
        ['attributes', 'rate'],
        ['attributes', 'fee_and_cost'],
        ['attributes', 'attempts'],
        ['attributes', 'given'],
        ['attributes', 'port_code'],
        ['attributes', 'origin_port_code'],
        ['attributes', 'created_at'],
        ['attributes', 'failure_reason'],
        ['relationships', 'user', 'data', 'id'],
        ['relationships', 'request'],
      ),
      value: fc.oneof(
        fc.constant(undefined),
        fc.constant(null),
        fc.integer(),
        fc.double(),
        fc.string({ maxLength: 6 }),
        fc.constantFrom('1.005', '2026-01-05T12:00:00+01:00', 'cl_clp', 'budget', 'settled', '-1', '1e3'),
        fc.boolean(),
        fc.constant({}),
      ),
    });
    fc.assert(
      fc.property(fc.array(arbOutputView(), { minLength: 1, maxLength: 4 }), mutation, (items, m) => {
        const json = listOf(items) as { data: Record<string, unknown>[] };
        let at: Record<string, unknown> = json.data[m.index % items.length] as Record<string, unknown>;
        for (const key of m.path.slice(0, -1)) at = at[key] as Record<string, unknown>;
        const last = m.path[m.path.length - 1] as string;
        if (m.value === undefined) delete at[last];
        else at[last] = m.value;
        const slow = decodeWith(documents.outputs, json);
        const fast = fastOutputList(json);
        if (slow.isErr()) expect(fast).toBeUndefined();
        else if (fast) expect(fast.data).toEqual(slow.value.data);
        // Either way the public decoder answers like zod.
        const page = decodeOutputPage(json);
        expect(page.isOk()).toBe(slow.isOk());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('pages and included outputs', () => {
  it('carries the page numbers and links.next, and reads them back', () => {
    const page: Page<number> = { items: [1, 2], number: 2, size: 2, next: 3 };
    const document = encodePage(
      page,
      (n) => n,
      'http://sandbox.test/api/concierge_requests?filter[state]=draft',
    );
    expect(document.links.next).toBe(
      'http://sandbox.test/api/concierge_requests?filter%5Bstate%5D=draft&page%5Bnumber%5D=3&page%5Bsize%5D=2',
    );
    expect(pageFromDocument(document)).toEqual(page);
    expect(pageFromDocument({ data: [1], links: { next: null } }, { number: 4, size: 1 })).toEqual({
      items: [1],
      number: 4,
      size: 1,
      next: null,
    });
    expect(pageFromDocument({ data: [1], links: { next: '/api/x?page[number]=9' } })).toMatchObject({
      next: 9,
    });
    expect(withPage('/api/x', 2, 10)).toBe('/api/x?page%5Bnumber%5D=2&page%5Bsize%5D=10');
  });

  it('links self, first, prev, next and last, absolute and percent-encoded; prev and next null at the ends', () => {
    const url = 'http://sandbox.test/api/users?page[size]=2';
    const at = (n: number) => `http://sandbox.test/api/users?page%5Bsize%5D=2&page%5Bnumber%5D=${n}`;
    const page = (number: number, next: number | null): Page<number> => ({
      items: [1],
      number,
      size: 2,
      next,
    });
    expect(pageLinksOf(page(1, 2), url, 3)).toEqual({
      self: at(1),
      first: at(1),
      prev: null,
      next: at(2),
      last: at(3),
    });
    expect(pageLinksOf(page(2, 3), url, 3)).toMatchObject({ prev: at(1), next: at(3), last: at(3) });
    expect(pageLinksOf(page(3, null), url, 3)).toMatchObject({ prev: at(2), next: null, last: at(3) });
    // Past the end, prev is the last page with data.
    expect(pageLinksOf({ items: [], number: 9, size: 2, next: null }, url, 3)).toMatchObject({
      self: at(9),
      prev: at(3),
      last: at(3),
    });
    // Without the count, the last page is known only on the last page.
    expect(pageLinksOf(page(3, null), url)).toMatchObject({ last: at(3) });
    expect(pageLinksOf(page(1, 2), url)).not.toHaveProperty('last');
  });

  it('reads a page from links in either form, absolute or relative, encoded or not', () => {
    for (const next of [
      'https://api.example/api/x?page%5Bnumber%5D=4&page%5Bsize%5D=2',
      '/api/x?page[number]=4',
      { href: 'https://api.example/api/x?page%5Bnumber%5D=4', meta: { note: 'x' } },
    ]) {
      const doc = decoded(
        decodeWith(documents.users, { data: [], links: { self: next, first: next, next } }),
      );
      expect(pageFromDocument(doc, { number: 3, size: 2 })).toEqual({
        items: [],
        number: 3,
        size: 2,
        next: 4,
      });
    }
    const last = { data: [], links: { next: { href: 'x' }, prev: null, last: null } };
    expect(decodeWith(documents.users, { ...last, links: { ...last.links, next: null } }).isOk()).toBe(true);
  });

  it("carries a request's output linkage with or without its outputs, and decodes any outputs relationship", () => {
    const [request] = fc.sample(arbRequestView(), 1);
    if (!request) throw new Error('sample');
    const outputs = fc.sample(arbOutputView(), 2).map((o) => ({ ...o, requestId: request.id }));
    const linked = encodeLinkedRequest({ ...request, outputs });
    const linkage = outputs.map((o) => ({ type: 'concierge_request_outputs', id: o.id }));
    expect(linked.relationships.outputs).toEqual({ data: linkage });
    expect(encodeRequestWithOutputs({ ...request, outputs }, false)).toEqual({ data: linked });
    expect(encodeRequestWithOutputs({ ...request, outputs }).included).toHaveLength(2);
    const listed = encodeRequestPage(
      { items: [{ ...request, outputs }], number: 1, size: 5, next: null },
      'http://sandbox.test/api/concierge_requests?include=outputs',
      { include: true },
    );
    expect(listed.included?.map((o) => o.id)).toEqual(outputs.map((o) => o.id));
    expect(listed.links.last).toBe(
      'http://sandbox.test/api/concierge_requests?include=outputs&page%5Bnumber%5D=1&page%5Bsize%5D=5',
    );
    expect(encodeRequestPage({ items: [], number: 1, size: 5, next: null }, '/x')).not.toHaveProperty(
      'included',
    );
    // Other servers link to the outputs or count them instead: all decode to the same view.
    for (const relationship of [
      { data: linkage },
      {
        data: linkage,
        links: { related: 'https://api.example/api/concierge_request_outputs?filter%5Brequest_id%5D=1' },
      },
      { links: { related: { href: '/api/concierge_request_outputs?filter[request_id]=1' } } },
      { meta: { count: 2 } },
    ]) {
      const json = wire({
        data: { ...linked, relationships: { ...linked.relationships, outputs: relationship } },
      });
      expect(decoded(decodeWith(documents.request, json)).data).toEqual(request);
    }
  });

  it('decodes a request with its outputs from included, filling a missing origin port', () => {
    fc.assert(
      fc.property(arbRequestView(), fc.array(arbOutputView(), { maxLength: 4 }), (request, outputs) => {
        // Origin-currency money is dropped: the generated one is in another origin's currency.
        const mine = outputs.map((o) => ({
          ...o,
          requestId: request.id,
          originPortCode: request.portCode,
          budget: null,
          feeAndCost: null,
        }));
        const json = wire(encodeRequestWithOutputs({ ...request, outputs: mine })) as {
          included: { attributes: Record<string, unknown> }[];
        };
        for (const item of json.included) delete item.attributes.origin_port_code;
        expect(decoded(decodeRequestWithOutputs(json))).toEqual({ ...request, outputs: mine });
      }),
      { numRuns: 100 },
    );
  });

  it('names the included output that is malformed', () => {
    const json = wire(encodeRequestWithOutputs({ ...fc.sample(arbRequestView(), 1)[0]!, outputs: [] })) as {
      data: { id: string };
      included: unknown[];
    };
    json.included.push({
      type: 'concierge_request_outputs',
      id: '1',
      attributes: { state: 'nope' },
      relationships: {},
    });
    expect(decodeRequestWithOutputs(json)._unsafeUnwrapErr().pointer).toMatch(/^\/included\/0\//);
  });
});
