// The public API of concierge-ts, by name: what an integrator's code uses. Everything else
// stays inside the packages; advanced users have `concierge-ts/domain` (the whole model)
// and `concierge-ts/testing` (contract suite, arbitraries, a recording logger).

// Webhooks: verify, apply each event once and never backwards, sign test deliveries.
export {
  type ApplyOutcome,
  EventLedger,
  type ReceivedEvent,
  signTestWebhook,
  type TestWebhook,
  type TestWebhookEvent,
  type TrackedResource,
  verifyWebhook,
  WEBHOOK_AUTH_HEADER,
  type WebhookHeaders,
  type WebhookRefusal,
  webhookSignature,
} from '@concierge-ts/adapter-http';
// Loggers, with secrets and account numbers redacted.
export {
  type ConsoleLoggerOptions,
  createConsoleLogger,
  createPinoLogger,
  type PinoLoggerOptions,
  type RedactionOptions,
  silentLogger,
  withLogging,
  withOperatorLogging,
  withSecrets,
} from '@concierge-ts/adapter-logging';
// The in-process sandbox behind `mode: 'memory'`, and its magic values.
export {
  createInMemoryConcierge,
  type InMemoryConcierge,
  type InMemoryConciergeOptions,
  MAGIC_ACCOUNT_SUFFIXES,
  type SeededPayee,
  type SeededSandbox,
} from '@concierge-ts/adapter-memory';
export type { LogFields, Logger, LogLevel } from '@concierge-ts/application';
// The client, what it takes and what it answers.
export {
  type AmountInput,
  type AuthenticationError,
  allItems,
  allPages,
  type BadRequestError,
  type CallOptions,
  type ComplianceState,
  type ConciergeClient,
  type ConciergeError,
  type ConciergeErrorType,
  type ConflictError,
  type ConnectionError,
  type CreateOutputInput,
  type CreateRequestInput,
  type CreateUserInput,
  type CreateWithdrawalInstructionInput,
  DEFAULT_PAGE_SIZE,
  type DecodeError,
  type EstimateInput,
  type EstimateLineView,
  type EstimateView,
  type EventView,
  isConciergeError,
  type ListOutputsQuery,
  type ListRequestsQuery,
  type ListWithdrawalInstructionsQuery,
  MAX_PAGE_SIZE,
  mayHaveTakenEffect,
  type NotFoundError,
  type OutputView,
  type Page,
  type PageQuery,
  type PermissionError,
  type PortView,
  type RateLimitedError,
  type RequestOutcome,
  type RequestView,
  type RequestWithOutputs,
  type ResourceType,
  type SandboxOperator,
  type ServerError,
  type TimeoutError,
  type UnprocessableError,
  type UpdateMeInput,
  type UpdateRequestInput,
  type UserView,
  type WithdrawalInstructionView,
} from '@concierge-ts/application';
// States, reasons and money as the views carry them.
export {
  type CancellationReason,
  type Currency,
  FINAL_OUTPUT_STATES,
  FINAL_REQUEST_STATES,
  formatMoney,
  type Money,
  moneyText,
  OUTPUT_STATES,
  type OutputCounters,
  type OutputState,
  type ParseMoneyOptions,
  parseMoney,
  type Rate,
  REQUEST_STATES,
  type RejectionReason,
  type RequestState,
  rateText,
} from '@concierge-ts/domain';
// Start here: one client, in memory or over HTTP.
export { type Concierge, type ConciergeOptions, createConcierge, parseConciergeOptions } from './create.js';
