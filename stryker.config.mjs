// @ts-check
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
    'packages/domain/src/**/*.ts',
    'packages/application/src/**/*.ts',
    '!**/*.test.ts',
    '!**/testing/**',
    '!**/index.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['html', 'json', 'progress', 'clear-text'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['reports', '.concierge', 'bench/dist', '**/dist', 'docs/api', '.stryker-tmp'],
  thresholds: { high: 90, low: 80, break: null },
};
