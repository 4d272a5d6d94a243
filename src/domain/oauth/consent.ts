import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { badRequest } from '../../errors/app-error.js';
import type { CodeSignIn, GrantRecord, Storage } from '../../storage/ports.js';
import type { VaultPermission } from '../access/permissions.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import type { VaultService } from '../vaults/vault-service.js';
import { detailScopes, type VaultAuthorizationDetail } from './authorization-details.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { findScope } from './catalog.js';
import { offeredDetailScopes } from './consent-details.js';
import { revokeExchangedConnectTokens } from './exchanged-connect-tokens.js';
import { grantOfAction, scopesAfterConsent } from './grant-management-action.js';
import { PER_VAULT_SCOPE, VAULT_API_RESOURCE, VAULT_WIDE_SCOPE } from './vault-api.js';

/** One requested scope as the consent page shows it: what it means and what it reaches. */
export interface ConsentItem {
  requested: string;
  description: string;
  /** What the user can approve for it: the scope itself, or one choice per vault. */
  options: { scope: string; label: string }[];
  /** Already granted earlier: marked as such on the page. */
  granted: string[];
  /**
   * What the page ticks: what was granted, or every option of a scope never answered before.
   * Re-consent never ticks what the user left out last time (the selection replaces the grant).
   */
  ticked: string[];
}

export interface ConsentPlan {
  items: ConsentItem[];
  grant: GrantRecord | undefined;
  /** False when every requested scope was granted before (remembered consent). */
  needed: boolean;
}

/** The user's sign-in behind a code (oidc-request.ts `signInOf`): `auth_time` and `amr` of its ID tokens. */
export type SignedIn = Omit<CodeSignIn, 'nonce'>;

/** A code is exchanged at once by a working client; a minute is plenty (RFC 6749 §4.1.2). */
export const CODE_TTL_SECONDS = 60;
export const CODE_PREFIX = 'khac';

/**
 * What to ask the user. Vault scopes are shown as the user's own vault names, each selectable,
 * so approving `vault:read` for one of two vaults grants `vault:{id}:read` for that vault only.
 */
export async function planConsent(
  storage: Storage,
  vaults: VaultService,
  userCtx: RequestContext,
  request: AuthorizationRequest,
): Promise<ConsentPlan> {
  const userId = userCtx.actor.id;
  const grant = grantOfAction(
    request,
    await storage.grants.find(userId, request.client.id, request.resource.identifier),
  );
  // The one-vault scopes approved as authorization details stand for those details only: they do
  // not answer a later request for the scope itself (that would give a whole vault for an item).
  const viaDetails = offeredDetailScopes(grant?.authorizationDetails);
  const granted = (grant?.scopes ?? []).filter((s) => !viaDetails.has(s));
  const asked = offeredDetailScopes(request.authorizationDetails);
  const vaultOptions =
    request.resource.identifier === VAULT_API_RESOURCE ? await userVaults(vaults, userCtx) : undefined;
  const items = request.scopes
    .filter((s) => !asked.has(s))
    .map((requested): ConsentItem => {
      const description = findScope(request.catalog, requested)?.description ?? requested;
      let options = [{ scope: requested, label: requested }];
      if (vaultOptions) {
        const wide = VAULT_WIDE_SCOPE.exec(requested);
        const one = PER_VAULT_SCOPE.exec(requested);
        if (wide?.[1]) {
          const permission = wide[1] as VaultPermission;
          options = vaultOptions
            .filter((v) => v.permissions.has(permission) || v.permissions.has('manage'))
            .map((v) => ({ scope: `vault:${v.id}:${permission}`, label: v.name }));
        } else if (one?.[1] && one[2]) {
          const vault = vaultOptions.find((v) => v.id === one[1]);
          const permission = one[2] as VaultPermission;
          options =
            vault && (vault.permissions.has(permission) || vault.permissions.has('manage'))
              ? [{ scope: requested, label: vault.name }]
              : [];
        }
      }
      const already = options.map((o) => o.scope).filter((s) => granted.includes(s));
      return {
        requested,
        description,
        options,
        granted: already,
        ticked: already.length > 0 ? already : options.map((o) => o.scope),
      };
    });
  // Authorization details are always asked about: each request's are its own.
  const needed =
    request.authorizationDetails !== undefined ||
    !grant ||
    request.grantAction?.action === 'replace' ||
    request.oidc.prompt.has('consent') ||
    items.some((i) => i.granted.length === 0 && i.options.length > 0) ||
    coveredScopes(items, granted).length === 0;
  return { items, grant, needed };
}

