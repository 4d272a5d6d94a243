import { BearerError } from '../domain/oauth/userinfo.js';
import type { KeyholdError } from './keyhold-error.js';
import { type Formatter, shownMessage } from './wire.js';

/** RFC 6750's error body, beside the `WWW-Authenticate` challenge that carries the same. */
export interface BearerErrorBody {
  error: string;
  error_description: string;
}

const REALM = 'keyhold';
const quote = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/**
 * A protected resource of the authorization server (userinfo), answering in RFC 6750 §3's terms:
 * a BearerError says its own (a request that sent no token gets the bare challenge and no body,
 * §3.1); anything else (an unknown account, a body that cannot be parsed, a fault) is
 * `invalid_request` or `server_error`.
 */
export const bearerFormat: Formatter<BearerErrorBody | undefined> = (error: KeyholdError) => {
  if (!(error instanceof BearerError)) {
    return {
      status: error.status,
      body: {
        error: error.status >= 500 ? 'server_error' : 'invalid_request',
        error_description: shownMessage(error),
      },
    };
  }
  const challenge = [`Bearer realm=${quote(REALM)}`];
  if (error.code === 'unauthorized') {
    return { status: 401, headers: { 'www-authenticate': challenge[0] as string }, body: undefined };
  }
  challenge.push(`error=${quote(error.code)}`, `error_description=${quote(error.message)}`);
  if (error.scope) challenge.push(`scope=${quote(error.scope)}`);
  return {
    status: error.status,
    headers: { 'www-authenticate': challenge.join(', ') },
    body: { error: error.code, error_description: error.message },
  };
};
