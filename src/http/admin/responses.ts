import { z } from 'zod';
import { CONNECT_PERMISSIONS, VAULT_PERMISSIONS } from '../../domain/access/permissions.js';
import { ADMIN_TOKEN_ROLES, USER_ROLES } from '../../domain/access/roles.js';
import { SIGNING_KEY_STATES } from '../../domain/connect/signing-key-service.js';
import { CATEGORIES, FIELD_PURPOSES, FIELD_TYPES } from '../../domain/items/types.js';
import { ERROR_CODES } from '../../errors/app-error.js';
import {
  ACCESS_TOKEN_FORMATS,
  AUDIT_ACTIONS,
  AUDIT_RESOURCE_TYPES,
  AUDIT_RESULTS,
  CLIENT_AUTH_METHODS,
  GRANT_TYPES,
  SIGNING_KEY_KINDS,
} from '../../storage/ports.js';

/**
 * What the admin API answers, as zod schemas: the documented success bodies of the OpenAPI
 * document (openapi.ts). Objects are strict, so the test that drives every route
 * (test/http/admin-openapi.test.ts) fails on a member an answer has and this file does not say.
 * Each follows the domain type named beside it.
 */

/** RFC 3339 UTC, as `toISOString` writes it. */
const time = z.iso.datetime().meta({ description: 'RFC 3339 UTC date-time' });
const id = z.string().regex(/^[a-z0-9]{26}$/);
const clientId = z.string().regex(/^kc-[a-z0-9]{26}$/);

/** The error body of every 4xx and 5xx answer (errors/admin-format.ts `AdminErrorBody`). */
export const errorBody = z
  .strictObject({
    status: z.number().int().min(400).max(599),
    code: z.enum(ERROR_CODES),
    message: z.string(),
  })
  .meta({ id: 'Error', description: 'See docs/errors.md for every code.' });

/** `WhoAmI` (domain/accounts/whoami.ts). */
export const whoAmI = z
  .strictObject({
    accountId: id,
    tokenId: z.string().nullable(),
    operator: z.boolean(),
    kind: z.enum(['admin_token', 'user', 'other']),
    role: z.string().nullable(),
    user: z.strictObject({ id, email: z.string(), name: z.string().nullable() }).optional(),
    token: z.strictObject({ id, name: z.string() }).optional(),
  })
  .meta({ id: 'WhoAmI' });

/** `AdminTokenView` (domain/admin-tokens). */
export const adminToken = z
  .strictObject({
    id,
    name: z.string(),
    role: z.enum(ADMIN_TOKEN_ROLES),
    status: z.enum(['active', 'expired', 'revoked']),
    createdAt: time,
    createdBy: z.string().nullable(),
    expiresAt: time.nullable(),
    revokedAt: time.nullable(),
  })
  .meta({ id: 'AdminToken' });
export const createdAdminToken = adminToken
  .extend({ token: z.string().meta({ description: 'The secret (`khadm_…`), shown once.' }) })
  .meta({ id: 'CreatedAdminToken' });

/** `AccountRecord` and `CreatedAccount` (storage/ports/people.ts, domain/accounts). */
export const account = z
  .strictObject({ id, name: z.string(), createdAt: time, operator: z.boolean() })
  .meta({ id: 'Account' });
export const createdAccount = account
  .extend({ adminToken: z.string().meta({ description: "The account's first owner token, shown once." }) })
  .meta({ id: 'CreatedAccount' });

