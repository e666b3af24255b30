import { testInstructionBody } from '@concierge-ts/adapter-memory';
import type {
  ConciergeClient,
  ConciergeError,
  CreateOutputInput,
  SandboxOperator,
} from '@concierge-ts/application';

/** What every benchmark pays: a payer in ar_ars, and payees whose accounts settle by themselves. */

export const ORIGIN = 'ar_ars';

/** Non-delayed destinations (quoted at once), with an amount and a budget (ARS) for each. */
export const DESTINATIONS = [
  { port: 'cl_clp', country: 'CL', currency: 'CLP', amount: 5_000, budget: 9_000 },
  { port: 'mx_mxn', country: 'MX', currency: 'MXN', amount: 150.25, budget: 8_500.5 },
  { port: 'uy_uyu', country: 'UY', currency: 'UYU', amount: 300.5, budget: 11_000.75 },
  { port: 'py_pyg', country: 'PY', currency: 'PYG', amount: 60_000, budget: 10_000 },
] as const;
export type Destination = (typeof DESTINATIONS)[number];

/** Comfortably above the largest budget of any output above (about 12,000 ARS). */
export const DEPOSIT_PER_OUTPUT_ARS = 20_000;
/** A deposit is refused above 10^12 major units: credit large sums in slices. */
const MAX_DEPOSIT_ARS = 500_000_000_000;

/** A neverthrow Result, structurally (neverthrow itself is not a dependency of the bench). */
interface Matchable<T, E> {
  match<A, B = A>(ok: (value: T) => A, err: (error: E) => B): A | B;
}

/** The value of a client call; a refusal is a bug in the benchmark or the service: throw. */
export const unwrap = <T>(what: string, result: Matchable<T, ConciergeError>): T =>
  result.match(
    (value) => value,
    (error) => {
      throw new Error(`${what}: ${JSON.stringify(error, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    },
  );

export interface BenchPayee {
  readonly id: string;
  readonly instructionId: string;
  readonly destination: Destination;
}

/** `copies` payees per destination, each with an instruction whose account settles by itself. */
export const createPayees = async (client: ConciergeClient, copies = 1): Promise<BenchPayee[]> => {
  const payees: BenchPayee[] = [];
  for (let copy = 0; copy < copies; copy += 1)
    for (const destination of DESTINATIONS) {
      const index = payees.length;
      const user = unwrap(
        'payee',
        await client.users.create({ email: `payee.${index}@bench.test`, name: `Payee ${index}` }),
      );
      const instruction = unwrap(
        'instruction',
        await client.withdrawalInstructions.create({
          userId: user.id,
          label: `${destination.port} account`,
          body: { ...testInstructionBody(destination.port, 'settles'), name: `Payee ${index}` },
        }),
      );
      payees.push({ id: user.id, instructionId: instruction.id, destination });
    }
  return payees;
};

/** For each payee, its output by amount and its output by budget. */
export const outputInputs = (
  requestId: string,
  payees: readonly BenchPayee[],
): [CreateOutputInput, CreateOutputInput][] =>
  payees.map((p) => {
    const common = {
      requestId,
      payeeId: p.id,
      withdrawalInstructionId: p.instructionId,
      portCode: p.destination.port,
    };
    return [
      { ...common, amount: p.destination.amount },
      { ...common, budget: p.destination.budget },
    ];
  });

/** Credits enough ARS for n outputs. */
export const fund = async (operator: SandboxOperator, payerId: string, n: number): Promise<void> => {
  for (let left = n * DEPOSIT_PER_OUTPUT_ARS; left > 0; left -= MAX_DEPOSIT_ARS)
    unwrap(
      'deposit',
      await operator.deposit(payerId, { portCode: ORIGIN, amount: Math.min(left, MAX_DEPOSIT_ARS) }),
    );
};
