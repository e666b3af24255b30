import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { syncGuides } from './embed';

// Runs every docs/examples/*.ts with tsx; the docs show these files, so they cannot drift from the code.
const dir = fileURLToPath(new URL('./examples/', import.meta.url));
const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .sort();
let failed = 0;
for (const file of examples) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${file}`], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const ok = run.status === 0;
  if (!ok) failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} docs/examples/${file}`);
  if (!ok) console.log(`${run.stdout}\n${run.stderr}`);
}
// Every guide's code blocks must equal the files (and tables) they come from.
for (const check of syncGuides(false)) {
  const ok = check.problems.length === 0;
  if (!ok) failed += 1;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} docs/${check.guide} (${check.blocks} blocks from examples and tables)`,
  );
  for (const problem of check.problems) console.log(`     ${problem}`);
}
const total = examples.length + syncGuides(false).length;
console.log(`${total - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
