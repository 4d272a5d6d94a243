import type { FastifyRequest } from 'fastify';
import { ID_PATTERN } from '../../crypto/ids.js';
import { accountExists } from '../../domain/accounts/account-exists.js';
import { notFound } from '../../errors/app-error.js';
import type { Services } from '../../services.js';

/** The account of an `/oauth/{accountId}/…` route; an unknown account is a plain 404. */
export async function accountOf(services: Services, request: FastifyRequest): Promise<string> {
  const accountId = accountIdParam(request);
  if (!(await accountExists(services.storage, accountId))) throw notFound('no such authorization server');
  return accountId;
}

/**
 * The account id of an `/oauth/{accountId}/…` route, checked for shape only. For the endpoints
 * where the caller authenticates: its client or resource server must belong to this account,
 * which an unknown account has none of, so the lookup `accountOf` does would be spent twice.
 */
export function accountIdParam(request: FastifyRequest): string {
  const { accountId } = request.params as { accountId?: string };
  if (!accountId || !ID_PATTERN.test(accountId)) throw notFound('no such authorization server');
  return accountId;
}
