import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
console.log(`${examples.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
