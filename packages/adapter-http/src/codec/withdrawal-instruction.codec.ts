import type { WithdrawalInstructionView } from '@concierge-ts/application';
import { z } from 'zod';
import { looseToOne, RESOURCE_TYPES, wireId } from './json-api.js';
import { readTime } from './reader.js';

/** How to reach a payee's account: a label and a body of text fields (SPEC section 1). */
export const withdrawalInstructionAttributesWire = z.object({
  label: z.string(),
  body: z.record(z.string(), z.string()),
  created_at: z.string(),
});

export const withdrawalInstructionResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.withdrawalInstruction),
  id: wireId,
  attributes: withdrawalInstructionAttributesWire,
  relationships: z.object({ user: looseToOne }),
});
export type WithdrawalInstructionResourceWire = z.output<typeof withdrawalInstructionResourceWire>;

export const encodeWithdrawalInstruction = (
  i: WithdrawalInstructionView,
): WithdrawalInstructionResourceWire => ({
  type: RESOURCE_TYPES.withdrawalInstruction,
  id: i.id,
  attributes: { label: i.label, body: { ...i.body }, created_at: i.createdAt },
  relationships: { user: { data: { type: RESOURCE_TYPES.user, id: i.userId } } },
});

export const withdrawalInstructionResource = z.codec(
  withdrawalInstructionResourceWire,
  z.custom<WithdrawalInstructionView>(),
  {
    decode: (w, payload): WithdrawalInstructionView => ({
      id: w.id,
      userId: w.relationships.user.data.id,
      label: w.attributes.label,
      body: w.attributes.body,
      createdAt: readTime(payload, w.attributes.created_at, ['attributes', 'created_at']),
    }),
    encode: encodeWithdrawalInstruction,
  },
);
