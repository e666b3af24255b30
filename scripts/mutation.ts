import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeSurvivor,
  GOAL,
  type MutationReport,
  parseEquivalents,
  ratio,
  score,
  scoreTable,
  withoutStaticSurvivors,
} from './mutation-score.js';

/**
 * `pnpm mutation [--part domain|provider|workflows]... [stryker args...]`: builds the
 * mutated packages (the TypeScript checker reads the domain's declarations from its
 * build), runs `stryker run` once per part (stryker.config.mjs: `MUTATION_PART`), each
 * incremental and kept in reports/mutation/<part>.incremental.json when it ends (committed), then scores the parts'
 * reports together with the equivalents listed in mutation-equivalents.md. Without
 * `--part`, every part runs in turn; other arguments go to Stryker (`--concurrency 1`).
 * `pnpm mutation --report-only` scores the reports already there.
 *
 * Exits 1 when the score is under 90%, when a part has no report, when an entry of
 * mutation-equivalents.md matches no surviving mutant (stale) or does not parse (a row
 * without a reason, say), and with Stryker's code when Stryker fails.
 */
const root = join(import.meta.dirname, '..');
const PARTS = ['domain', 'provider', 'workflows'] as const;
/** A part's incremental file is its whole report (the mutation-testing-report schema), committed. */
const reportOf = (part: string) => join(root, `reports/mutation/${part}.incremental.json`);
const EQUIVALENTS = join(root, 'mutation-equivalents.md');

const args = process.argv.slice(2);
const reportOnly = args.includes('--report-only');
const chosen: string[] = [];
const strykerArgs: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  if (arg === '--report-only') continue;
  if (arg === '--part') {
    const part = args[++i] ?? '';
    if (!(PARTS as readonly string[]).includes(part)) {
      console.error(`pnpm mutation: --part ${part}: expected one of ${PARTS.join(', ')}`);
      process.exit(2);
    }
    chosen.push(part);
  } else strykerArgs.push(arg);
}

const run = (command: string, commandArgs: readonly string[], env: NodeJS.ProcessEnv = {}): number => {
  const result = spawnSync(command, commandArgs, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (result.error) console.error(`${command}: ${result.error.message}`);
  return result.status ?? 1;
};

if (!reportOnly) {
  const bin = (name: string) => join(root, 'node_modules/.bin', name);
  const built = run(bin('tsc'), ['-b', 'tsconfig.mutation.json']);
  if (built !== 0) {
    console.error('pnpm mutation: the build failed (tsc -b tsconfig.mutation.json)');
    process.exit(built);
  }
  for (const part of chosen.length > 0 ? chosen : PARTS) {
    console.log(`\npnpm mutation: part ${part}`);
    if (existsSync(reportOf(part))) {
      // Stryker never re-tests a static mutant that survived (no coverage to see a new test reach it).
      const kept = withoutStaticSurvivors(JSON.parse(readFileSync(reportOf(part), 'utf8')) as MutationReport);
      if (kept.dropped > 0) {
        writeFileSync(reportOf(part), JSON.stringify(kept.report));
        console.log(`pnpm mutation: ${kept.dropped} surviving static mutants of ${part} are tested again`);
      }
    }
    const status = run(bin('stryker'), ['run', ...strykerArgs], { MUTATION_PART: part });
    if (status !== 0) {
      console.error(`pnpm mutation: stryker run (part ${part}) exited with ${status}`);
      process.exit(status);
    }
  }
}

const missing = PARTS.filter((part) => !existsSync(reportOf(part)));
if (missing.length === PARTS.length) {
  console.error(
    'pnpm mutation: no report under reports/mutation; run pnpm mutation without --report-only first',
  );
  process.exit(1);
}
const files: Record<string, MutationReport['files'][string]> = {};
for (const part of PARTS.filter((p) => !missing.includes(p))) {
  const one = JSON.parse(readFileSync(reportOf(part), 'utf8')) as MutationReport;
  Object.assign(files, one.files);
}
const report: MutationReport = { files };
const parsed = existsSync(EQUIVALENTS)
  ? parseEquivalents(readFileSync(EQUIVALENTS, 'utf8'))
  : { entries: [], problems: [] };
const result = score(report, parsed.entries);

console.log(
  `\nMutation score (killed + timeout + listed equivalents) ÷ valid mutants; goal ${GOAL * 100}%\n`,
);
console.log(scoreTable(result));

if (result.survivors.length > 0) {
  console.log(`\n${result.survivors.length} surviving mutants not listed in mutation-equivalents.md:`);
  for (const s of result.survivors) console.log(`  ${describeSurvivor(s)}`);
}
for (const p of parsed.problems) console.log(`mutation-equivalents.md:${p.line}: ${p.message}`);
if (result.stale.length > 0) {
  console.log(
    `\n${result.stale.length} stale entries in mutation-equivalents.md (they match no surviving mutant):`,
  );
  for (const e of result.stale)
    console.log(`  mutation-equivalents.md:${e.line} ${e.file} ${e.mutator} \`${e.original}\``);
}
if (result.unchecked.length > 0)
  console.log(`\n${result.unchecked.length} entries name files this report did not mutate: not checked.`);

const total = ratio(result.total);
const failures = [
  ...(missing.length > 0 ? [`no report for ${missing.join(', ')} (pnpm mutation --part ${missing[0]})`] : []),
  ...(total < GOAL ? [`the score ${(total * 100).toFixed(2)}% is under ${GOAL * 100}%`] : []),
  ...(result.stale.length > 0 ? [`${result.stale.length} stale equivalent entries`] : []),
  ...(parsed.problems.length > 0 ? [`${parsed.problems.length} malformed equivalent entries`] : []),
];
if (failures.length > 0) {
  console.log(`\npnpm mutation: FAILED: ${failures.join('; ')}`);
  process.exit(1);
}
console.log(`\npnpm mutation: ${(total * 100).toFixed(2)}% (goal ${GOAL * 100}%), no stale entries`);
