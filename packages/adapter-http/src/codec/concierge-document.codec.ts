import type { DocumentLineView, DocumentView } from '@concierge-ts/application';
import { DOCUMENT_KINDS, type Money, OUTPUT_STATES, REQUEST_STATES } from '@concierge-ts/domain';
import { z } from 'zod';
import { looseToOne, RESOURCE_TYPES, wireId } from './json-api.js';
import { readCurrency, readMoney, readTime } from './reader.js';
import { encodeMoney, wireNumber } from './values.js';

/**
 * A request's receipt or credit note (SPEC section 7): JSON:API type `concierge_documents`,
 * the request in `relationships`, its outputs as `lines` (each with its amount in the
 * destination currency, budget, fees, state, and what went back to the payer) and the
 * `totals` over them in the origin currency. Money travels as JSON numbers.
 */
const lineWire = z.object({
  output_id: wireId,
  state: z.enum(OUTPUT_STATES),
  port_code: z.string(),
  amount: wireNumber,
  budget: wireNumber,
  fee_and_cost: wireNumber,
  credited: wireNumber,
  return_cost: wireNumber,
});

const totalsWire = z.object({
  budget: wireNumber,
  fees: wireNumber,
  settled: wireNumber,
  in_flight: wireNumber,
  credited: wireNumber,
  return_costs: wireNumber,
});

export const conciergeDocumentResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.document),
  id: wireId,
  attributes: z.object({
    kind: z.enum(DOCUMENT_KINDS),
    request_state: z.enum(REQUEST_STATES),
    port_code: z.string(),
    currency: z.string().optional(),
    issued_at: z.string(),
    lines: z.array(lineWire),
    totals: totalsWire,
  }),
  relationships: z.object({ request: looseToOne }),
});
export type ConciergeDocumentResourceWire = z.output<typeof conciergeDocumentResourceWire>;

export const encodeConciergeDocument = (d: DocumentView): ConciergeDocumentResourceWire => ({
  type: RESOURCE_TYPES.document,
  id: d.id,
  attributes: {
    kind: d.kind,
    request_state: d.requestState,
    port_code: d.portCode,
    currency: d.totals.budget.currency,
    issued_at: d.issuedAt,
    lines: d.lines.map((l) => ({
      output_id: l.outputId,
      state: l.state,
      port_code: l.portCode,
      amount: encodeMoney(l.amount),
      budget: encodeMoney(l.budget),
      fee_and_cost: encodeMoney(l.feeAndCost),
      credited: encodeMoney(l.credited),
      return_cost: encodeMoney(l.returnCost),
    })),
    totals: {
      budget: encodeMoney(d.totals.budget),
      fees: encodeMoney(d.totals.fees),
      settled: encodeMoney(d.totals.settled),
      in_flight: encodeMoney(d.totals.inFlight),
      credited: encodeMoney(d.totals.credited),
      return_costs: encodeMoney(d.totals.returnCosts),
    },
  },
  relationships: { request: { data: { type: RESOURCE_TYPES.request, id: d.requestId } } },
});

export const conciergeDocumentResource = z.codec(conciergeDocumentResourceWire, z.custom<DocumentView>(), {
  decode: (w, payload): DocumentView => {
    const a = w.attributes;
    const origin = readCurrency(payload, a.port_code, ['attributes', 'port_code']);
    const lines = a.lines.map((l, i): DocumentLineView => {
      const at = (name: string) => ['attributes', 'lines', i, name];
      const destination = readCurrency(payload, l.port_code, at('port_code'));
      return {
        outputId: l.output_id,
        state: l.state,
        portCode: l.port_code,
        amount: readMoney(payload, l.amount, destination, at('amount')) as Money,
        budget: readMoney(payload, l.budget, origin, at('budget')) as Money,
        feeAndCost: readMoney(payload, l.fee_and_cost, origin, at('fee_and_cost')) as Money,
        credited: readMoney(payload, l.credited, origin, at('credited')) as Money,
        returnCost: readMoney(payload, l.return_cost, origin, at('return_cost')) as Money,
      };
    });
    const total = (value: unknown, name: string) =>
      readMoney(payload, value, origin, ['attributes', 'totals', name]) as Money;
    return {
      id: w.id,
      kind: a.kind,
      requestId: w.relationships.request.data.id,
      requestState: a.request_state,
      portCode: a.port_code,
      issuedAt: readTime(payload, a.issued_at, ['attributes', 'issued_at']),
      lines,
      totals: {
        budget: total(a.totals.budget, 'budget'),
        fees: total(a.totals.fees, 'fees'),
        settled: total(a.totals.settled, 'settled'),
        inFlight: total(a.totals.in_flight, 'in_flight'),
        credited: total(a.totals.credited, 'credited'),
        returnCosts: total(a.totals.return_costs, 'return_costs'),
      },
    };
  },
  encode: encodeConciergeDocument,
});
