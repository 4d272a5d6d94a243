import type { ClientRecord } from '../../storage/ports.js';
import { DEVICE_CODE_GRANT } from '../../storage/ports.js';
import type { ResourceServerInfo } from './catalog.js';

/**
 * The `keyhold` CLI as an OAuth client: one built-in public client in every account, made when
 * the account is founded (and by migration 0013 for older accounts). It may use the device
 * authorization grant and refresh tokens only, and its tokens are for the admin API only, which
 * no other client can get a token for: the admin API is not in the scope catalog, so no
 * registered client can ask for it, and nobody can register, delete or shadow this client.
 *
 * The CLI sends `client_id=keyhold-cli` in every account; the row is stored as
 * `kc-cli-{accountId}`, since client ids are unique across accounts. A registered client's id is
 * `kc-` and 26 id characters, so it can never take either form.
 */
export const CLI_CLIENT_ID = 'keyhold-cli';
export const CLI_CLIENT_NAME = 'Keyhold CLI';

/** The stored id of an account's CLI client. */
export const cliClientRowId = (accountId: string) => `kc-cli-${accountId}`;

/** The stored id a presented `client_id` stands for in this account. */
export const storedClientId = (accountId: string, presented: string) =>
  presented === CLI_CLIENT_ID ? cliClientRowId(accountId) : presented;

/** Whether a client is the account's built-in CLI client. */
export const isCliClient = (client: Pick<ClientRecord, 'id' | 'accountId'>) =>
  client.id === cliClientRowId(client.accountId);

/** The admin API as the audience of the CLI's tokens. */
export const ADMIN_API_RESOURCE = 'urn:keyhold:admin-api';
/** The one scope of a CLI token: act in the admin API as the user, with the user's role. */
export const ADMIN_API_SCOPE = 'keyhold:admin';
/** A CLI access token lives 15 minutes; its refresh token (rotating) renews it. */
export const ADMIN_API_TOKEN_TTL = 900;

export const ADMIN_API: ResourceServerInfo = Object.freeze({
  identifier: ADMIN_API_RESOURCE,
  name: 'Keyhold admin API',
  tokenFormat: 'opaque',
  accessTokenTtl: ADMIN_API_TOKEN_TTL,
  builtIn: true,
});

export const CLI_GRANT_TYPES = [DEVICE_CODE_GRANT, 'refresh_token'] as const;

/** The CLI client record of an account. */
export function cliClientRecord(accountId: string, createdAt: string): ClientRecord {
  return {
    id: cliClientRowId(accountId),
    accountId,
    name: CLI_CLIENT_NAME,
    authMethod: 'none',
    secretHash: null,
    jwks: null,
    redirectUris: [],
    grantTypes: [...CLI_GRANT_TYPES],
    // Its one scope is outside the catalog: the device grant sets it (device-authorization.ts).
    scopes: [],
    createdAt,
    dpopBoundAccessTokens: false,
    requirePushedRequests: false,
    fapi2SecurityProfile: false,
  };
}
