import { aad, open } from '../../crypto/envelope.js';
import type { VaultKeys } from '../../crypto/vault-keys.js';
import { integrityError, notFound } from '../../errors/app-error.js';
import type { AuditStore, FileStore, ItemStore, VaultCore, VaultStore } from '../../storage/ports.js';
import { authorizeVault } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { type FileView, listFileMetas, openFileMeta, toFileView } from './file-service.js';

/** What the file reads use of the stores: the central storage or a node's replica. */
export interface FileReadStores {
  vaults: Pick<VaultStore, 'find'>;
  items: Pick<ItemStore, 'get'>;
  files: Pick<FileStore, 'list' | 'get' | 'content'>;
  audit: Pick<AuditStore, 'append'>;
}

export interface FileReads {
  list(ctx: RequestContext, vaultId: string, itemId: string): Promise<FileView[]>;
  get(ctx: RequestContext, vaultId: string, itemId: string, fileId: string): Promise<FileView>;
  content(
    ctx: RequestContext,
    vaultId: string,
    itemId: string,
    fileId: string,
  ): Promise<{ file: FileView; content: Buffer }>;
}

/** Reading an item's files: metadata and content, sealed under the vault's key as stored. */
export function fileReads(stores: FileReadStores, keys: VaultKeys): FileReads {
  const requireItem = async (vaultId: string, itemId: string) => {
    if (!(await stores.items.get(vaultId, itemId, false))) throw notFound(`item ${itemId} not found`);
  };
  const loadFile = async (vault: VaultCore, itemId: string, fileId: string) => {
    await requireItem(vault.id, itemId);
    const record = await stores.files.get(itemId, fileId);
    if (!record) throw notFound(`file ${fileId} not found`);
    return record;
  };

  return {
    async list(ctx, vaultId, itemId) {
      const vault = await authorizeVault(stores, ctx, vaultId, 'read', undefined, itemId);
      await requireItem(vaultId, itemId);
      return (await listFileMetas(stores, keys, vault, itemId)).map((f) => toFileView(vaultId, f));
    },

    async get(ctx, vaultId, itemId, fileId) {
      const vault = await authorizeVault(stores, ctx, vaultId, 'read', undefined, itemId);
      const record = await loadFile(vault, itemId, fileId);
      return toFileView(vaultId, openFileMeta(keys.vaultKey(vault), vault, record));
    },

    async content(ctx, vaultId, itemId, fileId) {
      const vault = await authorizeVault(stores, ctx, vaultId, 'read', undefined, itemId);
      const record = await loadFile(vault, itemId, fileId);
      const key = keys.vaultKey(vault);
      const file = toFileView(vaultId, openFileMeta(key, vault, record));
      const sealed = await stores.files.content(itemId, fileId);
      if (!sealed) throw notFound(`file ${fileId} not found`);
      const content = open(
        key,
        sealed,
        aad.file(vault.accountId, vaultId, itemId, fileId, 'content'),
        `file ${fileId}`,
      );
      // The size served beside the bytes is the one authenticated with the metadata above.
      if (content.length !== file.size) throw integrityError(`file ${fileId}`);
      await recordAudit(stores.audit, ctx, {
        action: 'READ',
        resourceType: 'FILE',
        vaultId,
        itemId,
        resourceId: fileId,
        result: 'SUCCESS',
      });
      return { file, content };
    },
  };
}
