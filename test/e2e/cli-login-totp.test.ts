import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser-client.js';
import { cleanup, cmd, runCli, type Server, tempDataDir } from '../helpers/processes.js';
import { type ServedKeyhold, serveInitialized } from '../helpers/served-keyhold.js';
import { nextTotpCode, totpCode } from '../helpers/totp.js';

/**
 * Issue 16's "Done means" for the CLI sign-in, over real processes and a real browser: a member
 * enrols TOTP on the settings page; `keyhold login` (device flow) prints a code; in the same
 * Chromium they open the verification link, give the password and a TOTP code, and the second
 * step returns them to the device page with that code, where they approve. The CLI then acts as
 * that member: `vault list` shows only their vault (not the one they have no access to), `whoami`
 * names them. Then an owner disables the member: with no wait, the next CLI command is refused
 * with a 401 that says the user is disabled (with the stored access token, and again when the
 * CLI has to use its refresh token), and the browser's session no longer opens the grants page.
 * Enabling the member again brings neither back.
 */
const MEMBER = { email: 'totp-member@example.com', password: 'member password of some length' };

let server: Server;
let ownerToken: string;
let accountId: string;
let admin: ServedKeyhold['admin'];
let browser: Browser;
/** The member's browser: enrolment, the device sign-in and later the refused session share it. */
let context: BrowserContext;
let configHome: string;
let secret = '';
let mine: { id: string };
let theirs: { id: string };
let alsoTheirs: { id: string };

const asMember = () => ({ env: { XDG_CONFIG_HOME: configHome } });
const asOwner = () => ({ env: { XDG_CONFIG_HOME: configHome, KEYHOLD_TOKEN: ownerToken } });
const credentialsFile = () => join(configHome, 'keyhold', 'credentials.json');
const pages = () => `${server.url}/oauth/${accountId}`;

