import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  describeSurvivor,
  type MutationReport,
  originalText,
  parseEquivalents,
  type ReportMutant,
  ratio,
  score,
  withoutStaticSurvivors,
} from './mutation-score.js';

const HEADER = '| file | mutator | original | replacement | reason |\n|---|---|---|---|---|';

const at = (line: number, column: number, endLine: number, endColumn: number) => ({
  start: { line, column },
  end: { line: endLine, column: endColumn },
});

const mutant = (
  id: string,
  status: string,
  mutatorName: string,
  location: ReportMutant['location'],
  replacement: string,
): ReportMutant => ({ id, status, mutatorName, location, replacement });

// A fabricated report: two packages, every status, a mutant spanning two lines.
const MONEY = "const a = x || y;\nthrow new Error('too big');\nif (\n  a > b\n) go();\n";
const FLOW = "export const f = () => 'draft';\n";
const REPORT: MutationReport = {
  files: {
    'packages/domain/src/money.ts': {
      source: MONEY,
      mutants: [
        mutant('1', 'Killed', 'LogicalOperator', at(1, 11, 1, 17), 'x && y'),
        mutant('2', 'Survived', 'StringLiteral', at(2, 17, 2, 26), '""'),
        mutant('3', 'NoCoverage', 'ConditionalExpression', at(3, 4, 5, 2), 'true'),
        mutant('4', 'Timeout', 'EqualityOperator', at(4, 3, 4, 8), 'a >= b'),
        mutant('5', 'CompileError', 'BooleanLiteral', at(1, 11, 1, 12), '!x'),
        mutant('6', 'Survived', 'LogicalOperator', at(1, 11, 1, 17), 'x && y'),
      ],
    },
    'packages/application/src/flow.ts': {
      source: FLOW,
      mutants: [
        mutant('7', 'Survived', 'StringLiteral', at(1, 24, 1, 31), '""'),
        mutant('8', 'Killed', 'ArrowFunction', at(1, 18, 1, 31), '() => undefined'),
        mutant('9', 'Ignored', 'StringLiteral', at(1, 24, 1, 31), '""'),
        mutant('10', 'RuntimeError', 'StringLiteral', at(1, 24, 1, 31), '"x"'),
      ],
    },
  },
};

