import { createInMemoryConcierge } from './compose.js';
import { describeConciergeClient } from './testing/index.js';

describeConciergeClient('in-memory', async () => {
  const sandbox = createInMemoryConcierge({ seed: false });
  const other = sandbox.addMaster('other@example.com');
  return {
    client: sandbox.client,
    operator: sandbox.operator,
    other: { client: other.client, operator: other.operator },
    dispose: async () => {},
  };
});
