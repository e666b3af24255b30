// @ts-check
/**
 * The mutated files, in parts that run (and are kept) one at a time: a part's results are
 * written when it ends, so a long run is resumable part by part. `MUTATION_PART` names one;
 * `scripts/mutation.ts` runs each part in turn and scores them together.
 */
const PARTS = {
  domain: ['packages/domain/src/**/*.ts'],
  provider: [
    'packages/application/src/*.ts',
    'packages/application/src/provider/**/*.ts',
    'packages/application/src/sandbox/**/*.ts',
  ],
  workflows: ['packages/application/src/workflows/**/*.ts', 'packages/application/src/gateway/**/*.ts'],
};
const part = process.env.MUTATION_PART ?? 'domain';
if (!(part in PARTS))
  throw new Error(`MUTATION_PART=${part}: expected one of ${Object.keys(PARTS).join(', ')}`);

/**
 * Mutation testing (`pnpm mutation`): how much of the domain's and the application's
 * rules the tests actually guard. Not part of `pnpm test` (tens of minutes on 2 cores).
 * Incremental: a re-run only mutates what changed since the results in
 * reports/mutation/incremental.json. `scripts/mutation.ts` runs it and scores the result,
 * counting the equivalents listed in mutation-equivalents.md.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'pnpm',
  plugins: ['@stryker-mutator/vitest-runner', '@stryker-mutator/typescript-checker'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    ...PARTS[/** @type {keyof typeof PARTS} */ (part)],
    '!**/*.test.ts',
    '!**/testing/**',
    '!**/index.ts',
  ],
  incremental: true,
  incrementalFile: `reports/mutation/${part}.incremental.json`,
  reporters: ['html', 'progress', 'clear-text'],
  htmlReporter: { fileName: `reports/mutation/${part}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['reports', '.concierge', 'bench/dist', '**/dist', 'docs/api', '.stryker-tmp'],
  thresholds: { high: 90, low: 80, break: null },
};
