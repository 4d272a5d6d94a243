import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { DEVICE_CODE_GRANT } from '../../storage/ports.js';
import { ADMIN_API, ADMIN_API_RESOURCE, ADMIN_API_SCOPE } from './cli-client.js';
import type { CallFacts, OAuthDeps } from './context.js';
import { invalidScope, invalidTarget, unauthorizedClient } from './oauth-error.js';
import { refuseRepeatedParameters } from './repeated-parameters.js';
import type { ScopedRequest } from './requested-scopes.js';
import { newUserCode, normaliseUserCode, userCodeHash } from './user-code.js';

/** RFC 8628 §3.2's response. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export const DEVICE_CODE_PREFIX = 'khdc';
/** Long enough to find a browser and sign in; short enough that a guessed code is soon dead. */
export const DEVICE_CODE_TTL_SECONDS = 600;
/** RFC 8628 §3.2's default: poll no faster than every 5 seconds. */
export const DEVICE_POLL_INTERVAL = 5;
/** A user code collides with a live one of the account at most this many times in a row. */
const USER_CODE_ATTEMPTS = 5;

/**
 * The scopes and audience of a CLI request: the admin API and its one scope. `scope` may be left
 * out (RFC 8628 §3.1: optional) or name that scope; anything else is refused by name.
 */
export function cliScopes(scopeParam: string | null, resourceParams: string[]): ScopedRequest {
  if (
    resourceParams.length > 1 ||
    (resourceParams[0] !== undefined && resourceParams[0] !== ADMIN_API_RESOURCE)
  ) {
    throw invalidTarget(`the CLI's tokens are for ${ADMIN_API_RESOURCE} only`);
  }
  const requested = (scopeParam ?? '').split(' ').filter((s) => s !== '');
  const other = requested.filter((s) => s !== ADMIN_API_SCOPE);
  if (other.length > 0) {
    throw invalidScope(`the CLI may request \`${ADMIN_API_SCOPE}\` only, not \`${other.join(' ')}\``);
  }
  return { resource: ADMIN_API, scopes: [ADMIN_API_SCOPE] };
}

/**
 * `POST /device_authorization` (RFC 8628 §3.1–3.2): the client (the built-in CLI client, the one
 * client allowed the device grant) gets a device code to poll the token endpoint with and a user
 * code for its user to enter at the verification URI. Nothing is granted until a signed-in user
 * approves it there (device-approval.ts).
 */
export async function deviceAuthorization(
  deps: OAuthDeps,
  accountId: string,
  facts: CallFacts,
): Promise<DeviceAuthorizationResponse> {
  refuseRepeatedParameters(facts.form, ['resource']);
  const issuer = deps.issuer(accountId);
  const client = await deps.clientAuth.authenticate(accountId, facts, [issuer, facts.endpointUrl]);
  if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) {
    throw unauthorizedClient(`client ${client.id} is not registered for the device authorization grant`);
  }
  const { resource, scopes } = cliScopes(facts.form.get('scope'), facts.form.getAll('resource'));
  const deviceCode = newBearerSecret(DEVICE_CODE_PREFIX);
  const now = Date.now();
  for (let attempt = 1; ; attempt++) {
    const userCode = newUserCode();
    try {
      await deps.storage.deviceCodes.insert({
        id: newId(),
        deviceCodeHash: hashSecret(deviceCode),
        userCodeHash: userCodeHash(normaliseUserCode(userCode) as string),
        accountId,
        clientId: client.id,
        resource: resource.identifier,
        scopes,
        status: 'pending',
        userId: null,
        grantId: null,
        interval: DEVICE_POLL_INTERVAL,
        lastPolledAt: null,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + DEVICE_CODE_TTL_SECONDS * 1000).toISOString(),
      });
      const verification = `${issuer}/device`;
      return {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: verification,
        verification_uri_complete: `${verification}?${new URLSearchParams({ user_code: userCode })}`,
        expires_in: DEVICE_CODE_TTL_SECONDS,
        interval: DEVICE_POLL_INTERVAL,
      };
    } catch (error) {
      // The user code is unique per account: a collision with a live code draws again.
      if (attempt >= USER_CODE_ATTEMPTS) throw error;
    }
  }
}
