import type { Balance, Output, Port, Request } from '@concierge-ts/domain';
import {
  isoTime,
  isoTimeOrNull,
  type OutputView,
  type PortView,
  type RequestView,
  type UserView,
  type WithdrawalInstructionView,
} from '../gateway/views.js';
import type { UserRecord, WithdrawalInstructionRecord } from './ports.js';

/** Entities as the API shows them. */

export const presentPort = (port: Port): PortView => ({
  code: port.code,
  country: port.country,
  currency: port.currency.code,
  minAmount: port.minAmount,
  maxAmount: port.maxAmount,
  quoteDelaySeconds: port.quoteDelayMs / 1000,
  returnCost: port.returnCost,
  active: port.active,
  withdrawalInstructionFields: port.instructionFields,
});

export const presentRequest = (r: Request): RequestView => ({
  id: r.id,
  state: r.state,
  portCode: r.portCode,
  payerId: r.payerId,
  externalId: r.externalId,
  paymentAuthorizationCode: r.paymentAuthorizationCode,
  counters: r.counters,
  eta: isoTimeOrNull(r.eta),
  quoteRequestedAt: isoTimeOrNull(r.quoteRequestedAt),
  quotedAt: isoTimeOrNull(r.quotedAt),
  acceptQuoteBefore: isoTimeOrNull(r.acceptQuoteBefore),
  quoteAcceptedAt: isoTimeOrNull(r.quoteAcceptedAt),
  provisionFundsBefore: isoTimeOrNull(r.provisionFundsBefore),
  totalToSpend: r.totalToSpend,
  fundsAvailable: r.fundsAvailable,
  cancellationReason: r.cancellationReason,
  // Paths under the API: the HTTP server makes them absolute (SPEC section 7).
  receiptUrl: r.receiptIssuedAt === null ? null : `/api/concierge_requests/${r.id}/receipt`,
  creditNoteUrl: r.creditNoteIssuedAt === null ? null : `/api/concierge_requests/${r.id}/credit_note`,
  createdAt: isoTime(r.createdAt),
  updatedAt: isoTime(r.updatedAt),
});

const NO_FAILURES: readonly string[] = Object.freeze([]);

/**
 * The ids of an output's failures so far (SPEC section 4): `<output>-1`, `<output>-2`...
 * one per attempt that failed. Each try is an attempt; every one but the current has
 * failed, and the current too once the output is `failed` or `returned`.
 */
export const outputFailureIds = (o: Pick<Output, 'id' | 'state' | 'attempts'>): readonly string[] => {
  const failed = o.state === 'failed' || o.state === 'returned' ? o.attempts : o.attempts - 1;
  return failed <= 0 ? NO_FAILURES : Array.from({ length: failed }, (_, n) => `${o.id}-${n + 1}`);
};

export const presentOutput = (o: Output, originPortCode: string): OutputView => ({
  id: o.id,
  requestId: o.requestId,
  payeeId: o.payeeId,
  withdrawalInstructionId: o.withdrawalInstructionId,
  state: o.state,
  portCode: o.portCode,
  originPortCode,
  given: o.target.kind,
  amount: o.price?.amount ?? (o.target.kind === 'amount' ? o.target.amount : null),
  budget: o.price?.budget ?? (o.target.kind === 'budget' ? o.target.budget : null),
  rate: o.price?.rate ?? null,
  allInRate: o.price?.allInRate ?? null,
  feeAndCost: o.price?.feeAndCost ?? null,
  attempts: o.attempts,
  rejectionReason: o.rejectionReason,
  failureReason: o.failureReason,
  cancellationReason: o.cancellationReason,
  failures: outputFailureIds(o),
  createdAt: isoTime(o.createdAt),
  updatedAt: isoTime(o.updatedAt),
});

export const presentUser = (user: UserRecord, balances: readonly Balance[]): UserView => ({
  id: user.id,
  email: user.email,
  name: user.name,
  complianceState: user.complianceState,
  master: user.role === 'master',
  webhookUrl: user.webhookUrl,
  balances: Object.fromEntries(
    balances.map((b) => [
      b.currency.toLowerCase(),
      { amount: b.available, currency: b.currency, scale: b.scale },
    ]),
  ),
  createdAt: isoTime(user.createdAt),
});

export const presentInstruction = (i: WithdrawalInstructionRecord): WithdrawalInstructionView => ({
  id: i.id,
  userId: i.userId,
  label: i.label,
  body: i.body,
  createdAt: isoTime(i.createdAt),
});
