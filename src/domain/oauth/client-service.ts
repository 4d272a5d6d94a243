import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { conflict, invalidInput, notFound } from '../../errors/app-error.js';
import {
  type ClientAuthMethod,
  type ClientRecord,
  type GrantType,
  type Storage,
  TOKEN_EXCHANGE_GRANT,
} from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { type Catalog, clientMayRequest, findScope, loadCatalog } from './catalog.js';
import { cliClientRowId, isCliClient } from './cli-client.js';
import { parseClientJwks } from './client-jwks.js';
import { checkFapi2Registration, clientRequiresPushedRequests, requiresDpop } from './client-profile.js';
import { revokeExchangedConnectTokens } from './exchanged-connect-tokens.js';
import { didYouMean } from './near-miss.js';
import { validateRedirectUri } from './redirect-uris.js';
import { quoted } from './scope-names.js';

export interface ClientInput {
  name: string;
  redirectUris: string[];
  scopes: string[];
  /** Defaults: authorization_code + refresh_token with redirect URIs, else client_credentials. */
  grantTypes?: GrantType[];
  /** Defaults: `none` for public clients, `private_key_jwt` with a JWKS, else client_secret_basic. */
  authMethod?: ClientAuthMethod;
  public: boolean;
  /** Public keys (JWK Set JSON) of a private_key_jwt client. */
  jwks?: string;
  /** RFC 9449 §5.2: token requests without a DPoP proof are refused. Default false. */
  dpopBoundAccessTokens?: boolean;
  /** RFC 9126 §6: authorization requests only through the PAR endpoint. Default false. */
  requirePushedAuthorizationRequests?: boolean;
  /** Held to the FAPI 2.0 Security Profile (client-profile.ts); implies the two above. */
  fapi2SecurityProfile?: boolean;
}

/**
 * What an administrator may change of a registered client; absent fields stay. The auth method
 * (and so public or confidential) is fixed at registration: register a new client to change it.
 */
export interface ClientChange {
  name?: string;
  redirectUris?: string[];
  scopes?: string[];
  grantTypes?: GrantType[];
  /** New public keys (JWK Set JSON) of a private_key_jwt client: key rotation. */
  jwks?: string;
  dpopBoundAccessTokens?: boolean;
  requirePushedAuthorizationRequests?: boolean;
  fapi2SecurityProfile?: boolean;
}

