import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { formBody, type OAuthFixture } from './oauth.js';

/**
 * What the tests that drive the authorization server's pages as a real user would share:
 * Debian's chromium, an application's redirect target, and the calls a confidential client
 * makes to the token endpoints and, with its tokens, to the vault API.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless chromium through playwright-core (without its sandbox when run as root, as in CI). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`The browser test needs Chromium at ${CHROMIUM} (or CHROMIUM_PATH).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/** An application's callback on loopback: answers every request with a small page. */
export async function startCallbackServer(): Promise<{ redirectUri: string; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>App</title><p id="app">callback received</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    redirectUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A confidential client's calls: `post` to an endpoint of the issuer with HTTP Basic, `api` to
 * the vault API with a bearer token. `app` is read at each call (tests assign it in beforeAll).
 */
export function clientCalls(f: () => OAuthFixture, app: () => { clientId: string; clientSecret: string }) {
  const basic = () => `Basic ${Buffer.from(`${app().clientId}:${app().clientSecret}`).toString('base64')}`;
  return {
    post: (path: string, form: Record<string, string>) =>
      fetch(`${f().issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
        body: formBody(form),
      }),
    api: (token: string, path: string, init: RequestInit = {}) =>
      fetch(`${f().url}/api/v1${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      }),
  };
}
