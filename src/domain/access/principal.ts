import type { ConnectPermission, VaultDetailGrant, VaultPermission, VaultScopeGrant } from './permissions.js';
import type { Role } from './roles.js';

/** A user's current vault permissions, re-read for every request. */
export type VaultAccessMap = ReadonlyMap<string, ReadonlySet<VaultPermission>>;

/**
 * Who is asking, reduced to what `decide` needs. Every credential becomes one of these when its
 * request is authenticated; nothing else about the caller is consulted.
 */
export type Principal =
  /** The service itself (bootstrap, recovery): may do anything. */
  | { kind: 'system'; accountId: string }
  /** A caller with no powers: a sign-in attempt, a client at the token endpoint. */
  | { kind: 'nobody'; accountId: string }
  /**
   * An admin API token, with its role. `operator`: it belongs to the operator account.
   * `expiresAt`: when it stops working (absent or null: never), which no token it makes may outlive.
   */
  | {
      kind: 'admin_token';
      accountId: string;
      tokenId: string;
      role: Role;
      operator: boolean;
      expiresAt?: string | null;
    }
  /**
   * A person (a sign-in session, or the CLI signed in as them): their role in the account and
   * their vault permissions now.
   */
  | {
      kind: 'user';
      accountId: string;
      userId: string;
      role: Role;
      operator: boolean;
      vaults: VaultAccessMap;
    }
  /**
   * A Connect token: its signed vault grants, limited to the vaults its server may reach *now*
   * (looked up for every request, from a cache that any change to the set empties, so shrinking
   * a server's vault set takes effect at once). No account actions.
   */
  | {
      kind: 'connect';
      accountId: string;
      serverId: string;
      grants: ReadonlyMap<string, ReadonlySet<ConnectPermission>>;
      serverVaults: ReadonlySet<string>;
    }
  /**
   * A third-party OAuth access token for the vault API: what its granted scopes allow,
   * intersected with what its user may do in each vault *now*. No account actions. `details`:
   * the RFC 9396 authorization details its grant approved, when it carries any: then each vault
   * action must also be allowed by one of them (authorization-details.ts).
   */
  | {
      kind: 'oauth';
      accountId: string;
      userId: string;
      scopes: VaultScopeGrant;
      userVaults: VaultAccessMap;
      details?: readonly VaultDetailGrant[];
    };
