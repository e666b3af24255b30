import { err, ok, safeTry } from 'neverthrow';
import type { CreateUserInput, UpdateMeInput } from '../gateway/client.js';
import { conciergeError } from '../gateway/errors.js';
import { type Field, field } from '../gateway/field.js';
import { pageOf } from '../gateway/page.js';
import type { Page, PageQuery, UserView } from '../gateway/views.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { optionalText, unprocessable } from './input.js';
import type { UserRecord } from './ports.js';
import { presentUser } from './present.js';

/**
 * The users resource (SPEC section 1): master users, who call the API, and the payers and
 * payees each of them manages.
 */

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{1,63}$/;

/** The master user an API key belongs to: 401 for an unknown key, 403 for a managed user's. */
export const authenticate = (
  p: ProviderContext,
  apiKey: string | undefined | null,
): ServiceResult<UserRecord> => {
  if (!apiKey) return err(conciergeError.authentication('the Authorization header is missing'));
  const user = p.repos.users.findByApiKey(apiKey);
  if (!user) return err(conciergeError.authentication());
  if (user.role !== 'master') return err(conciergeError.permission('only master users may use Concierge'));
  return ok(user);
};

/** Creates a master user (an integrator's account) with its API key; for seeding. */
export const createMasterUser = (
  p: ProviderContext,
  input: { email: string; name?: string; apiKey?: string },
): UserRecord => {
  const user: UserRecord = {
    id: p.ids.next('user'),
    email: input.email,
    name: input.name ?? null,
    role: 'master',
    masterId: null,
    complianceState: 'enabled',
    apiKey: input.apiKey ?? p.ids.apiKey(),
    webhookUrl: null,
    createdAt: p.time.now(),
  };
  p.repos.users.save(user);
  return user;
};

/** A managed user; `email` and `name` are optional, as the published guide creates one with neither. */
export const createUser = (
  p: ProviderContext,
  caller: UserRecord,
  input: CreateUserInput = {},
): ServiceResult<UserView> =>
  safeTry(function* () {
    const email = yield* emailOf(input.email);
    const name = yield* optionalText(input.name, field.attribute('name'));
    const user: UserRecord = {
      id: p.ids.next('user'),
      email,
      name: name ?? null,
      role: 'managed',
      masterId: caller.id,
      // The sandbox's magic values may start a user `new`, `disabled` or `rejected` (SPEC section 9).
      complianceState: p.policy.initialCompliance(email),
      apiKey: null,
      webhookUrl: null,
      createdAt: p.time.now(),
    };
    p.repos.users.save(user);
    return ok(presentUser(user, []));
  });

const emailOf = (given: unknown): ServiceResult<string | null> => {
  if (given === undefined || given === null) return ok(null);
  if (typeof given !== 'string' || !EMAIL.test(given))
    return unprocessable(
      'invalid_attribute',
      'email must be an address such as ana@example.com',
      field.attribute('email'),
    );
  return ok(given);
};

export const getUser = (p: ProviderContext, caller: UserRecord, id: string): ServiceResult<UserView> => {
  const user = id === caller.id ? ok(caller) : managedUser(p, caller, id);
  return user.map((u) => presentUser(u, p.repos.balances.listByUser(u.id)));
};

/** The caller first, then the users it manages, oldest first (the published list includes the master). */
export const listUsers = (
  p: ProviderContext,
  caller: UserRecord,
  query: { page?: PageQuery } = {},
): ServiceResult<Page<UserView>> => {
  const self = p.repos.users.get(caller.id) ?? caller;
  return pageOf([self, ...p.repos.users.listByMaster(caller.id)], query.page, (u) =>
    presentUser(u, p.repos.balances.listByUser(u.id)),
  );
};

export const me = (p: ProviderContext, caller: UserRecord): ServiceResult<UserView> =>
  ok(presentUser(p.repos.users.get(caller.id) ?? caller, p.repos.balances.listByUser(caller.id)));

export const updateMe = (
  p: ProviderContext,
  caller: UserRecord,
  input: UpdateMeInput,
): ServiceResult<UserView> =>
  safeTry(function* () {
    const url = yield* webhookUrlOf(input.webhookUrl);
    const current = p.repos.users.get(caller.id) ?? caller;
    const updated: UserRecord = url === undefined ? current : { ...current, webhookUrl: url };
    p.repos.users.save(updated);
    return me(p, updated);
  });

/** Absent, null (no webhooks) or an http or https URL of at most 2,048 characters. */
const webhookUrlOf = (url: unknown): ServiceResult<string | null | undefined> => {
  if (url === undefined || url === null) return ok(url);
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' && url.length <= 2048 ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    return unprocessable(
      'invalid_attribute',
      'webhook_url must be an http or https URL',
      field.attribute('webhook_url'),
    );
  return ok(url as string);
};

/** A user the caller manages (404 otherwise, or 422 at `at` when it is a reference). */
export const managedUser = (
  p: ProviderContext,
  caller: UserRecord,
  id: unknown,
  at?: Field,
): ServiceResult<UserRecord> => {
  const user = typeof id === 'string' ? p.repos.users.get(id) : undefined;
  // Only a managed user has a master: a master user's `masterId` is null.
  if (user && user.masterId === caller.id) return ok(user);
  return err(
    at
      ? conciergeError.unprocessable('unknown_user', `user ${String(id)} does not exist or is not yours`, at)
      : conciergeError.notFound('user', String(id)),
  );
};
