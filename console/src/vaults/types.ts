/** The admin API's vault and item shapes (docs/admin-api.md, the Connect item model). */
export interface Vault {
  id: string;
  name: string;
  description: string;
  items: number;
  updatedAt: string;
}

export interface ItemUrl {
  href: string;
  label?: string;
  primary?: boolean;
}

export interface ItemSummary {
  id: string;
  title: string;
  category: string;
  urls?: ItemUrl[];
  tags: string[];
  favorite?: boolean;
  version: number;
  updatedAt: string;
}

export interface Field {
  id: string;
  type: string;
  purpose?: 'USERNAME' | 'PASSWORD' | 'NOTES';
  label: string;
  value: string;
  section?: { id: string };
  entropy?: number;
  totp?: string;
}

export interface FullItem extends ItemSummary {
  sections: Array<{ id: string; label?: string }>;
  fields: Field[];
  files?: ItemFile[];
}

export interface ItemFile {
  id: string;
  name: string;
  size: number;
  section?: { id: string };
}

/** The API's field types (src/domain/items/types.ts). */
export const FIELD_TYPES = [
  'STRING',
  'EMAIL',
  'CONCEALED',
  'URL',
  'OTP',
  'DATE',
  'MONTH_YEAR',
  'MENU',
] as const;

const TYPE_NAMES: Record<string, string> = {
  STRING: 'Text',
  EMAIL: 'Email',
  CONCEALED: 'Concealed (password)',
  URL: 'Web address',
  OTP: 'One-time password',
  DATE: 'Date',
  MONTH_YEAR: 'Month and year',
  MENU: 'Menu',
};
export const fieldTypeName = (type: string) => TYPE_NAMES[type] ?? type;

/** Categories an item can be created with or changed to (CUSTOM and DOCUMENT cannot). */
export const CATEGORIES = [
  'LOGIN',
  'PASSWORD',
  'API_CREDENTIAL',
  'SERVER',
  'DATABASE',
  'CREDIT_CARD',
  'MEMBERSHIP',
  'PASSPORT',
  'SOFTWARE_LICENSE',
  'OUTDOOR_LICENSE',
  'SECURE_NOTE',
  'WIRELESS_ROUTER',
  'BANK_ACCOUNT',
  'DRIVER_LICENSE',
  'IDENTITY',
  'REWARD_PROGRAM',
  'EMAIL_ACCOUNT',
  'SOCIAL_SECURITY_NUMBER',
  'MEDICAL_RECORD',
  'SSH_KEY',
] as const;

/** `API_CREDENTIAL` → `API credential`. */
export function categoryName(category: string): string {
  const words = category.toLowerCase().split('_');
  return words
    .map((w, i) =>
      w === 'api' || w === 'ssh' ? w.toUpperCase() : i === 0 ? w[0]?.toUpperCase() + w.slice(1) : w,
    )
    .join(' ');
}

/** A field whose value stays hidden until revealed. */
export const isConcealed = (f: Field) => f.type === 'CONCEALED' || f.purpose === 'PASSWORD';

export const vaultPath = (vaultId: string) => `/vaults/${encodeURIComponent(vaultId)}`;
export const itemPath = (vaultId: string, itemId: string) =>
  `${vaultPath(vaultId)}/items/${encodeURIComponent(itemId)}`;
