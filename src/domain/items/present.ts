import { currentTotp } from './otp.js';
import type {
  Category,
  FieldPurpose,
  FieldType,
  FileMeta,
  ItemContent,
  ItemField,
  ItemMeta,
  ItemOverview,
  ItemUrl,
} from './types.js';

/**
 * Stored item parts → the JSON 1Password Connect returns. Optional members are left out rather
 * than sent as `null` or `""` where Connect leaves them out (`urls`, `purpose`, `section`,
 * `entropy`, `totp`, `files`), because SDKs round-trip what they receive into the next PUT.
 */

export interface ConnectUrl {
  label?: string;
  primary?: boolean;
  href: string;
}

/** An item as lists show it (`GET /v1/vaults/{v}/items`): no sections, fields or files. */
export interface ConnectItemSummary {
  id: string;
  title: string;
  vault: { id: string };
  category: Category;
  urls?: ConnectUrl[];
  favorite: boolean;
  tags: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
  lastEditedBy: string;
}

export interface ConnectSection {
  id: string;
  label?: string;
}

export interface ConnectField {
  id: string;
  type: FieldType;
  purpose?: Exclude<FieldPurpose, ''>;
  label: string;
  value: string;
  section?: { id: string };
  entropy?: number;
  /** The current code of an OTP field. */
  totp?: string;
}

export interface ConnectFile {
  id: string;
  name: string;
  size: number;
  content_path: string;
  section?: { id: string };
  /** Base64 of the bytes; only when the client asked for inline content (added by the route). */
  content?: string;
}

export interface ConnectFullItem extends ConnectItemSummary {
  sections: ConnectSection[];
  fields: ConnectField[];
  files?: ConnectFile[];
}

/** The summary shape of one item. */
export function toItemSummary(meta: ItemMeta, overview: ItemOverview): ConnectItemSummary {
  return {
    id: meta.id,
    title: overview.title,
    vault: { id: meta.vaultId },
    category: overview.category,
    ...(overview.urls.length > 0 ? { urls: overview.urls.map(toUrl) } : {}),
    favorite: overview.favorite,
    tags: [...overview.tags],
    version: meta.version,
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
    lastEditedBy: meta.lastEditedBy,
  };
}

/**
 * The full shape of one item. `now` (milliseconds since the epoch) is the instant OTP codes are
 * computed for; passing it in keeps this function pure and testable.
 */
export function toFullItem(
  meta: ItemMeta,
  content: ItemContent,
  files: FileMeta[],
  now: number,
): ConnectFullItem {
  const { sections, fields } = content.details;
  // Added to the summary rather than spread into a new object with it: every secret read builds
  // one of these, and that spread alone cost more than building the rest of the item.
  const item: ConnectFullItem = Object.assign(toItemSummary(meta, content.overview), {
    sections: sections.map((section) =>
      section.label ? { id: section.id, label: section.label } : { id: section.id },
    ),
    fields: fields.map((field) => toField(field, now)),
  });
  if (files.length > 0) item.files = files.map((file) => toFile(meta, file));
  return item;
}

/**
 * One field, its optional members set only when present. Assigned rather than spread in from
 * conditional literals, which cost ten times as much; the key order stays Connect's.
 */
function toField(field: ItemField, now: number): ConnectField {
  const out: ConnectField =
    field.purpose === ''
      ? { id: field.id, type: field.type, label: field.label, value: field.value }
      : { id: field.id, type: field.type, purpose: field.purpose, label: field.label, value: field.value };
  if (field.sectionId !== undefined) out.section = { id: field.sectionId };
  if (field.entropy !== undefined) out.entropy = field.entropy;
  if (field.type === 'OTP' && field.value !== '') {
    const totp = totpOrUndefined(field.value, now);
    if (totp !== undefined) out.totp = totp;
  }
  return out;
}

/** The route that streams a file's bytes; absolute, as Connect's SDKs request it verbatim. */
export function fileContentPath(vaultId: string, itemId: string, fileId: string): string {
  return `/v1/vaults/${vaultId}/items/${itemId}/files/${fileId}/content`;
}

function toFile(meta: ItemMeta, file: FileMeta): ConnectFile {
  return {
    id: file.id,
    name: file.name,
    size: file.size,
    content_path: fileContentPath(meta.vaultId, meta.id, file.id),
    ...(file.sectionId !== undefined ? { section: { id: file.sectionId } } : {}),
  };
}

function toUrl(url: ItemUrl): ConnectUrl {
  return {
    ...(url.label !== undefined ? { label: url.label } : {}),
    ...(url.primary !== undefined ? { primary: url.primary } : {}),
    href: url.href,
  };
}

/**
 * A stored value that no longer parses (written before validation tightened, or by an import)
 * must not make the whole item unreadable: the field is returned without a code.
 */
function totpOrUndefined(value: string, now: number): string | undefined {
  try {
    return currentTotp(value, now);
  } catch {
    return undefined;
  }
}