async function fillPassword(page: Page) {
  await page.getByLabel('Email').fill(MEMBER.email);
  await page.getByLabel('Password').fill(MEMBER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  let init: ServedKeyhold['init'];
  ({ init, server, admin } = await serveInitialized());
  ({ adminToken: ownerToken, accountId } = init);
  configHome = tempDataDir(); // a fresh directory that cleanup() removes
  mine = await admin('POST', '/vaults', { name: 'Member vault' });
  theirs = await admin('POST', '/vaults', { name: 'Payroll' });
  alsoTheirs = await admin('POST', '/vaults', { name: 'Other team' });
  const member = await admin<{ id: string }>('POST', '/users', { ...MEMBER, role: 'member' });
  const other = await admin<{ id: string }>('POST', '/users', {
    email: 'other@example.com',
    password: 'other password of some length',
    role: 'member',
  });
  await admin('PUT', `/users/${member.id}/vaults/${mine.id}`, { permissions: ['read'] });
  await admin('PUT', `/users/${other.id}/vaults/${alsoTheirs.id}`, { permissions: ['read', 'write'] });
  browser = await launchChromium();
  context = await browser.newContext();
  context.setDefaultTimeout(10_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await cleanup();
});

describe('keyhold login with a TOTP code, then the user disabled', () => {
  it('enrols TOTP on the real enrolment page, then signs out', async () => {
    const page = await context.newPage();
    await page.goto(`${pages()}/login`);
    await fillPassword(page);
    await page.waitForURL((url) => url.pathname.endsWith('/grants'));
    await page.getByRole('link', { name: 'Two-step sign-in' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/mfa'));
    secret = (await page.locator('#totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('Code from the app').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/mfa/enable'));
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/mfa'));
    expect(await page.locator('main').textContent()).toContain('Two-step sign-in is on');
    await page.getByRole('link', { name: 'Back to your grants' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/login'));
    await page.close();
  });

  it('signs the CLI in: password, TOTP, back on the device page with the code, approve', async () => {
    let seen = '';
    const landed: string[] = [];
    const login = await runCli(cmd`login --addr ${server.url} --json`, {
      ...asMember(),
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
        const match = /enter the code ([A-Z]{4}-[A-Z]{4})\n\(or open (\S+) and check/.exec(printed);
        expect(match, printed).not.toBeNull();
        const [, code, complete] = match as unknown as [string, string, string];
        const page = await context.newPage();
        await page.goto(complete);
        // Not signed in: the sign-in page, remembering where to return.
        await page.waitForURL((url) => url.pathname.endsWith('/login'));
        await fillPassword(page);
        await page.waitForURL((url) => url.pathname.endsWith('/login/mfa'));
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Two-step sign-in');
        expect(await page.locator('input[name=next]').getAttribute('value')).toBe(
          `/device?user_code=${code}`,
        );
        // No session before the second step is passed.
        expect((await context.cookies()).map((c) => c.name)).not.toContain('keyhold_session');
        // The enrolment used the current step's code (single-use); an app shows the next one soon.
        await page.getByLabel(/6-digit code/).fill(nextTotpCode(secret));
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.waitForURL((url) => url.pathname.endsWith('/device'));
        const url = new URL(page.url());
        landed.push(`${url.pathname}?${url.searchParams}`);
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Allow Keyhold CLI?');
        expect(await page.locator('main').textContent()).toContain(code);
        await page.getByRole('button', { name: 'Approve' }).click();
        await page.waitForSelector('text=Device signed in');
        await page.close();
      },
    });
    expect(login.code, login.stderr).toBe(0);
    expect(landed).toEqual([
      `/oauth/${accountId}/device?user_code=${/code ([A-Z]{4}-[A-Z]{4})/.exec(seen)?.[1]}`,
    ]);
    expect(JSON.parse(login.stdout)).toMatchObject({
      kind: 'user',
      role: 'member',
      user: { email: MEMBER.email },
    });
  }, 90_000);

  it('acts as that member: vault list shows only their vault, whoami names them', async () => {
    const list = await runCli(cmd`vault list --json`, asMember());
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((v) => v.id)).toEqual([mine.id]);
    // The owner sees all three, so the member's list is narrowed, not merely short.
    const all = await runCli(cmd`vault list --json --addr ${server.url}`, asOwner());
    expect((JSON.parse(all.stdout) as { id: string }[]).map((v) => v.id).sort()).toEqual(
      [mine.id, theirs.id, alsoTheirs.id].sort(),
    );
    for (const id of [theirs.id, alsoTheirs.id]) {
      const other = await runCli(cmd`vault get ${id}`, asMember());
      expect(other.code).toBe(1);
      expect(other.stderr).toContain('your sign-in is not allowed to do this');
    }
    const who = await runCli(cmd`whoami`, asMember());
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toContain(`user ${MEMBER.email} (role member)`);
    // The browser is signed in too (the session the device sign-in made).
    const page = await context.newPage();
    await page.goto(`${pages()}/grants`);
    expect(new URL(page.url()).pathname).toBe(`/oauth/${accountId}/grants`);
    await page.close();
  });

  it('disabled by an owner: the next command, the refresh and the browser session are refused at once', async () => {
    const disabled = await runCli(cmd`user disable ${MEMBER.email} --addr ${server.url}`, asOwner());
    expect(disabled.code, disabled.stderr).toBe(0);

    // No wait. The stored access token first.
    const now = await runCli(cmd`vault list`, asMember());
    expect(now.code).toBe(1);
    expect(now.stderr).toBe('keyhold: the CLI sign-in is refused: the user is disabled\n');

    // Then the refresh token: an expiry in the past makes the CLI refresh first.
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>;
    writeFileSync(credentialsFile(), JSON.stringify({ ...stored, expiresAt: '2000-01-01T00:00:00.000Z' }), {
      mode: 0o600,
    });
    const refreshed = await runCli(cmd`whoami`, asMember());
    expect(refreshed.code).toBe(1);
    // The token endpoint answers 400 invalid_grant (RFC 6749 §5.2), which the CLI passes on.
    expect(refreshed.stderr).toContain(
      'your CLI sign-in has ended (invalid_grant: the refresh token is refused: the user is disabled)',
    );
    expect(JSON.parse(readFileSync(credentialsFile(), 'utf8'))).toMatchObject({
      refreshToken: stored.refreshToken,
    });

    // The browser's session cookie no longer opens the grants page: back to sign-in.
    const page = await context.newPage();
    await page.goto(`${pages()}/grants`);
    expect(new URL(page.url()).pathname).toBe(`/oauth/${accountId}/login`);
    await page.close();
  });

  it('enabled again: the old sign-in and session stay ended', async () => {
    const enabled = await runCli(cmd`user enable ${MEMBER.email} --addr ${server.url}`, asOwner());
    expect(enabled.code, enabled.stderr).toBe(0);

    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>;
    const byRefresh = await runCli(cmd`vault list`, asMember());
    expect(byRefresh.code).toBe(1);
    expect(byRefresh.stderr).toContain('run `keyhold login`');
    expect(byRefresh.stderr).not.toContain('disabled');
    const byAccess = await fetch(`${server.url}/api/admin/vaults`, {
      headers: { authorization: `Bearer ${stored.accessToken}` },
    });
    expect(byAccess.status).toBe(401);

    const page = await context.newPage();
    await page.goto(`${pages()}/grants`);
    expect(new URL(page.url()).pathname).toBe(`/oauth/${accountId}/login`);
    await page.close();
  });
});
