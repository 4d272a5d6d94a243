import { aad, openJson, sealJson } from '../../crypto/envelope.js';
import { integrityError } from '../../errors/app-error.js';
import type { ItemContent, ItemDetails, ItemOverview } from './types.js';

/** Where an item version lives; every part of it is sealed under AAD naming all of this. */
export interface ItemPlace {
  accountId: string;
  vaultId: string;
  itemId: string;
  version: number;
}

/**
 * How a version's `content` is sealed (`item_versions.layout`). `overview` is the overview alone
 * in both, so listing a vault never opens secret fields.
 *
 * - `apart` (versions stored before migration 0005): `content` is the details alone, and a read
 *   opens both values.
 * - `together`: `content` is overview and details sealed as one value, so a read opens one. Each
 *   open sets up AES-GCM anew, which costs more than decrypting an item's few hundred bytes.
 *
 * The AAD parts differ (`details`, `content`), so a layout flag changed in the database makes the
 * open fail instead of reading one shape as the other.
 */
export const LAYOUT = { apart: 1, together: 2 } as const;

/** A version's sealed parts, as stored. */
export interface SealedItem {
  overview: Buffer;
  content: Buffer;
  layout: number;
}

const aadOf = (place: ItemPlace, part: 'overview' | 'details' | 'content') =>
  aad.item(place.accountId, place.vaultId, place.itemId, place.version, part);

export function sealItem(key: Buffer, place: ItemPlace, content: ItemContent): SealedItem {
  return {
    overview: sealJson(key, content.overview, aadOf(place, 'overview')),
    content: sealJson(key, content, aadOf(place, 'content')),
    layout: LAYOUT.together,
  };
}

export function openOverview(key: Buffer, place: ItemPlace, sealed: Buffer): ItemOverview {
  return openJson(key, sealed, aadOf(place, 'overview'), `item ${place.itemId}`);
}

/** The whole content of a version, in either layout. */
export function openItem(key: Buffer, place: ItemPlace, sealed: SealedItem): ItemContent {
  const what = `item ${place.itemId}`;
  if (sealed.layout === LAYOUT.together) return openJson(key, sealed.content, aadOf(place, 'content'), what);
  if (sealed.layout === LAYOUT.apart) {
    return {
      overview: openOverview(key, place, sealed.overview),
      details: openJson<ItemDetails>(key, sealed.content, aadOf(place, 'details'), what),
    };
  }
  throw integrityError(what);
}
