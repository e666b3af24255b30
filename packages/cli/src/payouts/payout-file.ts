import {
  BODY_HEAD_FIELDS,
  checkEmail,
  checkInstructionBody,
  instructionFitsPort,
  moneyText,
  PAYMENT_METHOD_FIELDS,
  type ParsedPortCode,
  parseMoney,
  parsePortCode,
  USER_NAME_MAX_LENGTH,
} from '@concierge-ts/domain';
import { CsvError, parse } from 'csv-parse/sync';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';

/**
 * The payout file of `concierge payouts run` (SPEC section 10.4): CSV in UTF-8 (a BOM is
 * allowed), a header line, commas. Each row is one payment: `reference`, `port_code`,
 * `amount` or `budget`, and either existing ids (`payee_id`, `withdrawal_instruction_id`)
 * or the payee's `email`, `name` and the withdrawal instruction body fields of SPEC
 * section 7.1. The whole file is checked before anything is sent: one bad row refuses the
 * file, and the refusal names every bad row's line and field.
 */

/** A payee and an instruction the service already has. */
export interface ExistingPayee {
  readonly payeeId: string;
  readonly withdrawalInstructionId: string;
}

/** A payee the run finds or creates, with the body of its withdrawal instruction. */
export interface NewPayee {
  readonly email: string;
  readonly name: string;
  /** A checked body of SPEC section 7.1: identifiers in their compact form. */
  readonly body: Readonly<Record<string, string>>;
}

/** One row as the run takes it: exactly one of `amount` / `budget`, as exact decimal text. */
export type PayoutRowInput = {
  /** 1-based line of the file where the row starts. */
  readonly line: number;
  readonly reference: string;
  readonly portCode: string;
  readonly amount?: string;
  readonly budget?: string;
} & (ExistingPayee | NewPayee);

/** What is wrong, where: `line` is 1-based (the header is line 1), `field` a column or `file`. */
export interface FileProblem {
  readonly line: number;
  readonly field: string;
  readonly message: string;
}

export interface PayoutFileRefused {
  readonly code: 'file_refused';
  /** Every problem found, by line, then in column order. */
  readonly problems: readonly FileProblem[];
}

/** A port as a catalog gives it: enough to refuse a port the service does not have. */
export interface KnownPort {
  readonly code: string;
  readonly active: boolean;
}

export interface PayoutFileOptions {
  /** The run's origin port: budgets are in its currency. */
  readonly origin: ParsedPortCode;
  /** The service's ports, when known: a row to a port not among them (or inactive) is refused. */
  readonly ports?: readonly KnownPort[];
}

/** The longest reference a row may have: it names the row in reports and journals. */
export const REFERENCE_MAX_LENGTH = 100;
const ID_MAX_LENGTH = 64;

const TARGET_COLUMNS = ['amount', 'budget'] as const;
const ID_COLUMNS = ['payee_id', 'withdrawal_instruction_id'] as const;
const PAYEE_COLUMNS = ['email', 'name'] as const;
/** Every body field of SPEC section 7.1 (of any payment method) but `name`, which is the payee's name. */
export const BODY_COLUMNS: readonly string[] = [
  ...BODY_HEAD_FIELDS,
  ...PAYMENT_METHOD_FIELDS.international_bank.filter((field) => field !== 'name'),
];

/** Every column a file may have, in the order a report lists problems. */
export const PAYOUT_COLUMNS: readonly string[] = [
  'reference',
  'port_code',
  ...TARGET_COLUMNS,
  ...ID_COLUMNS,
  ...PAYEE_COLUMNS,
  ...BODY_COLUMNS,
];
const KNOWN = new Set(PAYOUT_COLUMNS);
/** Problems of the whole line first, then by column, unknown columns last. */
const columnOrder = (field: string): number => {
  if (field === 'file') return -1;
  const index = PAYOUT_COLUMNS.indexOf(field);
  return index < 0 ? PAYOUT_COLUMNS.length : index;
};

/** Plain decimal text, as SPEC section 5 accepts it: digits, one optional point; no sign, exponent or spaces. */
const PLAIN_DECIMAL = /^[0-9]+(?:\.[0-9]+)?$/;

const refused = (problems: FileProblem[]): Result<never, PayoutFileRefused> =>
  err({
    code: 'file_refused',
    problems: [...problems].sort((a, b) => a.line - b.line || columnOrder(a.field) - columnOrder(b.field)),
  });

