import {
  type InstructionCountry,
  parsePortCode,
  TEST_IDENTIFIERS,
  TEST_OUTCOMES,
} from '@concierge-ts/domain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAYOUT_COLUMNS, type PayoutRowInput, parsePayoutFile } from './payout-file.js';

/**
 * The payout file's rules, stated on files the test writes itself (its own CSV writer, its
 * own expected rows): a valid file reads back to its rows, and any one corruption of a valid
 * file refuses it, naming that row's line and the corrupted field.
 */

const origin = parsePortCode('ar_ars')._unsafeUnwrap();
const RUNS = { numRuns: 150 };

/** Each SPEC port: its country, currency, decimals, and the account fields it requires besides identifiers. */
const PORTS = {
  ar_ars: { country: 'AR', currency: 'ARS', decimals: 2, fields: {} },
  ar_usd: { country: 'AR', currency: 'USD', decimals: 2, fields: {} },
  cl_clp: {
    country: 'CL',
    currency: 'CLP',
    decimals: 0,
    fields: { bank: 'Banco de Chile', account_type: 'checking', bank_account_number: '00123456' },
  },
  mx_mxn: { country: 'MX', currency: 'MXN', decimals: 2, fields: {} },
  uy_uyu: {
    country: 'UY',
    currency: 'UYU',
    decimals: 2,
    fields: { bank: 'BROU', account_type: 'savings', bank_account_number: '0011223344' },
  },
  py_pyg: {
    country: 'PY',
    currency: 'PYG',
    decimals: 0,
    fields: { bank: 'Banco Itaú', account_type: 'savings', bank_account_number: '7788' },
  },
  py_usd: {
    country: 'PY',
    currency: 'USD',
    decimals: 2,
    fields: { bank: 'Banco Itaú', account_type: 'savings', bank_account_number: '7789' },
  },
  us_usd: { country: 'US', currency: 'USD', decimals: 2, fields: { bank_account_number: '123456789' } },
} as const;
type PortCode = keyof typeof PORTS;
const PORT_CODES = Object.keys(PORTS) as PortCode[];

/** Minor units as decimal text with exactly `decimals` decimals. */
const decimalText = (minor: bigint, decimals: number): string => {
  if (decimals === 0) return minor.toString();
  const digits = minor.toString().padStart(decimals + 1, '0');
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
};

/** The same amount as someone may write it: trailing zeros of the decimals left out, or not. */
const spelled = (minor: bigint, decimals: number, short: boolean): string => {
  const text = decimalText(minor, decimals);
  return short && text.includes('.') ? text.replace(/\.?0+$/, '') : text;
};

interface Model {
  readonly reference: string;
  readonly port: PortCode;
  readonly target: { readonly kind: 'amount' | 'budget'; readonly minor: bigint; readonly short: boolean };
  readonly payee:
    | { readonly kind: 'ids'; readonly payeeId: string; readonly instructionId: string }
    | {
        readonly kind: 'new';
        readonly email: string;
        readonly name: string;
        readonly outcome: (typeof TEST_OUTCOMES)[number];
      };
}

const arbName = fc
  .array(
    fc.constantFrom('Ana', 'José', 'Müller', "O'Brien", 'Pérez, Jr.', '"Coco"', 'Li', 'Ñandú', 'x\ny', 'Zoë'),
    { minLength: 1, maxLength: 3 },
  )
  .map((parts) => parts.join(' '));

/** Built once: a regular expression's arbitrary is costly to build. */
const arbEmail = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9.+]{0,10}[a-z0-9]$/), fc.constantFrom('example.com', 'acme.co'))
  .map(([local, domain]) => `${local.replace(/\.+/g, '.')}@${domain}`);

const arbModel = (reference: string): fc.Arbitrary<Model> =>
  fc.record({
    reference: fc.constant(reference),
    port: fc.constantFrom(...PORT_CODES),
    target: fc.record({
      kind: fc.constantFrom('amount' as const, 'budget' as const),
      minor: fc.bigInt({ min: 1n, max: 10n ** 12n }),
      short: fc.boolean(),
    }),
    payee: fc.oneof(
      fc.record({
        kind: fc.constant('ids' as const),
        payeeId: fc.integer({ min: 1, max: 1e9 }).map(String),
        instructionId: fc.integer({ min: 1, max: 1e9 }).map(String),
      }),
      fc.record({
        kind: fc.constant('new' as const),
        email: arbEmail,
        name: arbName,
        outcome: fc.constantFrom(...TEST_OUTCOMES),
      }),
    ),
  });

const arbReference = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,_./"-]{0,20}[A-Za-z0-9]$/);

