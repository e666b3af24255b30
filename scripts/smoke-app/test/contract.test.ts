// The exported contract suite, run by an integrator's vitest against the memory client.
import { createConcierge } from 'concierge-ts';
import { describeConciergeClient } from 'concierge-ts/testing';

describeConciergeClient('concierge-ts memory mode, installed from npm', async () => {
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
