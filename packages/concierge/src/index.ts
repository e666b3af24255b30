// The public API: start with createConcierge; everything else an integrator needs is re-exported.
export {
  type ApplyOutcome,
  type BackoffOptions,
  createHttpConciergeClient,
  createHttpSandboxOperator,
  DEFAULT_BACKOFF,
  DEFAULT_RETRIES,
  EventLedger,
  type HttpConciergeClientOptions,
  type HttpSandboxOperatorOptions,
  type RateLimit,
  type TrackedResource,
  verifyWebhook,
  WEBHOOK_AUTH_HEADER,
  type WebhookHeaders,
  type WebhookRefusal,
  webhookSignature,
} from '@concierge-ts/adapter-http';
export * from '@concierge-ts/adapter-logging';
export {
  createInMemoryConcierge,
  type InMemoryConcierge,
  type InMemoryConciergeOptions,
  MAGIC_ACCOUNT_SUFFIXES,
  MAGIC_VALUES,
  ManualClock,
  OffsetClock,
} from '@concierge-ts/adapter-memory';
export * from '@concierge-ts/application';
export * from '@concierge-ts/domain';
export * from './create';
