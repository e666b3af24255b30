import { AssertionError } from 'node:assert';
import { describe, it, expect as vitestExpect } from 'vitest';
import { expect } from './node-expect.js';

/** The error a check throws, or undefined when it passes. */
const thrown = (check: () => void): unknown => {
  try {
    check();
    return undefined;
  } catch (error) {
    return error;
  }
};

describe('the node:assert expect', () => {
  it('fails with node’s AssertionError, whose diff shows only what toMatchObject asks for', () => {
    const error = thrown(() =>
      expect({ type: 'unprocessable', status: 422, pointer: '/data/attributes/amount' }).toMatchObject({
        status: 422,
        pointer: '/data/attributes/budget',
      }),
    );
    vitestExpect(error).toBeInstanceOf(AssertionError);
    const { message } = error as AssertionError;
    vitestExpect(message).toContain("+   pointer: '/data/attributes/amount'");
    vitestExpect(message).toContain("-   pointer: '/data/attributes/budget'");
    vitestExpect(message).not.toContain('unprocessable');
  });

  it('leads a failure with the message given to expect, once', () => {
    const error = thrown(() => expect({ a: 1 }, 'case 3').toEqual({ a: 2 })) as AssertionError;
    vitestExpect(error).toBeInstanceOf(AssertionError);
    vitestExpect(error.message.startsWith('case 3: ')).toBe(true);
    vitestExpect(error.message.split('+ actual - expected')).toHaveLength(2);
    vitestExpect(error.stack).toContain('case 3: ');
    vitestExpect(thrown(() => expect(1, 'case 4').not.toBe(1))).toMatchObject({ message: /^case 4: / });
  });

  it('turns around with not, and back with not.not', () => {
    vitestExpect(thrown(() => expect([1, 2]).not.toContain(3))).toBeUndefined();
    vitestExpect(thrown(() => expect([1, 2]).not.toContain(2))).toBeInstanceOf(AssertionError);
    vitestExpect(thrown(() => expect('ab').not.not.toContain('b'))).toBeUndefined();
    vitestExpect(thrown(() => expect('ab').not.not.toContain('c'))).toBeInstanceOf(AssertionError);
  });

  it('shows an asymmetric matcher that did not match by what it asks for', () => {
    const error = thrown(() =>
      expect({ codes: ['ar_ars'] }).toEqual({ codes: expect.arrayContaining(['us_usd']) }),
    );
    vitestExpect((error as AssertionError).message).toContain('ArrayContaining {');
    vitestExpect((error as AssertionError).message).toContain('sample: [');
  });

  it('refuses a value a matcher cannot read, naming it', () => {
    vitestExpect(thrown(() => expect(5).toHaveLength(1))).toMatchObject({
      message: 'expected a length, got 5',
    });
    vitestExpect(thrown(() => expect('7').toBeGreaterThan(1))).toMatchObject({
      message: "expected a number or a bigint, got '7'",
    });
    vitestExpect(thrown(() => expect(null).toMatchObject({}))).toMatchObject({
      message: 'expected an object, got null',
    });
  });
});
