import type { EstimateLineView, EstimateView } from '@concierge-ts/application';
import type { Money, Rate } from '@concierge-ts/domain';
import { z } from 'zod';
import { RESOURCE_TYPES, wireId } from './json-api.js';
import { readCurrency, readMoney, readRateOrNull, readTimeOrNull } from './reader.js';
import { encodeMoney, encodeRate, wireNumber } from './values.js';

/** An estimate (SPEC section 6): answered at once, never persisted, with a hint token. */
export const estimateLineWire = z.object({
  port_code: z.string(),
  // This service says which was given; the provider's published estimate does not.
  given: z.enum(['amount', 'budget']).optional(),
  amount: wireNumber,
  budget: wireNumber,
  rate: wireNumber,
  all_in_rate: wireNumber,
  fee_and_cost: wireNumber,
});

export const estimateAttributesWire = z.object({
  port_code: z.string(),
  total_to_spend: wireNumber,
  hint_token: z.string(),
  // This service's; the provider's published estimate has none (its guide says ten minutes).
  expires_at: z.string().optional(),
  outputs: z.array(estimateLineWire),
});

export const estimateResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.estimate),
  id: wireId,
  attributes: estimateAttributesWire,
});
export type EstimateResourceWire = z.output<typeof estimateResourceWire>;

export const encodeEstimate = (e: EstimateView): EstimateResourceWire => ({
  type: RESOURCE_TYPES.estimate,
  // The id means nothing (SPEC section 6); the token is unique, so it serves.
  id: e.hintToken,
  attributes: {
    port_code: e.portCode,
    total_to_spend: encodeMoney(e.totalToSpend),
    hint_token: e.hintToken,
    ...(e.expiresAt === null ? {} : { expires_at: e.expiresAt }),
    outputs: e.outputs.map((o) => ({
      port_code: o.portCode,
      ...(o.given === null ? {} : { given: o.given }),
      amount: encodeMoney(o.amount),
      budget: encodeMoney(o.budget),
      rate: encodeRate(o.rate),
      all_in_rate: encodeRate(o.allInRate),
      fee_and_cost: encodeMoney(o.feeAndCost),
    })),
  },
});

export const estimateResource = z.codec(estimateResourceWire, z.custom<EstimateView>(), {
  decode: (w, payload): EstimateView => {
    const a = w.attributes;
    const origin = readCurrency(payload, a.port_code, ['attributes', 'port_code']);
    const outputs = a.outputs.map((line, i): EstimateLineView => {
      const at = (name: string) => ['attributes', 'outputs', i, name];
      const destination = readCurrency(payload, line.port_code, at('port_code'));
      return {
        portCode: line.port_code,
        given: line.given ?? null,
        amount: readMoney(payload, line.amount, destination, at('amount')) as Money,
        budget: readMoney(payload, line.budget, origin, at('budget')) as Money,
        rate: readRateOrNull(payload, line.rate, at('rate')) as Rate,
        allInRate: readRateOrNull(payload, line.all_in_rate, at('all_in_rate')) as Rate,
        feeAndCost: readMoney(payload, line.fee_and_cost, origin, at('fee_and_cost')) as Money,
      };
    });
    return {
      portCode: a.port_code,
      totalToSpend: readMoney(payload, a.total_to_spend, origin, ['attributes', 'total_to_spend']) as Money,
      hintToken: a.hint_token,
      expiresAt: readTimeOrNull(payload, a.expires_at, ['attributes', 'expires_at']),
      outputs,
    };
  },
  encode: encodeEstimate,
});
