import type { ConciergeError, OutputView, Page, PageQuery } from '@concierge-ts/application';
import { OUTPUT_STATES, type OutputState } from '@concierge-ts/domain';
import { ok, type Result } from 'neverthrow';
import { documents, pageFromDocument } from './document.codec.js';
import { decodeWith, pageLinks, pageMeta, RESOURCE_TYPES } from './json-api.js';
import { decodeMoney, decodeRate, decodeTime, isDomainError, portCurrency } from './values.js';

/**
 * The hot path: a list of outputs (a payout batch can hold 10,000). zod's schema in
 * `output.codec.ts` is the definition; this walks the same shape by hand, without
 * building zod's intermediate objects, and gives up (undefined) at the first thing it
 * is not sure of: the zod codec then decodes the document and names the offending
 * field. A property test checks both agree on every document the fast path accepts.
 */

const STATES: ReadonlySet<string> = new Set(OUTPUT_STATES);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const idOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? (v.length > 0 ? v : undefined) : Number.isSafeInteger(v) ? String(v) : undefined;

/** The id of `{ data: { type: string, id } }`. */
const relatedId = (rel: unknown): string | undefined => {
  if (!isObject(rel)) return undefined;
  const data = rel.data;
  return isObject(data) && typeof data.type === 'string' ? idOf(data.id) : undefined;
};

const optionalText = (v: unknown): string | null | undefined =>
  v === undefined || v === null ? null : typeof v === 'string' ? v : undefined;

const FAIL = Symbol('fail');

/** The ids of a to-many linkage `{ data: [{ type: string, id }] }`, null when absent. */
const linkedIds = (rel: unknown): string[] | null | typeof FAIL => {
  if (rel === undefined) return null;
  if (!isObject(rel) || !Array.isArray(rel.data)) return FAIL;
  const ids: string[] = new Array(rel.data.length);
  for (let i = 0; i < rel.data.length; i += 1) {
    const item: unknown = rel.data[i];
    const id = isObject(item) && typeof item.type === 'string' ? idOf(item.id) : undefined;
    if (id === undefined) return FAIL;
    ids[i] = id;
  }
  return ids;
};

const money = (v: unknown, portCode: string) => {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' && typeof v !== 'string') return FAIL;
  const currency = portCurrency(portCode);
  if (currency === null) return FAIL;
  const m = decodeMoney(v, currency);
  return isDomainError(m) ? FAIL : m;
};

const rate = (v: unknown) => {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' && typeof v !== 'string') return FAIL;
  const r = decodeRate(v);
  return isDomainError(r) ? FAIL : r;
};

export const fastOutput = (r: unknown): OutputView | undefined => {
  if (!isObject(r) || r.type !== RESOURCE_TYPES.output) return undefined;
  const id = idOf(r.id);
  const a = r.attributes;
  const rel = r.relationships;
  if (id === undefined || !isObject(a) || !isObject(rel)) return undefined;
  const { state, port_code: portCode, origin_port_code: originPortCode, given, attempts } = a;
  if (typeof state !== 'string' || !STATES.has(state)) return undefined;
  if (typeof portCode !== 'string' || typeof originPortCode !== 'string') return undefined;
  if (given !== undefined && given !== 'amount' && given !== 'budget') return undefined;
  if (attempts !== undefined && !(Number.isSafeInteger(attempts) && (attempts as number) >= 0))
    return undefined;
  if (typeof a.created_at !== 'string' || typeof a.updated_at !== 'string') return undefined;
  const requestId = relatedId(rel.request);
  const payeeId = relatedId(rel.user);
  const withdrawalInstructionId = relatedId(rel.withdrawal_instruction);
  if (requestId === undefined || payeeId === undefined || withdrawalInstructionId === undefined)
    return undefined;
  const failures = linkedIds(rel.failures);
  if (failures === FAIL) return undefined;
  const rejectionReason = optionalText(a.rejection_reason);
  const failureReason = optionalText(a.failure_reason);
  const cancellationReason = optionalText(a.cancellation_reason);
  if (rejectionReason === undefined || failureReason === undefined || cancellationReason === undefined)
    return undefined;
  // Both port codes must be ports even when the amounts that use them are null.
  if (portCurrency(portCode) === null || portCurrency(originPortCode) === null) return undefined;
  const amount = money(a.amount, portCode);
  const budget = money(a.budget, originPortCode);
  const feeAndCost = money(a.fee_and_cost, originPortCode);
  const rateValue = rate(a.rate);
  const allInRate = rate(a.all_in_rate);
  if (amount === FAIL || budget === FAIL || feeAndCost === FAIL || rateValue === FAIL || allInRate === FAIL)
    return undefined;
  const createdAt = decodeTime(a.created_at);
  const updatedAt = decodeTime(a.updated_at);
  if (createdAt === undefined || updatedAt === undefined) return undefined;
  return {
    id,
    requestId,
    payeeId,
    withdrawalInstructionId,
    state: state as OutputState,
    portCode,
    originPortCode,
    given: given ?? (amount === null && budget !== null ? 'budget' : 'amount'),
    amount,
    budget,
    rate: rateValue,
    allInRate,
    feeAndCost,
    attempts: (attempts as number | undefined) ?? 0,
    rejectionReason,
    failureReason,
    cancellationReason,
    failures,
    createdAt,
    updatedAt,
  };
};

/** The outputs of a list document, or undefined if any of it needs zod to explain. */
export const fastOutputList = (json: unknown) => {
  if (!isObject(json) || !Array.isArray(json.data)) return undefined;
  const links = json.links === undefined ? undefined : pageLinks.safeParse(json.links);
  const meta = json.meta === undefined ? undefined : pageMeta.safeParse(json.meta);
  if (links?.success === false || meta?.success === false) return undefined;
  const data = json.data;
  const items: OutputView[] = new Array(data.length);
  for (let i = 0; i < data.length; i += 1) {
    const view = fastOutput(data[i]);
    if (view === undefined) return undefined;
    items[i] = view;
  }
  return { data: items, links: links?.data, meta: meta?.data };
};

/** `GET /api/concierge_request_outputs` decoded: the fast path, else the zod codec. */
export const decodeOutputPage = (
  json: unknown,
  query?: PageQuery,
): Result<Page<OutputView>, ConciergeError> => {
  const fast = fastOutputList(json);
  if (fast) return ok(pageFromDocument(fast, query));
  return decodeWith(documents.outputs, json).map((doc) => pageFromDocument(doc, query));
};
