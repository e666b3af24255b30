import { createHash } from 'node:crypto';

/** The `WEBHOOK-AUTH` header of SPEC section 8: the SHA-256 hex digest of the master user's API key. */
export const WEBHOOK_AUTH_HEADER = 'webhook-auth';

export const webhookSignature = (apiKey: string): string => createHash('sha256').update(apiKey).digest('hex');
