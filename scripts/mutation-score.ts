import ts from 'typescript';

/**
 * Scoring a StrykerJS report (`reports/mutation/mutation.json`) against the listed
 * equivalent mutants (`mutation-equivalents.md`), for `pnpm mutation`. Pure functions:
 * `scripts/mutation.ts` reads the files, runs Stryker and prints.
 *
 * Valid mutants are those Stryker ran: Killed, Timeout, Survived, NoCoverage (a mutant
 * that does not compile, fails at load or is ignored is not valid). A surviving or
 * uncovered mutant matched by an equivalent entry counts as covered. Score =
 * (killed + timeout + equivalents matched) ÷ valid.
 */

/** The part of the mutation-testing-report schema (version 2) this reads. */
export interface MutationReport {
  readonly files: Readonly<Record<string, ReportFile>>;
}

export interface ReportFile {
  readonly source: string;
  readonly mutants: readonly ReportMutant[];
}

export interface ReportMutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  /** A mutant in code that runs when its module loads: Stryker runs every test for it. */
  readonly static?: boolean;
  /** Lines and columns are 1-based; `end` is exclusive. */
  readonly location: {
    readonly start: { readonly line: number; readonly column: number };
    readonly end: { readonly line: number; readonly column: number };
  };
}

/** One row of mutation-equivalents.md. */
export interface Equivalent {
  /**
   * `fragment`: a mutant whose original text contains `original`; `scope`: any mutant
   * inside the declaration named `original` (a function, a `const`, a method), written
   * ``in `name` `` in the table.
   */
  readonly kind: 'fragment' | 'scope';
  /** The heading the row is under (`domain`, ...). */
  readonly section: string;
  /** Line of the row in the file, for messages. */
  readonly line: number;
  readonly file: string;
  /** Stryker's mutatorName, or `*` for any mutator. */
  readonly mutator: string;
  /** A fragment of the mutated source text, or the name of the declaration (`scope`). */
  readonly original: string;
  /** Stryker's replacement, or null for `*` (any replacement of that original). */
  readonly replacement: string | null;
  readonly reason: string;
}

export interface ParseProblem {
  readonly line: number;
  readonly message: string;
}

export interface ParsedEquivalents {
  readonly entries: readonly Equivalent[];
  readonly problems: readonly ParseProblem[];
}

const COLUMNS = ['file', 'mutator', 'original', 'replacement', 'reason'] as const;

/** Splits a table row on the pipes that are not escaped (`\|` is a pipe inside a cell, as in GFM). */
const cellsOf = (row: string): string[] => {
  const inner = row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('\\|', '|'));
};

/** The text of a cell that is one code span (`` `a` `` or ``` `` a`b `` ```), or undefined. */
const codeSpan = (cell: string): string | undefined => {
  const match = /^(`+)([\s\S]*?)\1$/.exec(cell);
  if (!match) return undefined;
  const text = match[2] ?? '';
  // As in CommonMark: one space each side is stripped when both are there (to let a span start or end with a backtick).
  return text.length > 2 && text.startsWith(' ') && text.endsWith(' ') ? text.slice(1, -1) : text;
};

const isSeparator = (cells: readonly string[]): boolean => cells.every((cell) => /^:?-{3,}:?$/.test(cell));

/** An entry from the cells of one row, or what is wrong with them. */
const readRow = (section: string, line: number, cells: readonly string[]): Equivalent | string => {
  if (section === '') return 'an entry must be under a ## heading';
  if (cells.length !== COLUMNS.length)
    return `expected ${COLUMNS.length} cells, found ${cells.length} (escape a pipe in a cell as \\|)`;
  const [fileCell = '', mutatorCell = '', originalCell = '', replacementCell = '', reason = ''] = cells;
  const file = fileCell.replace(/^`|`$/g, '');
  const mutator = mutatorCell.replace(/^`|`$/g, '');
  const scope = /^in\s+(`+)\s*([A-Za-z_$][\w$]*)\s*\1$/.exec(originalCell);
  const kind = scope ? 'scope' : 'fragment';
  const original = scope ? scope[2] : codeSpan(originalCell);
  const replacement = replacementCell === '*' ? null : codeSpan(replacementCell);
  if (file === '') return 'file is empty';
  if (mutator === '') return 'mutator is empty';
  if (original === undefined || original.trim() === '')
    return 'original must be a non-empty code span (`...`) or in `name` (a declaration)';
  if (replacement === undefined) return 'replacement must be a code span (`...`) or *';
  if (reason === '') return 'reason is empty: say why the mutant cannot change behaviour';
  return { kind, section, line, file, mutator, original, replacement, reason };
};

