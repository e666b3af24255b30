import { bindHint, estimate } from '@concierge-ts/domain';
import { ok, safeTry } from 'neverthrow';
import type { EstimateInput } from '../gateway/client.js';
import { field } from '../gateway/field.js';
import { type EstimateView, isoTime } from '../gateway/views.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { unprocessable } from './input.js';
import { activePort } from './port-catalog.js';

/**
 * The estimates resource (SPEC section 6): a price now, binding nothing, for an origin and
 * up to 1000 destinations, with a hint token that a quote request may bring back.
 */

type EstimateLine = Parameters<typeof estimate>[1][number];

export const createEstimate = (p: ProviderContext, input: EstimateInput): ServiceResult<EstimateView> =>
  safeTry(function* () {
    const origin = yield* activePort(p, input.portCode, field.attribute('port_code'));
    if (!Array.isArray(input.outputs) || input.outputs.length === 0 || input.outputs.length > 1000)
      return unprocessable(
        'invalid_attribute',
        'outputs must list 1 to 1000 outputs',
        field.attribute('outputs'),
      );
    const lines: EstimateLine[] = [];
    for (const [index, line] of input.outputs.entries()) {
      const at = ['outputs', index] as const;
      if (typeof line !== 'object' || line === null)
        return unprocessable(
          'invalid_attribute',
          'expected an object with port_code and amount or budget',
          field.attribute(...at),
        );
      const destination = yield* activePort(p, line.portCode, field.attribute(...at, 'port_code'));
      const target = yield* p.targets.parse(line, origin, destination, at);
      const quote = yield* p.pricing.quote(origin, destination);
      lines.push({ portCode: destination.code, target, destination: destination.currency, quote });
    }
    const result = estimate(origin, lines);
    const binding = bindHint(result, p.time.now());
    return ok({
      portCode: result.portCode,
      totalToSpend: result.totalToSpend,
      hintToken: p.hints.encode(binding),
      expiresAt: isoTime(binding.expiresAt),
      outputs: result.outputs.map((o) => ({
        portCode: o.portCode,
        given: o.target.kind,
        amount: o.price.amount,
        budget: o.price.budget,
        rate: o.price.rate,
        allInRate: o.price.allInRate,
        feeAndCost: o.price.feeAndCost,
      })),
    });
  });
