import type { Stores } from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import type { RequestContext } from '../context.js';
import { lintInput, loadCatalog } from './catalog.js';
import { type CatalogProblem, lintCatalog } from './catalog-lint.js';

/** The result of `keyhold scopes check`: `ok` unless some problem is an error. */
export interface CatalogCheck {
  /** False when any problem has severity `error` (warnings alone leave it true). */
  ok: boolean;
  /** Every problem, errors first (see `lintCatalog`). */
  problems: CatalogProblem[];
}

/**
 * Lints the account's catalog (the built-in vault API and registered resource servers, their
 * scopes) against its clients. Needs `oauth:read`.
 */
export async function checkCatalog(
  storage: Pick<Stores, 'resourceServers' | 'clients' | 'audit'>,
  ctx: RequestContext,
): Promise<CatalogCheck> {
  await authorizeAccount(storage, ctx, 'oauth:read');
  const accountId = ctx.actor.accountId;
  const problems = lintCatalog(
    lintInput(await loadCatalog(storage, accountId), await storage.clients.list(accountId)),
  );
  return { ok: !problems.some((p) => p.severity === 'error'), problems };
}
