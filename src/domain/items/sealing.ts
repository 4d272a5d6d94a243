import { aad, openJson, sealJson } from '../../crypto/envelope.js';
import type { ItemContent, ItemDetails, ItemOverview } from './types.js';

/** Where an item version lives; every part of it is sealed under AAD naming all of this. */
export interface ItemPlace {
  accountId: string;
  vaultId: string;
  itemId: string;
  version: number;
}

export function sealItem(
  key: Buffer,
  place: ItemPlace,
  content: ItemContent,
): { overview: Buffer; details: Buffer } {
  const { accountId, vaultId, itemId, version } = place;
  return {
    overview: sealJson(key, content.overview, aad.item(accountId, vaultId, itemId, version, 'overview')),
    details: sealJson(key, content.details, aad.item(accountId, vaultId, itemId, version, 'details')),
  };
}

export function openOverview(key: Buffer, place: ItemPlace, sealed: Buffer): ItemOverview {
  const { accountId, vaultId, itemId, version } = place;
  return openJson(key, sealed, aad.item(accountId, vaultId, itemId, version, 'overview'), `item ${itemId}`);
}

export function openDetails(key: Buffer, place: ItemPlace, sealed: Buffer): ItemDetails {
  const { accountId, vaultId, itemId, version } = place;
  return openJson(key, sealed, aad.item(accountId, vaultId, itemId, version, 'details'), `item ${itemId}`);
}
