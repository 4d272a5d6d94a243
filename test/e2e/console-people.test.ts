import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPage,
  launchConsoleBrowser,
  newRecord,
  cspContext as recordingContext,
  signIn as signInAt,
  undocumentedCalls,
  waitForHeading,
} from '../helpers/console-browser.js';
import { type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';
import { nextTotpCode, totpCode } from '../helpers/totp.js';

/**
 * The console's People section and Account page in a real browser (Debian's chromium) against a
 * real service: an owner adds a person (the password shown once), gives them one vault, changes
 * their role, disables and enables them, makes a reset link they use; creates an admin token
 * that then works as a bearer token until it is revoked in the console; the person changes their
 * password and turns on two-step sign-in with a code computed from the key the page shows. A
 * member has no People section, and its address says they are not allowed. Every page runs
 * axe-core and is photographed into docs/console/; the flows run with the CSP on.
 */
const CAROL = 'carol@example.com';
const RESET_PASSWORD = 'a password from the reset link';
const CHANGED_PASSWORD = 'a password carol chose herself';

let f: OAuthFixture;
let browser: Browser;
let carolVault: string;
let carolId = '';
let owner: { context: BrowserContext; page: Page };
const record = newRecord();

beforeAll(async () => {
  f = await startOAuthFixture();
  carolVault = (await f.admin<{ id: string }>('POST', '/vaults', { name: 'Carol’s vault' })).id;
  const production = (await f.admin<{ id: string }>('POST', '/vaults', { name: 'Production' })).id;
  await f.admin('POST', `/vaults/${production}/items`, { title: 'Production database', fields: [] });
  browser = await launchConsoleBrowser();
  const context = await cspContext();
  owner = { context, page: await context.newPage() };
  await signInAt(owner.page, f.url, f.ownerEmail, f.ownerPassword);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await f?.close();
});

const cspContext = () => recordingContext(browser, record);
/** What the in-page check below reads of the DOM. */
interface PageDocument {
  querySelector(selector: string): { textContent: string | null } | null;
  getElementById(id: string): { value: string } | null;
}
const notice = (page: Page) => page.locator('.notice').textContent();
const shownOnce = async (page: Page) => ((await page.locator('.once code').textContent()) ?? '').trim();

async function whoami(token: string): Promise<{ status: number; body: { token?: { name: string } } }> {
  const response = await fetch(`${f.url}/api/admin/whoami`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as { token?: { name: string } } };
}

/** Signs in on the sign-in page and leaves the page as the answer left it. */
async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${f.url}/console/`);
  await waitForHeading(page, 'Sign in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function openCarol(page: Page): Promise<void> {
  await page.goto(`${f.url}/console/#/people`);
  await waitForHeading(page, 'People');
  await page.getByRole('link', { name: CAROL }).click();
  await waitForHeading(page, CAROL);
}

