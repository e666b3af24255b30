import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const fixture = fileURLToPath(new URL('../../test/node-runner.fixture.ts', import.meta.url));

/** Runs a file under `node --test` (TypeScript through tsx), as an integrator's test command would. */
const nodeTest = (file: string) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
      cwd: root,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, output }));
  });

describe('the node:test runner of the contract suites', () => {
  it('runs nested suites with their hooks around every test, and fails the run on a failed expect', async () => {
    const { code, output } = await nodeTest(fixture);
    expect(code).toBe(1);
    expect(output).toMatch(/^# tests 3$/m);
    expect(output).toMatch(/^# pass 2$/m);
    expect(output).toMatch(/^# fail 1$/m);
    expect(output).toMatch(/^\s*not ok 2 - fails$/m);
    // The outer hooks run around the inner suite's tests too, as under vitest.
    expect(output).toContain(
      'ran: before outer, before inner, passes, after outer, before outer, before inner, fails, after outer, before outer',
    );
    // The failure is node's AssertionError: the message given to expect, then node's diff.
    expect(output).toContain('the refusal: Expected values to be strictly deep-equal:');
    expect(output).toContain("+   pointer: '/data/attributes/amount'");
    expect(output).toContain("-   pointer: '/data/attributes/budget'");
    expect(output).not.toContain('unprocessable'); // toMatchObject shows only what it asked for
  });
});
