import { z } from 'zod';
import { ID_PATTERN } from '../../crypto/ids.js';
import { VAULT_PERMISSIONS } from '../../domain/access/permissions.js';
import { USER_ROLES } from '../../domain/access/roles.js';
import { MAX_ID } from '../../domain/audit/bounds.js';
import { parseInstant } from '../../domain/audit/instant.js';
import { decodeCursor } from '../../domain/items/overview-index.js';
import { displayName, emailAddress, freeText, personName } from '../../domain/text.js';
import { MAX_TOKEN_LIFETIME, MIN_TOKEN_LIFETIME } from '../../domain/token-lifetime.js';
import { AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES, AUDIT_RESULTS } from '../../storage/ports.js';

/** Request schemas of the admin API. Objects are strict: an unknown field is an error, not ignored. */
export const id = z.string().regex(ID_PATTERN, 'must be a 26-character id of a-z and 0-9');

/** A requested token lifetime (`expiresIn` of a create body); absent means no expiry. */
export const tokenLifetime = z.number().int().min(MIN_TOKEN_LIFETIME).max(MAX_TOKEN_LIFETIME);

export const vaultParams = z.strictObject({ vaultId: id });
export const itemParams = z.strictObject({ vaultId: id, itemId: id });
export const fileParams = z.strictObject({ vaultId: id, itemId: id, fileId: id });
export const versionParams = z.strictObject({
  vaultId: id,
  itemId: id,
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'must be a positive integer')
    .transform(Number),
});
export const deleteItemQuery = z.strictObject({ permanent: z.enum(['true', 'false']).optional() });
export const accountParams = z.strictObject({ accountId: id });
export const userParams = z.strictObject({ userId: id });
export const userVaultParams = z.strictObject({ userId: id, vaultId: id });

export const createAccountBody = z.strictObject({ name: displayName(200) });
export const createVaultBody = z.strictObject({
  name: displayName(255),
  description: freeText(4096).optional(),
});
export const updateVaultBody = z
  .strictObject({
    name: displayName(255).optional(),
    description: freeText(4096).optional(),
  })
  .refine((b) => b.name !== undefined || b.description !== undefined, 'give a name or a description');
export const createUserBody = z.strictObject({
  email: emailAddress,
  role: z.enum(USER_ROLES).default('member'),
  password: z.string().optional(),
  name: personName.nullable().optional(),
});
export const grantBody = z.strictObject({
  permissions: z.array(z.enum(VAULT_PERMISSIONS)).max(VAULT_PERMISSIONS.length * 2),
});
export const setRoleBody = z.strictObject({ role: z.enum(USER_ROLES) });
/** `PUT /users/{id}/name` and `PUT /session/name`: a display name, or null to remove it. */
export const setNameBody = z.strictObject({ name: personName.nullable() });
export const userQuery = z.strictObject({ email: emailAddress.optional() });
export const fileUploadQuery = z.strictObject({
  name: displayName(255),
  section: z.string().min(1).max(200).optional(),
});
/** A page of a vault's items (domain/items/overview-index.ts). */
export const itemPageQuery = z.strictObject({
  q: z
    .string()
    .max(200)
    .optional()
    .describe(
      'Words separated by spaces; an item matches when each occurs (case-insensitive) in its title, a tag or a URL',
    ),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Items per page (1 to 200)'),
  cursor: z
    .string()
    .max(200)
    .refine((c) => decodeCursor(c) !== undefined, 'must be a `nextCursor` from a previous page')
    .optional()
    .describe("The previous page's `nextCursor`"),
});
/** An RFC 3339 date-time, read into the UTC form audit times are stored in. */
const instant = z.string().transform((text, ctx) => {
  const iso = parseInstant(text);
  if (iso !== undefined) return iso;
  ctx.issues.push({
    code: 'custom',
    input: text,
    message:
      'must be an RFC 3339 date-time with a time zone, like 2026-01-02T15:04:05Z or 2026-01-02T16:04:05+01:00',
  });
  return z.NEVER;
});
export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  before: z.coerce.number().int().min(1).optional(),
  /** An actor's id: a user's, a token's, an OAuth client's (`kc-…`), or `system`. */
  actor: z
    .string()
    .min(1)
    .max(MAX_ID)
    .regex(/^[a-z0-9-]+$/, "must be an actor's id (a-z, 0-9 and -)")
    .optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  result: z.enum(AUDIT_RESULTS).optional(),
  resourceType: z.enum(AUDIT_RESOURCE_TYPES).optional(),
  /** Matches the event's resourceId, vaultId or itemId. */
  resource: z
    .string()
    .min(1)
    .max(MAX_ID)
    .regex(/^[a-z0-9-]+$/, 'must be an id (a-z, 0-9 and -)')
    .optional(),
  since: instant.optional(),
  until: instant.optional(),
});

/** The export's query: the trail's filters, without the page (it answers every match). */
export const auditExportQuery = auditQuery.omit({ limit: true, before: true });
