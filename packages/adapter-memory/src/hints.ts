import { randomBytes } from 'node:crypto';
import type { HintTokenCodec } from '@concierge-ts/application';
import type { DomainError, HintBinding } from '@concierge-ts/domain';
import { err, ok, type Result } from 'neverthrow';

/**
 * Hint tokens as opaque random strings, remembered with what they bind. Tokens past
 * their validity are forgotten lazily; an unknown token is refused like a malformed one.
 */
export class InMemoryHintTokens implements HintTokenCodec {
  private readonly bindings = new Map<string, HintBinding>();

  encode(binding: HintBinding): string {
    const token = `hint_${randomBytes(16).toString('hex')}`;
    this.bindings.set(token, binding);
    if (this.bindings.size > 10_000) this.forgetOldest();
    return token;
  }

  decode(token: string): Result<HintBinding, DomainError> {
    const binding = this.bindings.get(token);
    return binding
      ? ok(binding)
      : err({
          type: 'HintTokenRefused',
          code: 'hint_token_malformed',
          message: 'the hint_token is unknown: it was not issued by an estimate of this service',
        });
  }

  private forgetOldest(): void {
    const oldest = this.bindings.keys().next();
    if (!oldest.done) this.bindings.delete(oldest.value);
  }
}
