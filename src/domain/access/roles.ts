/**
 * The roles a person or an admin token holds in an account. A role is a set of account actions
 * (see ROLE_ACTIONS in decide.ts); one role has at least the power of another exactly when its
 * set contains the other's, which is how "a token cannot create a token with more power than its
 * own" and "an admin cannot touch an owner" are decided.
 *
 * - `owner`: everything in the account, including its signing keys, its owners and (for the
 *   operator account) other accounts.
 * - `admin`: everything in the account but owners and keys.
 * - `auditor`: reads everything but secrets, including the audit trail.
 * - `connect-manager`: manages Connect servers and their tokens, and nothing else.
 * - `member`: no account administration; vault access only where granted (people only).
 */
export const ROLES = ['owner', 'admin', 'auditor', 'connect-manager', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** The roles a user may hold. */
export const USER_ROLES = ROLES;
export type UserRole = Role;

/** The roles an admin token may hold: a `member` token could do nothing. */
export const ADMIN_TOKEN_ROLES = ['owner', 'admin', 'auditor', 'connect-manager'] as const;
export type AdminTokenRole = (typeof ADMIN_TOKEN_ROLES)[number];
/** The role a new admin token gets when none is named: everything in the account but owners and keys. */
export const DEFAULT_ADMIN_TOKEN_ROLE: AdminTokenRole = 'admin';