/**
 * Reads the tables of mutation-equivalents.md: under each `## heading`, a table with
 * the columns file, mutator, original, replacement, reason. `original` is a code span;
 * `replacement` a code span or `*`. A row that does not fit is a problem, never skipped
 * silently.
 */
export const parseEquivalents = (markdown: string): ParsedEquivalents => {
  const entries: Equivalent[] = [];
  const problems: ParseProblem[] = [];
  let section = '';
  let inTable = false;
  const lines = markdown.split(/\r?\n/);
  for (const [index, text] of lines.entries()) {
    const line = index + 1;
    const heading = /^##\s+(.*)$/.exec(text);
    if (heading) {
      section = (heading[1] ?? '').trim();
      inTable = false;
      continue;
    }
    if (!text.trim().startsWith('|')) {
      inTable = false;
      continue;
    }
    const cells = cellsOf(text);
    if (!inTable) {
      const header = cells.map((c) => c.toLowerCase());
      if (header.length !== COLUMNS.length || COLUMNS.some((name, i) => header[i] !== name))
        problems.push({ line, message: `a table needs the columns ${COLUMNS.join(', ')}` });
      inTable = true;
      continue;
    }
    if (isSeparator(cells)) continue;
    const row = readRow(section, line, cells);
    if (typeof row === 'string') problems.push({ line, message: row });
    else entries.push(row);
  }
  return { entries, problems };
};

/** Runs of whitespace as one space: a fragment written on one line matches source split over several. */
const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

const offsetOf = (source: string, p: { line: number; column: number }): number => {
  let offset = 0;
  for (let line = 1; line < p.line; line++) {
    const next = source.indexOf('\n', offset);
    if (next < 0) return source.length;
    offset = next + 1;
  }
  return offset + p.column - 1;
};

/** The source text a mutant replaced (from its start to its end, 1-based lines and columns). */
export const originalText = (source: string, mutant: ReportMutant): string =>
  source.slice(offsetOf(source, mutant.location.start), offsetOf(source, mutant.location.end));

/**
 * The ranges (start, end offsets) of the declarations named `name` in `source`: functions,
 * variables (`const name = ...`, the whole statement), methods, classes. Parsed, not
 * searched as text, so a name in a comment or a string is not a declaration.
 */
