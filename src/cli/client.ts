import { explainApiError } from './api-errors.js';
import {
  type Credentials,
  credentialsPath,
  readCredentials,
  withCredentialsLock,
  writeCredentials,
} from './credentials.js';
import { ApiError, CliError } from './errors.js';
import { type CliResponse, httpRequest } from './http.js';
import { isPlainHttpOverNetwork } from './plain-http.js';
import { CLI_CLIENT_ID, oauthProblem, postForm, unreachable } from './sign-in.js';

export const DEFAULT_ADDR = 'http://127.0.0.1:8300';

export interface ClientOptions {
  addr?: string;
  token?: string;
}

/** Refresh this long before the access token expires, so it does not expire in flight. */
const REFRESH_MARGIN_MS = 30_000;

/** Where an address points the admin API; a CliError naming the flag when it is not a URL. */
export function adminBase(addr: string): string {
  try {
    return new URL('/api/admin/', addr).toString();
  } catch {
    throw new CliError(
      `--addr ${JSON.stringify(addr)} is not a URL; expected something like ${DEFAULT_ADDR}`,
    );
  }
}

/**
 * The CLI's client for the admin API. The credential is `--token`/KEYHOLD_TOKEN when given (an
 * admin token: automation), else the sign-in `keyhold login` stored, whose access token is
 * refreshed here when it has expired (the rotated refresh token saved at once). The address is
 * `--addr`/KEYHOLD_ADDR, else the signed-in one. Server errors surface as their one-line message.
 *
 * A plain-http address that is not loopback gets a warning on standard error, not a refusal:
 * the operator at the keyboard sees it at once (unlike a Connect server, which runs unattended
 * and refuses instead), and scripts reading standard output are not broken by it.
 */
export class AdminClient {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #file: string;
  #credentials: Credentials | undefined;

  constructor(options: ClientOptions, env: NodeJS.ProcessEnv = process.env) {
    const token = options.token ?? env.KEYHOLD_TOKEN;
    const addr = options.addr ?? env.KEYHOLD_ADDR;
    this.#file = credentialsPath(env);
    if (token) {
      this.#token = token;
      this.#base = adminBase(addr ?? DEFAULT_ADDR);
    } else {
      const credentials = readCredentials(this.#file);
      if (!credentials) {
        throw new CliError(
          'not signed in: run `keyhold login`, or pass --token / set KEYHOLD_TOKEN to an admin token (keyhold init prints one)',
        );
      }
      this.#base = adminBase(addr ?? credentials.addr);
      // The sign-in's tokens go only to the service that issued them.
      if (new URL(this.#base).origin !== new URL(credentials.addr).origin) {
        throw new CliError(
          `signed in to ${new URL(credentials.addr).origin}, not ${new URL(this.#base).origin}: run \`keyhold login --addr ${addr}\`, or pass --token`,
        );
      }
      this.#credentials = credentials;
    }
    if (isPlainHttpOverNetwork(new URL(this.#base))) {
      process.stderr.write(
        `keyhold: warning: ${new URL(this.#base).origin} is plain http to a host that is not loopback: the credential and any secret sent or shown cross the network unencrypted; use https://\n`,
      );
    }
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | undefined>,
  ): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { authorization: `Bearer ${await this.#bearer()}` };
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(body)) {
      headers['content-type'] = 'application/octet-stream';
      payload = body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response: CliResponse;
    try {
      // Uploads too: node:http reads the answer while the body is still being sent, so a service
      // refusing a file that is too large is heard (a 413), not taken for a broken connection.
      response = await httpRequest(url, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
    } catch (error) {
      throw unreachable(url, error);
    }
    if (response.status === 204) return undefined as T;
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok) {
      const text = await response.text();
      let body: { code?: string; message?: string } = {};
      try {
        if (contentType.includes('json')) body = JSON.parse(text) as typeof body;
      } catch {
        // Not the admin shape (a proxy's page): the status alone says what happened.
      }
      const problem = {
        status: response.status,
        ...(typeof body.code === 'string' ? { code: body.code } : {}),
        ...(typeof body.message === 'string' ? { message: body.message } : {}),
        ...optional('requestId', response.headers.get('x-request-id')),
        ...optional('retryAfter', response.headers.get('retry-after')),
      };
      throw new ApiError(
        response.status,
        explainApiError(problem, {
          path: url.pathname.replace(/^\/api\/admin\//, ''),
          credential: this.#token === undefined ? 'sign-in' : 'token',
          ...(Buffer.isBuffer(payload) ? { uploadBytes: payload.length } : {}),
        }),
      );
    }
    if (contentType.includes('json')) return (await response.json()) as T;
    return Buffer.from(await response.arrayBuffer()) as T;
  }

  /** The admin token, or the signed-in user's access token, refreshed first when it has expired. */
  async #bearer(): Promise<string> {
    if (this.#token !== undefined) return this.#token;
    const credentials = this.#credentials as Credentials;
    if (Date.parse(credentials.expiresAt) - REFRESH_MARGIN_MS > Date.now()) return credentials.accessToken;
    this.#credentials = await withCredentialsLock(this.#file, async () => {
      // Another command may have refreshed while this one waited for the lock.
      const current = readCredentials(this.#file);
      if (!current) throw new CliError('signed out meanwhile: run `keyhold login`');
      if (Date.parse(current.expiresAt) - REFRESH_MARGIN_MS > Date.now()) return current;
      const refreshed = await refresh(current);
      writeCredentials(this.#file, refreshed);
      return refreshed;
    });
    return this.#credentials.accessToken;
  }
}

const optional = <K extends string>(key: K, value: string | null) =>
  (value === null ? {} : { [key]: value }) as Partial<Record<K, string>>;

async function refresh(credentials: Credentials): Promise<Credentials> {
  const answer = await postForm(credentials.addr, credentials.accountId, 'token', {
    grant_type: 'refresh_token',
    refresh_token: credentials.refreshToken,
    client_id: CLI_CLIENT_ID,
  });
  const { access_token, refresh_token, expires_in } = answer.body;
  if (answer.status !== 200 || typeof access_token !== 'string' || typeof refresh_token !== 'string') {
    throw new CliError(`your CLI sign-in has ended (${oauthProblem(answer)}); run \`keyhold login\``);
  }
  return {
    ...credentials,
    accessToken: access_token,
    refreshToken: refresh_token,
    expiresAt: new Date(Date.now() + Number(expires_in) * 1000).toISOString(),
  };
}
