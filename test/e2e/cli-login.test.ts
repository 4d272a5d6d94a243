import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser-client.js';
import { cleanup, cmd, runCli, type Server } from '../helpers/processes.js';
import { type ServedKeyhold, serveInitialized } from '../helpers/served-keyhold.js';

/**
 * Issue 16 point 5 over real processes: `keyhold serve`; `keyhold login` as a child process
 * prints a code; Chromium signs a member in on the verification page and approves; then
 * `keyhold vault list` acts as that member (their vault only), `keyhold whoami` says so,
 * `keyhold logout` ends it and the next command says to sign in.
 */
const MEMBER = { email: 'member@example.com', password: 'member password of some length' };

let server: Server;
let token: string;
let admin: ServedKeyhold['admin'];
let browser: Browser;
let configHome: string;
let mine: { id: string; name: string };
let theirs: { id: string; name: string };

/** The CLI acting through the stored sign-in: no KEYHOLD_TOKEN, a config dir of its own. */
const asUser = () => ({ env: { XDG_CONFIG_HOME: configHome } });
const credentialsFile = () => join(configHome, 'keyhold', 'credentials.json');

/**
 * Gets past the sign-in page the way a person would. The one place that knows its fields: when
 * sign-in asks for a TOTP code (MFA), that step goes here (cli-login-totp.test.ts drives a
 * member with TOTP through it).
 */
async function signInOnPage(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await Promise.all([page.waitForURL(/\/device/), page.click('button[type=submit]')]);
}

/** Runs `keyhold login`, and in the browser opens the URL it prints, signs in and approves. */
async function loginThroughBrowser(
  user: { email: string; password: string },
  env: Record<string, string> = {},
) {
  let seen = '';
  const result = await runCli(cmd`login --addr ${server.url} --json`, {
    env: { ...asUser().env, ...env },
    timeoutMs: 60_000,
    input: '',
    beforeInput: async (child) => {
      const printed = await new Promise<string>((resolve, reject) => {
        child.stderr?.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (/Waiting for approval/.test(seen)) resolve(seen);
        });
        child.once('close', () => reject(new Error(`login exited early: ${seen}`)));
      });
      const url = /open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})/.exec(printed);
      expect(url).not.toBeNull();
      const [, verification, code] = url as unknown as [string, string, string];
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(verification);
      await signInOnPage(page, user);
      await page.fill('#user_code', code.toLowerCase().replace('-', ' '));
      await page.click('button[type=submit]');
      expect(await page.locator('h1').textContent()).toBe('Allow Keyhold CLI?');
      expect(await page.content()).toContain(code);
      await page.click('button[value=approve]');
      await page.waitForSelector('text=Device signed in');
      await context.close();
    },
  });
  return result;
}

beforeAll(async () => {
  let init: ServedKeyhold['init'];
  ({ init, server, admin } = await serveInitialized());
  token = init.adminToken;
  configHome = mkdtempSync(join(tmpdir(), 'keyhold-config-'));
  mine = await admin('POST', '/vaults', { name: 'Member vault' });
  theirs = await admin('POST', '/vaults', { name: 'Someone else' });
  const user = await admin<{ id: string }>('POST', '/users', { ...MEMBER, role: 'member' });
  await admin('PUT', `/users/${user.id}/vaults/${mine.id}`, { permissions: ['read'] });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await cleanup();
});

describe('keyhold login (device flow) over real processes', () => {
  it('refuses remote commands before signing in, saying how to sign in', async () => {
    const before = await runCli(cmd`vault list --addr ${server.url}`, asUser());
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('not signed in: run `keyhold login`');
  });

  it('signs in through the browser and stores the credentials with mode 0600 in a 0700 directory', async () => {
    const login = await loginThroughBrowser(MEMBER);
    expect(login.code, login.stderr).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({
      kind: 'user',
      role: 'member',
      user: { email: MEMBER.email },
    });
    expect(statSync(credentialsFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(configHome, 'keyhold')).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual([
      'accessToken',
      'accountId',
      'addr',
      'expiresAt',
      'refreshToken',
    ]);
  }, 90_000);

  it('then acts as that user: vault list shows only their vault, whoami names them', async () => {
    const list = await runCli(cmd`vault list --json`, asUser());
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((v) => v.id)).toEqual([mine.id]);
    const other = await runCli(cmd`vault get ${theirs.id}`, asUser());
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('your sign-in is not allowed to do this');
    const who = await runCli(cmd`whoami`, asUser());
    expect(who.stdout).toContain(`user ${MEMBER.email} (role member)`);
  });

  it('refreshes an expired access token and keeps working; KEYHOLD_TOKEN still takes precedence', async () => {
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>;
    writeFileSync(credentialsFile(), JSON.stringify({ ...stored, expiresAt: '2000-01-01T00:00:00.000Z' }), {
      mode: 0o600,
    });
    const list = await runCli(cmd`vault list --json`, asUser());
    expect(list.code, list.stderr).toBe(0);
    const after = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>;
    expect(after.refreshToken).not.toBe(stored.refreshToken);
    expect(after.accessToken).not.toBe(stored.accessToken);
    expect(statSync(credentialsFile()).mode & 0o777).toBe(0o600);
    const asAdmin = await runCli(cmd`whoami --addr ${server.url}`, {
      env: { XDG_CONFIG_HOME: configHome, KEYHOLD_TOKEN: token },
    });
    expect(asAdmin.stdout).toContain('admin token');
  });

  it('refuses a credentials file others can read', async () => {
    chmodSync(credentialsFile(), 0o644);
    const refused = await runCli(cmd`vault list`, asUser());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('readable by other users (mode 0644)');
    chmodSync(credentialsFile(), 0o600);
  });

  it('logout revokes the sign-in at the service and deletes the file; then commands say to sign in', async () => {
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>;
    const out = await runCli(cmd`logout`, asUser());
    expect(out.code, out.stderr).toBe(0);
    expect(existsSync(credentialsFile())).toBe(false);
    const revoked = await fetch(`${server.url}/api/admin/vaults`, {
      headers: { authorization: `Bearer ${stored.accessToken}` },
    });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { message: string }).message).toContain('revoked');
    const after = await runCli(cmd`vault list`, asUser());
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('not signed in: run `keyhold login`');
  });

  it('login reports the user it signed in, whatever KEYHOLD_TOKEN and KEYHOLD_ADDR hold', async () => {
    // A shell set up for automation: an admin token and another address in the environment.
    // `login --addr` signs in there and must confirm that sign-in, not the admin token, and not
    // fail against the other address after storing the credentials.
    const login = await loginThroughBrowser(MEMBER, {
      KEYHOLD_TOKEN: token,
      KEYHOLD_ADDR: 'http://127.0.0.1:9',
    });
    expect(login.code, login.stderr).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({ kind: 'user', user: { email: MEMBER.email } });
    expect(existsSync(credentialsFile())).toBe(true);
  }, 90_000);
});
