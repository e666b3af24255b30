import { checkInstructionBody } from '@concierge-ts/domain';
import { err, ok, type ResultAsync, safeTry } from 'neverthrow';
import { listAll } from './list-all.js';
import type { PayoutError } from './payout-error.js';
import { payoutError } from './payout-error.js';
import type { CallRecord, PartyRecord, RowRecord } from './payout-journal.js';
import {
  classifyFailure,
  describe,
  type PhaseResult,
  progress,
  type StepScope,
  serviceFailed,
  waitFor,
} from './run-scope.js';

/** A row that still needs its payee or instruction found or created. */
export const needsParties = (row: RowRecord): row is Wanted['row'] =>
  row.payee.kind === 'new' &&
  row.state === 'pending' &&
  (row.payeeId === null || row.withdrawalInstructionId === null);

const payeeKey = (email: string) => `payee:${email.trim().toLowerCase()}`;

const canonicalBody = (body: Readonly<Record<string, string>>): string =>
  JSON.stringify(
    Object.keys(body)
      .sort()
      .map((k) => [k, body[k]]),
  );

const instructionKey = (payeeId: string, body: Readonly<Record<string, string>>) =>
  `instruction:${payeeId}:${canonicalBody(body)}`;

/**
 * Whether the service's instruction body `held` is the row's body `wanted`: the service
 * keeps a body checked (country and currency in upper case, identifiers without spaces or
 * dashes), so the row's is compared in that form too.
 */
const sameBody = (held: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>) =>
  canonicalBody(held) === canonicalBody(checkInstructionBody(wanted).unwrapOr(wanted));

/** Rows with what the journal now knows of their payee and instruction. */
const resolved = (scope: StepScope, rows: readonly RowRecord[]): RowRecord[] => {
  const changed: RowRecord[] = [];
  for (const row of rows) {
    if (row.payee.kind !== 'new') continue;
    const payeeId = row.payeeId ?? scope.parties.get(payeeKey(row.payee.email)) ?? null;
    const instructionId =
      row.withdrawalInstructionId ??
      (payeeId === null ? null : (scope.parties.get(instructionKey(payeeId, row.payee.body)) ?? null));
    if (payeeId !== row.payeeId || instructionId !== row.withdrawalInstructionId)
      changed.push({ ...row, payeeId, withdrawalInstructionId: instructionId, updatedAt: scope.at() });
  }
  return changed;
};

interface Wanted {
  readonly key: string;
  readonly row: RowRecord & { readonly payee: { readonly kind: 'new' } };
}

/**
 * Finds or creates the payees and instructions of rows given by email (SPEC 10.1), never
 * twice: it lists what the service has before creating anything, writes each create's
 * intent first, and after an unknown outcome lists again before trying once more.
 */
export const ensureParties = (scope: StepScope): ResultAsync<PhaseResult, PayoutError> =>
  safeTry(async function* () {
    const { client } = scope.ctx;
    const needing = scope.rows.filter(needsParties);
    // Payees first: every email without a known id.
    const payees = new Map<string, Wanted['row']>();
    for (const row of needing)
      if (row.payeeId === null && !scope.parties.has(payeeKey(row.payee.email)))
        payees.set(payeeKey(row.payee.email), row);
    const instructions = new Map<string, Wanted['row']>();
    if (payees.size === 0)
      for (const row of needing) {
        const payeeId = row.payeeId ?? scope.parties.get(payeeKey(row.payee.email));
        if (payeeId === undefined) continue;
        const key = instructionKey(payeeId, row.payee.body);
        if (!scope.parties.has(key)) instructions.set(key, row);
      }

    if (payees.size > 0) {
      const users = yield* listAll((page) => client.users.list({ page })).mapErr(
        serviceFailed('listing users'),
      );
      const byEmail = new Map<string, string>();
      for (const user of users)
        if (!user.master && user.email !== null && !byEmail.has(payeeKey(user.email)))
          byEmail.set(payeeKey(user.email), user.id);
      const found: PartyRecord[] = [];
      const toCreate: Wanted[] = [];
      for (const [key, row] of payees) {
        const id = byEmail.get(key);
        if (id !== undefined) found.push({ runId: scope.runId, key, kind: 'payee', id, origin: 'found' });
        else toCreate.push({ key, row });
      }
      if (found.length > 0) yield* scope.write({ parties: found });
      yield* createParties(scope, toCreate.slice(0, scope.tuning.outputBatch), 'payee');
      return ok(await fillRows(scope, 'payees'));
    }

    if (instructions.size > 0) {
      const all = yield* listAll((page) => client.withdrawalInstructions.list({ page })).mapErr(
        serviceFailed('listing withdrawal instructions'),
      );
      const found: PartyRecord[] = [];
      const toCreate: Wanted[] = [];
      for (const [key, row] of instructions) {
        const payeeId = row.payeeId ?? (scope.parties.get(payeeKey(row.payee.email)) as string);
        const hit = all.find((i) => i.userId === payeeId && sameBody(i.body, row.payee.body));
        if (hit) found.push({ runId: scope.runId, key, kind: 'instruction', id: hit.id, origin: 'found' });
        else toCreate.push({ key, row });
      }
      if (found.length > 0) yield* scope.write({ parties: found });
      yield* createParties(scope, toCreate.slice(0, scope.tuning.outputBatch), 'instruction');
      return ok(await fillRows(scope, 'instructions'));
    }
    return ok(await fillRows(scope, 'payees and instructions'));
  });

