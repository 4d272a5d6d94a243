import { openJson, sealJson } from '../../crypto/envelope.js';
import type { Keyring } from '../../crypto/keyring.js';
import { isAppError } from '../../errors/app-error.js';
import { ITEM_HEADS_PENDING, type Storage, type Stores, type VaultRecord } from '../../storage/ports.js';
import { fileMetaAad, type SealedFileMeta } from './file-service.js';
import { itemHead, versionMac } from './heads.js';

/** What the upgrade did, for the start-up log. */
export interface HeadsUpgrade {
  items: number;
  versions: number;
  files: number;
  /**
   * Items left without a head because they point below their newest stored version, and files
   * whose metadata did not open: both read as integrity errors.
   */
  refused: string[];
}

/**
 * Writes the heads, version MACs and sealed file sizes (heads.ts, file-service.ts) of the rows a
 * database held before migration 0008, once: the caller runs it on a start whose key check does
 * not yet say heads are in force (bootstrap/data-dir.ts), and `markInForce` changes that check in
 * the same transaction, so every later start treats a missing MAC as tampering, never as "not
 * yet" (the `meta` marker migration 0008 left is removed with it; a marker put back later is
 * ignored).
 *
 * What is found is trusted as it is (nothing older exists to check it against), with one
 * exception: an item whose row points below the newest version stored for it was already rolled
 * back, and gets no head, so it reads as an integrity error rather than being vouched for (as does
 * a file whose metadata no longer opens). Neither stops the start: the rest of the store serves.
 */
export async function upgradeItemHeads(
  storage: Pick<Storage, 'transaction'>,
  keyring: Keyring,
  markInForce: (tx: Stores) => Promise<void>,
): Promise<HeadsUpgrade> {
  return storage.transaction(async (tx) => {
    const vaults = vaultsOf(tx);
    const done: HeadsUpgrade = { items: 0, versions: 0, files: 0, refused: [] };
    for (const item of await tx.items.withoutHeads()) {
      if (item.version !== item.latestVersion) {
        done.refused.push(item.id);
        continue;
      }
      const vault = await vaults(item.accountId, item.vaultId);
      await tx.items.setHead(item.id, itemHead(keyring.macKey(vault), item));
      done.items++;
    }
    for (const v of await tx.items.versionsWithoutMacs()) {
      const vault = await vaults(v.accountId, v.vaultId);
      await tx.items.setVersionMac(v.itemId, v.version, versionMac(keyring.macKey(vault), v));
      done.versions++;
    }
    for (const f of await tx.files.all()) {
      const vault = await vaults(f.accountId, f.vaultId);
      const key = keyring.vaultKey(vault);
      const aad = fileMetaAad(f.accountId, f.vaultId, f);
      let meta: Partial<SealedFileMeta>;
      try {
        meta = openJson<Partial<SealedFileMeta>>(key, f.meta, aad, `file ${f.id}`);
      } catch (error) {
        if (!isAppError(error) || error.code !== 'integrity_error') throw error;
        done.refused.push(f.id);
        continue;
      }
      if (meta.size !== undefined) continue;
      const sealed: SealedFileMeta = { ...(meta as SealedFileMeta), size: f.size, createdAt: f.createdAt };
      await tx.files.setMeta(f.id, sealJson(key, sealed, aad));
      done.files++;
    }
    await tx.meta.delete(ITEM_HEADS_PENDING);
    await markInForce(tx);
    return done;
  });
}

/** Vault records by id, read once each. */
function vaultsOf(tx: Stores) {
  const found = new Map<string, VaultRecord>();
  return async (accountId: string, vaultId: string): Promise<VaultRecord> => {
    let vault = found.get(vaultId);
    if (!vault) {
      vault = await tx.vaults.get(accountId, vaultId);
      // Rows reference their vault (foreign keys); a missing one means the file was edited.
      if (!vault) throw new Error(`item heads upgrade: vault ${vaultId} of account ${accountId} is missing`);
      found.set(vaultId, vault);
    }
    return vault;
  };
}
