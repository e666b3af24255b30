import type { UserView } from '@concierge-ts/application';
import { COMPLIANCE_STATES, currencyOf, type Money } from '@concierge-ts/domain';
import { z } from 'zod';
import { RESOURCE_TYPES, wireId } from './json-api.js';
import { addIssue, readMoney, readTime } from './reader.js';
import { encodeMoney, wireNumber } from './values.js';

/** A user: the caller (`me`, a master user) or one it manages, with balances per currency. */
export const userAttributesWire = z.object({
  /** Null for a user created without one. */
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  /** The published names: `new`, `enabled`, `disabled`, `rejected`. */
  compliance_state: z.enum(COMPLIANCE_STATES),
  master: z.boolean().optional(),
  webhook_url: z.string().nullable().optional(),
  /** Per currency code in lower case, e.g. `{ "ars": 1500.25 }`. */
  balances: z.record(z.string(), wireNumber).optional(),
  created_at: z.string(),
});

export const userResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.user),
  id: wireId,
  attributes: userAttributesWire,
});
export type UserResourceWire = z.output<typeof userResourceWire>;

export const encodeUser = (u: UserView): UserResourceWire => ({
  type: RESOURCE_TYPES.user,
  id: u.id,
  attributes: {
    email: u.email,
    name: u.name,
    compliance_state: u.complianceState,
    master: u.master,
    webhook_url: u.webhookUrl,
    balances: Object.fromEntries(Object.entries(u.balances).map(([code, m]) => [code, encodeMoney(m)])),
    created_at: u.createdAt,
  },
});

export const userResource = z.codec(userResourceWire, z.custom<UserView>(), {
  decode: (w, payload): UserView => {
    const a = w.attributes;
    const balances: Record<string, Money> = {};
    for (const [code, value] of Object.entries(a.balances ?? {})) {
      const path = ['attributes', 'balances', code];
      const currency = currencyOf(code);
      if (currency.isErr()) addIssue(payload, path, currency.error.message, code);
      else {
        const m = readMoney(payload, value, currency.value, path);
        if (m) balances[code.toLowerCase()] = m;
      }
    }
    return {
      id: w.id,
      email: a.email ?? null,
      name: a.name ?? null,
      complianceState: a.compliance_state,
      master: a.master ?? false,
      webhookUrl: a.webhook_url ?? null,
      balances,
      createdAt: readTime(payload, a.created_at, ['attributes', 'created_at']),
    };
  },
  encode: encodeUser,
});
