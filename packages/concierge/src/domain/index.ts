// The whole domain model, for advanced use: ports, exact money, requests and outputs as
// immutable values, their lifecycle tables and transitions, pricing, balances, events.
export * from '@concierge-ts/domain';
