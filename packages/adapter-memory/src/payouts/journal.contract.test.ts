import { createInMemoryJournal } from '../payout-journal.js';
import { describeJournalContract } from '../testing/journal-contract.js';

describeJournalContract('in memory', async () => ({
  journal: createInMemoryJournal(),
  dispose: async () => {},
}));
