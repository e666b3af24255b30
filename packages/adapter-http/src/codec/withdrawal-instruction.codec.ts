import type { WithdrawalInstructionView } from '@concierge-ts/application';
import { WITHDRAWAL_INSTRUCTION_SCHEMA } from '@concierge-ts/domain';
import { z } from 'zod';
import { looseToOne, RESOURCE_TYPES, wireId } from './json-api.js';
import { readTimeOrNull } from './reader.js';

/**
 * How to reach a user's account (SPEC section 7.1): attributes `label`, `schema` and
 * `body` as the provider's recorded responses show them (`schema` is always "bitex"), and
 * this project's `created_at` and `user` relationship, which the recorded responses lack
 * (so both are optional when read; this service always sends them).
 */
export const withdrawalInstructionAttributesWire = z.object({
  label: z.string().nullable(),
  schema: z.string(),
  body: z.record(z.string(), z.string()),
  created_at: z.string().optional(),
});

export const withdrawalInstructionResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.withdrawalInstruction),
  id: wireId,
  attributes: withdrawalInstructionAttributesWire,
  relationships: z.object({ user: looseToOne.optional() }).optional(),
});
export type WithdrawalInstructionResourceWire = z.output<typeof withdrawalInstructionResourceWire>;

export const encodeWithdrawalInstruction = (
  i: WithdrawalInstructionView,
): WithdrawalInstructionResourceWire => ({
  type: RESOURCE_TYPES.withdrawalInstruction,
  id: i.id,
  attributes: {
    label: i.label,
    schema: WITHDRAWAL_INSTRUCTION_SCHEMA,
    body: { ...i.body },
    ...(i.createdAt === null ? {} : { created_at: i.createdAt }),
  },
  ...(i.userId === null
    ? {}
    : { relationships: { user: { data: { type: RESOURCE_TYPES.user, id: i.userId } } } }),
});

export const withdrawalInstructionResource = z.codec(
  withdrawalInstructionResourceWire,
  z.custom<WithdrawalInstructionView>(),
  {
    decode: (w, payload): WithdrawalInstructionView => ({
      id: w.id,
      userId: w.relationships?.user?.data.id ?? null,
      label: w.attributes.label,
      body: w.attributes.body,
      createdAt: readTimeOrNull(payload, w.attributes.created_at, ['attributes', 'created_at']),
    }),
    encode: encodeWithdrawalInstruction,
  },
);