const arbModels = fc
  .uniqueArray(arbReference, { minLength: 1, maxLength: 12 })
  .chain((references) => fc.tuple(...references.map(arbModel)));

const bodyFields = (model: Model & { payee: { kind: 'new' } }): Record<string, string> => {
  const port = PORTS[model.port];
  return { ...TEST_IDENTIFIERS[model.payee.outcome][port.country as InstructionCountry], ...port.fields };
};

/** The cells of a row, by column. */
const cellsOf = (model: Model): Record<string, string> => {
  const decimals = model.target.kind === 'amount' ? PORTS[model.port].decimals : 2;
  const cells: Record<string, string> = {
    reference: model.reference,
    port_code: model.port,
    [model.target.kind]: spelled(model.target.minor, decimals, model.target.short),
  };
  if (model.payee.kind === 'ids')
    return { ...cells, payee_id: model.payee.payeeId, withdrawal_instruction_id: model.payee.instructionId };
  return {
    ...cells,
    email: model.payee.email,
    name: model.payee.name,
    payment_method: 'domestic_bank',
    ...bodyFields(model as Model & { payee: { kind: 'new' } }),
  };
};

/** What the file must read back to. */
const expected = (model: Model, line: number): PayoutRowInput => {
  const decimals = model.target.kind === 'amount' ? PORTS[model.port].decimals : 2;
  const head = {
    line,
    reference: model.reference,
    portCode: model.port,
    [model.target.kind]: decimalText(model.target.minor, decimals),
  };
  if (model.payee.kind === 'ids')
    return { ...head, payeeId: model.payee.payeeId, withdrawalInstructionId: model.payee.instructionId };
  const port = PORTS[model.port];
  return {
    ...head,
    email: model.payee.email,
    name: model.payee.name,
    body: {
      payment_method: 'domestic_bank',
      country: port.country,
      currency: port.currency,
      name: model.payee.name,
      ...bodyFields(model as Model & { payee: { kind: 'new' } }),
    },
  };
};

interface Layout {
  readonly bom: boolean;
  readonly crlf: boolean;
  /** Blank lines before each row (and one more entry for after the last). */
  readonly blanks: readonly number[];
  /** Quote every cell, or only those that need it. */
  readonly quoteAll: boolean;
  /** A seed to shuffle the columns with. */
  readonly shuffle: number;
  /** Keep columns no row uses (empty cells everywhere). */
  readonly extraColumns: boolean;
}

const arbLayout = (rows: number): fc.Arbitrary<Layout> =>
  fc.record({
    bom: fc.boolean(),
    crlf: fc.boolean(),
    blanks: fc.array(fc.nat({ max: 2 }), { minLength: rows + 1, maxLength: rows + 1 }),
    quoteAll: fc.boolean(),
    shuffle: fc.nat(),
    extraColumns: fc.boolean(),
  });

const quote = (cell: string, all: boolean): string =>
  all || /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;

/** Writes the file, and gives the line each row starts on. */
const write = (rows: readonly Record<string, string>[], layout: Layout) => {
  const used = new Set(rows.flatMap((r) => Object.keys(r)));
  let columns = (layout.extraColumns ? [...PAYOUT_COLUMNS] : PAYOUT_COLUMNS.filter((c) => used.has(c))).map(
    (c, i) => ({ c, k: (i * 7919 + layout.shuffle) % 1009 }),
  );
  columns = columns.sort((a, b) => a.k - b.k);
  const names = columns.map(({ c }) => c);
  const eol = layout.crlf ? '\r\n' : '\n';
  const lines: string[] = [names.join(',')];
  const starts: number[] = [];
  let line = 2;
  rows.forEach((row, index) => {
    for (let b = 0; b < (layout.blanks[index] ?? 0); b++) {
      lines.push('');
      line += 1;
    }
    const text = names.map((name) => quote(row[name] ?? '', layout.quoteAll)).join(',');
    starts.push(line);
    lines.push(text);
    line += text.split('\n').length;
  });
  for (let b = 0; b < (layout.blanks[rows.length] ?? 0); b++) lines.push('');
  // Line breaks inside quoted cells stay as they are.
  return { text: `${layout.bom ? '\uFEFF' : ''}${lines.join(eol)}${eol}`, starts, names };
};

