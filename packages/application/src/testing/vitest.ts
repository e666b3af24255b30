// The contract suites under vitest (an optional peer dependency): importing this module loads vitest.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ContractHarness, describeConciergeClientWith } from './contract.js';
import type { ContractRunner } from './runner.js';

/** vitest's own functions: its describe, it, hooks and expect fit the runner as they are. */
export const vitestRunner: ContractRunner = { describe, it, beforeEach, afterEach, expect };

/** Registers the ConciergeClient contract suite as vitest tests, against the harness `factory` builds for each. */
export const describeConciergeClient = (name: string, factory: () => Promise<ContractHarness>): void =>
  describeConciergeClientWith(vitestRunner, name, factory);

export type { ContractHarness } from './contract.js';