const fillRows = async (scope: StepScope, what: string): Promise<PhaseResult> => {
  const rows = resolved(scope, scope.rows);
  if (rows.length > 0) {
    const written = await scope.write({ rows });
    if (written.isErr()) return progress(`ensure ${what}`);
  }
  return scope.rows.some((r) => needsParties(r) && isWaiting(scope, r))
    ? waitFor(`ensure ${what}`, scope.tuning.quoteWaitMs)
    : progress(`ensure ${what}`);
};

/** A row whose payee or instruction create did not succeed yet (unknown, or turned away): look again a little later. */
const isWaiting = (scope: StepScope, row: Wanted['row']): boolean => {
  const payee = scope.lastCall(`party/${payeeKey(row.payee.email)}`);
  const payeeId = row.payeeId ?? scope.parties.get(payeeKey(row.payee.email));
  const instruction =
    payeeId === undefined ? undefined : scope.lastCall(`party/${instructionKey(payeeId, row.payee.body)}`);
  return (
    (payee !== undefined && payee.state !== 'ok') || (instruction !== undefined && instruction.state !== 'ok')
  );
};

const createParties = (
  scope: StepScope,
  wanted: readonly Wanted[],
  kind: 'payee' | 'instruction',
): ResultAsync<void, PayoutError> =>
  safeTry(async function* () {
    if (wanted.length === 0) return ok(undefined);
    const { client } = scope.ctx;
    const intents = wanted.map((w) =>
      scope.intent(kind === 'payee' ? 'create_user' : 'create_instruction', `party/${w.key}`),
    );
    yield* scope.write({ calls: intents });
    const calls: CallRecord[] = [];
    const parties: PartyRecord[] = [];
    const failedRows: RowRecord[] = [];
    for (const [i, w] of wanted.entries()) {
      const intent = intents[i] as CallRecord;
      const payee = w.row.payee;
      const payeeId = w.row.payeeId ?? scope.parties.get(payeeKey(payee.email)) ?? '';
      const result =
        kind === 'payee'
          ? await client.users.create({ email: payee.email, name: payee.name }).map((u) => u.id)
          : await client.withdrawalInstructions
              .create({ userId: payeeId, label: `payout ${w.row.portCode}`, body: payee.body })
              .map((i) => i.id);
      if (result.isOk()) {
        calls.push({ ...intent, state: 'ok', resourceId: result.value, at: scope.at() });
        parties.push({ runId: scope.runId, key: w.key, kind, id: result.value, origin: 'created' });
        continue;
      }
      const failure = classifyFailure(result.error);
      if (failure === 'fatal') {
        yield* scope.write({
          calls: [...calls, { ...intent, state: 'refused', detail: describe(result.error) }],
          parties,
        });
        return err(payoutError.service(result.error, `creating a ${kind}`));
      }
      calls.push({
        ...intent,
        // A call turned away before any work (retry) is as good as refused: it is tried again.
        state: failure === 'unknown' ? 'unknown' : 'refused',
        detail: describe(result.error),
        at: scope.at(),
      });
      if (failure === 'refused')
        for (const row of scope.rows)
          if (
            row.payee.kind === 'new' &&
            row.state === 'pending' &&
            (kind === 'payee'
              ? payeeKey(row.payee.email) === w.key
              : instructionKey(
                  row.payeeId ?? scope.parties.get(payeeKey(row.payee.email)) ?? '',
                  row.payee.body,
                ) === w.key)
          )
            failedRows.push({
              ...row,
              state: 'failed',
              reason: `${kind === 'payee' ? 'payee' : 'withdrawal instruction'} refused: ${describe(result.error)}`,
              updatedAt: scope.at(),
            });
    }
    yield* scope.write({ calls, parties, rows: failedRows });
    return ok(undefined);
  });