/**
 * Records what the user approved and returns a code for it. The selection replaces the grant's
 * scopes among those this page offered (what it did not offer is left as it was): a scope
 * unticked here leaves the grant, and in the same transaction every live access and refresh
 * token of the grant is narrowed to what the grant still holds (revoked when nothing is left),
 * so a removed vault answers 403 on the next call. A grant left with no scope is deleted, with
 * its codes and tokens. An empty selection is a denial: undefined.
 *
 * `details`: the request's authorization details the user approved (consent-details.ts). They
 * replace the grant's details, and the one-vault scopes they stand for count as selected (those
 * of the entries left unticked as not); the code carries them.
 */
export async function approve(
  storage: Storage,
  userCtx: RequestContext,
  request: AuthorizationRequest,
  plan: ConsentPlan,
  selected: string[],
  signedIn: SignedIn,
  details: VaultAuthorizationDetail[] = [],
): Promise<{ code: string; scopes: string[] } | undefined> {
  const offered = new Set(plan.items.flatMap((i) => i.options.map((o) => o.scope)));
  for (const scope of selected) {
    if (!offered.has(scope)) throw badRequest(`scope ${scope} was not offered on this consent page`);
  }
  const asked = request.authorizationDetails !== undefined;
  for (const scope of offeredDetailScopes(request.authorizationDetails)) offered.add(scope);
  const chosen = [...new Set([...selected, ...detailScopes(details)])];
  const approvedDetails = details.length > 0 ? details : undefined;
  const now = new Date().toISOString();
  return storage.transaction(async (tx) => {
    // The user's grants are decided one transaction at a time, on every node: the user's row is
    // held first, so a consent on another node waits, then reads what this one wrote (it would
    // otherwise overwrite it, or insert the same grant twice).
    await tx.users.get(request.client.accountId, userCtx.actor.id, 'update');
    // Read again inside the transaction: what another consent for this client wrote meanwhile
    // outside this page's scopes is kept, not overwritten with what the page was built from.
    const found = await tx.grants.find(userCtx.actor.id, request.client.id, request.resource.identifier);
    let grant = grantOfAction(request, found);
    const audit = (action: 'CREATE' | 'UPDATE' | 'DELETE', grantId: string) =>
      recordAudit(tx.audit, userCtx, {
        action,
        resourceType: 'OAUTH_GRANT',
        resourceId: grantId,
        result: 'SUCCESS',
      });
    if (found && !grant && chosen.length > 0) {
      // grant_management_action=create: the user's grant ends, with its tokens (its Connect tokens
      // revoked); a new one follows.
      await revokeExchangedConnectTokens(tx, { accountId: found.accountId, grantId: found.id });
      await tx.grants.delete(found.accountId, found.id);
      await audit('DELETE', found.id);
    }
    if (grant) {
      // New details replace the old: the scopes only the old ones stood for go with them (kept,
      // they would answer a later request for the plain scope, a whole vault for an item).
      const replaced = asked ? offeredDetailScopes(grant.authorizationDetails) : new Set<string>();
      const scopes = [
        ...new Set(
          scopesAfterConsent(
            request.grantAction,
            grant.scopes.filter((s) => !replaced.has(s)),
            offered,
            chosen,
          ),
        ),
      ];
      if (scopes.length === 0) {
        // Cascade: the grant's codes and tokens go with it; its Connect tokens are revoked.
        await revokeExchangedConnectTokens(tx, { accountId: grant.accountId, grantId: grant.id });
        await tx.grants.delete(grant.accountId, grant.id);
        await audit('DELETE', grant.id);
        return undefined;
      }
      // A Connect token holds vaults, not scopes: one exchanged under a grant that lost a scope is
      // revoked (the client exchanges again for what the grant holds now).
      if (grant.scopes.some((s) => !scopes.includes(s))) {
        await revokeExchangedConnectTokens(tx, { accountId: grant.accountId, grantId: grant.id });
      }
      await tx.grants.updateScopes(grant.id, scopes, now);
      if (asked) await tx.grants.updateAuthorizationDetails(grant.id, approvedDetails ?? null);
      await tx.oauthTokens.narrowByGrant(grant.id, scopes, now);
      await audit('UPDATE', grant.id);
      grant = { ...grant, scopes, updatedAt: now };
    } else {
      if (chosen.length === 0) return undefined;
      grant = {
        id: newId(),
        accountId: request.client.accountId,
        userId: userCtx.actor.id,
        clientId: request.client.id,
        resource: request.resource.identifier,
        scopes: chosen,
        createdAt: now,
        updatedAt: now,
        ...(approvedDetails ? { authorizationDetails: approvedDetails } : {}),
      };
      await tx.grants.insert(grant);
      await audit('CREATE', grant.id);
    }
    if (chosen.length === 0) return undefined;
    const covered = [...new Set([...coveredScopes(plan.items, grant.scopes), ...detailScopes(details)])];
    const code = await createCode(tx, request, grant, covered, signedIn, approvedDetails);
    return { code, scopes: covered };
  });
}

