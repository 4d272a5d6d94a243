import { untrustedCertificateHint } from '../http/certificate-hint.js';
import { CliError } from './errors.js';
import { isPlainHttpOverNetwork } from './plain-http.js';

export const DEFAULT_ADDR = 'http://127.0.0.1:8300';

export interface ClientOptions {
  addr?: string;
  token?: string;
}

/**
 * The CLI's client for the admin API. Address and token come from `--addr`/`--token` or
 * KEYHOLD_ADDR/KEYHOLD_TOKEN. Server errors surface as their one-line message.
 *
 * A plain-http address that is not loopback gets a warning on standard error, not a refusal:
 * the operator at the keyboard sees it at once (unlike a Connect server, which runs unattended
 * and refuses instead), and scripts reading standard output are not broken by it.
 */
export class AdminClient {
  readonly #base: string;
  readonly #token: string;

  constructor(options: ClientOptions, env: NodeJS.ProcessEnv = process.env) {
    const addr = options.addr ?? env.KEYHOLD_ADDR ?? DEFAULT_ADDR;
    try {
      this.#base = new URL('/api/admin/', addr).toString();
    } catch {
      throw new CliError(
        `--addr ${JSON.stringify(addr)} is not a URL; expected something like ${DEFAULT_ADDR}`,
      );
    }
    if (isPlainHttpOverNetwork(new URL(this.#base))) {
      process.stderr.write(
        `keyhold: warning: ${new URL(this.#base).origin} is plain http to a host that is not loopback: the admin token and any secret sent or shown cross the network unencrypted; use https://\n`,
      );
    }
    const token = options.token ?? env.KEYHOLD_TOKEN;
    if (!token)
      throw new CliError('no admin token: pass --token or set KEYHOLD_TOKEN (keyhold init prints one)');
    this.#token = token;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | undefined>,
  ): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(body)) {
      headers['content-type'] = 'application/octet-stream';
      payload = body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      const hint = untrustedCertificateHint(reason) ?? 'is `keyhold serve` running there?';
      throw new CliError(`cannot reach ${url.origin} (${reason}); ${hint}`);
    }
    if (response.status === 204) return undefined as T;
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok) {
      const detail = contentType.includes('json')
        ? ((await response.json()) as { message?: string }).message
        : await response.text();
      throw new CliError(`${response.status} ${detail ?? response.statusText}`);
    }
    if (contentType.includes('json')) return (await response.json()) as T;
    return Buffer.from(await response.arrayBuffer()) as T;
  }
}
