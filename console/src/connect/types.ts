/** The admin API's Connect shapes (docs/admin-api.md, "Connect servers" and "Signing keys"). */
export interface Server {
  id: string;
  name: string;
  vaults: string[];
  createdAt: string;
}

/** The credentials document, shown once: it is handed to the browser as a file, never kept. */
export type ServerWithCredentials = Server & { credentials: unknown };

export type Permission = 'read' | 'write';

export interface ConnectToken {
  id: string;
  name: string;
  serverId: string;
  vaults: Array<{ vaultId: string; permissions: Permission[] }>;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface SigningKey {
  kid: string;
  kind: 'connect' | 'oauth';
  /** current: signs and verifies; previous: verifies what it signed; withdrawn: verifies nothing. */
  state: 'current' | 'previous' | 'withdrawn';
  createdAt: string;
  retiredAt: string | null;
  withdrawnAt: string | null;
  oauthUntil: string | null;
}

export const CONNECT = '/connect';
export const serverPath = (id: string) => `${CONNECT}/servers/${encodeURIComponent(id)}`;
export const KEYS_PATH = `${CONNECT}/keys`;

export const when = (iso: string) => new Date(iso).toLocaleString();

/** Vault names by id, for the vaults this person may see (others show by id). */
export type VaultNames = Map<string, string>;
export const vaultName = (names: VaultNames, id: string) => names.get(id) ?? `vault ${id}`;