/** Text as UTF-8; invalid bytes are refused at the line that holds them. */
const decode = (content: Uint8Array | string): Result<string, FileProblem> => {
  if (typeof content === 'string') return ok(content.startsWith('\uFEFF') ? content.slice(1) : content);
  try {
    // The decoder drops a leading BOM.
    return ok(new TextDecoder('utf-8', { fatal: true }).decode(content));
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= content.length; i++) {
      if (i < content.length && content[i] !== 0x0a) continue;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(content.subarray(start, i));
      } catch {
        break;
      }
      line += 1;
      start = i + 1;
    }
    return err({ line, field: 'file', message: 'this line is not UTF-8 text' });
  }
};

interface CsvRecord {
  readonly line: number;
  readonly cells: readonly string[];
}

/** Records with the line each starts on; blank lines (and lines of empty cells) are left out. */
const records = (text: string): Result<CsvRecord[], FileProblem> => {
  const bytes = Buffer.from(text, 'utf8');
  let parsed: readonly { record: string[]; info: { bytes: number } }[];
  try {
    // With `info`, each record comes with how many bytes were read up to its end (csv-parse's
    // types do not say so). Its own line count is not used: it counts a CRLF inside quotes twice.
    parsed = parse(bytes, {
      delimiter: ',',
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: true,
      skip_empty_lines: false,
      trim: true,
      info: true,
    }) as unknown as typeof parsed;
  } catch (error) {
    const line = error instanceof CsvError && typeof error.lines === 'number' ? error.lines : 1;
    const message = error instanceof Error ? error.message : String(error);
    return err({ line, field: 'file', message: `not valid CSV: ${message}` });
  }
  const out: CsvRecord[] = [];
  let line = 1;
  let offset = 0;
  for (const { record, info } of parsed) {
    if (record.some((cell) => cell !== '')) out.push({ line, cells: record });
    for (; offset < info.bytes; offset++) if (bytes[offset] === 0x0a) line += 1;
  }
  return ok(out);
};

interface Header {
  readonly columns: readonly string[];
  readonly has: (column: string) => boolean;
}

const checkHeader = (record: CsvRecord): Result<Header, FileProblem[]> => {
  const problems: FileProblem[] = [];
  const at = (field: string, message: string) => problems.push({ line: record.line, field, message });
  const seen = new Set<string>();
  record.cells.forEach((column, index) => {
    if (column === '') at(`column ${index + 1}`, 'a column without a name');
    else if (!KNOWN.has(column))
      at(column, `unknown column ${JSON.stringify(column)}: expected ${PAYOUT_COLUMNS.join(', ')}`);
    else if (seen.has(column)) at(column, `the column ${column} appears twice`);
    seen.add(column);
  });
  const has = (column: string) => seen.has(column);
  for (const column of ['reference', 'port_code'])
    if (!has(column)) at(column, `the column ${column} is missing`);
  if (!has('amount') && !has('budget'))
    at('amount', 'the file needs an amount column, a budget column, or both');
  const byIds = has('payee_id') || has('withdrawal_instruction_id');
  if (byIds)
    for (const column of ID_COLUMNS)
      if (!has(column))
        at(column, `the column ${column} is missing (payee_id goes with withdrawal_instruction_id)`);
  const byBody = PAYEE_COLUMNS.some(has) || BODY_COLUMNS.some(has);
  if (byBody)
    for (const column of [...PAYEE_COLUMNS, 'payment_method'])
      if (!has(column))
        at(column, `the column ${column} is missing (a new payee needs email, name and payment_method)`);
  if (!byIds && !byBody)
    at(
      'payee_id',
      'the file needs payee_id and withdrawal_instruction_id, or email, name and the instruction body columns',
    );
  return problems.length > 0 ? err(problems) : ok({ columns: record.cells, has });
};

/** A refusal of one cell, as zod issues carry it. */
type Refuse = (field: string, message: string) => void;

/** Control characters other than tab, line feed and carriage return: never part of a name. */
const CONTROL = /(?![\t\n\r])\p{Cc}/u;

const text = (max: number) =>
  z
    .string()
    .refine((value) => [...value].length <= max, `at most ${max} characters`)
    .refine((value) => !CONTROL.test(value), 'it must not hold control characters');

