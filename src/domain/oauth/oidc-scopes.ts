import type { UserRecord } from '../../storage/ports.js';

/**
 * OpenID Connect's scopes (Core §3.1.2.1, §5.4), built into every account's catalog like the
 * vault API's: `openid` makes a request an OpenID Connect one (an ID token, the userinfo
 * endpoint), `email` and `profile` ask for claims. They are listed in `scopes_supported`, a
 * client may be registered for them, and a resource server can never define them.
 *
 * They belong to no resource server of their own: asked for beside another server's scopes
 * (`openid email vault:read`), they ride along with that server's, which stays the access
 * token's only audience; asked for alone (`openid email`), the access token is for the built-in
 * sign-in resource below, which only the userinfo endpoint accepts.
 */
export const OIDC_RESOURCE = 'urn:keyhold:openid';
export const OIDC_RESOURCE_NAME = 'Sign-in with Keyhold (OpenID Connect)';
/** The access token of a sign-in only serves to read the userinfo endpoint, for an hour. */
export const OIDC_TOKEN_TTL = 3600;

export const OIDC_SCOPES = [
  { name: 'openid', description: 'Sign you in: learn your Keyhold user id', exclusive: false },
  {
    name: 'profile',
    description:
      'Read your profile: your display name when you have one, the email address you sign in with, and when your user record last changed',
    exclusive: false,
  },
  { name: 'email', description: 'Read your email address', exclusive: false },
] as const;

const NAMES: ReadonlySet<string> = new Set(OIDC_SCOPES.map((s) => s.name));

export const isOidcScope = (scope: string): boolean => NAMES.has(scope);

/** The claims every scope brings (Core §5.4), as `claims_supported` lists them. */
export const CLAIMS_SUPPORTED = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'acr',
  'amr',
  'at_hash',
  'azp',
  'email',
  'email_verified',
  'name',
  'preferred_username',
  'updated_at',
] as const;

/**
 * The user's claims the granted scopes allow (Core §5.4), besides `sub`. `email_verified` is
 * false: Keyhold never checks that a user receives mail at the address an administrator typed.
 * `profile` brings the user's display name as `name` when they have one (left out when not:
 * Core §5.3.2 omits a claim with no value rather than send it empty or null), the name they sign
 * in with (their email) as `preferred_username`, and when their record last changed. Users have
 * no given/family name, picture and the like, so those `profile` claims are never sent.
 */
export function userClaims(
  user: Pick<UserRecord, 'email' | 'name' | 'updatedAt'>,
  scopes: readonly string[],
): Record<string, string | number | boolean> {
  return {
    ...(scopes.includes('profile')
      ? {
          ...(user.name === null ? {} : { name: user.name }),
          preferred_username: user.email,
          updated_at: Math.floor(Date.parse(user.updatedAt) / 1000),
        }
      : {}),
    ...(scopes.includes('email') ? { email: user.email, email_verified: false } : {}),
  };
}
