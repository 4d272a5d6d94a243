import { hkdfSync } from 'node:crypto';
import { aad, newDataKey, open, seal } from './envelope.js';
import { deriveMacKey } from './mac.js';

/**
 * Holds the master key and the unwrapped vault data keys. Data keys are unwrapped on first use
 * and kept in a bounded cache: unwrapping is cheap, but not free on the hot read path.
 *
 * Nothing another central node does can make a cached key wrong: a vault's data key is made with
 * the vault and never changes, and a vault id is never reused. A vault deleted on another node
 * keeps its key here until evicted (only the deleting node forgets it at once); nobody can reach
 * it, since access is decided on the vault record, which the change feed keeps current.
 */
export class Keyring {
  readonly #master: Buffer;
  readonly #vaultKeys = new Map<string, Buffer>();
  /** Metadata MAC keys, derived from the data keys above (mac.ts); dropped with them. */
  readonly #macKeys = new Map<string, Buffer>();
  readonly #maxCached: number;

  constructor(masterKey: Buffer, maxCached = 10_000) {
    this.#master = masterKey;
    this.#maxCached = maxCached;
  }

  /**
   * A 256-bit key for one purpose, derived from the master key with HKDF under `label`: the same
   * on every central node (they share the master key), never the master key itself, and a
   * different key for every label.
   */
  purposeKey(label: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#master, Buffer.alloc(0), label, 32));
  }

  /** A fresh data key for a new vault, and its wrapped form to store. */
  newVaultKey(accountId: string, vaultId: string): { key: Buffer; wrapped: Buffer } {
    const key = newDataKey();
    return { key, wrapped: seal(this.#master, key, aad.vaultKey(accountId, vaultId)) };
  }

  vaultKey(vault: { id: string; accountId: string; wrappedKey: Buffer }): Buffer {
    const cached = this.#vaultKeys.get(vault.id);
    if (cached) return cached;
    const key = open(
      this.#master,
      vault.wrappedKey,
      aad.vaultKey(vault.accountId, vault.id),
      `vault ${vault.id} key`,
    );
    if (this.#vaultKeys.size >= this.#maxCached) {
      const oldest = this.#vaultKeys.keys().next().value;
      if (oldest !== undefined) {
        // Not zeroed: a request still running may hold it.
        this.#vaultKeys.delete(oldest);
        this.#macKeys.delete(oldest);
      }
    }
    this.#vaultKeys.set(vault.id, key);
    return key;
  }

  /** The key that authenticates the vault's plaintext metadata (item heads, version records). */
  macKey(vault: { id: string; accountId: string; wrappedKey: Buffer }): Buffer {
    const cached = this.#macKeys.get(vault.id);
    if (cached) return cached;
    const key = deriveMacKey(this.vaultKey(vault));
    this.#macKeys.set(vault.id, key);
    return key;
  }

  forgetVault(vaultId: string): void {
    for (const keys of [this.#vaultKeys, this.#macKeys]) {
      keys.get(vaultId)?.fill(0);
      keys.delete(vaultId);
    }
  }

  /** Seals a value directly under the master key (used for the key check and account keys). */
  sealWithMaster(plaintext: Buffer, context: string): Buffer {
    return seal(this.#master, plaintext, context);
  }

  openWithMaster(sealed: Buffer, context: string, what: string): Buffer {
    return open(this.#master, sealed, context, what);
  }
}
