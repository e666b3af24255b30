import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { type PayoutError, payoutError } from './payout-error.js';
import type { PayoutJournal, RowRecord, RunRecord } from './payout-journal.js';
import type { PayoutRowInput, RunPlanInput, RunStatus } from './payout-run.js';
import { moneyOfPort, parseFraction, portCurrencyCode } from './run-money.js';
import { statusOf } from './run-view.js';

export const DEFAULT_CHUNK_SIZE = 250;
/** An estimate prices 1,000 outputs at most, and a chunk is estimated whole. */
export const MAX_CHUNK_SIZE = 1000;
export const DEFAULT_TOLERANCE = '0.02';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/;
const TEXT_ID = /^\S{1,64}$/;

const checkRow = (row: PayoutRowInput, originPort: string, at: string): PayoutError | undefined => {
  const line = row.line;
  const bad = (field: string, message: string) => payoutError.invalidPlan(`${at}.${field}`, message, line);
  if (!Number.isSafeInteger(line) || line < 1) return bad('line', 'a line number is a whole number from 1');
  if (typeof row.reference !== 'string' || row.reference.trim() === '' || row.reference.length > 200)
    return bad('reference', 'a reference is text of 1 to 200 characters');
  if (portCurrencyCode(row.portCode) === undefined)
    return bad('portCode', `${JSON.stringify(row.portCode)} is not a port code such as cl_clp`);
  const hasAmount = row.amount !== undefined;
  const hasBudget = row.budget !== undefined;
  if (hasAmount === hasBudget)
    return bad(hasAmount ? 'budget' : 'amount', 'give exactly one of amount and budget');
  const given = hasAmount
    ? moneyOfPort(row.amount as string, row.portCode)
    : moneyOfPort(row.budget as string, originPort);
  if (given.isErr()) return bad(hasAmount ? 'amount' : 'budget', given.error);
  if ('payeeId' in row) {
    if (!TEXT_ID.test(row.payeeId)) return bad('payeeId', 'a payee id is text without spaces');
    if (!TEXT_ID.test(row.withdrawalInstructionId))
      return bad('withdrawalInstructionId', 'a withdrawal instruction id is text without spaces');
  } else {
    if (typeof row.email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(row.email))
      return bad('email', 'an email address such as ana@example.com');
    if (typeof row.name !== 'string' || row.name.trim() === '') return bad('name', 'a name is needed');
    if (typeof row.body !== 'object' || row.body === null || Object.keys(row.body).length === 0)
      return bad('body', 'the withdrawal instruction fields (SPEC 7.1) are needed');
    for (const [key, value] of Object.entries(row.body))
      if (typeof value !== 'string') return bad(`body.${key}`, 'instruction fields are text');
  }
  return undefined;
};

/** Checks a plan at the boundary; the first refusal names the field (and the row's line). */
export const checkPlan = (plan: RunPlanInput): PayoutError | undefined => {
  if (typeof plan.runId !== 'string' || !RUN_ID.test(plan.runId))
    return payoutError.invalidPlan(
      'runId',
      'a run id is 1 to 80 letters, digits, dots, dashes, underscores or colons, starting with a letter or digit',
    );
  if (portCurrencyCode(plan.originPort) === undefined)
    return payoutError.invalidPlan(
      'originPort',
      `${JSON.stringify(plan.originPort)} is not a port code such as ar_ars`,
    );
  if (typeof plan.payerId !== 'string' || !TEXT_ID.test(plan.payerId))
    return payoutError.invalidPlan('payerId', 'a payer id is text without spaces');
  if (!Number.isSafeInteger(plan.chunkSize) || plan.chunkSize < 1 || plan.chunkSize > MAX_CHUNK_SIZE)
    return payoutError.invalidPlan('chunkSize', `a chunk size is a whole number from 1 to ${MAX_CHUNK_SIZE}`);
  if (plan.maxTotal !== undefined) {
    const max = moneyOfPort(plan.maxTotal, plan.originPort);
    if (max.isErr()) return payoutError.invalidPlan('maxTotal', max.error);
  }
  if (plan.tolerance !== undefined && parseFraction(plan.tolerance) === undefined)
    return payoutError.invalidPlan('tolerance', 'a tolerance is a fraction such as 0.02');
  if (
    typeof plan.source?.name !== 'string' ||
    typeof plan.source?.digest !== 'string' ||
    plan.source.digest === ''
  )
    return payoutError.invalidPlan('source', 'the source file needs a name and a digest');
  if (!Array.isArray(plan.rows) || plan.rows.length === 0)
    return payoutError.invalidPlan('rows', 'a run needs at least one row');
  const seen = new Map<string, number>();
  for (const [index, row] of plan.rows.entries()) {
    const refused = checkRow(row, plan.originPort, `rows[${index}]`);
    if (refused) return refused;
    const before = seen.get(row.reference);
    if (before !== undefined)
      return payoutError.invalidPlan(
        `rows[${index}].reference`,
        `reference ${JSON.stringify(row.reference)} is also on line ${before}`,
        row.line,
      );
    seen.set(row.reference, row.line);
  }
  return undefined;
};

