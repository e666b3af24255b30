import type { ConciergeError, ConciergeService, UserRecord } from '@concierge-ts/application';
import { isSandboxPortCode, testInstructionBody } from '@concierge-ts/domain';
import { ok, type Result, safeTry } from 'neverthrow';
import { DEFAULT_PORT_ROWS } from './catalog.js';

export interface SeededPayee {
  readonly userId: string;
  readonly portCode: string;
  readonly withdrawalInstructionId: string;
}

export interface SeededSandbox {
  readonly payerId: string;
  /** The payer's opening deposit, in the origin port's currency. */
  readonly deposit: { readonly portCode: string; readonly amount: number };
  readonly payees: readonly SeededPayee[];
}

export const SEED_DEPOSIT = { portCode: 'ar_ars', amount: 100_000_000 } as const;

const COUNTRY_NAMES: Record<string, string> = {
  ar: 'Argentina',
  cl: 'Chile',
  mx: 'Mexico',
  uy: 'Uruguay',
  py: 'Paraguay',
  us: 'United States',
};

/**
 * A payer with funds in ar_ars, and one approved payee per port whose instruction
 * settles by itself (its country's test identifiers for `settles`, with every field the
 * port requires), as SPEC section 9 describes.
 */
export const seedSandbox = (
  service: ConciergeService,
  master: UserRecord,
): Result<SeededSandbox, ConciergeError> =>
  safeTry(function* () {
    const payer = yield* service.createUser(master, {
      email: 'payer@sandbox.concierge.test',
      name: 'Sandbox payer',
    });
    yield* service.deposit(master, payer.id, SEED_DEPOSIT);
    const payees: SeededPayee[] = [];
    for (const row of DEFAULT_PORT_ROWS) {
      if (!isSandboxPortCode(row.code)) continue;
      const [country = ''] = row.code.split('_');
      const name = `Payee in ${COUNTRY_NAMES[country] ?? country}`;
      const user = yield* service.createUser(master, {
        email: `payee.${row.code}@sandbox.concierge.test`,
        name,
      });
      const instruction = yield* service.createWithdrawalInstruction(master, {
        userId: user.id,
        label: `${row.code} bank account`,
        body: { ...testInstructionBody(row.code, 'settles'), name },
      });
      payees.push({ userId: user.id, portCode: row.code, withdrawalInstructionId: instruction.id });
    }
    return ok({ payerId: payer.id, deposit: SEED_DEPOSIT, payees });
  });
