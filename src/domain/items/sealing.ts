import { aad, open, openJson, sealJson } from '../../crypto/envelope.js';
import { integrityError } from '../../errors/app-error.js';
import { fromServed, type ServedContent, toServed } from './served.js';
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
 * in all of them, so listing a vault never opens secret fields.
 *
 * - `apart` (versions stored before migration 0005): `content` is the details alone, and a read
 *   opens both values.
 * - `together`: `content` is overview and details sealed as one value, so a read opens one. Each
 *   open sets up AES-GCM anew, which costs more than decrypting an item's few hundred bytes.
 * - `served` (every version written since): `content` is one value too, in the shape Connect
 *   serves (served.ts), so a read sends the decrypted JSON on without parsing and re-serializing
 *   it, which cost more than the decryption. Older versions are read as they are stored.
 *
 * The AAD parts differ (`details`, `content`, `served`), so a layout flag changed in the database
 * makes the open fail instead of reading one shape as another.
 */
export const LAYOUT = { apart: 1, together: 2, served: 3 } as const;

/** A version's sealed parts, as stored. */
export interface SealedItem {
  overview: Buffer;
  content: Buffer;
  layout: number;
}

const aadOf = (place: ItemPlace, part: 'overview' | 'details' | 'content' | 'served') =>
  aad.item(place.accountId, place.vaultId, place.itemId, place.version, part);

export function sealItem(key: Buffer, place: ItemPlace, content: ItemContent): SealedItem {
  return {
    overview: sealJson(key, content.overview, aadOf(place, 'overview')),
    content: sealJson(key, toServed(content), aadOf(place, 'served')),
    layout: LAYOUT.served,
  };
}

export function openOverview(key: Buffer, place: ItemPlace, sealed: Buffer): ItemOverview {
  return openJson(key, sealed, aadOf(place, 'overview'), `item ${place.itemId}`);
}

/** The whole content of a version, in any layout. */
export function openItem(key: Buffer, place: ItemPlace, sealed: SealedItem): ItemContent {
  const what = `item ${place.itemId}`;
  switch (sealed.layout) {
    case LAYOUT.served:
      return fromServed(openJson<ServedContent>(key, sealed.content, aadOf(place, 'served'), what));
    case LAYOUT.together:
      return openJson(key, sealed.content, aadOf(place, 'content'), what);
    case LAYOUT.apart:
      return {
        overview: openOverview(key, place, sealed.overview),
        details: openJson<ItemDetails>(key, sealed.content, aadOf(place, 'details'), what),
      };
    default:
      throw integrityError(what);
  }
}

/**
 * The content of a version as served JSON (UTF-8): decrypted and passed on as it is for the
 * `served` layout, converted for versions stored before it.
 */
export function openServedJson(key: Buffer, place: ItemPlace, sealed: SealedItem): Buffer {
  if (sealed.layout === LAYOUT.served)
    return open(key, sealed.content, aadOf(place, 'served'), `item ${place.itemId}`);
  return Buffer.from(JSON.stringify(toServed(openItem(key, place, sealed))), 'utf8');
}
