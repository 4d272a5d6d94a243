import type { Stores } from '../../storage/ports.js';
import { REFRESH_TOKEN_TTL } from './token-issuer.js';

const DAY_MS = 24 * 3600 * 1000;

export interface Purged {
  codes: number;
  deviceCodes: number;
  tokens: number;
  sessions: number;
  loginAttempts: number;
  mfaChallenges: number;
  usedJtis: number;
  pushedRequests: number;
  exchangedConnectTokens: number;
}

/**
 * Deletes what can never be used again, so the tables do not grow without bound: sessions past
 * their expiry, tokens a day past theirs (expired tokens are inactive whether their row is there
 * or not), and codes once the first refresh token issued from them has expired too — a replayed
 * code is recognised, and its tokens revoked, for at least as long as that token could work.
 * Login throttle keys go once forgotten (their attempts no longer count), pending second steps
 * of sign-ins once expired, used client-assertion `jti`s once their assertion could no longer be
 * accepted anyway. Connect tokens made by token exchange (a quarter of an hour each, one per
 * exchange) go a day past expiry; an administrator's tokens stay listed.
 */
export async function purgeExpired(
  stores: Pick<
    Stores,
    | 'authorizationCodes'
    | 'deviceCodes'
    | 'oauthTokens'
    | 'loginSessions'
    | 'loginAttempts'
    | 'mfaChallenges'
    | 'usedJtis'
    | 'pushedRequests'
    | 'connectTokens'
  >,
  now = Date.now(),
): Promise<Purged> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    sessions: await stores.loginSessions.purgeExpired(iso(now)),
    tokens: await stores.oauthTokens.purgeExpired(iso(now - DAY_MS)),
    codes: await stores.authorizationCodes.purgeExpired(iso(now - REFRESH_TOKEN_TTL * 1000 - DAY_MS)),
    // A device code is worth nothing once expired: its tokens record its id, not its row.
    deviceCodes: await stores.deviceCodes.purgeExpired(iso(now)),
    loginAttempts: await stores.loginAttempts.purgeExpired(now),
    mfaChallenges: await stores.mfaChallenges.purgeExpired(iso(now)),
    usedJtis: await stores.usedJtis.purgeExpired(now),
    // Kept a day past expiry so a late or replayed request_uri is told it expired or was used.
    pushedRequests: await stores.pushedRequests.purgeExpired(iso(now - DAY_MS)),
    exchangedConnectTokens: await stores.connectTokens.purgeExchanged(iso(now - DAY_MS)),
  };
}