const identifier = z
  .string()
  .max(ID_MAX_LENGTH, `at most ${ID_MAX_LENGTH} characters`)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'expected an id such as 42 (letters, digits, _ . : -)');

const decimal = z.string().regex(PLAIN_DECIMAL, 'expected a plain decimal number such as 1500 or 1500.25');

/** The cells of a row, each checked on its own; absent cells are undefined. */
const cellsSchema = z.object({
  reference: z.string({ error: 'a row needs a reference' }).pipe(text(REFERENCE_MAX_LENGTH)),
  port_code: z.string({ error: 'a row needs a port_code' }),
  amount: decimal.optional(),
  budget: decimal.optional(),
  payee_id: identifier.optional(),
  withdrawal_instruction_id: identifier.optional(),
  email: z
    .string()
    .transform((value, ctx) => {
      const checked = checkEmail(value);
      if (checked.isErr())
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)}: ${checked.error.why}` });
      return value;
    })
    .optional(),
  name: text(USER_NAME_MAX_LENGTH).optional(),
});
type Cells = z.infer<typeof cellsSchema>;

/** The row's port, known and active when a catalog is given. */
const portOf = (code: string, options: PayoutFileOptions, refuse: Refuse): ParsedPortCode | undefined => {
  const parsed = parsePortCode(code);
  if (parsed.isErr()) {
    refuse('port_code', parsed.error.message);
    return undefined;
  }
  if (options.ports) {
    const known = options.ports.find((p) => p.code === code);
    if (!known) {
      refuse('port_code', `port ${code} is not one of the service's ports`);
      return undefined;
    }
    if (!known.active) {
      refuse('port_code', `port ${code} is not active`);
      return undefined;
    }
  }
  return parsed.value;
};

/** Exactly one of amount (destination currency) and budget (origin currency), exact for its currency. */
const targetOf = (
  cells: Cells,
  port: ParsedPortCode | undefined,
  options: PayoutFileOptions,
  refuse: Refuse,
): { amount: string } | { budget: string } | undefined => {
  if (cells.amount !== undefined && cells.budget !== undefined) {
    refuse('budget', 'a row gives an amount or a budget, not both');
    return undefined;
  }
  if (cells.amount === undefined && cells.budget === undefined) {
    refuse('amount', 'a row needs an amount or a budget');
    return undefined;
  }
  const [field, value, currency] =
    cells.amount !== undefined
      ? (['amount', cells.amount, port?.currency.code] as const)
      : (['budget', cells.budget as string, options.origin.currency.code] as const);
  if (currency === undefined) return undefined;
  const money = parseMoney(value, currency);
  if (money.isErr()) {
    refuse(field, money.error.message);
    return undefined;
  }
  return field === 'amount' ? { amount: moneyText(money.value) } : { budget: moneyText(money.value) };
};

/** The payee: ids, or email, name and a body that passes SPEC section 5 and fits the port. */
const payeeOf = (
  cells: Cells,
  body: Readonly<Record<string, string>>,
  port: ParsedPortCode | undefined,
  refuse: Refuse,
): ExistingPayee | NewPayee | undefined => {
  const byIds = cells.payee_id !== undefined || cells.withdrawal_instruction_id !== undefined;
  const byBody = cells.email !== undefined || cells.name !== undefined || Object.keys(body).length > 0;
  if (byIds && byBody) {
    refuse(
      'payee_id',
      'a row gives payee_id and withdrawal_instruction_id, or email, name and an instruction body, not both',
    );
    return undefined;
  }
  if (byIds) {
    if (cells.payee_id === undefined) refuse('payee_id', 'withdrawal_instruction_id needs a payee_id');
    if (cells.withdrawal_instruction_id === undefined)
      refuse('withdrawal_instruction_id', 'payee_id needs a withdrawal_instruction_id');
    if (cells.payee_id === undefined || cells.withdrawal_instruction_id === undefined) return undefined;
    return { payeeId: cells.payee_id, withdrawalInstructionId: cells.withdrawal_instruction_id };
  }
  if (!byBody) {
    refuse(
      'payee_id',
      'a row needs payee_id and withdrawal_instruction_id, or email, name and an instruction body',
    );
    return undefined;
  }
  if (cells.email === undefined) refuse('email', 'a new payee needs an email');
  if (cells.name === undefined) refuse('name', 'a new payee needs a name');
  if (body['payment_method'] === undefined) {
    refuse(
      'payment_method',
      'a new payee needs a payment_method (domestic_bank, international_bank, third_party)',
    );
    return undefined;
  }
  if (port === undefined) return undefined;
  // Country and currency default to the port's; the holder is the payee.
  const full: Record<string, string> = {
    country: port.country,
    currency: port.currency.code,
    ...body,
    ...(cells.name === undefined ? {} : { name: cells.name }),
  };
  const checked = checkInstructionBody(full).andThen((checkedBody) =>
    instructionFitsPort({ id: '', userId: '', label: null, body: checkedBody }, port),
  );
  if (checked.isErr()) {
    const field = checked.error.field[1] ?? 'payment_method';
    refuse(field, checked.error.message);
    return undefined;
  }
  if (cells.email === undefined || cells.name === undefined) return undefined;
  return { email: cells.email, name: cells.name, body: { ...checked.value.body } };
};

