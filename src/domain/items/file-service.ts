import { aad, openJson, seal, sealJson } from '../../crypto/envelope.js';
import { newId } from '../../crypto/ids.js';
import type { Keyring } from '../../crypto/keyring.js';
import type { VaultKeys } from '../../crypto/vault-keys.js';
import { integrityError, notFound } from '../../errors/app-error.js';
import type { FileRecord, FileStore, Storage, VaultCore } from '../../storage/ports.js';
import type { RequestContext } from '../context.js';
import { type FileReads, fileReads } from './file-reads.js';
import type { FileMeta } from './types.js';
import { attemptWrite, authorizeWrite, recordWrite, type WriteTarget } from './write-attempt.js';

/** The Connect file shape. */
export interface FileView {
  id: string;
  name: string;
  size: number;
  content_path: string;
  section?: { id: string };
}

export interface FileService extends FileReads {
  /** Uploading files is something Connect itself cannot do. */
  add(
    ctx: RequestContext,
    vaultId: string,
    itemId: string,
    file: { name: string; sectionId?: string; content: Buffer },
  ): Promise<FileView>;
  delete(ctx: RequestContext, vaultId: string, itemId: string, fileId: string): Promise<void>;
}

/**
 * A file's metadata as sealed. `size` and `createdAt` repeat the plaintext columns (which the
 * store sorts and sizes by) so they are authenticated: a column that no longer equals its sealed
 * copy is an integrity error. Files stored before migration 0008 sealed only the name and section
 * until the first start after it re-sealed them with both (upgrade-heads.ts).
 */
export interface SealedFileMeta {
  name: string;
  sectionId?: string;
  size: number;
  createdAt: string;
}

export const contentPath = (vaultId: string, itemId: string, fileId: string) =>
  `/v1/vaults/${vaultId}/items/${itemId}/files/${fileId}/content`;

export const toFileView = (vaultId: string, f: FileMeta): FileView => ({
  id: f.id,
  name: f.name,
  size: f.size,
  content_path: contentPath(vaultId, f.itemId, f.id),
  ...(f.sectionId ? { section: { id: f.sectionId } } : {}),
});

export const fileMetaAad = (accountId: string, vaultId: string, f: Pick<FileRecord, 'itemId' | 'id'>) =>
  aad.file(accountId, vaultId, f.itemId, f.id, 'meta');

export const openFileMeta = (key: Buffer, vault: VaultCore, f: FileRecord): FileMeta => {
  const meta = openJson<SealedFileMeta>(
    key,
    f.meta,
    fileMetaAad(vault.accountId, vault.id, f),
    `file ${f.id}`,
  );
  if (meta.size !== f.size || meta.createdAt !== f.createdAt) throw integrityError(`file ${f.id}`);
  return {
    id: f.id,
    itemId: f.itemId,
    name: meta.name,
    size: f.size,
    createdAt: f.createdAt,
    ...(meta.sectionId ? { sectionId: meta.sectionId } : {}),
  };
};

/** The decrypted metadata of an item's files (no content), for item views. */
export async function listFileMetas(
  storage: { files: Pick<FileStore, 'list'> },
  keyring: VaultKeys,
  vault: VaultCore,
  itemId: string,
): Promise<FileMeta[]> {
  return openFileMetas(keyring, vault, await storage.files.list(itemId));
}

/** The decrypted metadata of file records read already. */
export function openFileMetas(keyring: VaultKeys, vault: VaultCore, records: FileRecord[]): FileMeta[] {
  if (records.length === 0) return [];
  const key = keyring.vaultKey(vault);
  return records.map((f) => openFileMeta(key, vault, f));
}

export function fileService(storage: Storage, keyring: Keyring): FileService {
  const requireItem = async (vaultId: string, itemId: string) => {
    if (!(await storage.items.get(vaultId, itemId, false))) throw notFound(`item ${itemId} not found`);
  };
  /** A file write, whose failure is recorded against its item (write-attempt.ts). */
  const attempt = <T>(ctx: RequestContext, target: WriteTarget, write: () => Promise<T>) =>
    attemptWrite(storage.audit, ctx, target, write);

  return {
    add: (ctx, vaultId, itemId, file) => {
      const target: WriteTarget = { action: 'CREATE', resourceType: 'FILE', vaultId, itemId };
      return attempt(ctx, target, async () => {
        const vault = await authorizeWrite(storage, ctx, target);
        await requireItem(vaultId, itemId);
        const key = keyring.vaultKey(vault);
        const id = newId();
        const now = new Date().toISOString();
        const meta: SealedFileMeta = {
          name: file.name,
          ...(file.sectionId ? { sectionId: file.sectionId } : {}),
          size: file.content.length,
          createdAt: now,
        };
        const record: FileRecord = {
          id,
          itemId,
          vaultId,
          meta: sealJson(key, meta, fileMetaAad(vault.accountId, vaultId, { itemId, id })),
          size: file.content.length,
          createdAt: now,
        };
        const sealedContent = seal(
          key,
          file.content,
          aad.file(vault.accountId, vaultId, itemId, id, 'content'),
        );
        await storage.transaction(async (tx) => {
          await tx.files.insert(record, sealedContent);
          await tx.vaults.touchContent(vaultId, now);
          await recordWrite(tx.audit, ctx, target, 'SUCCESS', { resourceId: id });
        });
        return toFileView(vaultId, {
          id,
          itemId,
          name: file.name,
          size: record.size,
          createdAt: now,
          ...(meta.sectionId ? { sectionId: meta.sectionId } : {}),
        });
      });
    },

    ...fileReads(storage, keyring),

    delete: (ctx, vaultId, itemId, fileId) => {
      const target: WriteTarget = {
        action: 'DELETE',
        resourceType: 'FILE',
        vaultId,
        itemId,
        resourceId: fileId,
      };
      return attempt(ctx, target, async () => {
        await authorizeWrite(storage, ctx, target);
        await requireItem(vaultId, itemId);
        const now = new Date().toISOString();
        await storage.transaction(async (tx) => {
          if (!(await tx.files.delete(itemId, fileId))) throw notFound(`file ${fileId} not found`);
          await tx.vaults.touchContent(vaultId, now);
          await recordWrite(tx.audit, ctx, target, 'SUCCESS');
        });
      });
    },
  };
}
