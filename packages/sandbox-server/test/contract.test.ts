import { describeConciergeClient } from '@concierge-ts/adapter-memory/testing';
import { describe, expect, it } from 'vitest';
import { httpHarness } from './harness.js';
import { DocumentCheck } from './json-api-schema.js';

// The same suite as the in-memory client, unchanged, over HTTP: in-process and on loopback.
// Every answer the client receives on the way is checked against the JSON:API 1.0 schema.
const inProcess = new DocumentCheck();
const loopback = new DocumentCheck();

describeConciergeClient(
  'HTTP client → sandbox app (in-process fetch)',
  async () => (await httpHarness('in-process', { check: inProcess })).harness,
);
describeConciergeClient(
  'HTTP client → sandbox server (loopback)',
  async () => (await httpHarness('loopback', { check: loopback })).harness,
);

describe('JSON:API 1.0 schema, over every answer of the contract suite', () => {
  it.each([
    ['in-process', inProcess],
    ['loopback', loopback],
  ])('%s: every response document validates', (transport, check) => {
    console.info(
      `JSON:API schema (${transport}): ${check.documents} response documents validated, ${check.violations.length} violations`,
    );
    expect(check.violations).toEqual([]);
    // The suite makes hundreds of calls (315 documents per transport when written): far fewer means it stopped early.
    expect(check.documents).toBeGreaterThan(250);
    // The only answers that are not JSON:API documents are the operator's plain JSON and the empty 204s of a reset or a deletion.
    console.info(`  not JSON:API documents: ${check.other.length}`);
    for (const other of check.other)
      expect(other).toMatch(
        /^(POST \/sandbox\/(clock\/(advance|run_until_idle) 200 application\/json|reset 204)|DELETE \/api\/withdrawal_instructions\/\w+ 204 )/,
      );
  });
});