/** `VaultView`: the Connect vault shape (domain/vaults/vault-reads.ts). */
export const vault = z
  .strictObject({
    id,
    name: z.string(),
    description: z.string(),
    attributeVersion: z.number().int(),
    contentVersion: z.number().int(),
    items: z.number().int().min(0),
    type: z.string(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'Vault' });

/** `ConnectUrl`, `ConnectSection`, `ConnectField`, `ConnectFile` (domain/items/present.ts). */
const itemUrl = z.strictObject({
  label: z.string().optional(),
  primary: z.boolean().optional(),
  href: z.string(),
});
const sectionRef = z.strictObject({ id: z.string() });
export const file = z
  .strictObject({
    id,
    name: z.string(),
    size: z.number().int().min(0),
    content_path: z.string().meta({ description: "The Connect route of the file's bytes." }),
    section: sectionRef.optional(),
  })
  .meta({ id: 'File' });
const field = z.strictObject({
  id: z.string(),
  type: z.enum(FIELD_TYPES),
  purpose: z.enum(FIELD_PURPOSES.filter((p) => p !== '') as ['USERNAME', 'PASSWORD', 'NOTES']).optional(),
  label: z.string(),
  value: z.string(),
  section: sectionRef.optional(),
  entropy: z.number().optional().meta({ description: 'Bits, when the value was generated.' }),
  totp: z.string().optional().meta({ description: 'The current code of an OTP field.' }),
});

/** `ConnectItemSummary`. */
export const itemSummary = z
  .strictObject({
    id,
    title: z.string(),
    vault: z.strictObject({ id }),
    category: z.enum(CATEGORIES),
    urls: z.array(itemUrl).optional(),
    favorite: z.boolean(),
    tags: z.array(z.string()),
    version: z.number().int().min(1),
    createdAt: time,
    updatedAt: time,
    lastEditedBy: z.string(),
  })
  .meta({ id: 'ItemSummary' });

/** `ItemPage` (domain/items/overview-index.ts): one page of a vault's items, and how many match. */
export const itemPage = z
  .strictObject({
    items: z.array(itemSummary),
    total: z.number().int().min(0).describe('Items in the vault'),
    matched: z.number().int().min(0).describe('Items matching `q` (all items without one)'),
    nextCursor: z
      .string()
      .optional()
      .describe('Pass as `cursor` to get the next page; absent on the last page'),
  })
  .meta({ id: 'ItemPage' });

/** `ConnectFullItem`. */
export const fullItem = itemSummary
  .extend({
    sections: z.array(z.strictObject({ id: z.string(), label: z.string().optional() })),
    fields: z.array(field),
    files: z.array(file).optional(),
  })
  .meta({ id: 'FullItem' });

/** `WriteReceipt` (domain/items/item-service.ts): the answer to a caller who may write but not read. */
export const writeReceipt = z
  .strictObject({
    id,
    vault: z.strictObject({ id }),
    version: z.number().int().min(1),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'WriteReceipt' });
export const writtenItem = z.union([fullItem, writeReceipt]);

/** `TrashedItem` (domain/items/item-service.ts): a summary with when and by whom it was deleted. */
export const trashedItem = itemSummary
  .extend({ deletedAt: time, deletedBy: z.string() })
  .meta({ id: 'TrashedItem' });

/** `ItemVersionView` (domain/items/item-history.ts). */
export const itemVersion = z
  .strictObject({
    version: z.number().int().min(1),
    title: z.string(),
    createdAt: time,
    editedBy: z.string(),
  })
  .meta({ id: 'ItemVersion' });

/** `UserView`, `CreatedUser`, `VaultGrantView`, `PasswordResetLink` (domain/users). */
export const user = z
  .strictObject({
    id,
    email: z.string(),
    name: z.string().nullable().meta({ description: 'The person’s display name; null when they have none.' }),
    role: z.enum(USER_ROLES),
    enabled: z.boolean(),
    disabledAt: time.nullable(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'User' });
export const createdUser = user
  .extend({ password: z.string().optional().meta({ description: 'Only when generated; shown once.' }) })
  .meta({ id: 'CreatedUser' });
export const vaultGrant = z
  .strictObject({ userId: id, vaultId: id, permissions: z.array(z.enum(VAULT_PERMISSIONS)) })
  .meta({ id: 'VaultGrant' });
export const passwordResetLink = z
  .strictObject({
    userId: id,
    url: z.string().meta({ description: 'The one-time page that sets a new password; holds the secret.' }),
    expiresAt: time,
  })
  .meta({ id: 'PasswordResetLink' });

/** `MfaStatus`, the reset's answer and `AccountPolicyView` (domain/mfa/mfa-service.ts). */
export const mfaStatus = z
  .strictObject({ userId: id, enabled: z.boolean(), recoveryCodesLeft: z.number().int().min(0) })
  .meta({ id: 'MfaStatus' });
export const mfaReset = z.strictObject({ userId: id, removed: z.boolean() }).meta({ id: 'MfaReset' });
export const accountPolicy = z
  .strictObject({ requireMfa: z.boolean(), requirePushedAuthorizationRequests: z.boolean() })
  .meta({ id: 'AccountPolicy' });

/** `LabelledAuditEvent` (domain/audit/actor-labels.ts over storage/ports/audit.ts `AuditEvent`). */
export const auditEvent = z
  .strictObject({
    seq: z.number().int().min(1),
    occurredAt: time,
    accountId: z.string().nullable(),
    actorType: z.string(),
    actorId: z.string(),
    actorLabel: z.string(),
    actorKnown: z.boolean(),
    tokenId: z.string().nullable(),
    action: z.enum(AUDIT_ACTIONS),
    resourceType: z.enum(AUDIT_RESOURCE_TYPES),
    resourceId: z.string().nullable(),
    vaultId: z.string().nullable(),
    itemId: z.string().nullable(),
    itemVersion: z.number().int().nullable(),
    result: z.enum(AUDIT_RESULTS),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    count: z.number().int().min(1),
  })
  .meta({ id: 'AuditEvent' });

/** `ServerView` and `ConnectCredentials` (domain/connect/server-service.ts). */
export const server = z
  .strictObject({ id, name: z.string(), vaults: z.array(id), createdAt: time })
  .meta({ id: 'Server' });
const ecPrivateJwk = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  d: z.string(),
});
export const connectCredentials = z
  .strictObject({
    kind: z.literal('keyhold-connect-credentials'),
    version: z.literal(2),
    serverId: id,
    accountId: id,
    serverSecret: z.string(),
    central: z.string().nullable(),
    serverKey: ecPrivateJwk,
    replicaKey: z.string(),
  })
  .meta({ id: 'ConnectCredentials', description: 'The credentials file (docs/connect.md); shown once.' });
