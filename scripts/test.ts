import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The test command: every vitest project (from source), and beside it the lint, the
 * build (which is the type-check: `tsc -b` over every project, tests included), then the
 * tests of the built commands in real processes, the node:test files (every
 * `*.node-test.ts` under packages/, through tsx, importing the other packages' build),
 * the docs examples and the package checks (packed tarballs installed in a fresh app),
 * which need the build. Ends with one line counting everything that ran:
 * `tests: N passed, M failed`.
 *
 * Steps run at the same time and print their output when they end, one after the other.
 * `pnpm test` exits non-zero if anything failed; a failed build skips the steps that need
 * it and counts as a failure.
 */
interface Step {
  readonly label: string;
  readonly ok: boolean;
  readonly output: string;
  readonly seconds: number;
}

const started = Date.now();
const run = (label: string, command: string, args: readonly string[]) =>
  new Promise<Step>((resolve) => {
    const t0 = Date.now();
    const child = spawn(command, args, { env: { ...process.env, FORCE_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const done = (ok: boolean) => {
      const step = { label, ok, output, seconds: (Date.now() - t0) / 1000 };
      console.log(`\n── ${label}: ${command} ${args.join(' ')} (${step.seconds.toFixed(1)} s)\n${output}`);
      resolve(step);
    };
    child.on('error', (error) => {
      output += error.message;
      done(false);
    });
    child.on('close', (code) => done(code === 0));
  });

let passed = 0;
let failed = 0;
const count = (ok: boolean) => {
  if (ok) passed += 1;
  else failed += 1;
};
/** Adds a runner's own `N passed, M failed` line; a runner that failed without one counts as one failure. */
const countLine = (step: Step) => {
  const counted = /(\d+) passed, (\d+) failed\s*$/.exec(step.output.trim());
  passed += Number(counted?.[1] ?? 0);
  failed += counted ? Number(counted[2]) : 1;
  if (counted && !step.ok && Number(counted[2]) === 0) failed += 1;
};

// The tests run from source: they start at once, beside the lint and the build that the
// docs examples and the package checks need. Tests of the built commands in real processes
// (`*.process.test.ts`) need the build too, and follow it.
const reports = mkdtempSync(join(tmpdir(), 'concierge-test-'));
const report = join(reports, 'vitest.json');
const processReport = join(reports, 'vitest-process.json');
const PROCESS_TESTS = '.process.test.ts';
const vitest = run('tests', 'pnpm', [
  'exec',
  'vitest',
  'run',
  '--reporter=dot',
  '--reporter=json',
  `--outputFile.json=${report}`,
  '--exclude',
  `**/*${PROCESS_TESTS}`,
]);
count((await run('lint', 'pnpm', ['exec', 'biome', 'check', '.'])).ok);
const build = await run('build and type-check', 'pnpm', ['exec', 'tsc', '-b']);
count(build.ok);
// Files that run under `node --test` rather than vitest (the contract suite with node:assert).
const nodeTestFiles = readdirSync('packages')
  .filter((dir) => existsSync(join('packages', dir, 'src')))
  .flatMap((dir) =>
    readdirSync(join('packages', dir, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.node-test.ts'))
      .map((file) => join('packages', dir, 'src', file)),
  )
  .sort();
const [tests, processTests, nodeTests, examples, packages] = await Promise.all([
  vitest,
  build.ok
    ? run('tests of the built commands', 'pnpm', [
        'exec',
        'vitest',
        'run',
        PROCESS_TESTS,
        '--reporter=dot',
        '--reporter=json',
        `--outputFile.json=${processReport}`,
      ])
    : undefined,
  build.ok && nodeTestFiles.length > 0
    ? run('node:test', process.execPath, [
        '--import',
        'tsx',
        '--test',
        '--test-reporter=spec',
        ...nodeTestFiles,
      ])
    : undefined,
  build.ok ? run('docs examples', 'pnpm', ['exec', 'tsx', 'docs/run-examples.ts']) : undefined,
  build.ok ? run('package checks', 'pnpm', ['exec', 'tsx', 'scripts/check-packages.ts']) : undefined,
]);
/** Adds a vitest run's counts from its JSON report; a run that failed without a failed test counts as one failure. */
const countReport = (step: Step, file: string) => {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { numPassedTests: number; numFailedTests: number };
    passed += json.numPassedTests;
    failed += json.numFailedTests;
    if (!step.ok && json.numFailedTests === 0) failed += 1;
  } catch {
    failed += 1;
  }
};
countReport(tests, report);
if (processTests) countReport(processTests, processReport);
if (nodeTests) {
  // The spec reporter ends with `ℹ pass N` and `ℹ fail M`; a run that failed without them counts as one failure.
  const pass = /ℹ pass (\d+)/.exec(nodeTests.output);
  const fail = /ℹ fail (\d+)/.exec(nodeTests.output);
  passed += Number(pass?.[1] ?? 0);
  failed += fail ? Number(fail[1]) : 1;
  if (fail && !nodeTests.ok && Number(fail[1]) === 0) failed += 1;
}
if (examples) countLine(examples);
if (packages) countLine(packages);

console.log(`\nall steps took ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