// Each flow drives chromium through several sign-ins (scrypt) and pages; the axe pass runs axe
// twice on six pages: on two busy cores that takes longer than vitest's default.
describe('People and your account in the console', { timeout: 120_000 }, () => {
  let carolPassword = '';

  it('an owner adds a person (the password shown once) and gives them one vault', async () => {
    const { page } = owner;
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'People' }).click();
    await waitForHeading(page, 'People');
    expect(await page.locator('.people > li > a').allTextContents()).toEqual([f.ownerEmail]);
    await page.getByLabel('Email').fill(CAROL);
    await page.getByLabel('Name (optional)').fill(' Carol Example ');
    await page.getByLabel('Role').selectOption('member');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.locator('.once code').waitFor();
    carolPassword = await shownOnce(page);
    expect(carolPassword.length).toBeGreaterThanOrEqual(12);
    await page.getByRole('button', { name: 'Copy the password' }).click();
    await expect.poll(() => page.evaluate<string>('navigator.clipboard.readText()')).toBe(carolPassword);
    await expect
      .poll(() => page.locator('.people > li > a').allTextContents())
      .toEqual([CAROL, f.ownerEmail]);
    const listed = await f.admin<Array<{ id: string; role: string }>>(
      'GET',
      `/users?email=${encodeURIComponent(CAROL)}`,
    );
    carolId = listed[0]?.id ?? '';
    expect(listed[0]?.role).toBe('member');
    expect((listed[0] as { name?: string }).name).toBe('Carol Example');
    expect(await page.locator('.people > li').first().textContent()).toBe(
      `${CAROL} · Carol Example · Member`,
    );

    await page.getByRole('link', { name: CAROL }).click();
    await waitForHeading(page, CAROL);
    await page.getByLabel('Carol’s vault').selectOption('write');
    await expect.poll(() => notice(page)).toBe(`${CAROL}: read and write access to Carol’s vault.`);
    expect(await f.admin('GET', `/users/${carolId}/vaults`)).toEqual([
      { userId: carolId, vaultId: carolVault, permissions: ['read', 'write'] },
    ]);
    // Read only, then read and write again: the select is what the API holds.
    await page.getByLabel('Carol’s vault').selectOption('read');
    await expect.poll(() => notice(page)).toBe(`${CAROL}: read access to Carol’s vault.`);
    expect(await page.getByLabel('Carol’s vault').inputValue()).toBe('read');
    expect(await page.getByLabel('Production').inputValue()).toBe('none');
    await page.getByLabel('Carol’s vault').selectOption('write');
    await expect.poll(() => notice(page)).toBe(`${CAROL}: read and write access to Carol’s vault.`);

    // The notice never precedes the page: with the person's grants read back slowly, the
    // moment the notice says "read access" the select already says read (the page is redrawn
    // in place, then the notice is given).
    const grantsPath = `**/api/admin/users/${carolId}/vaults`;
    await page.route(grantsPath, async (route) => {
      if (route.request().method() === 'GET') await new Promise((r) => setTimeout(r, 600));
      await route.fallback();
    });
    await page.getByLabel('Carol’s vault').selectOption('read');
    // Evaluated in the page (the tests have no DOM types): the select's value at the first
    // moment the notice is there.
    const seen = await page.waitForFunction((selectId: string) => {
      const { document } = globalThis as unknown as { document: PageDocument };
      const text = document.querySelector('.notice')?.textContent ?? '';
      return text.includes(': read access') && document.getElementById(selectId)?.value;
    }, `access-${carolVault}`);
    expect(await seen.jsonValue()).toBe('read');
    await page.unroute(grantsPath);
    await page.getByLabel('Carol’s vault').selectOption('write');
    await expect.poll(() => notice(page)).toBe(`${CAROL}: read and write access to Carol’s vault.`);

    // Changed from the keyboard, the select has the focus again once the change is made: it is
    // disabled while the change runs, which moves the focus to the page.
    await page.getByLabel('Carol’s vault').focus();
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => notice(page)).toBe(`${CAROL}: read access to Carol’s vault.`);
    const focusedId = () =>
      page.evaluate(() => {
        const { document } = globalThis as unknown as { document: { activeElement: { id: string } | null } };
        return document.activeElement?.id;
      });
    await expect.poll(focusedId).toBe(`access-${carolVault}`);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => notice(page)).toBe(`${CAROL}: read and write access to Carol’s vault.`);
    await expect.poll(focusedId).toBe(`access-${carolVault}`);
  });

  it('the person signs in elsewhere, sees only that vault, and has no People section', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await signInAt(page, f.url, CAROL, carolPassword);
    expect(await page.locator('main .cards a').allTextContents()).toEqual(['Carol’s vault']);
    const nav = page.getByRole('navigation', { name: 'Sections' });
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      'Vaults',
      'Connected applications',
      'Account',
    ]);
    await page.goto(`${f.url}/console/#/people`);
    await waitForHeading(page, 'Not allowed');
    expect(await page.getByRole('alert').textContent()).toBe(
      'Your role in this account does not include this page.',
    );
    await page.goto(`${f.url}/console/#/people/admin-tokens`);
    await waitForHeading(page, 'Not allowed');
    expect(await page.content()).not.toContain(f.ownerEmail.replace('@', '&#64;'));
    await context.close();
  });

  it('renames the person, then removes the name', async () => {
    const { page } = owner;
    await openCarol(page);
    expect(await page.locator('.person-name').textContent()).toBe('Carol Example');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Carol C. Example');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect.poll(() => notice(page)).toBe(`${CAROL} is now named Carol C. Example.`);
    expect(await page.locator('.person-name').textContent()).toBe('Carol C. Example');
    expect((await f.admin<{ name: string | null }>('GET', `/users/${carolId}`)).name).toBe(
      'Carol C. Example',
    );
    await page.getByRole('button', { name: 'Remove name' }).click();
    await expect.poll(() => notice(page)).toBe(`${CAROL} has no name now.`);
    expect(await page.locator('.person-name').count()).toBe(0);
    expect(await page.getByRole('textbox', { name: 'Name', exact: true }).inputValue()).toBe('');
    expect((await f.admin<{ name: string | null }>('GET', `/users/${carolId}`)).name).toBeNull();
  });

  it('changes the role, disables (sign-in refused) and enables the person', async () => {
    const { page } = owner;
    await openCarol(page);
    await page.getByLabel('Role', { exact: true }).selectOption('auditor');
    await page.getByRole('button', { name: 'Save role' }).click();
    await expect.poll(() => notice(page)).toBe(`${CAROL} is now Auditor.`);
    expect((await f.admin<{ role: string }>('GET', `/users/${carolId}`)).role).toBe('auditor');
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Save role' }).click();
    await expect.poll(() => notice(page)).toBe(`${CAROL} is now Member.`);

    // Carol is signed in when she is disabled: her next request ends her session.
    const carolContext = await cspContext();
    const carol = await carolContext.newPage();
    await signInAt(carol, f.url, CAROL, carolPassword);

    await page.getByRole('button', { name: `Disable ${CAROL}` }).click();
    await page.getByRole('button', { name: `Enable ${CAROL}` }).waitFor();
    expect(await page.locator('main > p.muted').first().textContent()).toContain('Disabled since');
    expect((await f.admin<{ enabled: boolean }>('GET', `/users/${carolId}`)).enabled).toBe(false);
    await carol.getByRole('link', { name: 'Account' }).click();
    await waitForHeading(carol, 'Sign in');
    expect(await carol.getByRole('status').textContent()).toBe('Sign in to continue.');
    await carolContext.close();
    const context = await cspContext();
    const refused = await context.newPage();
    await submitSignIn(refused, CAROL, carolPassword);
    await expect
      .poll(() => refused.getByRole('alert').textContent())
      .toBe('This user is disabled. Ask an administrator of the account to enable it.');
    await waitForHeading(refused, 'Sign in');

    await page.getByRole('button', { name: `Enable ${CAROL}` }).click();
    await page.getByRole('button', { name: `Disable ${CAROL}` }).waitFor();
    await submitSignIn(refused, CAROL, carolPassword);
    await waitForHeading(refused, 'Vaults');
    await context.close();
  });

  it('makes a password reset link, shown once, that sets the person’s password', async () => {
    const { page } = owner;
    await openCarol(page);
    await page.getByRole('button', { name: 'Make a password reset link' }).click();
    await page.locator('.once code').waitFor();
    const link = await shownOnce(page);
    expect(link.startsWith(`${f.issuer}/reset`)).toBe(true);
    const context = await cspContext();
    const reset = await context.newPage();
    await reset.goto(link);
    await reset.getByLabel('New password', { exact: true }).fill(RESET_PASSWORD);
    await reset.getByLabel('New password again').fill(RESET_PASSWORD);
    await reset.getByRole('button', { name: 'Set password' }).click();
    await reset.getByText('Your new password is set.').waitFor();
    await submitSignIn(reset, CAROL, carolPassword);
    await expect
      .poll(() => reset.getByRole('alert').textContent())
      .toBe('The email or the password is wrong.');
    await submitSignIn(reset, CAROL, RESET_PASSWORD);
    await waitForHeading(reset, 'Vaults');
    await context.close();
  });

  it('creates an admin token (shown once, copied) that works as a bearer token until revoked here', async () => {
    const { page } = owner;
    await page.goto(`${f.url}/console/#/people`);
    await waitForHeading(page, 'People');
    await page
      .getByRole('navigation', { name: 'People and admin tokens' })
      .getByRole('link', { name: 'Admin tokens' })
      .click();
    await waitForHeading(page, 'Admin tokens');
    await page.getByLabel('Name').fill('ci deploy');
    await page.getByLabel('Role').selectOption('auditor');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('.once code').waitFor();
    const token = await shownOnce(page);
    expect(token).toMatch(/^khadm_/);
    await page.getByRole('button', { name: 'Copy the token' }).click();
    await expect.poll(() => page.evaluate<string>('navigator.clipboard.readText()')).toBe(token);

    // Shown once: leaving the page and coming back shows the token no more.
    await page
      .getByRole('navigation', { name: 'People and admin tokens' })
      .getByRole('link', { name: 'People' })
      .click();
    await waitForHeading(page, 'People');
    await page.goBack();
    await waitForHeading(page, 'Admin tokens');
    expect(await page.locator('.once').count()).toBe(0);
    expect(await page.content()).not.toContain(token);

    const before = await whoami(token);
    expect(before.status).toBe(200);
    expect(before.body.token?.name).toBe('ci deploy');
    expect((before.body as { role?: string }).role).toBe('auditor');

    // Keyboard only: the named button, then Enter.
    await page.getByRole('button', { name: 'Revoke token ci deploy' }).focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => notice(page))
      .toBe('Token ci deploy is revoked: it is refused from its next request.');
    // The list is read again after the notice: its row goes with that answer.
    await expect.poll(() => page.locator('.once').count()).toBe(0);
    await expect.poll(() => page.getByRole('button', { name: 'Revoke token ci deploy' }).count()).toBe(0);
    expect((await whoami(token)).status).toBe(401);
  });

  it('the person changes their password on the Account page; the new one signs in, the old one not', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await signInAt(page, f.url, CAROL, RESET_PASSWORD);
    await page.getByRole('link', { name: 'Account' }).click();
    await waitForHeading(page, 'Your account');
    // Her own name first: a bad one is refused with the API's reason, a good one kept.
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Carol\u202eelpmaxE');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('The name must not contain bidirectional control characters.');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Carol Herself');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect.poll(() => notice(page)).toBe('Your name is now Carol Herself.');
    expect((await f.admin<{ name: string | null }>('GET', `/users/${carolId}`)).name).toBe('Carol Herself');
    // The header names her now, her email on hover.
    expect(await page.locator('header .who').textContent()).toBe('Carol Herself');
    expect(await page.locator('header .who').getAttribute('title')).toBe(CAROL);
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password', { exact: true }).fill(CHANGED_PASSWORD);
    await page.getByLabel('New password again').fill(CHANGED_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('The current password is wrong.');
    await page.getByLabel('Current password').fill(RESET_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => notice(page))
      .toBe('Your password is changed. Your other sessions are signed out.');
    await context.close();

    const again = await cspContext();
    const other = await again.newPage();
    await submitSignIn(other, CAROL, RESET_PASSWORD);
    await expect
      .poll(() => other.getByRole('alert').textContent())
      .toBe('The email or the password is wrong.');
    await submitSignIn(other, CAROL, CHANGED_PASSWORD);
    await waitForHeading(other, 'Vaults');
    await again.close();
  });

  it('the person turns on two-step sign-in with a code from the shown key; sign-in then asks for one', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await signInAt(page, f.url, CAROL, CHANGED_PASSWORD);
    await page.getByRole('link', { name: 'Account' }).click();
    await waitForHeading(page, 'Your account');
    await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').trim();
    expect(secret).toMatch(/^[A-Z2-7]+$/);
    expect(await page.locator('main').textContent()).toContain(`otpauth://totp/`);
    const wrong = totpCode(secret) === '000000' ? '111111' : '000000';
    await page.getByLabel('Code').fill(wrong);
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('That code is wrong or too old. Enter the code your app shows now.');
    await page.getByLabel('Code').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await page.locator('.codes li').first().waitFor();
    const codes = await page.locator('.codes code').allTextContents();
    expect(codes.length).toBeGreaterThanOrEqual(8);
    await page.getByRole('button', { name: 'I have kept them' }).click();
    await expect
      .poll(() => page.locator('section p').allTextContents())
      .toContain(
        `On: each sign-in asks for a code of your authenticator app. ${codes.length} recovery codes left.`,
      );
    expect((await f.admin<{ enabled: boolean }>('GET', `/users/${carolId}/mfa`)).enabled).toBe(true);
    await context.close();

    const again = await cspContext();
    const other = await again.newPage();
    await submitSignIn(other, CAROL, CHANGED_PASSWORD);
    await other.getByText('Enter the 6-digit code of your authenticator app').waitFor();
    await other.getByLabel('Code').fill(nextTotpCode(secret));
    await other.getByRole('button', { name: 'Verify' }).click();
    await waitForHeading(other, 'Vaults');

    // She turns it off herself with a recovery code, then enrols again with a new key.
    await other.getByRole('link', { name: 'Account' }).click();
    await waitForHeading(other, 'Your account');
    await other.getByLabel('Code').fill(codes[0] ?? '');
    await other.getByRole('button', { name: 'Turn off two-step sign-in' }).click();
    await other.getByText('Off: your password alone signs you in.').waitFor();
    expect((await f.admin<{ enabled: boolean }>('GET', `/users/${carolId}/mfa`)).enabled).toBe(false);
    await other.getByRole('button', { name: 'Set up two-step sign-in' }).click();
    const second = ((await other.locator('#totp-secret').textContent()) ?? '').trim();
    expect(second).not.toBe(secret);
    await other.getByLabel('Code').fill(totpCode(second));
    await other.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await other.locator('.codes li').first().waitFor();
    await other.getByRole('button', { name: 'I have kept them' }).click();
    await other.getByRole('button', { name: 'Turn off two-step sign-in' }).waitFor();
    await again.close();

    // The owner sees it on the person's page and can turn it off (a lost phone).
    const { page: ownerPage } = owner;
    await openCarol(ownerPage);
    expect(await ownerPage.locator('main').textContent()).toContain(
      `Two-step sign-in: on, ${codes.length} recovery codes left.`,
    );
    await ownerPage.getByRole('button', { name: `Turn off two-step sign-in for ${CAROL}` }).click();
    await expect.poll(() => ownerPage.locator('main').textContent()).toContain('Two-step sign-in: off.');
    expect((await f.admin<{ enabled: boolean }>('GET', `/users/${carolId}/mfa`)).enabled).toBe(false);
  });

  it('an admin sees People too, and the API’s refusal to touch an owner is said on the page', async () => {
    await f.admin('POST', '/users', { email: 'erin@example.com', role: 'admin', password: CHANGED_PASSWORD });
    const context = await cspContext();
    const page = await context.newPage();
    await signInAt(page, f.url, 'erin@example.com', CHANGED_PASSWORD);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'People' }).click();
    await waitForHeading(page, 'People');
    await page.getByRole('link', { name: f.ownerEmail }).click();
    await waitForHeading(page, f.ownerEmail);
    await page.getByRole('button', { name: `Disable ${f.ownerEmail}` }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/owner/i);
    expect(
      (
        await f.admin<Array<{ enabled: boolean }>>('GET', `/users?email=${encodeURIComponent(f.ownerEmail)}`)
      )[0]?.enabled,
    ).toBe(true);
    // An admin cannot make an owner either.
    await page.goto(`${f.url}/console/#/people`);
    await waitForHeading(page, 'People');
    await page.getByLabel('Email').fill('frank@example.com');
    await page.getByLabel('Role').selectOption('owner');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.locator('.once').count()).toBe(0);
    expect(await page.locator('.people > li > a').allTextContents()).not.toContain('frank@example.com');
    await context.close();
  });

  it('every page passes axe-core (no serious or critical finding), light and dark, and is photographed', async () => {
    const context = await browser.newContext({
      bypassCSP: true,
      viewport: { width: 1280, height: 800 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    const page = await context.newPage();
    const check = (name: string) => checkPage(page, name);
    await signInAt(page, f.url, f.ownerEmail, f.ownerPassword);
    await page.goto(`${f.url}/console/#/people`);
    await waitForHeading(page, 'People');
    await page.getByLabel('Email').fill('dave@example.com');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.locator('.once code').waitFor();
    await check('people');
    await openCarol(page);
    await page.getByRole('button', { name: 'Make a password reset link' }).click();
    await page.locator('.once code').waitFor();
    await check('person');
    await page.goto(`${f.url}/console/#/people/admin-tokens`);
    await waitForHeading(page, 'Admin tokens');
    await page.getByLabel('Name').fill('backup job');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('.once code').waitFor();
    await check('admin-tokens');
    await page.goto(`${f.url}/console/#/account`);
    await waitForHeading(page, 'Your account');
    await check('account');
    await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
    await page.locator('#totp-secret').waitFor();
    await check('account-mfa');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await waitForHeading(page, 'Sign in');

    await signInAt(page, f.url, CAROL, CHANGED_PASSWORD);
    await page.goto(`${f.url}/console/#/people`);
    await waitForHeading(page, 'Not allowed');
    await check('people-not-allowed');
    await context.close();
  });

  it('no page reported a CSP violation, and every API call the console made is documented', async () => {
    await owner.context.close();
    expect(record.violations).toEqual([]);
    for (const call of [
      'GET /api/admin/users',
      'POST /api/admin/users',
      'PUT /api/admin/users/{id}/role',
      'PUT /api/admin/users/{id}/name',
      'PUT /api/admin/session/name',
      'POST /api/admin/admin-tokens',
      'DELETE /api/admin/admin-tokens/{id}',
      'POST /api/admin/session/mfa/enable',
      'POST /api/admin/session/password',
    ]) {
      const pattern = new RegExp(`^${call.replace(/\{id\}/g, '[^/]+')}$`);
      expect(
        [...record.apiCalls].some((c) => pattern.test(c)),
        call,
      ).toBe(true);
    }
    expect(await undocumentedCalls(f.url, record.apiCalls)).toEqual([]);
  });
});
