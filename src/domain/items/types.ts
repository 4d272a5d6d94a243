/**
 * The item model of 1Password Connect (see shared reference connect-compat.md), split the way it
 * is stored: an `overview` (what lists show) and `details` (fields and sections), each sealed
 * separately so listing a vault never decrypts secret fields.
 */
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
  'DOCUMENT',
  'EMAIL_ACCOUNT',
  'SOCIAL_SECURITY_NUMBER',
  'MEDICAL_RECORD',
  'SSH_KEY',
  'CUSTOM',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Categories that exist on read but cannot be created through the API (as in Connect). */
export const UNCREATABLE_CATEGORIES: ReadonlySet<Category> = new Set(['CUSTOM', 'DOCUMENT']);

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
export type FieldType = (typeof FIELD_TYPES)[number];

export const FIELD_PURPOSES = ['', 'USERNAME', 'PASSWORD', 'NOTES'] as const;
export type FieldPurpose = (typeof FIELD_PURPOSES)[number];

export const CHARACTER_SETS = ['LETTERS', 'DIGITS', 'SYMBOLS'] as const;
export type CharacterSet = (typeof CHARACTER_SETS)[number];

/** The lengths a password recipe may ask for. */
export const MIN_RECIPE_LENGTH = 1;
export const MAX_RECIPE_LENGTH = 64;

export interface PasswordRecipe {
  length: number;
  characterSets: CharacterSet[];
  excludeCharacters: string;
}

export interface ItemUrl {
  label?: string;
  primary?: boolean;
  href: string;
}

export interface ItemOverview {
  title: string;
  category: Category;
  urls: ItemUrl[];
  tags: string[];
  favorite: boolean;
}

export interface ItemSection {
  id: string;
  label?: string;
}

export interface ItemField {
  id: string;
  type: FieldType;
  purpose: FieldPurpose;
  label: string;
  value: string;
  sectionId?: string;
  /** Bits of entropy, present when the value was generated from a recipe. */
  entropy?: number;
}

export interface ItemDetails {
  sections: ItemSection[];
  fields: ItemField[];
}

/** The plaintext content of one item version: what gets sealed. */
export interface ItemContent {
  overview: ItemOverview;
  details: ItemDetails;
}

/** Plain (non-secret) metadata kept beside the sealed content. */
export interface ItemMeta {
  id: string;
  vaultId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  lastEditedBy: string;
}

export interface FileMeta {
  id: string;
  itemId: string;
  name: string;
  size: number;
  sectionId?: string;
  createdAt: string;
}
