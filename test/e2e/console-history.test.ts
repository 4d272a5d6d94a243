import type { Browser, Page } from 'playwright-core';
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

/**
 * An item's history and the vault's trash in the console, in a real browser against a real
 * service: an item created and edited twice, the diff between two versions (a concealed value
 * named changed, drawn only once revealed, each reveal an audited read), version 1 restored (the
 * API then has version 4 with version 1's content), the item deleted to the trash, undeleted,
 * and deleted permanently. The pages pass axe-core, fit 375 px and are photographed.
 */
let f: OAuthFixture;
let browser: Browser;
let vault: string;
let itemId: string;
const record = newRecord();

type Item = { version: number; title: string; fields: Array<{ id: string; value: string }> };
const login = (title: string, password: string, version?: number) => ({
  title,
  category: 'LOGIN',
  ...(version === undefined ? {} : { version }),
  fields: [
    { id: 'username', purpose: 'USERNAME', label: 'username', value: 'app' },
    { id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', label: 'password', value: password },
  ],
});

beforeAll(async () => {
  f = await startOAuthFixture();
  vault = (await f.admin<{ id: string }>('POST', '/vaults', { name: 'Production' })).id;
  itemId = (
    await f.admin<{ id: string }>('POST', `/vaults/${vault}/items`, login('Database', 'first password'))
  ).id;
  await f.admin('PUT', `/vaults/${vault}/items/${itemId}`, login('Database v2', 'second password', 1));
  await f.admin('PUT', `/vaults/${vault}/items/${itemId}`, login('Database v3', 'second password', 2));
  browser = await launchConsoleBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await f?.close();
});

const signIn = (page: Page) => signInAt(page, f.url, f.ownerEmail, f.ownerPassword);
const itemPage = () => `${f.url}/console/#/vaults/${vault}/items/${itemId}`;

async function itemReads(): Promise<number> {
  const events = await f.admin<unknown[]>('GET', `/audit?resource=${itemId}&action=READ&limit=1000`);
  return events.length;
}

describe('history and trash in the console', () => {
  it('shows the versions and a diff, reveals a concealed change on demand, and restores version 1 as version 4', async () => {
    const context = await recordingContext(browser, record);
    const page = await context.newPage();
    await signIn(page);
    await page.goto(itemPage());
    await waitForHeading(page, 'Database v3');
    await page.getByRole('link', { name: 'History' }).click();
    await waitForHeading(page, 'History of Database v3');
    const rows = page.locator('table.history tbody tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.first().textContent()).toContain('3 (current)');
    // Who: the edits were made with the owner's admin token, named by its id.
    expect(await rows.first().locator('td').nth(2).textContent()).toMatch(/^[a-z0-9]{26}$/);

    // Version 1 against version 3: the title and the password changed; the password is not drawn.
    await page.getByLabel('From version').selectOption('1');
    await page.getByLabel('to version').selectOption('3');
    const diff = page.locator('table.diff');
    await diff.locator('caption', { hasText: 'from version 1 to version 3' }).waitFor();
    const title = diff.locator('tr', { has: page.locator('th', { hasText: 'Title' }) });
    expect(await title.textContent()).toContain('Database');
    expect(await title.textContent()).toContain('Database v3');
    const password = diff.locator('tr', { has: page.locator('th', { hasText: 'Password' }) });
    expect(await password.textContent()).toContain('changed');
    expect(await diff.textContent()).not.toContain('first password');
    expect(await diff.textContent()).not.toContain('second password');
    const before = await itemReads();
    await page.getByRole('button', { name: 'Reveal Password in versions 1 and 3' }).click();
    await expect.poll(() => password.textContent()).toContain('first password');
    expect(await password.textContent()).toContain('second password');
    // Both versions were read again, each on record.
    expect(await itemReads()).toBe(before + 2);
    await page.getByRole('button', { name: 'Hide Password in versions 1 and 3' }).click();
    await expect.poll(() => password.textContent()).not.toContain('first password');

    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByRole('heading', { name: 'Restore version 1?' }).waitFor();
    await page.getByRole('button', { name: 'Restore this version' }).click();
    await waitForHeading(page, 'Database');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Database');
    const stored = await f.admin<Item>('GET', `/vaults/${vault}/items/${itemId}`);
    expect(stored.version).toBe(4);
    expect(stored.title).toBe('Database');
    expect(stored.fields.find((x) => x.id === 'password')?.value).toBe('first password');
    const versions = await f.admin<Array<{ version: number }>>(
      'GET',
      `/vaults/${vault}/items/${itemId}/versions`,
    );
    expect(versions.map((v) => v.version)).toEqual([4, 3, 2, 1]);
    await context.close();
  });

  it('deletes the item to the trash, undeletes it, and deletes it permanently', async () => {
    const context = await recordingContext(browser, record);
    const page = await context.newPage();
    await signIn(page);
    await page.goto(itemPage());
    await waitForHeading(page, 'Database');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await waitForHeading(page, 'Production');
    await expect.poll(() => page.locator('.items > li').count()).toBe(0);
    expect(await f.admin<unknown[]>('GET', `/vaults/${vault}/items`)).toEqual([]);

    await page.getByRole('link', { name: 'Trash' }).click();
    await waitForHeading(page, 'Trash of Production');
    await page.getByRole('button', { name: 'Undelete Database' }).click();
    await page.getByText('The trash is empty.').waitFor();
    expect((await f.admin<Item>('GET', `/vaults/${vault}/items/${itemId}`)).version).toBe(4);

    await page.goto(itemPage());
    await waitForHeading(page, 'Database');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await waitForHeading(page, 'Production');
    await page.getByRole('link', { name: 'Trash' }).click();
    await waitForHeading(page, 'Trash of Production');
    await page.getByRole('button', { name: 'Delete Database permanently…' }).click();
    await page.getByRole('button', { name: 'Delete Database permanently', exact: true }).click();
    await page.getByText('The trash is empty.').waitFor();
    expect(await f.admin<unknown[]>('GET', `/vaults/${vault}/trash`)).toEqual([]);
    const gone = await fetch(`${f.url}/api/admin/vaults/${vault}/items/${itemId}/versions`, {
      headers: { authorization: `Bearer ${f.adminToken}` },
    });
    expect(gone.status).toBe(404);
    await context.close();
  });

  it('the history and trash pages pass axe-core, light and dark, fit 375 px, and are photographed', async () => {
    const id = (await f.admin<{ id: string }>('POST', `/vaults/${vault}/items`, login('Stripe', 'sk one')))
      .id;
    await f.admin('PUT', `/vaults/${vault}/items/${id}`, login('Stripe live key', 'sk two', 1));
    const gone = (
      await f.admin<{ id: string }>('POST', `/vaults/${vault}/items`, login('Old mail relay', 'x'))
    ).id;
    await f.admin('DELETE', `/vaults/${vault}/items/${gone}`);
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${f.url}/console/#/vaults/${vault}/items/${id}/history`);
    await waitForHeading(page, 'History of Stripe live key');
    await page.locator('table.diff').waitFor();
    await checkPage(page, 'item-history');
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByRole('heading', { name: 'Restore version 1?' }).waitFor();
    await checkPage(page, 'item-history-restore');
    await page.goto(`${f.url}/console/#/vaults/${vault}/trash`);
    await waitForHeading(page, 'Trash of Production');
    await page.getByRole('button', { name: 'Undelete Old mail relay' }).waitFor();
    await checkPage(page, 'vault-trash');
    await context.close();
  });

  it('no page reported a CSP violation, and every API call the console made is documented', async () => {
    expect(record.violations).toEqual([]);
    expect([...record.apiCalls].some((c) => c.includes('/restore'))).toBe(true);
    expect(await undocumentedCalls(f.url, record.apiCalls)).toEqual([]);
  });
});
