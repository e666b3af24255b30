import { err, ok, type Result } from 'neverthrow';
import type { DomainError, HintRefusal } from './errors.js';
import type { Output } from './output.js';
import type { Estimate, OutputPrice, OutputTarget } from './pricing.js';
import type { Request } from './request.js';

/** A hint token is valid for 10 minutes after its estimate. */
export const HINT_VALIDITY_MS = 10 * 60_000;

/** What a hint token binds: the estimate's origin, outputs and prices, and when it was issued. */
export interface HintBinding {
  readonly originPortCode: string;
  readonly outputs: readonly {
    readonly portCode: string;
    readonly target: OutputTarget;
    readonly price: OutputPrice;
  }[];
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export const bindHint = (estimate: Estimate, issuedAt: number): HintBinding => ({
  originPortCode: estimate.portCode,
  outputs: estimate.outputs.map((o) => ({ portCode: o.portCode, target: o.target, price: o.price })),
  issuedAt,
  expiresAt: issuedAt + HINT_VALIDITY_MS,
});

const refuse = (code: HintRefusal, why: string): DomainError => ({
  type: 'HintTokenRefused',
  code,
  message: `the hint_token cannot price this request: ${why}`,
});

const targetKey = (portCode: string, target: OutputTarget): string =>
  target.kind === 'amount'
    ? `${portCode}|amount|${target.amount.currency}|${target.amount.amount}`
    : `${portCode}|budget|${target.budget.currency}|${target.budget.amount}`;

/**
 * Checks that a request matches a hint: same origin, and its outputs to be priced
 * (accepting or accepted) are, as a multiset, the estimate's (port, amount or budget)
 * lines; and that the token is used before it expires. Gives each output its price.
 */
export const matchHint = (
  binding: HintBinding,
  request: Request,
  outputs: Iterable<Output>,
  now: number,
): Result<ReadonlyMap<string, OutputPrice>, DomainError> => {
  if (now >= binding.expiresAt)
    return err(refuse('hint_token_expired', 'it expired 10 minutes after its estimate'));
  if (binding.originPortCode !== request.portCode)
    return err(
      refuse(
        'hint_token_mismatch',
        `it was issued for origin ${binding.originPortCode}, not ${request.portCode}`,
      ),
    );
  const available = new Map<string, OutputPrice[]>();
  for (const line of binding.outputs) {
    const key = targetKey(line.portCode, line.target);
    const list = available.get(key) ?? [];
    list.push(line.price);
    available.set(key, list);
  }
  const prices = new Map<string, OutputPrice>();
  for (const output of outputs) {
    if (output.requestId !== request.id) continue;
    if (output.state !== 'accepting' && output.state !== 'accepted') continue;
    const price = available.get(targetKey(output.portCode, output.target))?.pop();
    if (!price)
      return err(
        refuse(
          'hint_token_mismatch',
          `output ${output.id} (${output.portCode}) is not among the estimate's outputs`,
        ),
      );
    prices.set(output.id, price);
  }
  const unused = [...available.values()].reduce((n, list) => n + list.length, 0);
  if (unused > 0)
    return err(
      refuse('hint_token_mismatch', `${unused} of the estimate's outputs are missing from the request`),
    );
  return ok(prices);
};
