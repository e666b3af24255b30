import type { PortView } from '@concierge-ts/application';
import type { Money } from '@concierge-ts/domain';
import { z } from 'zod';
import { RESOURCE_TYPES, wireId } from './json-api.js';
import { readCurrency, readMoney } from './reader.js';
import { encodeMoney, wireNumber } from './values.js';

/** A port of the catalog (SPEC section 1); its id is its code. Limits are in its own currency. */
export const portAttributesWire = z.object({
  code: z.string(),
  country: z.string(),
  currency: z.string(),
  min_amount: wireNumber,
  max_amount: wireNumber,
  quote_delay_seconds: z.number().nonnegative(),
  return_cost: wireNumber,
  active: z.boolean(),
  /** The withdrawal instruction fields a payment to the port requires (SPEC section 7.1). */
  withdrawal_instruction_fields: z.array(z.string()),
});

export const portResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.port),
  id: wireId,
  attributes: portAttributesWire,
});
export type PortResourceWire = z.output<typeof portResourceWire>;

export const encodePort = (p: PortView): PortResourceWire => ({
  type: RESOURCE_TYPES.port,
  id: p.code,
  attributes: {
    code: p.code,
    country: p.country,
    currency: p.currency,
    min_amount: encodeMoney(p.minAmount),
    max_amount: encodeMoney(p.maxAmount),
    quote_delay_seconds: p.quoteDelaySeconds,
    return_cost: encodeMoney(p.returnCost),
    active: p.active,
    withdrawal_instruction_fields: [...p.withdrawalInstructionFields],
  },
});

export const portResource = z.codec(portResourceWire, z.custom<PortView>(), {
  decode: (w, payload): PortView => {
    const a = w.attributes;
    const currency = readCurrency(payload, a.code, ['attributes', 'code']);
    const money = (name: 'min_amount' | 'max_amount' | 'return_cost'): Money =>
      readMoney(payload, a[name], currency, ['attributes', name]) as Money;
    return {
      code: a.code,
      country: a.country,
      currency: a.currency,
      minAmount: money('min_amount'),
      maxAmount: money('max_amount'),
      quoteDelaySeconds: a.quote_delay_seconds,
      returnCost: money('return_cost'),
      active: a.active,
      withdrawalInstructionFields: a.withdrawal_instruction_fields,
    };
  },
  encode: encodePort,
});
