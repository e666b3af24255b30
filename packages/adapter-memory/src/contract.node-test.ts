// The contract suite under node:test and node:assert, against the in-memory client:
// `node --import tsx --test packages/adapter-memory/src/contract.node-test.ts` (after a build).
import { describeConciergeClient } from '@concierge-ts/application/testing/node';
import { createInMemoryConcierge } from './compose.js';

describeConciergeClient('in-memory, under node:test', async () => {
  const sandbox = createInMemoryConcierge({ seed: false });
  const other = sandbox.addMaster('other@example.com');
  return {
    client: sandbox.client,
    operator: sandbox.operator,
    other: { client: other.client, operator: other.operator },
    dispose: async () => {},
  };
});
