import type { RequestView } from '@concierge-ts/application';
import {
  CANCELLATION_REASONS,
  type CancellationReason,
  OUTPUT_STATES,
  type OutputCounters,
  REQUEST_STATES,
} from '@concierge-ts/domain';
import { z } from 'zod';
import { anyIdentifier, linkWire, looseToOne, RESOURCE_TYPES, wireId } from './json-api.js';
import { readCurrency, readMoneyOrNull, readTimeOrNull } from './reader.js';
import { encodeMoneyOrNull, wireNumber } from './values.js';

const cancellationReasons = [...new Set(Object.values(CANCELLATION_REASONS))] as [
  CancellationReason,
  ...CancellationReason[],
];

const counter = z.int().nonnegative().optional();
const time = z.string().nullable().optional();

/** A request (SPEC sections 3 and 7), with its counters of outputs by state. */
export const requestAttributesWire = z.object({
  state: z.enum(REQUEST_STATES),
  port_code: z.string(),
  external_id: z.string().nullable().optional(),
  payment_authorization_code: z.string().nullable().optional(),
  outputs_accepting: counter,
  outputs_accepted: counter,
  outputs_rejected: counter,
  outputs_working: counter,
  outputs_settling: counter,
  outputs_settled: counter,
  outputs_failed: counter,
  outputs_returned: counter,
  outputs_cancelled: counter,
  outputs_total: counter,
  outputs_count: counter,
  eta: time,
  quote_requested_at: time,
  quoted_at: time,
  accept_quote_before: time,
  quote_accepted_at: time,
  provision_funds_before: time,
  total_to_spend: wireNumber.nullable().optional(),
  funds_available: wireNumber.nullable().optional(),
  cancellation_reason: z.enum(cancellationReasons).nullable().optional(),
  receipt_url: z.string().nullable().optional(),
  credit_note_url: z.string().nullable().optional(),
  // This service always sends both; the provider's published requests do not.
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
});

/**
 * Outputs as a relationship: their resource linkage (this server always sends it), and
 * from other servers possibly a link to them or their count instead.
 */
const outputsRelationship = z.object({
  data: z.array(anyIdentifier).optional(),
  links: z.object({ self: linkWire.optional(), related: linkWire.optional() }).optional(),
  meta: z.object({ count: z.int().nonnegative().optional() }).optional(),
});

export const requestResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.request),
  id: wireId,
  attributes: requestAttributesWire,
  relationships: z.object({ user: looseToOne, outputs: outputsRelationship.optional() }),
});
export type RequestResourceWire = z.output<typeof requestResourceWire>;

/** A document link resolved against `base` (a server gives absolute URLs; the in-process service, paths). */
const linkTo = (url: string | null, base: string | undefined): string | null =>
  url === null || base === undefined || !URL.canParse(url, base) ? url : new URL(url, base).href;

/**
 * `outputIds`: the outputs' ids, the relationship's resource linkage (SPEC section 7:
 * always sent). Without them, only a request without outputs can say which it has
 * (none); any other tells how many in `meta`, for callers that encode a request they
 * did not read with its outputs. `base`: the URL `receipt_url` and `credit_note_url` are
 * resolved against, so that they go out absolute.
 */
export const encodeRequest = (
  r: RequestView,
  outputIds?: readonly string[],
  base?: string,
): RequestResourceWire => {
  const c = r.counters;
  const outputs =
    outputIds !== undefined
      ? { data: outputIds.map((id) => ({ type: RESOURCE_TYPES.output, id })) }
      : c.total === 0
        ? { data: [] }
        : { meta: { count: c.total } };
  return {
    type: RESOURCE_TYPES.request,
    id: r.id,
    attributes: {
      state: r.state,
      port_code: r.portCode,
      external_id: r.externalId,
      payment_authorization_code: r.paymentAuthorizationCode,
      outputs_accepting: c.accepting,
      outputs_accepted: c.accepted,
      outputs_rejected: c.rejected,
      outputs_working: c.working,
      outputs_settling: c.settling,
      outputs_settled: c.settled,
      outputs_failed: c.failed,
      outputs_returned: c.returned,
      outputs_cancelled: c.cancelled,
      outputs_total: c.total,
      outputs_count: c.total,
      eta: r.eta,
      quote_requested_at: r.quoteRequestedAt,
      quoted_at: r.quotedAt,
      accept_quote_before: r.acceptQuoteBefore,
      quote_accepted_at: r.quoteAcceptedAt,
      provision_funds_before: r.provisionFundsBefore,
      total_to_spend: encodeMoneyOrNull(r.totalToSpend),
      funds_available: encodeMoneyOrNull(r.fundsAvailable),
      cancellation_reason: r.cancellationReason,
      receipt_url: linkTo(r.receiptUrl, base),
      credit_note_url: linkTo(r.creditNoteUrl, base),
      ...(r.createdAt === null ? {} : { created_at: r.createdAt }),
      ...(r.updatedAt === null ? {} : { updated_at: r.updatedAt }),
    },
    relationships: { user: { data: { type: RESOURCE_TYPES.user, id: r.payerId } }, outputs },
  };
};

type Attributes = z.output<typeof requestAttributesWire>;

/** Counters as the provider may send them: missing ones are zero, the total is summed if absent. */
const countersOf = (a: Attributes): OutputCounters => {
  const byState = {} as Record<(typeof OUTPUT_STATES)[number], number>;
  let sum = 0;
  for (const state of OUTPUT_STATES) {
    const n = a[`outputs_${state}`] ?? 0;
    byState[state] = n;
    sum += n;
  }
  return { ...byState, total: a.outputs_total ?? a.outputs_count ?? sum };
};

export const requestResource = z.codec(requestResourceWire, z.custom<RequestView>(), {
  decode: (w, payload): RequestView => {
    const a = w.attributes;
    const currency = readCurrency(payload, a.port_code, ['attributes', 'port_code']);
    const t = (value: string | null | undefined, name: string) =>
      readTimeOrNull(payload, value, ['attributes', name]);
    return {
      id: w.id,
      state: a.state,
      portCode: a.port_code,
      payerId: w.relationships.user.data.id,
      externalId: a.external_id ?? null,
      paymentAuthorizationCode: a.payment_authorization_code ?? null,
      counters: countersOf(a),
      eta: t(a.eta, 'eta'),
      quoteRequestedAt: t(a.quote_requested_at, 'quote_requested_at'),
      quotedAt: t(a.quoted_at, 'quoted_at'),
      acceptQuoteBefore: t(a.accept_quote_before, 'accept_quote_before'),
      quoteAcceptedAt: t(a.quote_accepted_at, 'quote_accepted_at'),
      provisionFundsBefore: t(a.provision_funds_before, 'provision_funds_before'),
      totalToSpend: readMoneyOrNull(payload, a.total_to_spend, currency, ['attributes', 'total_to_spend']),
      fundsAvailable: readMoneyOrNull(payload, a.funds_available, currency, [
        'attributes',
        'funds_available',
      ]),
      cancellationReason: a.cancellation_reason ?? null,
      receiptUrl: a.receipt_url ?? null,
      creditNoteUrl: a.credit_note_url ?? null,
      createdAt: t(a.created_at, 'created_at'),
      updatedAt: t(a.updated_at, 'updated_at'),
    };
  },
  encode: (r) => encodeRequest(r),
});
