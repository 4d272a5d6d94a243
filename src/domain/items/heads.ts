import { macMatches, macOf } from '../../crypto/mac.js';
import { integrityError } from '../../errors/app-error.js';
import type { ItemRecord, ItemVersionRecord } from '../../storage/ports.js';

/**
 * What authenticates an item's plaintext columns (keys: `Keyring.macKey`, crypto/mac.ts).
 *
 * Each version's sealed values open only under AAD naming that exact version, so an older
 * version is genuine for its own number: pointing `items.version` back at it would serve the old
 * secret as current. The item's *head* closes that: a MAC over account, vault, item, current
 * version and the metadata served with it (`createdAt`, `updatedAt`, `lastEditedBy`), stored in
 * the item row and replaced on every write. A row whose version or metadata was changed in
 * storage no longer matches its head; an older head is nowhere in the database to put back, and
 * one restored from elsewhere is betrayed by the later versions stored (see docs/architecture.md
 * for what that does not cover). Each version record carries a MAC of
 * its own metadata (`createdAt`, `editedBy`), which history and old-version reads serve.
 *
 * A missing MAC fails like a wrong one: rows stored before heads existed got theirs once, when
 * the first start after the upgrade wrote them (upgrade-heads.ts), so no row may lack one later.
 */

/** The item of a head: the row's id and place, and the metadata that is served with it. */
export type HeadOf = Pick<
  ItemRecord,
  'id' | 'accountId' | 'vaultId' | 'version' | 'createdAt' | 'updatedAt' | 'lastEditedBy'
>;

const headParts = (item: HeadOf) => [
  'keyhold/item-head/v1',
  item.accountId,
  item.vaultId,
  item.id,
  item.version,
  item.createdAt,
  item.updatedAt,
  item.lastEditedBy,
];

export const itemHead = (macKey: Buffer, item: HeadOf): Buffer => macOf(macKey, headParts(item));

/**
 * Throws an integrity error unless `item.head` authenticates the row as it was read, and no
 * version after the current one is stored (versions are never pruned, so one exists only if the
 * row, head and all, was put back to an older state: a head restored from an older copy of the
 * database passes its MAC, but not this).
 */
export function verifyHead(
  macKey: Buffer,
  item: HeadOf & { head: Buffer | null; hasLaterVersion: boolean },
): void {
  if (item.hasLaterVersion || !macMatches(macKey, headParts(item), item.head))
    throw integrityError(`item ${item.id}`);
}

/** Where a version belongs, and the metadata it is served with. */
export type VersionOf = Pick<ItemVersionRecord, 'itemId' | 'version' | 'createdAt' | 'editedBy'> & {
  accountId: string;
  vaultId: string;
};

const versionParts = (v: VersionOf) => [
  'keyhold/item-version/v1',
  v.accountId,
  v.vaultId,
  v.itemId,
  v.version,
  v.createdAt,
  v.editedBy,
];

export const versionMac = (macKey: Buffer, v: VersionOf): Buffer => macOf(macKey, versionParts(v));

export function verifyVersion(macKey: Buffer, v: VersionOf & { mac: Buffer | null }): void {
  if (!macMatches(macKey, versionParts(v), v.mac)) throw integrityError(`item ${v.itemId}`);
}
