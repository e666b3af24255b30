import type { OutputView } from '@concierge-ts/application';
import { OUTPUT_STATES } from '@concierge-ts/domain';
import { z } from 'zod';
import { anyIdentifier, looseToOne, RESOURCE_TYPES, wireId } from './json-api.js';
import { addIssue, readCurrency, readMoneyOrNull, readRateOrNull, readTimeOrNull } from './reader.js';
import { encodeMoneyOrNull, encodeRateOrNull, wireNumber } from './values.js';

/**
 * A request output (SPEC sections 4 and 7). `amount` is in the destination port's
 * currency; `budget` and `fee_and_cost` in the origin's, named by `origin_port_code`
 * (an attribute this service adds so that an output can be read on its own).
 *
 * Read as the provider answers too (its published output, SPEC section 7.2): without
 * `origin_port_code`, `created_at` and `updated_at`, which this service always sends. An
 * answer without `origin_port_code` cannot say in which currency a `budget` or a
 * `fee_and_cost` is, so one that carries either is refused.
 */
export const outputAttributesWire = z.object({
  state: z.enum(OUTPUT_STATES),
  port_code: z.string(),
  origin_port_code: z.string().optional(),
  given: z.enum(['amount', 'budget']).optional(),
  amount: wireNumber.nullable().optional(),
  budget: wireNumber.nullable().optional(),
  rate: wireNumber.nullable().optional(),
  all_in_rate: wireNumber.nullable().optional(),
  fee_and_cost: wireNumber.nullable().optional(),
  attempts: z.int().nonnegative().optional(),
  rejection_reason: z.string().nullable().optional(),
  failure_reason: z.string().nullable().optional(),
  cancellation_reason: z.string().nullable().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
});

export const outputResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.output),
  id: wireId,
  attributes: outputAttributesWire,
  relationships: z.object({
    request: looseToOne,
    user: looseToOne,
    withdrawal_instruction: looseToOne,
    // Linkage only: the failures (SPEC section 4) are not resources any route serves. This
    // service always sends it; the provider's published output has none.
    failures: z.object({ data: z.array(anyIdentifier) }).optional(),
  }),
});
export type OutputResourceWire = z.output<typeof outputResourceWire>;

export const encodeOutput = (o: OutputView): OutputResourceWire => ({
  type: RESOURCE_TYPES.output,
  id: o.id,
  attributes: {
    state: o.state,
    port_code: o.portCode,
    ...(o.originPortCode === null ? {} : { origin_port_code: o.originPortCode }),
    given: o.given,
    amount: encodeMoneyOrNull(o.amount),
    budget: encodeMoneyOrNull(o.budget),
    rate: encodeRateOrNull(o.rate),
    all_in_rate: encodeRateOrNull(o.allInRate),
    fee_and_cost: encodeMoneyOrNull(o.feeAndCost),
    attempts: o.attempts,
    rejection_reason: o.rejectionReason,
    failure_reason: o.failureReason,
    cancellation_reason: o.cancellationReason,
    ...(o.createdAt === null ? {} : { created_at: o.createdAt }),
    ...(o.updatedAt === null ? {} : { updated_at: o.updatedAt }),
  },
  relationships: {
    request: { data: { type: RESOURCE_TYPES.request, id: o.requestId } },
    user: { data: { type: RESOURCE_TYPES.user, id: o.payeeId } },
    withdrawal_instruction: {
      data: { type: RESOURCE_TYPES.withdrawalInstruction, id: o.withdrawalInstructionId },
    },
    ...(o.failures === null
      ? {}
      : { failures: { data: o.failures.map((id) => ({ type: RESOURCE_TYPES.outputFailure, id })) } }),
  },
});

export const outputResource = z.codec(outputResourceWire, z.custom<OutputView>(), {
  decode: (w, payload): OutputView => {
    const a = w.attributes;
    const destination = readCurrency(payload, a.port_code, ['attributes', 'port_code']);
    const origin =
      a.origin_port_code === undefined
        ? null
        : readCurrency(payload, a.origin_port_code, ['attributes', 'origin_port_code']);
    // Origin money needs the origin's currency.
    if (a.origin_port_code === undefined)
      for (const name of ['budget', 'fee_and_cost'] as const)
        if (a[name] !== undefined && a[name] !== null)
          addIssue(payload, ['attributes', 'origin_port_code'], `needed to read ${name}`, undefined);
    const amount = readMoneyOrNull(payload, a.amount, destination, ['attributes', 'amount']);
    const budget = readMoneyOrNull(payload, a.budget, origin, ['attributes', 'budget']);
    return {
      id: w.id,
      requestId: w.relationships.request.data.id,
      payeeId: w.relationships.user.data.id,
      withdrawalInstructionId: w.relationships.withdrawal_instruction.data.id,
      state: a.state,
      portCode: a.port_code,
      originPortCode: a.origin_port_code ?? null,
      given: a.given ?? (amount === null && budget !== null ? 'budget' : 'amount'),
      amount,
      budget,
      rate: readRateOrNull(payload, a.rate, ['attributes', 'rate']),
      allInRate: readRateOrNull(payload, a.all_in_rate, ['attributes', 'all_in_rate']),
      feeAndCost: readMoneyOrNull(payload, a.fee_and_cost, origin, ['attributes', 'fee_and_cost']),
      attempts: a.attempts ?? 0,
      rejectionReason: a.rejection_reason ?? null,
      failureReason: a.failure_reason ?? null,
      cancellationReason: a.cancellation_reason ?? null,
      failures: w.relationships.failures?.data.map((f) => f.id) ?? null,
      createdAt: readTimeOrNull(payload, a.created_at, ['attributes', 'created_at']),
      updatedAt: readTimeOrNull(payload, a.updated_at, ['attributes', 'updated_at']),
    };
  },
  encode: encodeOutput,
});
