import {
  type ConciergeError,
  type ConciergeService,
  MAGIC_ACCOUNT_SUFFIXES,
  type UserRecord,
} from '@concierge-ts/application';
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
 * settles by itself (account number ending in 0000), as SPEC section 9 describes.
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
    for (const [index, row] of DEFAULT_PORT_ROWS.entries()) {
      const [country = '', currency = ''] = row.code.split('_');
      const user = yield* service.createUser(master, {
        email: `payee.${row.code}@sandbox.concierge.test`,
        name: `Payee in ${COUNTRY_NAMES[country] ?? country}`,
      });
      const instruction = yield* service.createWithdrawalInstruction(master, {
        userId: user.id,
        label: `${row.code} bank account`,
        body: {
          payment_method: 'bank_transfer',
          country: country.toUpperCase(),
          currency: currency.toUpperCase(),
          holder_name: user.name ?? user.email ?? `Payee ${user.id}`,
          account_number: `${String(100_000 + index)}${MAGIC_ACCOUNT_SUFFIXES.settles}`,
        },
      });
      payees.push({ userId: user.id, portCode: row.code, withdrawalInstructionId: instruction.id });
    }
    return ok({ payerId: payer.id, deposit: SEED_DEPOSIT, payees });
  });
