import { type DocumentKind, type RequestDocument, requestDocument } from '@concierge-ts/domain';
import { err, ok } from 'neverthrow';
import { conciergeError } from '../gateway/errors.js';
import { type DocumentView, isoTime } from '../gateway/views.js';
import type { ProviderContext, ServiceResult } from './context.js';
import type { UserRecord } from './ports.js';
import { ownRequest } from './requests.js';

/**
 * A request's documents (SPEC section 7): `GET /api/concierge_requests/:id/receipt` and
 * `/credit_note`, behind `receipt_url` and `credit_note_url`. When each exists is the
 * domain's (`documents.ts`): the receipt once the payer is charged, the credit note once
 * money first goes back after that. Until then, 404.
 */

const NAMES: Record<DocumentKind, string> = { receipt: 'receipt', credit_note: 'credit note' };

export const getDocument = (
  p: ProviderContext,
  caller: UserRecord,
  requestId: string,
  kind: DocumentKind,
): ServiceResult<DocumentView> =>
  ownRequest(p, caller, requestId).andThen((request) => {
    const document = requestDocument(
      kind,
      request,
      p.repos.outputs.listByRequest(request.id),
      (output) => p.ports.get(output.portCode)?.returnCost,
    );
    return document === null
      ? err({
          ...conciergeError.notFound(`the ${NAMES[kind]} of request`, request.id),
          detail: `request ${request.id} has no ${NAMES[kind]} (yet)`,
        })
      : ok(presentDocument(document));
  });

export const presentDocument = (d: RequestDocument): DocumentView => ({
  id: `${d.requestId}-${d.kind}`,
  kind: d.kind,
  requestId: d.requestId,
  requestState: d.requestState,
  portCode: d.portCode,
  issuedAt: isoTime(d.issuedAt),
  lines: d.lines.map((l) => ({
    outputId: l.outputId,
    state: l.state,
    portCode: l.portCode,
    amount: l.amount,
    budget: l.budget,
    feeAndCost: l.feeAndCost,
    credited: l.credited,
    returnCost: l.returnCost,
  })),
  totals: d.totals,
});