describe('the payout file (properties)', () => {
  it('reads any valid file back to its rows, each with the line it starts on', () => {
    fc.assert(
      fc.property(
        arbModels.chain((models) => fc.tuple(fc.constant(models), arbLayout(models.length))),
        ([models, layout]) => {
          const { text, starts } = write(models.map(cellsOf), layout);
          const bytes = new TextEncoder().encode(text);
          const read = parsePayoutFile(bytes, { origin });
          expect(read.isOk() ? read.value : read.error).toEqual(
            models.map((model, i) => expected(model, starts[i] ?? 0)),
          );
        },
      ),
      RUNS,
    );
  });

  type Corruption = (
    cells: Record<string, string>,
    model: Model,
    earlier: readonly Model[],
    pick: number,
  ) => string | null;

  /** Each makes one row invalid and names the field the refusal must point at (null: does not apply). */
  const CORRUPTIONS: Record<string, Corruption> = {
    tooManyDecimals: (cells, model) => {
      const decimals = model.target.kind === 'amount' ? PORTS[model.port].decimals : 2;
      cells[model.target.kind] = `${decimalText(model.target.minor, decimals)}${decimals === 0 ? '.' : ''}5`;
      return model.target.kind;
    },
    bothTargets: (cells, model) => {
      cells[model.target.kind === 'amount' ? 'budget' : 'amount'] = '1';
      return 'budget';
    },
    noTarget: (cells, model) => {
      delete cells[model.target.kind];
      return 'amount';
    },
    notANumber: (cells, model, _earlier, pick) => {
      const spellings = ['-5', '1e3', '0', '1,5', 'ten', '.5', '5.', '+5', '0x10', 'Infinity'];
      cells[model.target.kind] = spellings[pick % spellings.length] ?? '-5';
      return model.target.kind;
    },
    repeatedReference: (cells, _model, earlier) => {
      const first = earlier[0];
      if (!first) return null;
      cells['reference'] = first.reference;
      return 'reference';
    },
    unknownPort: (cells) => {
      cells['port_code'] = 'zz_zzz';
      return 'port_code';
    },
    badCheckDigit: (cells, model) => {
      if (model.payee.kind === 'ids') {
        cells['payee_id'] = `${model.payee.payeeId} ${model.payee.payeeId}`;
        return 'payee_id';
      }
      const field = ['cbu', 'clabe', 'rut', 'routing_number'].find((f) => cells[f] !== undefined);
      if (!field) return null;
      const value = cells[field] ?? '';
      const last = value.slice(-1);
      cells[field] = `${value.slice(0, -1)}${last === '1' ? '2' : '1'}`;
      return field;
    },
    missingField: (cells, model) => {
      if (model.payee.kind === 'ids') {
        delete cells['withdrawal_instruction_id'];
        return 'withdrawal_instruction_id';
      }
      const field = ['cbu', 'clabe', 'rut', 'routing_number'].find((f) => cells[f] !== undefined);
      if (!field) return null;
      delete cells[field];
      return field;
    },
    badEmail: (cells, model) => {
      if (model.payee.kind === 'ids') return null;
      cells['email'] = model.payee.email.replace('@', ' at ');
      return 'email';
    },
  };

  it('refuses a file with any one corrupted row, naming that row and field only', () => {
    fc.assert(
      fc.property(
        arbModels.chain((models) =>
          fc.tuple(
            fc.constant(models),
            fc.nat({ max: models.length - 1 }),
            fc.constantFrom(...Object.keys(CORRUPTIONS)),
            fc.nat(),
            arbLayout(models.length),
          ),
        ),
        ([models, index, corruption, pick, layout]) => {
          const rows = models.map(cellsOf);
          const model = models[index] as Model;
          const field = CORRUPTIONS[corruption]?.(
            rows[index] as Record<string, string>,
            model,
            models.slice(0, index),
            pick,
          );
          fc.pre(field !== null && field !== undefined);
          const { text, starts } = write(rows, { ...layout, extraColumns: true });
          const read = parsePayoutFile(text, { origin });
          expect(read.isErr()).toBe(true);
          const problems = read.isErr() ? read.error.problems : [];
          expect(problems.map((p) => p.line)).toEqual(problems.map(() => starts[index]));
          expect(problems.map((p) => p.field)).toContain(field);
        },
      ),
      RUNS,
    );
  });

  it('refuses a file with an unknown column at line 1, whatever its rows', () => {
    fc.assert(
      fc.property(
        arbModels,
        fc.stringMatching(/^[a-z_]{1,12}$/).filter((c) => !PAYOUT_COLUMNS.includes(c)),
        (models, column) => {
          const rows = models.map((m) => ({ ...cellsOf(m), [column]: 'x' }));
          const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
          const text = [
            names.join(','),
            ...rows.map((r) => names.map((n) => quote(r[n] ?? '', true)).join(',')),
          ].join('\n');
          const read = parsePayoutFile(text, { origin });
          expect(read.isErr() && read.error.problems).toEqual([
            expect.objectContaining({ line: 1, field: column }),
          ]);
        },
      ),
      RUNS,
    );
  });
});
