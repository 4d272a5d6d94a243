import { currentTotp } from './otp.js';
import { type ServedContent, toServed, toUrl } from './served.js';
import type {
  Category,
  FieldPurpose,
  FieldType,
  FileMeta,
  ItemContent,
  ItemMeta,
  ItemOverview,
} from './types.js';

/**
 * Stored item parts → the JSON 1Password Connect returns. Optional members are left out rather
 * than sent as `null` or `""` where Connect leaves them out (`urls`, `purpose`, `section`,
 * `entropy`, `totp`, `files`), because SDKs round-trip what they receive into the next PUT.
 * Key order is not Connect's (JSON clients do not depend on it) but the one that lets a read
 * send an item's decrypted content on unparsed (`itemJson`).
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
 * The full shape of one item: its id, its served content (served.ts), then the row's metadata
 * and its files. `now` (milliseconds since the epoch) is the instant OTP codes are computed for;
 * passing it in keeps this function pure and testable.
 */
export function toFullItem(
  meta: ItemMeta,
  content: ItemContent,
  files: FileMeta[],
  now: number,
): ConnectFullItem {
  return fullItem(meta, withOtpCodes(toServed(content), now), files);
}

/** How an OTP field begins in served JSON; inside a string value every `"` would be escaped. */
const OTP_FIELD = Buffer.from('"type":"OTP"');

/** Whether `itemJson` of this served content changes with the time (an OTP field's current code). */
export function servedDependsOnTime(served: Buffer): boolean {
  return served.includes(OTP_FIELD);
}

/**
 * The full item as the UTF-8 JSON Connect sends, from its served content as decrypted: the same
 * bytes as `JSON.stringify(toFullItem(…))`. The content is sent on as it is, between the id and
 * the metadata, unless it holds an OTP field, whose code has to be computed into it.
 */
export function itemJson(meta: ItemMeta, served: Buffer, files: FileMeta[], now: number): Buffer {
  if (servedDependsOnTime(served)) {
    const content = JSON.parse(served.toString('utf8')) as ServedContent;
    return Buffer.from(JSON.stringify(fullItem(meta, withOtpCodes(content, now), files)));
  }
  // Both ends are JSON objects: the content's members go in without its braces, the trailer's
  // members after a comma in place of its opening brace.
  const trailer = JSON.stringify(trailerOf(meta, files));
  return Buffer.concat([
    Buffer.from(`{"id":${JSON.stringify(meta.id)},`),
    served.subarray(1, served.length - 1),
    Buffer.from(`,${trailer.slice(1)}`),
  ]);
}

function fullItem(meta: ItemMeta, served: ServedContent, files: FileMeta[]): ConnectFullItem {
  return Object.assign({ id: meta.id }, served, trailerOf(meta, files));
}

/** What follows the served content in a full item. */
function trailerOf(meta: ItemMeta, files: FileMeta[]) {
  const trailer: Pick<
    ConnectFullItem,
    'vault' | 'version' | 'createdAt' | 'updatedAt' | 'lastEditedBy' | 'files'
  > = {
    vault: { id: meta.vaultId },
    version: meta.version,
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
    lastEditedBy: meta.lastEditedBy,
  };
  if (files.length > 0) trailer.files = files.map((file) => toFile(meta, file));
  return trailer;
}

/** Adds the current code to each OTP field that has a value (fields of a fresh copy only). */
function withOtpCodes(served: ServedContent, now: number): ServedContent {
  for (const field of served.fields) {
    if (field.type !== 'OTP' || field.value === '') continue;
    const totp = totpOrUndefined(field.value, now);
    if (totp !== undefined) field.totp = totp;
  }
  return served;
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