describe('parseEquivalents', () => {
  it('reads one entry per row under its heading, code spans unwrapped, escaped pipes kept, * as any replacement', () => {
    const parsed = parseEquivalents(
      [
        '# Equivalent mutants',
        '',
        '## domain',
        '',
        HEADER,
        '| packages/domain/src/money.ts | LogicalOperator | `x \\|\\| y` | `x && y` | both operands are always the same |',
        "| packages/domain/src/money.ts | StringLiteral | `'too big'` | * | message prose |",
        '',
        '## application: workflows, gateway',
        '',
        HEADER,
        '| packages/application/src/flow.ts | StringLiteral | `` `a` `` | `""` | prose |',
      ].join('\n'),
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries).toEqual([
      {
        kind: 'fragment',
        section: 'domain',
        line: 7,
        file: 'packages/domain/src/money.ts',
        mutator: 'LogicalOperator',
        original: 'x || y',
        replacement: 'x && y',
        reason: 'both operands are always the same',
      },
      {
        kind: 'fragment',
        section: 'domain',
        line: 8,
        file: 'packages/domain/src/money.ts',
        mutator: 'StringLiteral',
        original: "'too big'",
        replacement: null,
        reason: 'message prose',
      },
      {
        kind: 'fragment',
        section: 'application: workflows, gateway',
        line: 14,
        file: 'packages/application/src/flow.ts',
        mutator: 'StringLiteral',
        original: '`a`',
        replacement: '""',
        reason: 'prose',
      },
    ]);
  });

  it('empty tables under the three headings hold no entry and no problem', () => {
    const parsed = parseEquivalents(`## domain\n\n${HEADER}\n\n## application: provider\n\n${HEADER}\n`);
    expect(parsed).toEqual({ entries: [], problems: [] });
  });

  it('refuses, by line, a row without a reason, an original that is no code span, a stray pipe and a wrong header', () => {
    const parsed = parseEquivalents(
      [
        '## domain',
        HEADER,
        '| packages/domain/src/money.ts | StringLiteral | `x` | * |  |',
        '| packages/domain/src/money.ts | StringLiteral | x | * | prose |',
        '| packages/domain/src/money.ts | LogicalOperator | `x || y` | * | prose |',
        '| packages/domain/src/money.ts | StringLiteral | `x` | y | prose |',
        '',
        '## other',
        '| file | mutator | original | reason |',
        '|---|---|---|---|',
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([]);
    expect(parsed.problems.map((p) => p.line)).toEqual([4, 5, 6, 7, 10]);
  });
});

describe('scope entries', () => {
  // Two declarations: `describe` builds prose, `limit` is a rule; a comment and a string name `describe` too.
  const SOURCE = [
    'const describe = (v: unknown) =>', // 1
    "  typeof v === 'string' ? v : 'a value';", // 2
    '// describe is used below', // 3
    "export const limit = (n: number) => n > 40 ? 'describe' : describe(n);", // 4
    'class Money {', // 5
    '  describe() {', // 6
    "    return 'money';", // 7
    '  }', // 8
    '}', // 9
  ].join('\n');
  const file = 'packages/domain/src/text.ts';
  const report: MutationReport = {
    files: {
      [file]: {
        source: SOURCE,
        mutants: [
          mutant('1', 'Survived', 'ConditionalExpression', at(2, 3, 2, 24), 'true'),
          mutant('2', 'Survived', 'StringLiteral', at(2, 31, 2, 40), '""'),
          mutant('3', 'Survived', 'EqualityOperator', at(4, 37, 4, 43), 'n >= 40'),
          mutant('4', 'Survived', 'StringLiteral', at(4, 46, 4, 56), '""'),
          mutant('5', 'Survived', 'StringLiteral', at(7, 12, 7, 19), '""'),
        ],
      },
    },
  };
  const entries = (rows: string[]) => parseEquivalents(['## domain', HEADER, ...rows].join('\n'));

  it('reads `in `name`` as a scope and * as any mutator', () => {
    const parsed = entries([`| ${file} | * | in \`describe\` | * | prose |`]);
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries[0]).toMatchObject({
      kind: 'scope',
      mutator: '*',
      original: 'describe',
      replacement: null,
    });
  });

  it('covers every mutant inside the declarations of that name (a const, a method), none outside', () => {
    const parsed = entries([`| ${file} | * | in \`describe\` | * | prose |`]);
    const s = score(report, parsed.entries);
    expect(s.total.equivalents).toBe(3);
    expect(s.survivors.map((x) => x.line)).toEqual([4, 4]);
  });

  it('a scope with a mutator covers only that mutator; a name declared nowhere is stale', () => {
    const parsed = entries([
      `| ${file} | StringLiteral | in \`describe\` | * | prose |`,
      `| ${file} | * | in \`nowhere\` | * | prose |`,
    ]);
    const s = score(report, parsed.entries);
    expect(s.total.equivalents).toBe(2);
    expect(s.stale.map((e) => e.original)).toEqual(['nowhere']);
  });
});

describe('originalText', () => {
  it('is the source from start to end, 1-based, across lines', () => {
    const file = REPORT.files['packages/domain/src/money.ts'];
    const mutants = file?.mutants ?? [];
    expect(originalText(MONEY, mutants[0] as ReportMutant)).toBe('x || y');
    expect(originalText(MONEY, mutants[1] as ReportMutant)).toBe("'too big'");
    expect(originalText(MONEY, mutants[2] as ReportMutant)).toBe('(\n  a > b\n)');
  });
});

describe('score', () => {
  it('counts valid mutants per package and in total, without compile errors, runtime errors or ignored ones', () => {
    const s = score(REPORT, []);
    expect(s.packages.get('domain')).toEqual({
      valid: 5,
      killed: 1,
      timeout: 1,
      survived: 2,
      noCoverage: 1,
      equivalents: 0,
    });
    expect(s.packages.get('application')).toEqual({
      valid: 2,
      killed: 1,
      timeout: 0,
      survived: 1,
      noCoverage: 0,
      equivalents: 0,
    });
    expect(s.total).toEqual({ valid: 7, killed: 2, timeout: 1, survived: 3, noCoverage: 1, equivalents: 0 });
    expect(ratio(s.total)).toBeCloseTo(3 / 7);
    expect(s.survivors.map((v) => `${v.file}:${v.line}`)).toEqual([
      'packages/application/src/flow.ts:1',
      'packages/domain/src/money.ts:1',
      'packages/domain/src/money.ts:2',
      'packages/domain/src/money.ts:3',
    ]);
    expect(describeSurvivor(s.survivors[3] as never)).toBe(
      'packages/domain/src/money.ts:3 ConditionalExpression "( a > b )" -> "true" (no coverage)',
    );
  });

  it('an entry covers the survivors whose file, mutator, original fragment and replacement match; one matching none is stale', () => {
    const { entries } = parseEquivalents(
      [
        '## domain',
        HEADER,
        // Matches mutant 6 (a fragment of its original, the same replacement), not the killed mutant 1.
        '| packages/domain/src/money.ts | LogicalOperator | `\\|\\|` | `x && y` | same operands |',
        // Any replacement of the message: mutant 2.
        '| packages/domain/src/money.ts | StringLiteral | `too big` | * | prose |',
        // A fragment spread over lines in the source, written on one: mutant 3 (no coverage).
        '| packages/domain/src/money.ts | ConditionalExpression | `( a > b )` | * | unreachable |',
        // The right original with another replacement: stale.
        '| packages/domain/src/money.ts | StringLiteral | `too big` | `"x"` | prose |',
        // The right replacement under another mutator: stale.
        '| packages/domain/src/money.ts | EqualityOperator | `a > b` | `true` | never |',
        // A file this report does not hold: not checked.
        '| packages/domain/src/rate.ts | StringLiteral | `x` | * | prose |',
      ].join('\n'),
    );
    const s = score(REPORT, entries);
    expect(s.packages.get('domain')?.equivalents).toBe(3);
    expect(s.packages.get('application')?.equivalents).toBe(0);
    expect(s.total.equivalents).toBe(3);
    expect(ratio(s.total)).toBeCloseTo(6 / 7);
    expect(s.survivors.map((v) => `${v.file}:${v.line}`)).toEqual(['packages/application/src/flow.ts:1']);
    expect(s.stale.map((e) => e.line)).toEqual([7, 8]);
    expect(s.unchecked.map((e) => e.line)).toEqual([9]);
  });

  it('an entry that names a timed-out mutant is not stale, and the mutant counts once, as a timeout', () => {
    const { entries } = parseEquivalents(
      [
        '## both',
        HEADER,
        '| packages/domain/src/money.ts | EqualityOperator | `a > b` | `a >= b` | boundary never met |',
        "| packages/application/src/flow.ts | ArrowFunction | `() => 'draft'` | `() => undefined` | a killed one: stale |",
      ].join('\n'),
    );
    const s = score(REPORT, entries);
    expect(s.stale.map((e) => e.line)).toEqual([5]);
    expect(s.packages.get('domain')).toMatchObject({ timeout: 1, equivalents: 0 });
  });
});

describe('mutation-equivalents.md', () => {
  it('parses: every row of the repository file is an entry with a reason', () => {
    const parsed = parseEquivalents(
      readFileSync(new URL('../mutation-equivalents.md', import.meta.url), 'utf8'),
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries.every((e) => e.reason.length > 0)).toBe(true);
  });
});

describe('withoutStaticSurvivors', () => {
  it('drops only static mutants that survived; a static one killed and a survivor with coverage stay', () => {
    const at = { start: { line: 1, column: 1 }, end: { line: 1, column: 2 } };
    const report: MutationReport = {
      files: {
        'a.ts': {
          source: 'x',
          mutants: [
            { id: '1', mutatorName: 'StringLiteral', status: 'Survived', static: true, location: at },
            { id: '2', mutatorName: 'StringLiteral', status: 'Killed', static: true, location: at },
            { id: '3', mutatorName: 'StringLiteral', status: 'Survived', static: false, location: at },
            { id: '4', mutatorName: 'StringLiteral', status: 'Survived', location: at },
          ],
        },
        'b.ts': {
          source: 'y',
          mutants: [{ id: '5', mutatorName: 'Regex', status: 'Survived', static: true, location: at }],
        },
      },
    };
    const { report: kept, dropped } = withoutStaticSurvivors(report);
    expect(dropped).toBe(2);
    expect(kept.files['a.ts']?.mutants.map((m) => m.id)).toEqual(['2', '3', '4']);
    expect(kept.files['b.ts']?.mutants).toEqual([]);
    expect(kept.files['a.ts']?.source).toBe('x');
    expect(report.files['a.ts']?.mutants).toHaveLength(4);
  });
});
