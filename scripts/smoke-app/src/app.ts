// A small app as an integrator writes it, against the installed concierge-ts only: it pays
// two people on the in-process sandbox and prints where the request ended.
import {
  type ConciergeClient,
  type ConciergeError,
  createConcierge,
  formatMoney,
  isConciergeError,
  type RequestView,
} from 'concierge-ts';

const fail = (error: ConciergeError): never => {
  console.error(`smoke: ${error.type} ${error.code}: ${error.detail}`);
  process.exit(1);
};

const pay = async (
  client: ConciergeClient,
  payerId: string,
  payees: readonly Payee[],
): Promise<RequestView> => {
  const request = await client.requests.create({ portCode: 'ar_ars', payerId, externalId: 'smoke/1' });
  if (request.isErr()) return fail(request.error);
  for (const payee of payees) {
    const output = await client.outputs.create({
      requestId: request.value.id,
      payeeId: payee.userId,
      withdrawalInstructionId: payee.withdrawalInstructionId,
      portCode: payee.portCode,
      amount: payee.portCode === 'cl_clp' ? 150_000 : '1200.50',
    });
    if (output.isErr()) return fail(output.error);
  }
  const quoted = await client.requests.requestQuote(request.value.id);
  if (quoted.isErr()) return fail(quoted.error);
  return quoted.value;
};

interface Payee {
  readonly userId: string;
  readonly withdrawalInstructionId: string;
  readonly portCode: string;
}

const created = createConcierge({ mode: 'memory' });
if (created.isErr()) fail(created.error);
else {
  const { client, sandbox } = created.value;
  const seeded = sandbox?.seeded;
  if (!seeded) throw new Error('the memory sandbox has no seed');
  const payees = seeded.payees.filter((p) => p.portCode === 'cl_clp' || p.portCode === 'mx_mxn');
  const request = await pay(client, seeded.payerId, payees);
  const total = request.totalToSpend === null ? 'not yet' : formatMoney(request.totalToSpend);
  const refused = createConcierge({ mode: 'http', baseUrl: 'not a url', apiKey: 'k' });
  const refusal = refused.isErr() && isConciergeError(refused.error) ? refused.error.code : 'accepted';
  console.log(
    `smoke: request ${request.id} ${request.state}, ${request.counters.total} outputs, total ${total}`,
  );
  console.log(`smoke: bad options refused with ${refusal}`);
}
