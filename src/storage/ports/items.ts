/** Storage ports: Items, their sealed versions, and their files. */

/**
 * One version of an item, sealed and bound by AAD to this exact version: the overview alone (what
 * lists open) and the content, whose shape `layout` names (domain/items/sealing.ts).
 */
export interface ItemVersionRecord {
  itemId: string;
  version: number;
  overview: Buffer;
  content: Buffer;
  layout: number;
  createdAt: string;
  editedBy: string;
  /** MAC of the version's metadata (domain/items/heads.ts); null only before the upgrade wrote it. */
  mac: Buffer | null;
}

export interface ItemRecord {
  id: string;
  vaultId: string;
  accountId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  lastEditedBy: string;
  /**
   * MAC of the current version and the metadata above (domain/items/heads.ts); null only for a
   * row stored before heads existed that the upgrade has not reached yet.
   */
  head: Buffer | null;
}

/** An item with its current version's sealed overview and layout (and content when asked for). */
export interface ItemRow extends ItemRecord {
  /** Whether a version after `version` is stored: never, unless the row was pointed back. */
  hasLaterVersion: boolean;
  overview: Buffer;
  content?: Buffer;
  layout: number;
}

/** An item in its vault's trash: when, and by whom, it was deleted. */
export interface TrashedItemRow extends ItemRow {
  deletedAt: string;
  deletedBy: string;
}

/**
 * Items. `get`, `getWithFiles` and `list` see only items outside the trash (what every reader,
 * Connect included, may reach); `getTrashed` and `listTrash` only those in it.
 */
export interface ItemStore {
  /** Inserts the item and its version 1. */
  insert(item: ItemRecord, first: ItemVersionRecord): Promise<void>;
  get(vaultId: string, id: string, withContent: boolean): Promise<ItemRow | undefined>;
  /**
   * What a view of the item needs, in one read: the current version with content, and the
   * records of the item's files in upload order.
   */
  getWithFiles(vaultId: string, id: string): Promise<{ item: ItemRow; files: FileRecord[] } | undefined>;
  /** Current versions' overviews of every item in the vault. */
  list(vaultId: string): Promise<ItemRow[]>;
  /**
   * Moves the item to `next.version` only if it is still at `expectedVersion` (optimistic
   * concurrency). Returns false when another writer got there first.
   */
  update(item: ItemRecord, expectedVersion: number, next: ItemVersionRecord): Promise<boolean>;
  /** Moves the item to its vault's trash; false when no such item is outside the trash. */
  trash(vaultId: string, id: string, at: string, by: string): Promise<boolean>;
  /** Takes the item out of the trash; false when no such item is in it. */
  untrash(vaultId: string, id: string): Promise<boolean>;
  /** The trashed item's current version, without its content. */
  getTrashed(vaultId: string, id: string): Promise<TrashedItemRow | undefined>;
  /** The vault's trashed items (current versions' overviews), most recently deleted first. */
  listTrash(vaultId: string): Promise<TrashedItemRow[]>;
  /** Deletes the item with its versions and files, in the trash or not: permanent. */
  delete(vaultId: string, id: string): Promise<boolean>;
  versions(itemId: string): Promise<ItemVersionRecord[]>;
  getVersion(itemId: string, version: number): Promise<ItemVersionRecord | undefined>;
  /** Items without a head, each with the highest version stored for it (for the upgrade). */
  withoutHeads(): Promise<(ItemRecord & { latestVersion: number })[]>;
  setHead(itemId: string, head: Buffer): Promise<void>;
  /** Versions without a MAC, with the place of their item (for the upgrade). */
  versionsWithoutMacs(): Promise<(ItemVersionRecord & { accountId: string; vaultId: string })[]>;
  setVersionMac(itemId: string, version: number, mac: Buffer): Promise<void>;
}

export interface FileRecord {
  id: string;
  itemId: string;
  vaultId: string;
  /**
   * Sealed `{name, sectionId, size, createdAt}`; the sealed size and time must equal the columns
   * (files stored before migration 0008 sealed only the name and section until the upgrade).
   */
  meta: Buffer;
  size: number;
  createdAt: string;
}

export interface FileStore {
  insert(file: FileRecord, content: Buffer): Promise<void>;
  list(itemId: string): Promise<FileRecord[]>;
  get(itemId: string, id: string): Promise<FileRecord | undefined>;
  /** The sealed content. */
  content(itemId: string, id: string): Promise<Buffer | undefined>;
  delete(itemId: string, id: string): Promise<boolean>;
  /** Every file (without content) with its vault's account, for the upgrade. */
  all(): Promise<(FileRecord & { accountId: string })[]>;
  setMeta(id: string, meta: Buffer): Promise<void>;
}