const checkRow = (
  record: CsvRecord,
  header: Header,
  options: PayoutFileOptions,
): Result<PayoutRowInput, FileProblem[]> => {
  const problems: FileProblem[] = [];
  const refuse: Refuse = (field, message) => problems.push({ line: record.line, field, message });
  if (record.cells.length !== header.columns.length) {
    refuse(
      'file',
      `the row has ${record.cells.length} cells, the header ${header.columns.length} (a comma too many or too few?)`,
    );
    return err(problems);
  }
  // An empty cell is absent.
  const given: Record<string, string> = {};
  header.columns.forEach((column, index) => {
    const cell = record.cells[index] ?? '';
    if (cell !== '') given[column] = cell;
  });
  const parsed = cellsSchema.safeParse(given);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) refuse(String(issue.path[0] ?? 'file'), issue.message);
    return err(problems);
  }
  const cells = parsed.data;
  const body = Object.fromEntries(
    BODY_COLUMNS.flatMap((c) => (given[c] === undefined ? [] : [[c, given[c]]])),
  );
  const port = portOf(cells.port_code, options, refuse);
  const target = targetOf(cells, port, options, refuse);
  const payee = payeeOf(cells, body, port, refuse);
  if (problems.length > 0 || port === undefined || target === undefined || payee === undefined)
    return err(problems);
  return ok({ line: record.line, reference: cells.reference, portCode: port.code, ...target, ...payee });
};

/**
 * Reads a payout file: every row, or every problem (never some rows and some problems).
 * Never throws.
 */
export const parsePayoutFile = (
  content: Uint8Array | string,
  options: PayoutFileOptions,
): Result<readonly PayoutRowInput[], PayoutFileRefused> => {
  const decoded = decode(content);
  if (decoded.isErr()) return refused([decoded.error]);
  const read = records(decoded.value);
  if (read.isErr()) return refused([read.error]);
  const [headerRecord, ...rowRecords] = read.value;
  if (headerRecord === undefined)
    return refused([{ line: 1, field: 'file', message: 'the file is empty: expected a header line' }]);
  const header = checkHeader(headerRecord);
  if (header.isErr()) return refused(header.error);
  if (rowRecords.length === 0)
    return refused([{ line: headerRecord.line + 1, field: 'file', message: 'the file has no rows to pay' }]);
  const problems: FileProblem[] = [];
  const rows: PayoutRowInput[] = [];
  const firstLine = new Map<string, number>();
  const referenceAt = header.value.columns.indexOf('reference');
  for (const record of rowRecords) {
    const row = checkRow(record, header.value, options);
    if (row.isErr()) problems.push(...row.error);
    else rows.push(row.value);
    // A duplicate is named even when the row it repeats is refused for something else.
    const reference = record.cells[referenceAt] ?? '';
    if (reference === '') continue;
    const seen = firstLine.get(reference);
    if (seen === undefined) firstLine.set(reference, record.line);
    else
      problems.push({
        line: record.line,
        field: 'reference',
        message: `the reference ${JSON.stringify(reference)} is already on line ${seen}`,
      });
  }
  return problems.length > 0 ? refused(problems) : ok(rows);
};

/** A refusal as lines for a terminal: `line 7, amount: ...`. */
export const describeProblems = (refusal: PayoutFileRefused): string[] =>
  refusal.problems.map((p) => `line ${p.line}, ${p.field}: ${p.message}`);
