import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The test command: lint, typecheck, every vitest project, every docs example. Ends
 * with one line counting everything that ran: `tests: N passed, M failed`.
 */
const run = (label: string, command: string, args: string[]): number => {
  console.log(`\n── ${label}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  return result.status ?? 1;
};

let passed = 0;
let failed = 0;
const step = (ok: boolean) => {
  if (ok) passed += 1;
  else failed += 1;
};

step(run('lint', 'pnpm', ['exec', 'biome', 'check', '.']) === 0);
step(run('typecheck', 'pnpm', ['typecheck']) === 0);

const report = join(mkdtempSync(join(tmpdir(), 'concierge-test-')), 'vitest.json');
const vitestStatus = run('tests', 'pnpm', [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
]);
try {
  const json = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number };
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  if (vitestStatus !== 0 && json.numFailedTests === 0) failed += 1;
} catch {
  failed += 1;
}

const examples = spawnSync('pnpm', ['--filter', '@concierge-ts/docs', 'examples'], { encoding: 'utf8' });
console.log(`\n── docs examples\n${examples.stdout}${examples.stderr}`);
const counted = /(\d+) passed, (\d+) failed/.exec(examples.stdout ?? '');
passed += Number(counted?.[1] ?? 0);
failed += counted ? Number(counted[2]) : 1;

console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
