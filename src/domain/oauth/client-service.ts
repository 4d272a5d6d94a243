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
import { findScope, loadCatalog } from './catalog.js';
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
