import type { VaultAuthorizationDetail } from '../../ports/oauth.js';

/** The `authorization_details` column of a grant, code or token: a JSON array, or null for none. */
export const detailsColumn = (details: VaultAuthorizationDetail[] | undefined): string | null =>
  details === undefined ? null : JSON.stringify(details);

/** The record's `authorizationDetails`, present only when the row has some. */
export const detailsOf = (column: string | null): { authorizationDetails?: VaultAuthorizationDetail[] } =>
  column === null ? {} : { authorizationDetails: JSON.parse(column) as VaultAuthorizationDetail[] };
