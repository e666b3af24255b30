import { errAsync, ok, okAsync, type Result, type ResultAsync } from 'neverthrow';
import type { ConciergeService } from './concierge-service.js';
import type { ConciergeClient } from './gateway/client.js';
import { type ConciergeError, conciergeError } from './gateway/errors.js';
import type { UserRecord } from './provider/ports.js';

const lift = <T>(result: Result<T, ConciergeError>): ResultAsync<T, ConciergeError> =>
  result.isOk() ? okAsync(result.value) : errAsync(result.error);

/**
 * The in-process gateway: a `ConciergeClient` that calls the service directly as the
 * master user the API key belongs to, with the same answers and refusals as the API.
 * A call the service did not expect (a thrown bug) becomes a `server` error, never a throw;
 * its message stays inside (it may name internals), reported to `onBug`.
 */
export const serviceClient = (
  service: ConciergeService,
  apiKey: string,
  onBug: (thrown: unknown) => void = (thrown) => console.error('concierge: unexpected error', thrown),
): ConciergeClient => {
  const bug = (thrown: unknown) => {
    onBug(thrown);
    return errAsync(conciergeError.server('the service failed to handle this call'));
  };
  const as = <T>(run: (caller: UserRecord) => Result<T, ConciergeError>): ResultAsync<T, ConciergeError> => {
    try {
      return lift(service.authenticate(apiKey).andThen(run));
    } catch (thrown) {
      return bug(thrown);
    }
  };
  const open = <T>(run: () => Result<T, ConciergeError>): ResultAsync<T, ConciergeError> => {
    try {
      return lift(run());
    } catch (thrown) {
      return bug(thrown);
    }
  };
  return {
    ports: {
      list: () => open(() => ok(service.listPorts())),
    },
    requests: {
      create: (input) => as((c) => service.createRequest(c, input)),
      get: (id) => as((c) => service.getRequest(c, id)),
      getWithOutputs: (id) => as((c) => service.getRequestWithOutputs(c, id)),
      list: (query) => as((c) => service.listRequests(c, query)),
      update: (id, input) => as((c) => service.updateRequest(c, id, input)),
      requestQuote: (id, input) => as((c) => service.requestQuote(c, id, input)),
      acceptQuote: (id) => as((c) => service.acceptQuote(c, id)),
      cancel: (id) => as((c) => service.cancelRequest(c, id)),
      receipt: (id) => as((c) => service.getDocument(c, id, 'receipt')),
      creditNote: (id) => as((c) => service.getDocument(c, id, 'credit_note')),
    },
    outputs: {
      create: (input) => as((c) => service.createOutput(c, input)),
      get: (id) => as((c) => service.getOutput(c, id)),
      list: (query) => as((c) => service.listOutputs(c, query)),
    },
    estimates: {
      create: (input) => open(() => service.createEstimate(input)),
    },
    users: {
      create: (input = {}) => as((c) => service.createUser(c, input)),
      get: (id) => as((c) => service.getUser(c, id)),
      list: (query) => as((c) => service.listUsers(c, query)),
      me: () => as((c) => service.me(c)),
      updateMe: (input) => as((c) => service.updateMe(c, input)),
    },
    withdrawalInstructions: {
      create: (input) => as((c) => service.createWithdrawalInstruction(c, input)),
      get: (id) => as((c) => service.getWithdrawalInstruction(c, id)),
      list: (query) => as((c) => service.listWithdrawalInstructions(c, query)),
      delete: (id) => as((c) => service.deleteWithdrawalInstruction(c, id)),
    },
  };
};
