// Run by src/testing/node.test.ts with `node --test`: nested suites with hooks at two levels,
// one passing test, one failing assertion, and a test that prints the order things ran in.
import { nodeTestRunner } from '../src/testing/node.js';

const { describe, it, beforeEach, afterEach, expect } = nodeTestRunner;
const ran: string[] = [];

describe('outer', () => {
  beforeEach(async () => {
    ran.push('before outer');
  });
  afterEach(() => {
    ran.push('after outer');
  });
  describe('inner', () => {
    beforeEach(() => {
      ran.push('before inner');
    });
    it('passes', async () => {
      ran.push('passes');
      expect({ id: 'r_1', state: 'draft' }).toMatchObject({ state: 'draft' });
    });
    it('fails', () => {
      ran.push('fails');
      expect({ type: 'unprocessable', pointer: '/data/attributes/amount' }, 'the refusal').toMatchObject({
        pointer: '/data/attributes/budget',
      });
    });
  });
  it('prints the order', () => {
    console.log(`ran: ${ran.join(', ')}`);
  });
});
