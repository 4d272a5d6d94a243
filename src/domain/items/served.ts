import type { ConnectField, ConnectSection, ConnectUrl } from './present.js';
import type { Category, ItemContent, ItemField, ItemUrl } from './types.js';

/**
 * An item's content in the shape 1Password Connect serves it: the members of a full item that
 * are not the row's metadata (id, vault, version, dates, editor) nor computed on read (OTP
 * codes, files). New versions are sealed in this shape (sealing.ts, `LAYOUT.served`), so a read
 * sends the decrypted bytes on as they are instead of parsing and re-serializing them.
 *
 * Optional members are left out where Connect leaves them out (`urls`, `purpose`, `section`,
 * `entropy`); the key order is the one a full item is sent with (present.ts).
 */
export interface ServedContent {
  title: string;
  category: Category;
  urls?: ConnectUrl[];
  favorite: boolean;
  tags: string[];
  sections: ConnectSection[];
  fields: ConnectField[];
}

export function toServed(content: ItemContent): ServedContent {
  const { overview, details } = content;
  const { title, category, favorite } = overview;
  const tags = [...overview.tags];
  const sections = details.sections.map((section) =>
    section.label ? { id: section.id, label: section.label } : { id: section.id },
  );
  const fields = details.fields.map(toField);
  return overview.urls.length > 0
    ? { title, category, urls: overview.urls.map(toUrl), favorite, tags, sections, fields }
    : { title, category, favorite, tags, sections, fields };
}

/** The stored content again, for writes that start from the current version. */
export function fromServed(served: ServedContent): ItemContent {
  return {
    overview: {
      title: served.title,
      category: served.category,
      urls: served.urls ?? [],
      tags: served.tags,
      favorite: served.favorite,
    },
    details: {
      sections: served.sections,
      fields: served.fields.map((field) => {
        const out: ItemField = {
          id: field.id,
          type: field.type,
          purpose: field.purpose ?? '',
          label: field.label,
          value: field.value,
        };
        if (field.section !== undefined) out.sectionId = field.section.id;
        if (field.entropy !== undefined) out.entropy = field.entropy;
        return out;
      }),
    },
  };
}

/**
 * One field, its optional members set only when present. Assigned rather than spread in from
 * conditional literals, which cost ten times as much; the key order stays Connect's.
 */
function toField(field: ItemField): ConnectField {
  const out: ConnectField =
    field.purpose === ''
      ? { id: field.id, type: field.type, label: field.label, value: field.value }
      : { id: field.id, type: field.type, purpose: field.purpose, label: field.label, value: field.value };
  if (field.sectionId !== undefined) out.section = { id: field.sectionId };
  if (field.entropy !== undefined) out.entropy = field.entropy;
  return out;
}

export function toUrl(url: ItemUrl): ConnectUrl {
  return {
    ...(url.label !== undefined ? { label: url.label } : {}),
    ...(url.primary !== undefined ? { primary: url.primary } : {}),
    href: url.href,
  };
}
