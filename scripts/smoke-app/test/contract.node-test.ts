// The exported contract suite under node:test (`node --test`), against the memory client:
// no vitest, no fast-check, the assertions are node:assert's.
import { createConcierge } from 'concierge-ts';
import { describeConciergeClient } from 'concierge-ts/testing/node';

describeConciergeClient('concierge-ts memory mode, installed from npm, under node:test', async () => {
  const concierge = createConcierge({ mode: 'memory', seed: false });
  if (concierge.isErr()) throw new Error(concierge.error.detail);
  const { client, operator, sandbox } = concierge.value;
  if (!sandbox) throw new Error('a memory Concierge has a sandbox');
  const other = sandbox.addMaster('other@example.com');
  return {
    client,
    operator,
    other: { client: other.client, operator: other.operator },
    dispose: async () => {},
  };
});
