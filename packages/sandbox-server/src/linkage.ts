import type {
  ConciergeClient,
  ConciergeError,
  RequestView,
  RequestWithOutputs,
} from '@concierge-ts/application';
import { okAsync, type ResultAsync } from 'neverthrow';

/**
 * A request with its outputs, for their resource linkage (SPEC section 7: a request's
 * `outputs` relationship always carries it). A request without outputs has nothing to
 * look up; any other is read again with its outputs, keeping the view given (the state
 * an action left it in).
 */
export const withOutputs = (
  client: ConciergeClient,
  request: RequestView,
): ResultAsync<RequestWithOutputs, ConciergeError> =>
  request.counters.total === 0
    ? okAsync({ ...request, outputs: [] })
    : client.requests.getWithOutputs(request.id).map(({ outputs }) => ({ ...request, outputs }));
