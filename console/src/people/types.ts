/** The admin API's people shapes (docs/admin-api.md, "Users and vault permissions", "Admin tokens"). */
import type { Session } from '../session.js';

export const USER_ROLES = ['owner', 'admin', 'auditor', 'connect-manager', 'member'] as const;
export const TOKEN_ROLES = ['owner', 'admin', 'auditor', 'connect-manager'] as const;

export const ROLE_NAMES: Record<string, string> = {
  owner: 'Owner',
  admin: 'Admin',
  auditor: 'Auditor',
  'connect-manager': 'Connect manager',
  member: 'Member',
};
export const roleName = (role: string) => ROLE_NAMES[role] ?? role;

export interface User {
  id: string;
  email: string;
  /** The display name; null when they have none. */
  name: string | null;
  role: string;
  enabled: boolean;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CreatedUser extends User {
  password?: string;
}

export interface VaultGrant {
  userId: string;
  vaultId: string;
  permissions: string[];
}

export interface AdminToken {
  id: string;
  name: string;
  role: string;
  status: 'active' | 'expired' | 'revoked';
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface MfaStatus {
  userId: string;
  enabled: boolean;
  recoveryCodesLeft: number;
}

/** Who sees the People section: owners and admins (the API decides every request anyway). */
export const managesPeople = (session: Session) =>
  session.user.role === 'owner' || session.user.role === 'admin';

export const personPath = (userId: string) => `/people/${encodeURIComponent(userId)}`;
export const TOKENS_PATH = '/people/admin-tokens';

/** The vault access levels the console offers, as permission sets of the admin API. */
export const ACCESS_LEVELS = [
  { value: 'none', label: 'No access', permissions: [] as string[] },
  { value: 'read', label: 'Read', permissions: ['read'] },
  { value: 'write', label: 'Read and write', permissions: ['read', 'write'] },
  { value: 'manage', label: 'Read, write and manage', permissions: ['read', 'write', 'manage'] },
] as const;

/** The level a permission set is (a set the console does not offer shows as its nearest above). */
export function levelOf(permissions: readonly string[]): string {
  if (permissions.includes('manage')) return 'manage';
  if (permissions.includes('write')) return 'write';
  if (permissions.includes('read')) return 'read';
  return 'none';
}

/** The longest display name the API takes (domain/text.ts MAX_PERSON_NAME). */
export const MAX_NAME = 200;

export const when = (time: string | null) => (time ? new Date(time).toLocaleString() : '');
