import { parsePortCode } from '@concierge-ts/domain';
import { describe, expect, it } from 'vitest';
import {
  describeProblems,
  type FileProblem,
  type PayoutFileOptions,
  parsePayoutFile,
} from './payout-file.js';

const origin = parsePortCode('ar_ars')._unsafeUnwrap();
const options: PayoutFileOptions = { origin };

/** A CBU and a CUIT that pass Argentina's check digits; a CLABE that passes Mexico's. */
const CBU = '0000001700000000000017';
const CUIT = '20000000019';
const CLABE = '002180000000000012';

const problemsOf = (content: string | Uint8Array, opts: PayoutFileOptions = options): FileProblem[] =>
  parsePayoutFile(content, opts).match(
    () => [],
    (refusal) => [...refusal.problems],
  );

const where = (problems: readonly FileProblem[]) => problems.map((p) => [p.line, p.field]);

describe('the payout file', () => {
  it('reads rows paid to existing ids and to new payees, amounts as exact decimal text', () => {
    const file = [
      'reference,port_code,amount,budget,payee_id,withdrawal_instruction_id,email,name,payment_method,cbu,cuit,clabe',
      'r1,cl_clp,180000,,5,3,,,,,,',
      'r2,ar_ars,,1500.5,,,ana@example.com,Ana Pérez,domestic_bank,0000-0017-0000-0000-0000-17,20-00000001-9,',
      'r3,mx_mxn,3500.25,,,,bruno@example.com,"Bruno, Jr.",domestic_bank,,,002 180 000000000012',
    ].join('\n');
    const rows = parsePayoutFile(file, options)._unsafeUnwrap();
    expect(rows).toEqual([
      {
        line: 2,
        reference: 'r1',
        portCode: 'cl_clp',
        amount: '180000',
        payeeId: '5',
        withdrawalInstructionId: '3',
      },
      {
        line: 3,
        reference: 'r2',
        portCode: 'ar_ars',
        budget: '1500.50',
        email: 'ana@example.com',
        name: 'Ana Pérez',
        // Country and currency come from the port; identifiers in their compact form; the holder is the payee.
        body: {
          payment_method: 'domestic_bank',
          country: 'AR',
          currency: 'ARS',
          name: 'Ana Pérez',
          cbu: CBU,
          cuit: CUIT,
        },
      },
      {
        line: 4,
        reference: 'r3',
        portCode: 'mx_mxn',
        amount: '3500.25',
        email: 'bruno@example.com',
        name: 'Bruno, Jr.',
        body: {
          payment_method: 'domestic_bank',
          country: 'MX',
          currency: 'MXN',
          name: 'Bruno, Jr.',
          clabe: CLABE,
        },
      },
    ]);
  });

  it('allows a BOM, CRLF line ends, blank lines, spaces around cells, and quoted cells over several lines', () => {
    const file = `\uFEFFreference,port_code,amount,payee_id,withdrawal_instruction_id\r\n\r\n a , cl_clp , 1000 ,5,3\r\n"b\r\nnext",mx_mxn,10.5,6,4\r\n,,,,\r\nc,us_usd,1,7,8\r\n`;
    const rows = parsePayoutFile(new TextEncoder().encode(file), options)._unsafeUnwrap();
    expect(rows.map((r) => [r.line, r.reference, r.amount])).toEqual([
      [3, 'a', '1000'],
      [4, 'b\r\nnext', '10.50'],
      [7, 'c', '1.00'],
    ]);
  });

  it('allows a file without an amount column, or without a budget column', () => {
    const budgets = 'reference,port_code,budget,payee_id,withdrawal_instruction_id\nr1,cl_clp,100,5,3\n';
    expect(parsePayoutFile(budgets, options)._unsafeUnwrap()[0]).toMatchObject({ budget: '100.00' });
    const amounts = 'reference,port_code,amount,payee_id,withdrawal_instruction_id\nr1,cl_clp,100,5,3\n';
    expect(parsePayoutFile(amounts, options)._unsafeUnwrap()[0]).toMatchObject({ amount: '100' });
  });

  it('refuses a header with an unknown, repeated or missing column, naming each at line 1', () => {
    const problems = problemsOf('reference,amount,colour,amount,payee_id\nr1,10,red,10,5\n');
    expect(where(problems)).toEqual([
      [1, 'port_code'],
      [1, 'amount'],
      [1, 'withdrawal_instruction_id'],
      [1, 'colour'],
    ]);
    expect(problems.find((p) => p.field === 'colour')?.message).toContain('unknown column "colour"');
    expect(
      where(problemsOf('reference,port_code,payee_id,withdrawal_instruction_id\nr,cl_clp,1,2\n')),
    ).toEqual([[1, 'amount']]);
    expect(where(problemsOf('reference,port_code,amount\nr,cl_clp,1\n'))).toEqual([[1, 'payee_id']]);
    expect(where(problemsOf('reference,port_code,amount,email,cbu\nr,ar_ars,1,a@b.co,1\n'))).toEqual([
      [1, 'name'],
      [1, 'payment_method'],
    ]);
  });

  it('refuses an empty file and a file with a header only', () => {
    expect(where(problemsOf(''))).toEqual([[1, 'file']]);
    expect(where(problemsOf('\uFEFF\n\n'))).toEqual([[1, 'file']]);
    expect(where(problemsOf('reference,port_code,amount,payee_id,withdrawal_instruction_id\n'))).toEqual([
      [2, 'file'],
    ]);
  });

  it('names every bad row and field, and gives no row at all', () => {
    const file = [
      'reference,port_code,amount,budget,payee_id,withdrawal_instruction_id,email,name,payment_method,cbu,cuit,clabe',
      'ok1,cl_clp,1000,,5,3,,,,,,',
      'r2,cl_clp,1000.5,,5,3,,,,,,', // CLP has no decimals
      'r3,cl_clp,10,20,5,3,,,,,,', // amount and budget
      'r4,cl_clp,,,5,3,,,,,,', // neither
      `r5,ar_ars,10,,,,ana@example.com,Ana,domestic_bank,${CBU.slice(0, -1)}8,${CUIT},`, // CBU check digit
      'r6,ar_ars,10,,,,ana@example.com,Ana,domestic_bank,,,', // ar_ars needs cbu and cuit
      'ok1,mx_mxn,10,,5,3,,,,,,', // repeated reference
      'r8,cl_clp,-5,,5,3,,,,,,', // negative
      'r9,cl_clp,1e3,,5,3,,,,,,', // exponent
      'r10,ar_ars,,10.001,5,3,,,,,,', // budget in ARS: two decimals
      'r11,cl_clp,10,,5,,,,,,,', // payee without instruction
      'r12,cl_clp,10,,5,3,x@example.com,,,,,', // ids and a new payee at once
      `r13,ar_ars,10,,,,not-an-email,Ana,domestic_bank,${CBU},${CUIT},`,
      'r14,xx_xxx,10,,5,3,,,,,,', // not a currency
      'r15,cl_clp,10,,5,3,,,',
    ].join('\n');
    const problems = problemsOf(file);
    expect(where(problems)).toEqual([
      [3, 'amount'],
      [4, 'budget'],
      [5, 'amount'],
      [6, 'cbu'],
      [7, 'cbu'],
      [8, 'reference'],
      [9, 'amount'],
      [10, 'amount'],
      [11, 'budget'],
      [12, 'withdrawal_instruction_id'],
      [13, 'payee_id'],
      [14, 'email'],
      [15, 'port_code'],
      [16, 'file'],
    ]);
    expect(problems[0]?.message).toContain('CLP allows 0 decimals');
    expect(problems[3]?.message).toContain('wrong check digit');
    expect(problems[4]?.message).toContain('ar_ars requires cbu');
    expect(problems[5]?.message).toBe('the reference "ok1" is already on line 2');
    expect(describeProblems({ code: 'file_refused', problems })[0]).toMatch(/^line 3, amount: /);
  });

  it('names a repeated reference even when the row it repeats is refused', () => {
    const file =
      'reference,port_code,amount,payee_id,withdrawal_instruction_id\nr,cl_clp,0.5,5,3\nr,cl_clp,1,5,3\n';
    expect(where(problemsOf(file))).toEqual([
      [2, 'amount'],
      [3, 'reference'],
    ]);
  });

  it("checks the body against its payment method and the port's country and currency", () => {
    const header =
      'reference,port_code,amount,email,name,payment_method,country,currency,clabe,cbu,bank_swift';
    const rows = [
      `a,mx_mxn,10,a@example.com,A,third_party,,,${CLABE},,`, // third_party has no clabe
      `b,mx_mxn,10,b@example.com,B,domestic_bank,CL,,${CLABE},,`, // country is not the port's
      `c,mx_mxn,10,c@example.com,C,wire,,,${CLABE},,`, // unknown method
      `d,mx_mxn,10,d@example.com,D,international_bank,,,${CLABE},,NOTABIC`, // bad BIC
      `e,mx_mxn,10,e@example.com,E,international_bank,mx,mxn,${CLABE},,TESTDEFFXXX`, // fine: case is not a matter
    ];
    const problems = problemsOf([header, ...rows].join('\n'));
    expect(where(problems)).toEqual([
      [2, 'clabe'],
      [3, 'country'],
      [4, 'payment_method'],
      [5, 'bank_swift'],
    ]);
  });

  it('refuses ports the service does not have or has turned off, when its catalog is given', () => {
    const file =
      'reference,port_code,amount,payee_id,withdrawal_instruction_id\na,cl_clp,1,5,3\nb,br_brl,1,5,3\nc,mx_mxn,1,5,3\n';
    const ports = [
      { code: 'cl_clp', active: true },
      { code: 'mx_mxn', active: false },
    ];
    const problems = problemsOf(file, { origin, ports });
    expect(where(problems)).toEqual([
      [3, 'port_code'],
      [4, 'port_code'],
    ]);
    expect(problems[1]?.message).toContain('not active');
    expect(problemsOf(file)).toHaveLength(0);
  });

  it('refuses bytes that are not UTF-8, at their line, and CSV it cannot read', () => {
    const head = new TextEncoder().encode(
      'reference,port_code,amount,payee_id,withdrawal_instruction_id\na,cl_clp,1,5,3\nb,',
    );
    const bytes = new Uint8Array([...head, 0xff, 0xfe, ...new TextEncoder().encode(',1,5,3\n')]);
    expect(where(problemsOf(bytes))).toEqual([[3, 'file']]);
    const quote =
      'reference,port_code,amount,payee_id,withdrawal_instruction_id\na,cl_clp,1,5,3\nb"x,cl_clp,1,5,3\n';
    const problems = problemsOf(quote);
    expect(where(problems)).toEqual([[3, 'file']]);
    expect(problems[0]?.message).toMatch(/^not valid CSV/);
  });
});
