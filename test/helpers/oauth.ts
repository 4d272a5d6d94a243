import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { type RunningService, startService } from '../../src/main.js';

/**
 * A real central service on a real socket (port 0) over a fresh SQLite data directory, for
 * driving the authorization server with HTTP clients exactly as applications and browsers do.
 */
export interface OAuthFixture {
  service: RunningService;
  /** The data directory, for tests that look under the service (its database file). */
  dataDir: string;
  url: string;
  accountId: string;
  issuer: string;
  adminToken: string;
  ownerEmail: string;
  ownerPassword: string;
  /** Calls the admin API with the operator token; throws with the body on a non-2xx answer. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export const OWNER_PASSWORD = 'correct horse battery staple';

export interface OAuthFixtureOptions {
  /**
   * Receives every line the service logs, at the most verbose level. Without it the service
   * logs nothing.
   */
  logSink?: (line: string) => void;
}

export async function startOAuthFixture(
  env: Record<string, string> = {},
  options: OAuthFixtureOptions = {},
): Promise<OAuthFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-oauth-'));
  const config = loadConfig({
    KEYHOLD_DATA_DIR: dir,
    KEYHOLD_PORT: '0',
    KEYHOLD_LOG_LEVEL: 'silent',
    ...env,
  });
  const { initDataDir } = await import('../../src/main.js');
  const init = await initDataDir(config, { ownerPassword: OWNER_PASSWORD });
  await init.storage.close();
  const { logSink } = options;
  const logger = logSink ? pino({ level: 'trace' }, { write: logSink }) : pino({ level: 'silent' });
  const service = await startService(config, logger);
  const url = service.url;
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}/api/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${init.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    service,
    dataDir: dir,
    url,
    accountId: init.accountId,
    issuer: `${url}/oauth/${init.accountId}`,
    adminToken: init.adminToken,
    ownerEmail: init.ownerEmail,
    ownerPassword: OWNER_PASSWORD,
    admin,
    async close() {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A cookie jar for one simulated browser: enough for the sign-in and consent pages. */
export class Browser {
  readonly #cookies = new Map<string, string>();

  async fetch(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string | string[]>;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Response> {
    const body = init.form ? formBody(init.form) : undefined;
    const response = await fetch(url, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        ...(this.#cookies.size > 0
          ? { cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
          : {}),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...init.headers,
      },
      ...(body ? { body } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq < 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }
}

export function formBody(form: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  return params.toString();
}

/** The value of a hidden input in a page. */
export function hiddenField(page: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(page);
  if (!match?.[1]) throw new Error(`no hidden field ${name} in page`);
  return unescapeHtml(match[1]);
}

/** One checkbox of the consent page: its scope, label, whether it is ticked and marked granted. */
export interface ConsentOption {
  scope: string;
  label: string;
  checked: boolean;
  granted: boolean;
}

/** The consent page's scope checkboxes, ticked or not. */
export function consentOptions(page: string): ConsentOption[] {
  return [
    ...page.matchAll(
      /<input type="checkbox" name="scope" value="([^"]*)"( checked)?> ([^<]*?)( <small class="granted">\(already granted\)<\/small>)?<\/label>/g,
    ),
  ].map((m) => ({
    scope: unescapeHtml(m[1] ?? ''),
    label: unescapeHtml(m[3] ?? ''),
    checked: m[2] !== undefined,
    granted: m[4] !== undefined,
  }));
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/**
 * Follows an authorization request through sign-in and the consent page the way a user would,
 * approving the options `choose` picks (all by default, ticked or not). Returns the redirect
 * back to the client.
 */
export async function authorizeInteractively(
  browser: Browser,
  authorizeUrl: string,
  user: { email: string; password: string },
  choose: (options: ConsentOption[]) => string[] = (o) => o.map((x) => x.scope),
): Promise<URL> {
  let response = await browser.fetch(authorizeUrl);
  if (response.status === 303 && response.headers.get('location')?.includes('/login')) {
    const loginUrl = new URL(response.headers.get('location') ?? '', authorizeUrl).toString();
    const loginPage = await (await browser.fetch(loginUrl)).text();
    response = await browser.fetch(new URL(`${new URL(loginUrl).pathname}`, authorizeUrl).toString(), {
      form: {
        csrf: hiddenField(loginPage, 'csrf'),
        request: hiddenField(loginPage, 'request'),
        email: user.email,
        password: user.password,
      },
    });
    if (response.status !== 303) throw new Error(`login failed: ${response.status}`);
    response = await browser.fetch(new URL(response.headers.get('location') ?? '', authorizeUrl).toString());
  }
  if (response.status === 200) {
    const page = await response.text();
    const consentUrl = new URL(/<form method="post" action="([^"]+)"/.exec(page)?.[1] ?? '', authorizeUrl);
    response = await browser.fetch(consentUrl.toString(), {
      form: {
        csrf: hiddenField(page, 'csrf'),
        request: hiddenField(page, 'request'),
        decision: 'approve',
        scope: choose(consentOptions(page)),
      },
    });
  }
  if (response.status !== 303) throw new Error(`expected a redirect to the client, got ${response.status}`);
  return new URL(response.headers.get('location') ?? '');
}

/**
 * A user's tokens through the whole authorization code flow with PKCE: the authorization
 * request, sign-in and consent (`choose` picks the options, all by default), and the code
 * redeemed by the confidential `client` at the token endpoint (HTTP Basic). Throws unless the
 * token endpoint answers 200.
 */
export async function userTokens(
  issuer: string,
  client: { clientId: string; clientSecret: string },
  user: { email: string; password: string },
  options: { scope: string; redirectUri: string; choose?: (o: ConsentOption[]) => string[] },
): Promise<{ access_token: string; refresh_token?: string; scope: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const callback = await authorizeInteractively(
    new Browser(),
    `${issuer}/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: options.redirectUri,
      scope: options.scope,
      state: 's',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    })}`,
    user,
    options.choose,
  );
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: formBody({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: options.redirectUri,
      code_verifier: verifier,
    }),
  });
  if (response.status !== 200) throw new Error(`token: ${response.status} ${await response.text()}`);
  return (await response.json()) as { access_token: string; refresh_token?: string; scope: string };
}
