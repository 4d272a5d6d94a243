import { describe, expect, it } from 'vitest';
import { purgeExpired } from '../../../src/domain/oauth/purge.js';
import { REFRESH_TOKEN_TTL } from '../../../src/domain/oauth/token-issuer.js';

/** What each table is purged up to, relative to now: the retention rules of purge.ts. */
describe('purgeExpired', () => {
  it('keeps tokens a day past expiry, codes as long as their first refresh token, device codes until expiry, throttle keys until forgotten, used jtis until expiry, pushed requests and exchanged Connect tokens a day past expiry', async () => {
    const cutoffs: Record<string, string> = {};
    const record = (name: string) => ({
      purgeExpired: async (before: string | number) => {
        cutoffs[name] = String(before);
        return 0;
      },
    });
    const now = Date.parse('2026-06-01T00:00:00.000Z');
    await purgeExpired(
      {
        loginSessions: record('sessions') as never,
        oauthTokens: record('tokens') as never,
        authorizationCodes: record('codes') as never,
        deviceCodes: record('deviceCodes') as never,
        loginAttempts: record('loginAttempts') as never,
        mfaChallenges: record('mfaChallenges') as never,
        usedJtis: record('usedJtis') as never,
        pushedRequests: record('pushedRequests') as never,
        connectTokens: {
          purgeExchanged: async (before: string) => {
            cutoffs.exchangedConnectTokens = before;
            return 0;
          },
        } as never,
      },
      now,
    );
    const day = 24 * 3600 * 1000;
    expect(cutoffs).toEqual({
      sessions: new Date(now).toISOString(),
      tokens: new Date(now - day).toISOString(),
      codes: new Date(now - REFRESH_TOKEN_TTL * 1000 - day).toISOString(),
      // A device code is useless once expired.
      deviceCodes: new Date(now).toISOString(),
      // Epoch milliseconds: a throttle key's forget time is its own.
      loginAttempts: String(now),
      mfaChallenges: new Date(now).toISOString(),
      // Epoch milliseconds: a record lives exactly as long as its assertion could be accepted.
      usedJtis: String(now),
      // A day past expiry, so a late request_uri is told it expired rather than unknown.
      pushedRequests: new Date(now - day).toISOString(),
      // A day past expiry; only exchanged Connect tokens are purged (the store's contract).
      exchangedConnectTokens: new Date(now - day).toISOString(),
    });
  });
});
