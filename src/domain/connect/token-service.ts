import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { newId } from '../../crypto/ids.js';
import { invalidInput, notFound } from '../../errors/app-error.js';
import type { AuditStore, ConnectGrant, ConnectTokenRecord, Storage, Stores } from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import {
  CLAIM_ACCOUNT,
  CLAIM_FEATURES,
  CLAIM_VAULTS,
  FEATURE_VAULT_ACCESS,
  grantsToClaims,
  TOKEN_ISSUER,
} from './claims.js';
import type { SigningKeys } from './signing-keys.js';

export interface TokenView {
  id: string;
  name: string;
  serverId: string;
  vaults: ConnectGrant[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  /** When the token was last let through (see `lastUses`); null if never, as far as the trail holds. */
  lastUsedAt: string | null;
}

export interface TokenService {
  /** Issues a token; the JWT is returned once and never stored (only its jti and a hash). */
  create(
    ctx: RequestContext,
    input: { name: string; serverId: string; grants: ConnectGrant[]; expiresInSeconds?: number },
  ): Promise<TokenView & { token: string }>;
  list(ctx: RequestContext, serverId: string): Promise<TokenView[]>;
  revoke(ctx: RequestContext, tokenId: string): Promise<void>;
}

/** Tokens are registered by a hash of their signature, which is what revocation keys on. */
export const signatureHash = (jwt: string): Buffer =>
  createHash('sha256')
    .update(jwt.slice(jwt.lastIndexOf('.') + 1), 'utf8')
    .digest();

const view = (t: ConnectTokenRecord, lastUsedAt: string | null = null): TokenView => ({
  id: t.id,
  name: t.name,
  serverId: t.serverId,
  vaults: t.grants,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  revokedAt: t.revokedAt,
  lastUsedAt,
});

/**
 * When each token was last used: its newest audit event as a Connect token that it was let
 * through for (`SUCCESS`, or `FAILURE`: a permitted write that was not done). Refusals do not
 * count: a refused call's `DENY` names whatever `jti` its token carried, unverified, so anyone
 * could make a token look used by sending a forged one. One query for all the tokens.
 */
export function lastUses(
  audit: Pick<AuditStore, 'newestConnectTokenUses'>,
  accountId: string,
  tokenIds: readonly string[],
): Promise<Map<string, string>> {
  return audit.newestConnectTokenUses(accountId, tokenIds, ['SUCCESS', 'FAILURE']);
}

export function tokenService(storage: Storage, keys: SigningKeys): TokenService {
  return {
    async create(ctx, input) {
      await authorizeAccount(storage, ctx, 'connect:write', {
        denied: { action: 'CREATE', resourceType: 'TOKEN' },
      });
      const accountId = ctx.actor.accountId;
      const server = await storage.connectServers.get(accountId, input.serverId);
      if (!server) throw notFound(`server ${input.serverId} not found`);
      // Guarantee 3 at creation: a token can be granted only vaults its server can access.
      const reachable = new Set(await storage.connectServers.vaults(server.id));
      const grants = mergeGrants(input.grants);
      for (const g of grants) {
        if (!reachable.has(g.vaultId)) {
          throw invalidInput(
            `vault ${g.vaultId} is not accessible to server ${server.id}; add it to the server first`,
          );
        }
      }
      const { record, token } = await signConnectToken(keys, {
        accountId,
        serverId: server.id,
        name: input.name,
        grants,
        ...(input.expiresInSeconds === undefined ? {} : { expiresInSeconds: input.expiresInSeconds }),
      });
      await storage.transaction((tx) => registerConnectToken(tx, ctx, record));
      return { ...view(record), token };
    },

    async list(ctx, serverId) {
      await authorizeAccount(storage, ctx, 'connect:read', { denied: { resourceType: 'TOKEN' } });
      if (!(await storage.connectServers.get(ctx.actor.accountId, serverId)))
        throw notFound(`server ${serverId} not found`);
      const tokens = await storage.connectTokens.list(serverId);
      const used = await lastUses(
        storage.audit,
        ctx.actor.accountId,
        tokens.map((t) => t.id),
      );
      return tokens.map((t) => view(t, used.get(t.id) ?? null));
    },

    async revoke(ctx, tokenId) {
      await authorizeAccount(storage, ctx, 'connect:write', {
        denied: { action: 'DELETE', resourceType: 'TOKEN', resourceId: tokenId },
      });
      await storage.transaction(async (tx) => {
        const token = await tx.connectTokens.get(tokenId);
        if (!token || token.accountId !== ctx.actor.accountId) throw notFound(`token ${tokenId} not found`);
        // Revoking twice is not an error (DELETE is idempotent), and not a second event either.
        if (token.revokedAt !== null) return;
        // Of two revocations at once (on two nodes), only the one that revokes records it.
        if (!(await tx.connectTokens.revoke(ctx.actor.accountId, tokenId, new Date().toISOString()))) return;
        await recordAudit(tx.audit, ctx, {
          action: 'DELETE',
          resourceType: 'TOKEN',
          resourceId: tokenId,
          result: 'SUCCESS',
        });
      });
    },
  };
}

/**
 * Signs a Connect token for a server (the grants checked by the caller against the vaults it
 * serves) and the record that registers it; nothing is valid until `registerConnectToken` commits.
 * Shared by an administrator's token and the Connect bridge of OAuth token exchange.
 */
export async function signConnectToken(
  keys: SigningKeys,
  input: {
    accountId: string;
    serverId: string;
    name: string;
    grants: ConnectGrant[];
    expiresInSeconds?: number;
    oauthGrantId?: string;
  },
): Promise<{ record: ConnectTokenRecord; token: string }> {
  const signer = await keys.signer(input.accountId, 'connect');
  const jti = newId();
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = input.expiresInSeconds === undefined ? undefined : issuedAt + input.expiresInSeconds;
  let jwt = new SignJWT({
    [CLAIM_ACCOUNT]: input.accountId,
    [CLAIM_FEATURES]: [FEATURE_VAULT_ACCESS],
    [CLAIM_VAULTS]: grantsToClaims(input.grants),
  })
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(input.serverId)
    .setAudience([input.serverId])
    .setJti(jti)
    .setIssuedAt(issuedAt);
  if (expiresAt !== undefined) jwt = jwt.setExpirationTime(expiresAt);
  const token = await jwt.sign(signer.privateKey);
  const record: ConnectTokenRecord = {
    id: jti,
    accountId: input.accountId,
    serverId: input.serverId,
    name: input.name,
    grants: input.grants,
    signatureHash: signatureHash(token),
    createdAt: new Date(issuedAt * 1000).toISOString(),
    expiresAt: expiresAt === undefined ? null : new Date(expiresAt * 1000).toISOString(),
    revokedAt: null,
    ...(input.oauthGrantId === undefined ? {} : { oauthGrantId: input.oauthGrantId }),
  };
  return { record, token };
}

/** Registers a signed Connect token with its audit event, in the caller's transaction. */
export async function registerConnectToken(
  tx: Pick<Stores, 'connectTokens' | 'audit'>,
  ctx: RequestContext,
  record: ConnectTokenRecord,
): Promise<void> {
  await tx.connectTokens.insert(record);
  await recordAudit(tx.audit, ctx, {
    action: 'CREATE',
    resourceType: 'TOKEN',
    resourceId: record.id,
    result: 'SUCCESS',
  });
}

/** One grant per vault: `--vault V:read --vault V:write` is the same as `--vault V:read,write`. */
function mergeGrants(grants: ConnectGrant[]): ConnectGrant[] {
  const byVault = new Map<string, Set<ConnectGrant['permissions'][number]>>();
  for (const g of grants) {
    const set = byVault.get(g.vaultId) ?? new Set();
    for (const p of g.permissions) set.add(p);
    byVault.set(g.vaultId, set);
  }
  if (byVault.size === 0) throw invalidInput('a token needs at least one vault grant');
  return [...byVault].map(([vaultId, set]) => {
    if (set.size === 0) throw invalidInput(`vault ${vaultId}: a grant needs read, write or both`);
    return { vaultId, permissions: (['read', 'write'] as const).filter((p) => set.has(p)) };
  });
}
