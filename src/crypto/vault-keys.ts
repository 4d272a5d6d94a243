/**
 * The vault data keys the item, vault and file read code needs, by vault: the central service's
 * `Keyring` (keys sealed under the master key, unwrapped on first use) and a standalone Connect
 * node's keyring (keys wrapped to its server, unwrapped when they arrive) both implement it, so
 * the same domain code reads on either.
 */
export interface KeyedVault {
  id: string;
  accountId: string;
  /** The key as the holder stores it; an implementation may look the key up by id instead. */
  wrappedKey: Buffer;
}

export interface VaultKeys {
  /** The vault's data key, or an integrity error when it cannot be had. */
  vaultKey(vault: KeyedVault): Buffer;
  /** The key that authenticates the vault's plaintext metadata (crypto/mac.ts). */
  macKey(vault: KeyedVault): Buffer;
}
