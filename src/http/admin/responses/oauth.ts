import { z } from 'zod';
import { ACCESS_TOKEN_FORMATS, CLIENT_AUTH_METHODS, GRANT_TYPES } from '../../../storage/ports.js';
import { clientId, id, time } from './common.js';

/** `ResourceServerView` (domain/oauth/resource-server-service.ts). */
export const resourceServer = z
  .strictObject({
    id: id.nullable().meta({ description: 'Null for the built-in vault API.' }),
    identifier: z.string(),
    name: z.string(),
    tokenFormat: z.enum(ACCESS_TOKEN_FORMATS),
    accessTokenTtl: z.number().int(),
    builtIn: z.boolean(),
    scopes: z.array(z.strictObject({ name: z.string(), description: z.string(), exclusive: z.boolean() })),
    createdAt: time.nullable(),
  })
  .meta({ id: 'ResourceServer' });
export const createdResourceServer = resourceServer
  .extend({ secret: z.string().meta({ description: 'The introspection secret (`khrs_…`), shown once.' }) })
  .meta({ id: 'CreatedResourceServer' });

/** `ClientView` (domain/oauth/client-service.ts). */
export const oauthClient = z
  .strictObject({
    clientId,
    name: z.string(),
    authMethod: z.enum(CLIENT_AUTH_METHODS),
    redirectUris: z.array(z.string()),
    grantTypes: z.array(z.enum(GRANT_TYPES)),
    scopes: z.array(z.string()),
    createdAt: time,
    dpopBoundAccessTokens: z.boolean().meta({
      description: 'RFC 9449 `dpop_bound_access_tokens`: token requests without a DPoP proof are refused.',
    }),
    requirePushedAuthorizationRequests: z.boolean().meta({
      description:
        'RFC 9126 `require_pushed_authorization_requests`: authorization requests are taken only through the PAR endpoint.',
    }),
    fapi2SecurityProfile: z.boolean().meta({
      description:
        'Held to the FAPI 2.0 Security Profile: PAR, DPoP-bound tokens, private_key_jwt with the issuer as the assertion audience.',
    }),
  })
  .meta({ id: 'OAuthClient' });
export const createdOAuthClient = oauthClient
  .extend({
    clientSecret: z.string().optional().meta({
      description: 'For client_secret_basic and client_secret_post clients (`khcs_…`), shown once.',
    }),
  })
  .meta({ id: 'CreatedOAuthClient' });
export const rotatedOAuthClient = oauthClient
  .extend({ clientSecret: z.string().meta({ description: 'The new secret (`khcs_…`), shown once.' }) })
  .meta({ id: 'RotatedOAuthClient' });

/** `CatalogCheck` (domain/oauth/catalog-check.ts, catalog-lint.ts). */
export const catalogCheck = z
  .strictObject({
    ok: z.boolean(),
    problems: z.array(
      z.strictObject({
        severity: z.enum(['error', 'warning']),
        code: z.enum([
          'client_scope_unknown',
          'scope_case_collision',
          'scope_without_resource_server',
          'redirect_uri_invalid',
          'scope_near_duplicate',
          'exclusive_scope_unused',
          'resource_server_without_scopes',
          'client_without_scopes',
        ]),
        subject: z.string(),
        message: z.string(),
        suggestion: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'CatalogCheck' });

/** An approved RFC 9396 entry (domain/oauth/authorization-details.ts). */
const vaultAuthorizationDetail = z
  .strictObject({
    type: z.literal('keyhold_vault'),
    vaults: z.array(id),
    items: z.array(id).optional(),
    fields: z.array(z.string()).optional(),
    actions: z.array(z.enum(['read', 'write'])),
  })
  .meta({ id: 'VaultAuthorizationDetail' });

/** `GrantView` (domain/oauth/grant-service.ts). */
export const oauthGrant = z
  .strictObject({
    id,
    userId: id,
    clientId: z.string(),
    clientName: z.string(),
    resource: z.string(),
    scopes: z.array(z.string()),
    createdAt: time,
    updatedAt: time,
    authorizationDetails: z.array(vaultAuthorizationDetail).optional().meta({
      description:
        'What the user approved (RFC 9396), when the grant was asked with authorization details: its tokens reach only what one entry allows, within the scopes.',
    }),
  })
  .meta({ id: 'OAuthGrant' });

/** `ConnectedApplication` (domain/oauth/connected-apps.ts): one of the caller's own grants, in words. */
export const connectedApplication = z
  .strictObject({
    id,
    clientId: z.string(),
    clientName: z.string(),
    resource: z.string(),
    resourceName: z.string(),
    access: z.array(
      z.strictObject({
        scope: z.string(),
        words: z.string(),
        vault: z.strictObject({ id, name: z.string().nullable() }).nullable(),
        permission: z.enum(['read', 'write']).nullable(),
      }),
    ),
    narrowedTo: z.array(z.string()).nullable().meta({
      description:
        'When the user approved authorization details (RFC 9396): each entry in words. The application reaches only what one of them allows, within `access`.',
    }),
    createdAt: time,
    updatedAt: time,
    lastUsedAt: time.nullable().meta({ description: 'When the application last got a token under it.' }),
    accessTokenTtl: z.number().int(),
    refreshTokenTtl: z.number().int(),
  })
  .meta({ id: 'ConnectedApplication' });