export interface ClientView {
  clientId: string;
  name: string;
  authMethod: ClientAuthMethod;
  redirectUris: string[];
  grantTypes: GrantType[];
  scopes: string[];
  createdAt: string;
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`: every token request must carry a DPoP proof. */
  dpopBoundAccessTokens: boolean;
  /** RFC 9126 §6 `require_pushed_authorization_requests`. */
  requirePushedAuthorizationRequests: boolean;
  /** The FAPI 2.0 Security Profile (client-profile.ts). */
  fapi2SecurityProfile: boolean;
}

export interface ClientService {
  /** Registers a client; a confidential client's secret is returned once. */
  create(ctx: RequestContext, input: ClientInput): Promise<ClientView & { clientSecret?: string }>;
  list(ctx: RequestContext): Promise<ClientView[]>;
  get(ctx: RequestContext, clientId: string): Promise<ClientView>;
  /**
   * Gives a confidential client (client_secret_basic or _post) a new secret, returned once; the
   * old one stops working at once. Tokens already issued are left alone.
   */
  rotateSecret(ctx: RequestContext, clientId: string): Promise<ClientView & { clientSecret: string }>;
  /**
   * Changes a client's settings. Scopes it may no longer ask for leave its users' grants (a grant
   * left with none is deleted) and the tokens issued under them, at once; its client-credentials
   * tokens are revoked when it loses a scope or the grant type.
   */
  update(ctx: RequestContext, clientId: string, change: ClientChange): Promise<ClientView>;
  delete(ctx: RequestContext, clientId: string): Promise<void>;
}

export const CLIENT_ID_PREFIX = 'kc-';
export const CLIENT_SECRET_PREFIX = 'khcs';
export const CLIENT_SECRET_PATTERN = /^khcs_[A-Za-z0-9_-]{43}$/;

export const clientView = (c: ClientRecord): ClientView => ({
  clientId: c.id,
  name: c.name,
  authMethod: c.authMethod,
  redirectUris: c.redirectUris,
  grantTypes: c.grantTypes,
  scopes: c.scopes,
  createdAt: c.createdAt,
  dpopBoundAccessTokens: requiresDpop(c),
  requirePushedAuthorizationRequests: clientRequiresPushedRequests(c),
  fapi2SecurityProfile: c.fapi2SecurityProfile,
});

export function clientService(storage: Storage): ClientService {
  /**
   * The seed's lockout starts here: a client registered with a scope the catalog lacks. Refuse
   * it, naming the scope it was probably meant to be.
   */
  const checkScopes = async (accountId: string, scopes: string[]) => {
    const catalog = await loadCatalog(storage, accountId);
    checkScopesIn(catalog, scopes);
    return catalog;
  };
  const checkScopesIn = (catalog: Catalog, scopes: string[]) => {
    const names = catalog.scopes.map((s) => s.name);
    for (const scope of scopes) {
      if (!findScope(catalog, scope)) {
        throw invalidInput(`scope ${quoted(scope)} is not in the catalog${didYouMean(scope, names)}`);
      }
    }
  };

  return {
    async create(ctx, input) {
      await authorizeAccount(storage, ctx, 'oauth:write', { denied: { action: 'CREATE' } });
      const accountId = ctx.actor.accountId;
      const scopes = [...new Set(input.scopes)];
      await checkScopes(accountId, scopes);
      const redirectUris = [...new Set(input.redirectUris.map(validateRedirectUri))];
      const grantTypes = input.grantTypes
        ? [...new Set(input.grantTypes)]
        : redirectUris.length > 0
          ? (['authorization_code', 'refresh_token'] as GrantType[])
          : (['client_credentials'] as GrantType[]);
      const authMethod =
        input.authMethod ?? (input.public ? 'none' : input.jwks ? 'private_key_jwt' : 'client_secret_basic');
      checkShape({ ...input, grantTypes, authMethod, redirectUris });
      const fapi2SecurityProfile = input.fapi2SecurityProfile === true;
      checkFapi2Registration({ public: input.public, authMethod, grantTypes, fapi2SecurityProfile });
      const jwks = authMethod === 'private_key_jwt' ? parseClientJwks(input.jwks ?? '') : null;
      const clientSecret =
        authMethod === 'client_secret_basic' || authMethod === 'client_secret_post'
          ? newBearerSecret(CLIENT_SECRET_PREFIX)
          : undefined;
      const client: ClientRecord = {
        id: `${CLIENT_ID_PREFIX}${newId()}`,
        accountId,
        name: input.name,
        authMethod,
        secretHash: clientSecret === undefined ? null : hashSecret(clientSecret),
        jwks,
        redirectUris,
        grantTypes,
        scopes,
        createdAt: new Date().toISOString(),
        // The profile implies both: stored so, they stay true if it is ever turned off.
        dpopBoundAccessTokens: input.dpopBoundAccessTokens === true || fapi2SecurityProfile,
        requirePushedRequests: input.requirePushedAuthorizationRequests === true || fapi2SecurityProfile,
        fapi2SecurityProfile,
      };
      await storage.transaction(async (tx) => {
        await tx.clients.insert(client);
        await recordAudit(tx.audit, ctx, {
          action: 'CREATE',
          resourceType: 'OAUTH_CLIENT',
          resourceId: client.id,
          result: 'SUCCESS',
        });
      });
      return { ...clientView(client), ...(clientSecret === undefined ? {} : { clientSecret }) };
    },

    async list(ctx) {
      await authorizeAccount(storage, ctx, 'oauth:read');
      // The built-in CLI client is not a registration: like the vault API, it is not listed.
      return (await storage.clients.list(ctx.actor.accountId)).filter((c) => !isCliClient(c)).map(clientView);
    },

    async get(ctx, clientId) {
      await authorizeAccount(storage, ctx, 'oauth:read', { denied: { resourceId: clientId } });
      const client = await storage.clients.findById(clientId);
      if (!client || client.accountId !== ctx.actor.accountId) throw notFound(`client ${clientId} not found`);
      return clientView(client);
    },

    async rotateSecret(ctx, clientId) {
      await authorizeAccount(storage, ctx, 'oauth:write', {
        denied: { action: 'UPDATE', resourceId: clientId },
      });
      const accountId = ctx.actor.accountId;
      const clientSecret = newBearerSecret(CLIENT_SECRET_PREFIX);
      const client = await storage.transaction(async (tx) => {
        const found = await tx.clients.findById(clientId);
        if (!found || found.accountId !== accountId) throw notFound(`client ${clientId} not found`);
        if (found.secretHash === null) {
          throw conflict(
            found.authMethod === 'private_key_jwt'
              ? 'this client signs in with its private key (private_key_jwt): it has no secret to rotate'
              : 'this client is public: it has no secret to rotate',
          );
        }
        if (!(await tx.clients.replaceSecret(accountId, clientId, hashSecret(clientSecret))))
          throw notFound(`client ${clientId} not found`);
        await recordAudit(tx.audit, ctx, {
          action: 'UPDATE',
          resourceType: 'OAUTH_CLIENT',
          resourceId: clientId,
          result: 'SUCCESS',
        });
        return found;
      });
      return { ...clientView(client), clientSecret };
    },

    async update(ctx, clientId, change) {
      await authorizeAccount(storage, ctx, 'oauth:write', {
        denied: { action: 'UPDATE', resourceId: clientId },
      });
      const accountId = ctx.actor.accountId;
      if (clientId === cliClientRowId(accountId)) {
        throw conflict('the Keyhold CLI client is built in: it cannot be changed');
      }
      const catalog = await checkScopes(accountId, change.scopes ?? []);
      const redirectUris = change.redirectUris && [...new Set(change.redirectUris.map(validateRedirectUri))];
      const now = new Date().toISOString();
      return storage.transaction(async (tx) => {
        // Held: a change made meanwhile through another request or node is read, not overwritten.
        const found = await tx.clients.get(accountId, clientId, 'update');
        if (!found || isCliClient(found)) throw notFound(`client ${clientId} not found`);
        const next = changedClient(found, change, redirectUris);
        const audit = (
          action: 'UPDATE' | 'DELETE',
          resourceType: 'OAUTH_CLIENT' | 'OAUTH_GRANT',
          id: string,
        ) => recordAudit(tx.audit, ctx, { action, resourceType, resourceId: id, result: 'SUCCESS' });
        await tx.clients.replaceSettings(next);
        await audit('UPDATE', 'OAUTH_CLIENT', clientId);
        // What the client may no longer ask for leaves what its users granted it, as a consent
        // to fewer scopes would (consent.ts): tokens narrowed, Connect tokens revoked.
        const mayKeep = (s: string) => {
          const scope = findScope(catalog, s);
          return scope === undefined || clientMayRequest(next, scope, s);
        };
        for (const grant of await tx.grants.listForAccount(accountId)) {
          if (grant.clientId !== clientId) continue;
          const kept = grant.scopes.filter(mayKeep);
          if (kept.length === grant.scopes.length) continue;
          await revokeExchangedConnectTokens(tx, { accountId, grantId: grant.id });
          if (kept.length === 0) {
            await tx.grants.delete(accountId, grant.id);
            await audit('DELETE', 'OAUTH_GRANT', grant.id);
          } else {
            await tx.grants.updateScopes(grant.id, kept, now);
            await tx.oauthTokens.narrowByGrant(grant.id, kept, now);
            await audit('UPDATE', 'OAUTH_GRANT', grant.id);
          }
        }
        const lostScope = found.scopes.some((s) => !next.scopes.includes(s));
        const lostGrantType =
          found.grantTypes.includes('client_credentials') && !next.grantTypes.includes('client_credentials');
        if (lostScope || lostGrantType) await tx.oauthTokens.revokeGrantless(clientId, now);
        return clientView(next);
      });
    },

    async delete(ctx, clientId) {
      await authorizeAccount(storage, ctx, 'oauth:write', {
        denied: { action: 'DELETE', resourceId: clientId },
      });
      if (clientId === cliClientRowId(ctx.actor.accountId)) {
        throw conflict(
          'the Keyhold CLI client is built in: it cannot be deleted (revoke its grants instead)',
        );
      }
      await storage.transaction(async (tx) => {
        // Its grants go by cascade; the Connect tokens exchanged under them are revoked first.
        await revokeExchangedConnectTokens(tx, { accountId: ctx.actor.accountId, clientId });
        if (!(await tx.clients.delete(ctx.actor.accountId, clientId)))
          throw notFound(`client ${clientId} not found`);
        await recordAudit(tx.audit, ctx, {
          action: 'DELETE',
          resourceType: 'OAUTH_CLIENT',
          resourceId: clientId,
          result: 'SUCCESS',
        });
      });
    },
  };
}

/** The client with `change` applied, checked as a registration is. */
function changedClient(
  found: ClientRecord,
  change: ClientChange,
  redirectUris: string[] | undefined,
): ClientRecord {
  const fapi2SecurityProfile = change.fapi2SecurityProfile ?? found.fapi2SecurityProfile;
  if (
    fapi2SecurityProfile &&
    (change.dpopBoundAccessTokens === false || change.requirePushedAuthorizationRequests === false)
  ) {
    throw invalidInput(
      'the FAPI 2.0 Security Profile requires DPoP and PAR: turn fapi2SecurityProfile off to turn either off',
    );
  }
  if (change.jwks !== undefined && found.authMethod !== 'private_key_jwt') {
    throw invalidInput(`jwks is only for private_key_jwt clients; this one uses ${found.authMethod}`);
  }
  const next: ClientRecord = {
    ...found,
    name: change.name ?? found.name,
    redirectUris: redirectUris ?? found.redirectUris,
    grantTypes: change.grantTypes ? [...new Set(change.grantTypes)] : found.grantTypes,
    scopes: change.scopes ? [...new Set(change.scopes)] : found.scopes,
    jwks: change.jwks === undefined ? found.jwks : parseClientJwks(change.jwks),
    // As at registration, the profile implies both, and they stay when it is turned off alone.
    dpopBoundAccessTokens:
      (change.dpopBoundAccessTokens ?? found.dpopBoundAccessTokens) || fapi2SecurityProfile,
    requirePushedRequests:
      (change.requirePushedAuthorizationRequests ?? found.requirePushedRequests) || fapi2SecurityProfile,
    fapi2SecurityProfile,
  };
  const isPublic = found.authMethod === 'none';
  checkShape({ ...next, public: isPublic, jwks: next.jwks ?? undefined });
  checkFapi2Registration({ ...next, public: isPublic });
  return next;
}

/** The combinations RFC 9700 and RFC 6749 rule out, refused at registration. */
function checkShape(c: {
  public: boolean;
  authMethod: ClientAuthMethod;
  grantTypes: GrantType[];
  redirectUris: string[];
  jwks?: string;
}): void {
  if (c.public !== (c.authMethod === 'none')) {
    throw invalidInput(
      c.public
        ? 'a public client has no credential: its authMethod must be `none`'
        : 'authMethod `none` is for public clients: register the client as public',
    );
  }
  if (c.public && c.grantTypes.includes('client_credentials')) {
    throw invalidInput('a public client cannot use client_credentials: it cannot keep a secret');
  }
  if (c.public && c.grantTypes.includes(TOKEN_EXCHANGE_GRANT)) {
    throw invalidInput('a public client cannot use token exchange: it cannot authenticate');
  }
  if (c.grantTypes.includes('authorization_code') && c.redirectUris.length === 0) {
    throw invalidInput('the authorization_code grant needs at least one redirect URI');
  }
  if (c.grantTypes.includes('refresh_token') && !c.grantTypes.includes('authorization_code')) {
    throw invalidInput(
      'refresh_token comes with authorization_code: a refresh token is issued only for a user grant',
    );
  }
  if (c.authMethod === 'private_key_jwt' && !c.jwks) {
    throw invalidInput('private_key_jwt needs the client’s public keys (jwks)');
  }
  if (c.authMethod !== 'private_key_jwt' && c.jwks) {
    throw invalidInput('jwks is only for private_key_jwt clients');
  }
  if (c.grantTypes.length === 0) throw invalidInput('give the client at least one grant type');
}