export const declarationRanges = (source: string, name: string): Array<readonly [number, number]> => {
  const file = ts.createSourceFile('scope.ts', source, ts.ScriptTarget.Latest, true);
  const ranges: Array<readonly [number, number]> = [];
  const visit = (node: ts.Node): void => {
    const named =
      ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isVariableDeclaration(node) ||
      ts.isPropertyDeclaration(node);
    if (named && node.name !== undefined && ts.isIdentifier(node.name) && node.name.text === name) {
      const whole = ts.isVariableDeclaration(node) ? node.parent.parent : node;
      ranges.push([whole.getStart(file), whole.end]);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return ranges;
};

const scopeCache = new Map<string, Array<readonly [number, number]>>();

export const matches = (entry: Equivalent, file: string, source: string, mutant: ReportMutant): boolean => {
  if (entry.file !== file) return false;
  if (entry.mutator !== '*' && entry.mutator !== mutant.mutatorName) return false;
  if (entry.replacement !== null && squash(entry.replacement) !== squash(mutant.replacement ?? ''))
    return false;
  if (entry.kind === 'fragment') return squash(originalText(source, mutant)).includes(squash(entry.original));
  const key = `${file}\0${entry.original}\0${source.length}`;
  let ranges = scopeCache.get(key);
  if (!ranges) {
    ranges = declarationRanges(source, entry.original);
    scopeCache.set(key, ranges);
  }
  const start = offsetOf(source, mutant.location.start);
  const end = offsetOf(source, mutant.location.end);
  return ranges.some(([from, to]) => start >= from && end <= to);
};

export const VALID_STATUSES = ['Killed', 'Timeout', 'Survived', 'NoCoverage'] as const;

export interface Tally {
  valid: number;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  /** Surviving or uncovered mutants matched by an equivalent entry. */
  equivalents: number;
}

export interface Survivor {
  readonly file: string;
  readonly line: number;
  readonly mutator: string;
  readonly original: string;
  readonly replacement: string;
  readonly status: string;
}

export interface Score {
  /** Per package (`domain`, `application`; `packages/<name>/...`), and the files outside packages under their first folder. */
  readonly packages: ReadonlyMap<string, Tally>;
  readonly total: Tally;
  /** Surviving or uncovered mutants no entry matches. */
  readonly survivors: readonly Survivor[];
  /** Entries for a file of the report that match no surviving mutant. */
  readonly stale: readonly Equivalent[];
  /** Entries for files this report did not mutate (a run over some files only): not checked. */
  readonly unchecked: readonly Equivalent[];
}

export const GOAL = 0.9;

export const ratio = (t: Tally): number =>
  t.valid === 0 ? 1 : (t.killed + t.timeout + t.equivalents) / t.valid;

const emptyTally = (): Tally => ({
  valid: 0,
  killed: 0,
  timeout: 0,
  survived: 0,
  noCoverage: 0,
  equivalents: 0,
});

const packageOf = (file: string): string => {
  const parts = file.split('/');
  return parts[0] === 'packages' && parts.length > 2 ? (parts[1] ?? file) : (parts[0] ?? file);
};

/** One line per mutant, as it is listed: `file:line mutator original -> replacement`. */
export const describeSurvivor = (s: Survivor): string =>
  `${s.file}:${s.line} ${s.mutator} ${JSON.stringify(squash(s.original).slice(0, 80))} -> ${JSON.stringify(squash(s.replacement).slice(0, 80))}${s.status === 'NoCoverage' ? ' (no coverage)' : ''}`;

export const score = (report: MutationReport, equivalents: readonly Equivalent[]): Score => {
  const packages = new Map<string, Tally>();
  const total = emptyTally();
  const survivors: Survivor[] = [];
  const used = new Set<Equivalent>();
  const files = Object.keys(report.files).sort();
  for (const file of files) {
    const { source, mutants } = report.files[file] as ReportFile;
    const name = packageOf(file);
    const tally = packages.get(name) ?? emptyTally();
    packages.set(name, tally);
    for (const mutant of mutants) {
      const add = (key: keyof Tally) => {
        tally[key] += 1;
        total[key] += 1;
      };
      switch (mutant.status) {
        case 'Killed':
          add('killed');
          break;
        case 'Timeout':
          add('timeout');
          break;
        case 'Survived':
          add('survived');
          break;
        case 'NoCoverage':
          add('noCoverage');
          break;
        default:
          continue;
      }
      add('valid');
      if (mutant.status === 'Killed') continue;
      const matching = equivalents.filter((e) => matches(e, file, source, mutant));
      for (const e of matching) used.add(e);
      // A timed-out mutant counts as detected, yet its entry is not stale: a timeout is a
      // verdict that a re-run may not repeat (a static mutant runs every test in one go).
      if (mutant.status === 'Timeout') continue;
      if (matching.length > 0) add('equivalents');
      else
        survivors.push({
          file,
          line: mutant.location.start.line,
          mutator: mutant.mutatorName,
          original: originalText(source, mutant),
          replacement: mutant.replacement ?? '',
          status: mutant.status,
        });
    }
  }
  const inReport = new Set(files);
  return {
    packages,
    total,
    survivors: survivors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
    stale: equivalents.filter((e) => inReport.has(e.file) && !used.has(e)),
    unchecked: equivalents.filter((e) => !inReport.has(e.file)),
  };
};

/** The table `pnpm mutation` prints: one row per package, then the total. */
export const scoreTable = (s: Score): string => {
  const header = ['package', 'valid', 'killed', 'timeout', 'survived', 'no cov.', 'equiv.', 'score'];
  const row = (name: string, t: Tally) => [
    name,
    ...[t.valid, t.killed, t.timeout, t.survived, t.noCoverage, t.equivalents].map(String),
    `${(ratio(t) * 100).toFixed(2)}%`,
  ];
  const rows = [header, ...[...s.packages].map(([name, t]) => row(name, t)), row('total', s.total)];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
};

/**
 * The report without its surviving static mutants, and how many went: Stryker's incremental
 * mode keeps a static mutant's last result until its code changes, since it has no per-test
 * coverage to tell that a new test reaches it; dropped from the incremental file, such a
 * mutant is tested again against the tests as they are now.
 */
export const withoutStaticSurvivors = <R extends MutationReport>(
  report: R,
): { report: R; dropped: number } => {
  let dropped = 0;
  const files: Record<string, ReportFile> = {};
  for (const [name, file] of Object.entries(report.files)) {
    const mutants = file.mutants.filter((m) => !(m.static === true && m.status === 'Survived'));
    dropped += file.mutants.length - mutants.length;
    files[name] = { ...file, mutants };
  }
  return { report: { ...report, files }, dropped };
};
