// The domain model on its own: ports, exact money, a request and an output, a refused move.

import assert from 'node:assert/strict';
import { moneyText, parseMoney } from 'concierge-ts';
import { addOutput, draftRequest, parsePortCode, requestQuote } from 'concierge-ts/domain';

const origin = parsePortCode('ar_ars')._unsafeUnwrap();
const destination = parsePortCode('cl_clp')._unsafeUnwrap();
const { request } = draftRequest({ id: '6', ownerId: 'm1', payerId: '5', portCode: origin.code, now: 0 });

// Money is exact and checked against its currency: CLP has no decimals.
const amount = parseMoney(1000, 'CLP')._unsafeUnwrap();
const refused = parseMoney(10.5, 'CLP');
assert.equal(refused.isErr() && refused.error.code, 'invalid_amount');
assert.equal(
  refused.isErr() && refused.error.type === 'InvalidMoney' && refused.error.reason,
  'too_many_decimals',
);

const added = addOutput(request, {
  id: '1',
  requestId: request.id,
  payeeId: '7',
  withdrawalInstructionId: '3',
  portCode: destination.code,
  target: { kind: 'amount', amount },
  now: 1,
})._unsafeUnwrap();
assert.equal(added.request.counters.accepting, 1);
assert.equal(added.request.counters.total, 1);

// Every operation returns a Result; a move the lifecycle forbids says why.
const quoted = requestQuote(added.request, 2, 2)._unsafeUnwrap().request;
assert.equal(quoted.state, 'quote_requested');
const again = requestQuote(quoted, 3, 3);
assert.equal(again.isErr() && again.error.code, 'invalid_transition');
console.log(again.isErr() ? again.error.message : '');
console.log(`1000 CLP is ${moneyText(amount)} in minor-unit text`);
