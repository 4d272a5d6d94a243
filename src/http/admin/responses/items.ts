import { z } from 'zod';
import { CATEGORIES, FIELD_PURPOSES, FIELD_TYPES } from '../../../domain/items/types.js';
import { id, time } from './common.js';

/** `VaultView`: the Connect vault shape (domain/vaults/vault-reads.ts). */
export const vault = z
  .strictObject({
    id,
    name: z.string(),
    description: z.string(),
    attributeVersion: z.number().int(),
    contentVersion: z.number().int(),
    items: z.number().int().min(0),
    type: z.string(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'Vault' });

/** `ConnectUrl`, `ConnectSection`, `ConnectField`, `ConnectFile` (domain/items/present.ts). */
const itemUrl = z.strictObject({
  label: z.string().optional(),
  primary: z.boolean().optional(),
  href: z.string(),
});
const sectionRef = z.strictObject({ id: z.string() });
export const file = z
  .strictObject({
    id,
    name: z.string(),
    size: z.number().int().min(0),
    content_path: z.string().meta({ description: "The Connect route of the file's bytes." }),
    section: sectionRef.optional(),
  })
  .meta({ id: 'File' });
const field = z.strictObject({
  id: z.string(),
  type: z.enum(FIELD_TYPES),
  purpose: z.enum(FIELD_PURPOSES.filter((p) => p !== '') as ['USERNAME', 'PASSWORD', 'NOTES']).optional(),
  label: z.string(),
  value: z.string(),
  section: sectionRef.optional(),
  entropy: z.number().optional().meta({ description: 'Bits, when the value was generated.' }),
  totp: z.string().optional().meta({ description: 'The current code of an OTP field.' }),
});

/** `ConnectItemSummary`. */
export const itemSummary = z
  .strictObject({
    id,
    title: z.string(),
    vault: z.strictObject({ id }),
    category: z.enum(CATEGORIES),
    urls: z.array(itemUrl).optional(),
    favorite: z.boolean(),
    tags: z.array(z.string()),
    version: z.number().int().min(1),
    createdAt: time,
    updatedAt: time,
    lastEditedBy: z.string(),
  })
  .meta({ id: 'ItemSummary' });

/** `ItemPage` (domain/items/overview-index.ts): one page of a vault's items, and how many match. */
export const itemPage = z
  .strictObject({
    items: z.array(itemSummary),
    total: z.number().int().min(0).describe('Items in the vault'),
    matched: z.number().int().min(0).describe('Items matching `q` (all items without one)'),
    nextCursor: z
      .string()
      .optional()
      .describe('Pass as `cursor` to get the next page; absent on the last page'),
  })
  .meta({ id: 'ItemPage' });

/** `ConnectFullItem`. */
export const fullItem = itemSummary
  .extend({
    sections: z.array(z.strictObject({ id: z.string(), label: z.string().optional() })),
    fields: z.array(field),
    files: z.array(file).optional(),
  })
  .meta({ id: 'FullItem' });

/** `WriteReceipt` (domain/items/item-service.ts): the answer to a caller who may write but not read. */
export const writeReceipt = z
  .strictObject({
    id,
    vault: z.strictObject({ id }),
    version: z.number().int().min(1),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'WriteReceipt' });
export const writtenItem = z.union([fullItem, writeReceipt]);

/** `TrashedItem` (domain/items/item-service.ts): a summary with when and by whom it was deleted. */
export const trashedItem = itemSummary
  .extend({ deletedAt: time, deletedBy: z.string() })
  .meta({ id: 'TrashedItem' });

/** `ItemVersionView` (domain/items/item-history.ts). */
export const itemVersion = z
  .strictObject({
    version: z.number().int().min(1),
    title: z.string(),
    createdAt: time,
    editedBy: z.string(),
  })
  .meta({ id: 'ItemVersion' });