/** The code for a request whose scopes an existing grant already covers (no page shown). */
export async function reuseGrant(
  storage: Storage,
  request: AuthorizationRequest,
  plan: ConsentPlan,
  signedIn: SignedIn,
) {
  if (!plan.grant) throw new Error('reuseGrant needs a grant');
  const scopes = coveredScopes(plan.items, plan.grant.scopes);
  return createCode(storage, request, plan.grant, scopes, signedIn);
}

/** The scopes a grant covers for this request: what the code and its tokens carry. */
function coveredScopes(items: ConsentItem[], grantScopes: string[]): string[] {
  return [
    ...new Set(items.flatMap((i) => i.options.map((o) => o.scope).filter((s) => grantScopes.includes(s)))),
  ];
}

async function createCode(
  stores: Pick<Storage, 'authorizationCodes'>,
  request: AuthorizationRequest,
  grant: GrantRecord,
  scopes: string[],
  signedIn: SignedIn,
  authorizationDetails?: VaultAuthorizationDetail[],
): Promise<string> {
  const code = newBearerSecret(CODE_PREFIX);
  const now = Date.now();
  await stores.authorizationCodes.insert({
    id: newId(),
    codeHash: hashSecret(code),
    accountId: grant.accountId,
    clientId: request.client.id,
    userId: grant.userId,
    grantId: grant.id,
    redirectUri: request.redirectUri,
    resource: request.resource.identifier,
    scopes,
    codeChallenge: request.codeChallenge,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + CODE_TTL_SECONDS * 1000).toISOString(),
    // An OpenID Connect code remembers the sign-in and nonce its ID tokens tell of.
    ...(scopes.includes('openid') ? { signIn: { ...signedIn, nonce: request.oidc.nonce } } : {}),
    ...(request.dpopJkt === null ? {} : { dpopJkt: request.dpopJkt }),
    ...(authorizationDetails ? { authorizationDetails } : {}),
  });
  return code;
}

interface UserVault {
  id: string;
  name: string;
  permissions: ReadonlySet<VaultPermission>;
}

async function userVaults(vaults: VaultService, userCtx: RequestContext): Promise<UserVault[]> {
  if (userCtx.principal.kind !== 'user') return [];
  const access = userCtx.principal.vaults;
  return (await vaults.list(userCtx)).map((v) => ({
    id: v.id,
    name: v.name,
    permissions: access.get(v.id) ?? new Set(),
  }));
}
