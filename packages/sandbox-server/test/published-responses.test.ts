import { readFileSync } from 'node:fs';
import {
  decodeRequestWithOutputs,
  decodeWith,
  documents,
  pageFromDocument,
} from '@concierge-ts/adapter-http';
import type { DecodeError } from '@concierge-ts/application';
import { moneyText, rateText } from '@concierge-ts/domain';
import type { Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { referencePath } from './reference.js';

/**
 * The HTTP client reads what the provider sends: every response document of the published
 * examples (applicable or not) goes through the decoders `adapter-http` runs on an answer
 * (`decodeWith` over the zod documents, `decodeRequestWithOutputs` for a request), and
 * each must give the right view. Where this service sends more than the provider's
 * answers show, the view makes the field null when absent, no looser:
 *
 * - outputs: `origin_port_code` (this service's own attribute) → `originPortCode` null;
 *   `budget` and `fee_and_cost` cannot be read without it and stay refused;
 *   `created_at`, `updated_at` → null (output_create has neither);
 * - requests: `created_at`, `updated_at` → null (request_quote has neither);
 * - estimates: `expires_at` → null, each line's `given` → null (estimate has neither;
 *   its lines carry both amount and budget, so which was given cannot be told);
 * - withdrawal instructions: `created_at` → null, the `user` relationship → `userId`
 *   null (the bitex-js recordings wi_create and wi_list have neither).
 *
 * What stays refused, and why: a partial response (`published_response_partial`: the
 * guide elided the rest with "...snip...") lacks `port_code`, without which no money of
 * the request can be read; obsolete 2019 shapes without a `state` (request_create_v2019)
 * or with other attribute names (estimate_v2019: from_code, to_code, result) are not the
 * resources this client models.
 */

interface Example {
  readonly id: string;
  readonly applicable: boolean;
  readonly published_response: unknown;
  readonly published_response_partial?: boolean;
}

const published = JSON.parse(readFileSync(referencePath('published-examples.json'), 'utf8')) as {
  examples: readonly Example[];
  webhook: { envelope: unknown };
};

const primaryType = (document: unknown): string | undefined => {
  const data = (document as { data?: unknown }).data;
  const first = Array.isArray(data) ? data[0] : data;
  return (first as { type?: string } | undefined)?.type;
};
const isList = (document: unknown) => Array.isArray((document as { data?: unknown }).data);

/** The decoder the client runs on an answer with this document's primary data. */
const decode = (document: unknown): Result<unknown, DecodeError> => {
  const type = primaryType(document);
  const list = isList(document);
  switch (type) {
    case 'concierge_requests':
      return list ? decodeWith(documents.requests, document) : decodeRequestWithOutputs(document);
    case 'concierge_request_outputs':
      return list
        ? decodeWith(documents.outputs, document).map((d) => pageFromDocument(d))
        : decodeWith(documents.output, document).map((d) => d.data);
    case 'concierge_estimates':
      return decodeWith(documents.estimate, document).map((d) => d.data);
    case 'withdrawal_instructions':
      return list
        ? decodeWith(documents.withdrawalInstructions, document).map((d) => pageFromDocument(d))
        : decodeWith(documents.withdrawalInstruction, document).map((d) => d.data);
    case 'users':
      return list ? decodeWith(documents.users, document) : decodeWith(documents.user, document);
    case 'events':
      return decodeWith(documents.event, document).map((d) => d.data);
    default:
      throw new Error(`a published response of a resource this client does not model: ${type}`);
  }
};

const byId = (id: string): Example => {
  const example = published.examples.find((e) => e.id === id);
  if (!example) throw new Error(`no published example ${id}`);
  return example;
};

/** What each published response decodes to: ok, or refused at a pointer into the document. */
const EXPECTED: Readonly<Record<string, 'ok' | { readonly refusedAt: string }>> = {
  output_create: 'ok',
  estimate: 'ok',
  request_quote: 'ok',
  wi_create: 'ok',
  wi_list: 'ok',
  // Obsolete, but a request document all the same: a state, a port, counters by state.
  request_quote_v2019: 'ok',
  // Obsolete 2019 shapes.
  request_create_v2019: { refusedAt: '/data/attributes/state' },
  estimate_v2019: { refusedAt: '/data/attributes/port_code' },
  // Partial: the rest of the resource was elided in the guide.
  request_show: { refusedAt: '/data/attributes/port_code' },
};

describe("the HTTP client's decoders read every published response document", () => {
  const withResponse = published.examples.filter((e) => e.published_response !== null);

  it('covers every published response (and no more), each of a resource this client models', () => {
    expect(withResponse.map((e) => e.id).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(withResponse.map((e) => [e.id, e] as const))('%s', (id, example) => {
    const decoded = decode(example.published_response);
    const expected = EXPECTED[id];
    if (expected === 'ok') {
      expect(decoded.isOk(), decoded.isErr() ? decoded.error.detail : '').toBe(true);
      expect(example.published_response_partial ?? false).toBe(false);
    } else {
      expect(decoded.isErr()).toBe(true);
      if (decoded.isErr())
        expect(decoded.error).toMatchObject({ type: 'decode', pointer: expected?.refusedAt });
      // Only what is obsolete or partial is refused.
      expect(!example.applicable || example.published_response_partial === true).toBe(true);
    }
  });

  it('output_create: the published output, field by field', () => {
    const output = decode(byId('output_create').published_response)._unsafeUnwrap();
    expect(output).toMatchObject({
      id: '32323',
      requestId: '1010',
      payeeId: '20202',
      withdrawalInstructionId: '2121',
      state: 'accepting',
      portCode: 'cl_clp',
      // This service's own attribute, absent from the provider's answer.
      originPortCode: null,
      // Inferred: it carries an amount and no budget.
      given: 'amount',
      budget: null,
      rate: null,
      attempts: 0,
      rejectionReason: null,
      createdAt: null,
      updatedAt: null,
    });
    expect(moneyText((output as { amount: Parameters<typeof moneyText>[0] }).amount)).toBe('1000');
  });

  it('an output with a budget but no origin_port_code is refused: its currency is unknown', () => {
    const document = structuredClone(byId('output_create').published_response) as {
      data: { attributes: Record<string, unknown> };
    };
    document.data.attributes.budget = 5000;
    expect(decode(document)._unsafeUnwrapErr()).toMatchObject({
      type: 'decode',
      pointer: '/data/attributes/origin_port_code',
    });
    document.data.attributes.origin_port_code = 'ar_ars';
    expect(decode(document).isOk()).toBe(true);
  });

  it('estimate: totals and lines in their currencies, exactly as published', () => {
    const estimate = decode(byId('estimate').published_response)._unsafeUnwrap() as {
      portCode: string;
      totalToSpend: Parameters<typeof moneyText>[0];
      hintToken: string;
      expiresAt: string | null;
      outputs: {
        portCode: string;
        given: string | null;
        amount: Parameters<typeof moneyText>[0];
        budget: Parameters<typeof moneyText>[0];
        rate: Parameters<typeof rateText>[0];
        allInRate: Parameters<typeof rateText>[0];
        feeAndCost: Parameters<typeof moneyText>[0];
      }[];
    };
    expect(estimate.portCode).toBe('cl_clp');
    expect(estimate.hintToken).toBe('323576820efe57609830c5dd0d4ecf6b707799d1dc0736042ddc00ca659d1927');
    expect(estimate.expiresAt).toBeNull();
    // More decimals than CLP has: kept exactly as sent, not rounded.
    expect(moneyText(estimate.totalToSpend)).toBe('119132.65420936');
    const [usd, mxn] = estimate.outputs;
    expect(usd).toMatchObject({ portCode: 'us_usd', given: null });
    expect(usd && moneyText(usd.amount)).toBe('133.96820027');
    expect(usd && moneyText(usd.budget)).toBe('100000');
    expect(usd && rateText(usd.rate)).toBe('0.00135317');
    expect(usd && rateText(usd.allInRate)).toBe('0.00133968');
    expect(usd && moneyText(usd.feeAndCost)).toBe('997.5');
    expect(mxn && moneyText(mxn.amount)).toBe('500.00');
    expect(mxn && moneyText(mxn.budget)).toBe('19132.65420936');
  });

  it('request_quote: quote_requested with its times, no total yet, one output', () => {
    const request = decode(byId('request_quote').published_response)._unsafeUnwrap() as Record<
      string,
      unknown
    > & { counters: { total: number }; fundsAvailable: unknown; outputs: readonly unknown[] };
    expect(request).toMatchObject({
      id: '143',
      state: 'quote_requested',
      portCode: 'ar_usd',
      payerId: '1',
      eta: '2019-11-25T12:53:02.741Z',
      quoteRequestedAt: '2019-11-25T12:53:02.741Z',
      acceptQuoteBefore: '2019-11-25T13:03:02.741Z',
      quoteAcceptedAt: null,
      provisionFundsBefore: '2019-11-26T01:03:02.741Z',
      totalToSpend: null,
      cancellationReason: null,
      receiptUrl: null,
      createdAt: null,
      updatedAt: null,
    });
    // `outputs_count`, the provider's counter, is the total.
    expect(request.counters.total).toBe(1);
    expect(moneyText(request.fundsAvailable as Parameters<typeof moneyText>[0])).toBe('0.00');
    // Linkage only, no `included`: the outputs are read with `include=outputs` or one by one.
    expect(request.outputs).toEqual([]);
  });

  it('wi_create and wi_list: the published body as recorded, no user and no created_at', () => {
    const created = decode(byId('wi_create').published_response)._unsafeUnwrap();
    expect(created).toMatchObject({ id: '3', userId: null, label: 'Local Bank', createdAt: null });
    expect((created as { body: Record<string, string> }).body).toMatchObject({
      payment_method: 'domestic_bank',
      country: 'AR',
      currency: 'ARS',
      cbu: '1234123412341234',
      cuit: '12341234',
    });
    const listed = decode(byId('wi_list').published_response)._unsafeUnwrap() as {
      items: readonly {
        id: string;
        userId: string | null;
        label: string | null;
        body: Record<string, string>;
      }[];
    };
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({ id: '1', userId: null, label: 'internacional' });
    expect(listed.items[0]?.body.payment_method).toBe('international_bank');
  });

  it("output_create's included withdrawal instruction decodes too (its exchange-era user is not compared)", () => {
    const included = (
      byId('output_create').published_response as { included: { type: string }[] }
    ).included.find((r) => r.type === 'withdrawal_instructions');
    const instruction = decode({ data: included })._unsafeUnwrap();
    expect(instruction).toMatchObject({ id: '2121', userId: null, label: null, createdAt: null });
  });

  it('the webhook envelope of the guide decodes as an event', () => {
    expect(decode(published.webhook.envelope)._unsafeUnwrap()).toMatchObject({
      id: '8',
      eventType: 'user_enabled',
      resourceType: 'concierge_requests',
      resourceId: '1',
      createdAt: '2000-01-01T00:00:00.000Z',
      sentAt: '2000-01-01T00:00:00.000Z',
    });
    // A published type the sandbox never emits (no published route changes an instruction) decodes all the same.
    const updated = structuredClone(published.webhook.envelope) as {
      data: {
        attributes: Record<string, unknown>;
        relationships: { resource: { data: Record<string, unknown> } };
      };
    };
    updated.data.attributes.event_type = 'withdrawal_instruction_updated';
    updated.data.relationships.resource.data = { type: 'withdrawal_instructions', id: '3' };
    expect(decode(updated)._unsafeUnwrap()).toMatchObject({
      eventType: 'withdrawal_instruction_updated',
      resourceType: 'withdrawal_instructions',
      resourceId: '3',
    });
  });
});
