// The contract suites under node:test, asserting with node:assert: importing this module loads no vitest.
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type ContractHarness, describeConciergeClientWith } from './contract.js';
import { expect } from './node-expect.js';
import type { ContractRunner } from './runner.js';

/**
 * node:test's describe, it and hooks (a hook of a suite runs around every test of the suites
 * inside it, as in vitest), with `expect` over node:assert. The promises node:test returns
 * for a suite or a test are its own to await: it reports their outcome.
 */
export const nodeTestRunner: ContractRunner = {
  describe: (name, body) => {
    void describe(name, body);
  },
  it: (name, body) => {
    void it(name, async () => {
      await body();
    });
  },
  beforeEach: (hook) => beforeEach(async () => hook()),
  afterEach: (hook) => afterEach(async () => hook()),
  expect,
};

/**
 * Registers the ConciergeClient contract suite as node:test tests, against the harness
 * `factory` builds for each: run the file with `node --test`.
 */
export const describeConciergeClient = (name: string, factory: () => Promise<ContractHarness>): void =>
  describeConciergeClientWith(nodeTestRunner, name, factory);

export type { ContractHarness } from './contract.js';
