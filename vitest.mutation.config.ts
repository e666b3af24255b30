import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests the mutation run (`pnpm mutation`) measures: those of the packages it mutates
 * (domain, application) and the in-memory adapter's, which drive the application's
 * provider and payout run through in-memory ports. Tests of HTTP servers, child
 * processes and databases exercise the same rules through slower parts and stay out.
 */
const MEASURED = new Set(['domain', 'application', 'adapter-memory']);

type Project = { test: { name: string; testTimeout?: number } };

export default mergeConfig(
  { ...base, test: { ...base.test, projects: undefined } },
  defineConfig({
    test: {
      // The dry run measures every test under coverage instrumentation on a shared machine:
      // a generous timeout there, so a slow moment fails no test (Stryker times each
      // mutant from the dry run's durations, not from this).
      projects: ((base.test?.projects ?? []) as Project[])
        .filter((p) => MEASURED.has(p.test.name))
        .map((p) => ({ ...p, test: { ...p.test, testTimeout: 300_000 } })),
    },
  }),
);
