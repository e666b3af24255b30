import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  OUTPUT_TRANSITIONS,
  REQUEST_TRANSITIONS,
  TEST_IDENTIFIERS,
  TEST_OUTCOMES,
} from 'concierge-ts/domain';

/**
 * Keeps the guides honest: every code block is preceded by a marker naming where it
 * comes from, and must equal it.
 *   <!-- example: examples/foo.ts -->  the whole file
 *   <!-- lifecycle: request | output -->  a Mermaid diagram drawn from the domain's table
 *   <!-- table: magic -->  a Markdown table (not a code block): the sandbox's test identifiers
 * `pnpm docs:sync` rewrites the blocks; the tests check them.
 */
const dir = fileURLToPath(new URL('./', import.meta.url));
const MARKED = /<!-- (example|lifecycle): ([\w./-]+) -->\n```(\w+)\n([\s\S]*?)```/g;
const TABLE = /<!-- table: ([\w-]+) -->\n((?:\|.*\n)*)/g;

/** A Markdown table with its columns padded to the widest cell. */
const markdownTable = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return `${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`;
};

/** The countries with a port in the sandbox's catalog (no port pays to OTHER). */
const MAGIC_COUNTRIES = ['AR', 'CL', 'MX', 'PY', 'US', 'UY'] as const;

/** The sandbox's test identifiers (SPEC section 9), a row per country, a column per outcome. */
export const magicTable = (): string =>
  markdownTable(
    ['country', ...TEST_OUTCOMES.map((outcome) => `\`${outcome}\``)],
    MAGIC_COUNTRIES.map((country) => [
      country,
      ...TEST_OUTCOMES.map((outcome) =>
        Object.entries(TEST_IDENTIFIERS[outcome][country])
          .map(([field, value]) => `\`${field}\` ${value}`)
          .join(', '),
      ),
    ]),
  );

const tableOf = (name: string): string | undefined => (name === 'magic' ? magicTable() : undefined);

const diagram = (
  table: Record<string, Record<string, string>>,
  initial: string,
  finals: readonly string[],
): string => {
  const lines = ['stateDiagram-v2', `  [*] --> ${initial}`];
  for (const [from, moves] of Object.entries(table))
    for (const [trigger, to] of Object.entries(moves)) lines.push(`  ${from} --> ${to}: ${trigger}`);
  for (const state of finals) lines.push(`  ${state} --> [*]`);
  return `${lines.join('\n')}\n`;
};

export const lifecycleDiagram = (which: string): string | undefined =>
  which === 'request'
    ? diagram(REQUEST_TRANSITIONS, 'draft', ['finished', 'cancelled'])
    : which === 'output'
      ? diagram(OUTPUT_TRANSITIONS, 'accepting', ['rejected', 'settled', 'returned', 'cancelled'])
      : undefined;

const sourceOf = (kind: string, name: string): string | undefined => {
  if (kind === 'lifecycle') return lifecycleDiagram(name);
  try {
    return readFileSync(`${dir}${name}`, 'utf8');
  } catch {
    return undefined;
  }
};

export interface GuideCheck {
  readonly guide: string;
  readonly blocks: number;
  readonly problems: readonly string[];
}

/** Checks (or, with `write`, rewrites) every marked block of every guide in docs/. */
export const syncGuides = (write: boolean): GuideCheck[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((guide) => {
      const text = readFileSync(`${dir}${guide}`, 'utf8');
      const problems: string[] = [];
      let blocks = 0;
      const synced = text.replace(MARKED, (whole, kind: string, name: string, lang: string, body: string) => {
        blocks += 1;
        const source = sourceOf(kind, name);
        if (source === undefined) {
          problems.push(`${kind} ${name} does not exist`);
          return whole;
        }
        if (source !== body) problems.push(`the block from ${kind} ${name} differs from its source`);
        return `<!-- ${kind}: ${name} -->\n\`\`\`${lang}\n${source}\`\`\``;
      });
      const tabled = synced.replace(TABLE, (whole, name: string, table: string) => {
        const source = tableOf(name);
        if (source === undefined) {
          problems.push(`table ${name} does not exist`);
          return whole;
        }
        if (source !== table) problems.push(`the table ${name} differs from its source`);
        return `<!-- table: ${name} -->\n${source}`;
      });
      const unmarked = (text.match(/```(ts|typescript|js)\n/g) ?? []).length - blocks;
      if (unmarked > 0 && !text.includes('<!-- unmarked code: none -->'))
        problems.push(`${unmarked} TypeScript block(s) without an example marker`);
      if (write && tabled !== text) writeFileSync(`${dir}${guide}`, tabled);
      return { guide, blocks, problems: write ? problems.filter((p) => !p.includes('differs')) : problems };
    });

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = syncGuides(process.argv.includes('--write'));
  for (const r of results)
    console.log(
      `${r.problems.length === 0 ? 'ok  ' : 'FAIL'} docs/${r.guide} (${r.blocks} blocks)${r.problems.map((p) => `\n     ${p}`).join('')}`,
    );
  process.exitCode = results.every((r) => r.problems.length === 0) ? 0 : 1;
}