const rowRecord = (plan: RunPlanInput, row: PayoutRowInput, index: number, at: string): RowRecord => ({
  runId: plan.runId,
  index,
  line: row.line,
  reference: row.reference,
  portCode: row.portCode,
  amount: row.amount ?? null,
  budget: row.budget ?? null,
  payee:
    'payeeId' in row
      ? { kind: 'existing', payeeId: row.payeeId, withdrawalInstructionId: row.withdrawalInstructionId }
      : { kind: 'new', email: row.email, name: row.name, body: { ...row.body } },
  payeeId: 'payeeId' in row ? row.payeeId : null,
  withdrawalInstructionId: 'payeeId' in row ? row.withdrawalInstructionId : null,
  chunk: Math.floor(index / plan.chunkSize) + 1,
  state: 'pending',
  reason: null,
  requestId: null,
  outputId: null,
  quotedAmount: null,
  quotedBudget: null,
  rate: null,
  allInRate: null,
  feeAndCost: null,
  attempts: 0,
  updatedAt: at,
});

/**
 * Creates a run in the journal (rows split into chunks of `chunkSize`, in file order), or
 * answers the run already there when the id and the file's digest match. A different
 * digest under the same id is refused and changes nothing. Nothing is sent to the service.
 */
export const planRun = (
  journal: PayoutJournal,
  plan: RunPlanInput,
  now: () => Date = () => new Date(),
): ResultAsync<RunStatus, PayoutError> => {
  const refused = checkPlan(plan);
  if (refused) return errAsync(refused);
  const at = now().toISOString();
  const run: RunRecord = {
    runId: plan.runId,
    originPort: plan.originPort,
    payerId: plan.payerId,
    chunkSize: plan.chunkSize,
    maxTotal: plan.maxTotal ?? null,
    tolerance: plan.tolerance ?? DEFAULT_TOLERANCE,
    source: { name: plan.source.name, digest: plan.source.digest },
    rowCount: plan.rows.length,
    state: 'planned',
    reason: null,
    funds: null,
    createdAt: at,
    updatedAt: at,
    version: 0,
  };
  const rows = plan.rows.map((row, index) => rowRecord(plan, row, index, at));
  return journal.createRun(run, rows).andThen(({ created, run: found }) => {
    if (!created && found.source.digest !== plan.source.digest)
      return errAsync(
        payoutError.runConflict(
          plan.runId,
          `run ${plan.runId} exists for another file (${found.source.name}, sha256 ${found.source.digest}); nothing changed`,
        ),
      );
    return journal
      .loadRun(plan.runId)
      .andThen((snapshot) =>
        snapshot === null ? errAsync(payoutError.runNotFound(plan.runId)) : okAsync(statusOf(snapshot)),
      );
  });
};
