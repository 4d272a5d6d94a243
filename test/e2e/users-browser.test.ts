import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser-client.js';
import { type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * The password pages in a real browser (Debian's chromium through playwright-core): a user opens
 * an administrator's reset link and sets a password, signs in with it, then changes it on the
 * password page from the grants page, which signs out their session in another browser.
 */
const EMAIL = 'sam@example.com';

let f: OAuthFixture;
let browser: Browser;
let userId: string;

beforeAll(async () => {
  f = await startOAuthFixture();
  userId = (await f.admin<{ id: string }>('POST', '/users', { email: EMAIL, role: 'member' })).id;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await f?.close();
});

/** Clicks a form's button and waits for the page the POST (and any redirect) lands on. */
async function submit(page: Page, button: string) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button }).click()]);
}
const text = async (page: Page, selector: string) =>
  (await page.locator(selector).first().textContent())?.trim();

describe('password pages in a browser', () => {
  it('reset link → sign in → change password → the other session is signed out', async () => {
    const link = await f.admin<{ url: string }>('POST', `/users/${userId}/password-reset`);
    const page = await (await browser.newContext()).newPage();
    await page.goto(link.url);
    expect(await text(page, 'main p')).toContain(`Choose a new password for ${EMAIL}`);
    await page.getByLabel('New password', { exact: true }).fill('first password of sam');
    await page.getByLabel('New password again').fill('first password of sam');
    await submit(page, 'Set password');
    expect(await text(page, '[role=status]')).toBe('Your new password is set. Sign in with it.');

    const signIn = async (p: typeof page, password: string) => {
      await p.goto(`${f.issuer}/login`);
      await p.getByLabel('Email').fill(EMAIL);
      await p.getByLabel('Password').fill(password);
      await submit(p, 'Sign in');
    };
    await signIn(page, 'first password of sam');
    expect(await text(page, 'h1')).toBe('Your grants');
    const other = await (await browser.newContext()).newPage();
    await signIn(other, 'first password of sam');
    expect(await text(other, 'h1')).toBe('Your grants');

    await Promise.all([
      page.waitForNavigation(),
      page.getByRole('link', { name: 'Change your password' }).click(),
    ]);
    expect(await text(page, 'h1')).toBe('Change your password');
    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password', { exact: true }).fill('second password of sam');
    await page.getByLabel('New password again').fill('second password of sam');
    await submit(page, 'Change password');
    expect(await text(page, '[role=alert]')).toBe('The current password is wrong.');

    await page.getByLabel('Current password').fill('first password of sam');
    await page.getByLabel('New password', { exact: true }).fill('second password of sam');
    await page.getByLabel('New password again').fill('second password of sam');
    await submit(page, 'Change password');
    expect(await text(page, '[role=status]')).toBe(
      'Your password is changed. Your other sessions are signed out.',
    );

    await other.goto(`${f.issuer}/grants`);
    expect(await text(other, 'h1')).toBe('Sign in');
    await signIn(other, 'second password of sam');
    expect(await text(other, 'h1')).toBe('Your grants');

    // The used link is dead, and says so.
    await page.goto(link.url);
    expect(await text(page, '.error')).toContain('This reset link was already used.');
  });
});
