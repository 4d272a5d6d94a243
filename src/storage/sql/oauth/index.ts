import type { Kysely } from 'kysely';
import type { OAuthStores } from '../../ports/oauth.js';
import type { RunIfFree } from '../precompiled.js';
import type { Database } from '../tables.js';
import { clientStore } from './clients.js';
import { authorizationCodeStore } from './codes.js';
import { deviceCodeStore } from './device-codes.js';
import { grantStore } from './grants.js';
import { loginAttemptStore } from './login-attempts.js';
import { loginSessionStore } from './login-sessions.js';
import { pushedRequestStore } from './pushed-requests.js';
import { resourceServerStore } from './resource-servers.js';
import { oauthTokenStore } from './tokens.js';
import { usedJtiStore } from './used-jtis.js';

/**
 * The authorization server's stores over one Kysely connection or transaction. `runIfFree`: for
 * the stores of `db` itself, not of a transaction (see precompiled.ts).
 */
export function oauthStores(db: Kysely<Database>, runIfFree?: RunIfFree): OAuthStores {
  return {
    resourceServers: resourceServerStore(db),
    clients: clientStore(db),
    grants: grantStore(db),
    authorizationCodes: authorizationCodeStore(db),
    deviceCodes: deviceCodeStore(db),
    oauthTokens: oauthTokenStore(db, runIfFree),
    loginSessions: loginSessionStore(db),
    loginAttempts: loginAttemptStore(db),
    usedJtis: usedJtiStore(db),
    pushedRequests: pushedRequestStore(db),
  };
}