export const serverWithCredentials = server
  .extend({ credentials: connectCredentials })
  .meta({ id: 'ServerWithCredentials' });

/** `TokenView` (domain/connect/token-service.ts). */
export const connectToken = z
  .strictObject({
    id,
    name: z.string(),
    serverId: id,
    vaults: z.array(z.strictObject({ vaultId: id, permissions: z.array(z.enum(CONNECT_PERMISSIONS)) })),
    createdAt: time,
    expiresAt: time.nullable(),
    revokedAt: time.nullable(),
    lastUsedAt: time.nullable().meta({
      description:
        'When the token was last let through (its newest SUCCESS or FAILURE audit event); null if never, or if retention has pruned those events',
    }),
  })
  .meta({ id: 'ConnectToken' });
export const createdConnectToken = connectToken
  .extend({ token: z.string().meta({ description: 'The Connect token (a JWT), shown once.' }) })
  .meta({ id: 'CreatedConnectToken' });

/** `SigningKeyView` (domain/connect/signing-key-service.ts); the public JWK only. */
export const signingKey = z
  .strictObject({
    kid: z.string(),
    kind: z.enum(SIGNING_KEY_KINDS),
    state: z.enum(SIGNING_KEY_STATES).meta({
      description:
        'current: signs new tokens of its kind; previous: a newer key took over, it still verifies what it signed; withdrawn: verifies nothing, for good',
    }),
    createdAt: time,
    retiredAt: time
      .nullable()
      .meta({ description: 'When a newer key took over signing; null for the current key' }),
    withdrawnAt: time.nullable().meta({
      description: 'When the key was withdrawn (no token it signed verifies since); null while it is not',
    }),
    oauthUntil: time.nullable(),
    publicJwk: z.strictObject({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      x: z.string(),
      y: z.string(),
      kid: z.string(),
      alg: z.literal('ES256'),
      use: z.literal('sig'),
    }),
  })
  .meta({ id: 'SigningKey' });
export const signingKeys = z.strictObject({ keys: z.array(signingKey) });

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

/** The console's session (http/admin/console-session.ts `sessionView`). */
export const consoleSession = z
  .strictObject({
    user: z.strictObject({ id, email: z.string(), name: z.string().nullable(), role: z.enum(USER_ROLES) }),
    account: z.strictObject({ id, name: z.string() }),
    csrfToken: z
      .string()
      .meta({ description: 'Sent back in `x-csrf-token` on every POST, PUT, PATCH and DELETE.' }),
    expiresAt: time,
  })
  .meta({ id: 'ConsoleSession' });
/** `TotpEnrolment` (domain/mfa/mfa-service.ts): the key to add to an authenticator app. */
export const totpEnrolment = z
  .strictObject({ secret: z.string(), uri: z.string().meta({ description: 'An `otpauth://` URI.' }) })
  .meta({ id: 'TotpEnrolment' });
const recoveryCodes = z.array(z.string()).meta({ description: 'One-time recovery codes, shown once.' });
/** The answers of `POST /api/admin/session`: signed in, an account to pick, or a second step. */
export const consoleSignIn = z.union([
  consoleSession,
  z.strictObject({ accounts: z.array(z.strictObject({ id, name: z.string() })) }).meta({
    id: 'ConsoleAccountChoice',
    description: 'The password is right in several accounts: name one.',
  }),
  z
    .strictObject({ secondStep: z.literal('verify') })
    .meta({ id: 'ConsoleSecondStepVerify', description: 'Send a TOTP or recovery code to /second-step.' }),
  z
    .strictObject({ secondStep: z.literal('enrol'), enrolment: totpEnrolment })
    .meta({ id: 'ConsoleSecondStepEnrol', description: 'Add this key, then send its code to /second-step.' }),
]);
export const consoleSecondStep = consoleSession
  .extend({ recoveryCodes: recoveryCodes.optional() })
  .meta({ id: 'ConsoleSignedIn' });
/** The 409 of a second step whose key was replaced by an enrolment elsewhere. */
export const consoleStartAgain = errorBody
  .extend({ secondStep: z.literal('enrol'), enrolment: totpEnrolment })
  .meta({ id: 'ConsoleStartAgain' });
export const passwordChanged = z.strictObject({ changed: z.literal(true) });
export const mfaEnabled = z.strictObject({ recoveryCodes });
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
