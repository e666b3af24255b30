import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeSurvivor,
  GOAL,
  type MutationReport,
  parseEquivalents,
  ratio,
  score,
  scoreTable,
} from './mutation-score.js';

/**
 * `pnpm mutation [stryker args...]`: builds the mutated packages (the TypeScript checker
 * reads the domain's declarations from its build), runs `stryker run` with
 * stryker.config.mjs and the arguments given (`--mutate 'glob'`, `--concurrency 1`, ...),
 * then scores reports/mutation/mutation.json with the equivalents listed in
 * mutation-equivalents.md. `pnpm mutation --report-only` scores the report already there.
 *
 * Exits 1 when the score is under 90%, when an entry of mutation-equivalents.md matches no
 * surviving mutant (stale) or does not parse (a row without a reason, say), and with
 * Stryker's code when Stryker fails.
 */
const root = join(import.meta.dirname, '..');
const REPORT = join(root, 'reports/mutation/mutation.json');
const EQUIVALENTS = join(root, 'mutation-equivalents.md');

const args = process.argv.slice(2);
const reportOnly = args.includes('--report-only');
const strykerArgs = args.filter((a) => a !== '--report-only');

const run = (command: string, commandArgs: readonly string[]): number => {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
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
  const status = run(bin('stryker'), ['run', ...strykerArgs]);
  if (status !== 0) {
    console.error(`pnpm mutation: stryker run exited with ${status}`);
    process.exit(status);
  }
}

if (!existsSync(REPORT)) {
  console.error(`pnpm mutation: no report at ${REPORT}; run pnpm mutation without --report-only first`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(REPORT, 'utf8')) as MutationReport;
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
  ...(total < GOAL ? [`the score ${(total * 100).toFixed(2)}% is under ${GOAL * 100}%`] : []),
  ...(result.stale.length > 0 ? [`${result.stale.length} stale equivalent entries`] : []),
  ...(parsed.problems.length > 0 ? [`${parsed.problems.length} malformed equivalent entries`] : []),
];
if (failures.length > 0) {
  console.log(`\npnpm mutation: FAILED: ${failures.join('; ')}`);
  process.exit(1);
}
console.log(`\npnpm mutation: ${(total * 100).toFixed(2)}% (goal ${GOAL * 100}%), no stale entries`);
