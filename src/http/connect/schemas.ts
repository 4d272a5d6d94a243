import { z } from 'zod';
import { ID_PATTERN } from '../../crypto/ids.js';
import { displayName } from '../../domain/text.js';

const id = (what: string) =>
  z.string().regex(ID_PATTERN, `Invalid ${what} UUID: expected 26 characters of a-z and 0-9`);

export const vaultParams = z.object({ vaultId: id('Vault') });
export const itemParams = z.object({ vaultId: id('Vault'), itemId: id('Item') });
export const fileParams = z.object({ vaultId: id('Vault'), itemId: id('Item'), fileId: id('File') });

/** `inline_files=true` (also `inline_content`, which older clients send). */
export const inlineQuery = z
  .object({ inline_files: z.string().optional(), inline_content: z.string().optional() })
  .transform((q) => q.inline_files === 'true' || q.inline_content === 'true');

export const activityQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** A file name is a display name, as on the admin API: readers' listings and terminals print it. */
export const uploadQuery = z.object({ name: displayName(255) });
