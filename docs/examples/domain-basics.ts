// The domain model on its own: ports, exact money, a request and an output, a refused move.

import assert from 'node:assert/strict';
import { moneyText, parseMoney } from 'concierge-ts';
import { addOutput, draftRequest, parsePortCode, requestQuote } from 'concierge-ts/domain';
import { ok, safeTry } from 'neverthrow';

// Every operation returns a Result. Inside safeTry, `yield*` takes an Ok's value and
// stops at the first Err, which becomes the Result of the whole block.
const steps = safeTry(function* () {
  const origin = yield* parsePortCode('ar_ars');
  const destination = yield* parsePortCode('cl_clp');
  const { request } = draftRequest({ id: '6', ownerId: 'm1', payerId: '5', portCode: origin.code, now: 0 });
  // Money is exact and checked against its currency.
  const amount = yield* parseMoney(1000, 'CLP');
  const added = yield* addOutput(request, {
    id: '1',
    requestId: request.id,
    payeeId: '7',
    withdrawalInstructionId: '3',
    portCode: destination.code,
    target: { kind: 'amount', amount },
    now: 1,
  });
  const quoted = yield* requestQuote(added.request, 2, 2);
  return ok({ amount, added: added.request, quoted: quoted.request });
});
if (steps.isErr()) {
  console.error(`${steps.error.type}: ${steps.error.message}`);
  process.exit(1);
}
const { amount, added, quoted } = steps.value;
assert.equal(added.counters.accepting, 1);
assert.equal(added.counters.total, 1);
assert.equal(quoted.state, 'quote_requested');

// A refusal is a value with a stable type and code: CLP has no decimals.
const refused = parseMoney(10.5, 'CLP');
assert.equal(refused.isErr() && refused.error.code, 'invalid_amount');
assert.equal(
  refused.isErr() && refused.error.type === 'InvalidMoney' && refused.error.reason,
  'too_many_decimals',
);

// A move the lifecycle forbids says why.
const again = requestQuote(quoted, 3, 3);
assert.equal(again.isErr() && again.error.code, 'invalid_transition');
console.log(again.isErr() ? again.error.message : '');
console.log(`1000 CLP is ${moneyText(amount)} in minor-unit text`);
