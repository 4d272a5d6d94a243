import { readFileSync } from 'node:fs';
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
 * The console's Audit section in a real browser against a real service: the trail with its
 * actors named, narrowed by action, result and actor (the rows change to match), paged, and the
 * filtered view exported as JSON lines equal to the rows; a member has no Audit section and the
 * API refuses them the trail. Every page runs axe-core and is photographed; the flows run with
 * the CSP on, and every API call the console made is in the OpenAPI document.
 */
const MEMBER_PASSWORD = 'a long enough member password';
const alice = 'alice@example.com';

let f: OAuthFixture;
let browser: Browser;
let vaultId: string;
let itemId: string;
let aliceId: string;
let botToken: string;

const record = newRecord();

interface Event {
  seq: number;
  actorId: string;
  actorLabel: string;
  action: string;
  result: string;
}

/** Calls the admin API with another bearer (the fixture's helper throws on a refusal). */
const callAs = (token: string, path: string) =>
  fetch(`${f.url}/api/admin${path}`, { headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  f = await startOAuthFixture();
  vaultId = (await f.admin<{ id: string }>('POST', '/vaults', { name: 'Operations' })).id;
  itemId = (
    await f.admin<{ id: string }>('POST', `/vaults/${vaultId}/items`, {
      title: 'Mail relay',
      category: 'LOGIN',
      fields: [{ purpose: 'PASSWORD', value: 'relay password' }],
    })
  ).id;
  aliceId = (
    await f.admin<{ id: string }>('POST', '/users', {
      email: alice,
      role: 'member',
      password: MEMBER_PASSWORD,
    })
  ).id;
  await f.admin('PUT', `/users/${aliceId}/vaults/${vaultId}`, { permissions: ['read'] });
  // A token whose role may not read the trail nor the users: each try is a DENY in the trail.
  botToken = (
    await f.admin<{ token: string }>('POST', '/admin-tokens', { name: 'deploy-bot', role: 'connect-manager' })
  ).token;
  for (const path of ['/audit', '/users', '/audit']) expect((await callAs(botToken, path)).status).toBe(403);
  // Sixty reads by the owner's token: more than a page of the trail.
  for (let i = 0; i < 60; i++) await f.admin('GET', `/vaults/${vaultId}/items/${itemId}`);
  browser = await launchConsoleBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await f?.close();
});

const cspContext = () => recordingContext(browser, record);
const signIn = (page: Page, email: string, password: string) => signInAt(page, f.url, email, password);

/** The rows shown: each `seq` with the text of its cells. */
async function rows(page: Page): Promise<Array<{ seq: number; cells: Record<string, string> }>> {
  return page.locator('table.audit tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      seq: Number(tr.getAttribute('data-seq')),
      cells: Object.fromEntries(
        [...tr.querySelectorAll('td')].map((td) => [td.getAttribute('data-label'), td.textContent?.trim()]),
      ),
    })),
  );
}

/** Applies the filters and waits for the rows the trail answers with. */
async function applyFilters(page: Page): Promise<void> {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/admin/audit');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await answered;
  await page
    .locator('.audit-status')
    .filter({ hasText: /Events|No event/ })
    .waitFor();
}

async function openAudit(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click();
  await waitForHeading(page, 'Audit');
  await page.locator('table.audit tbody tr').first().waitFor();
}

describe('the console’s Audit section', () => {
  it('filters the trail by action, result and actor, naming the actors, and pages it', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    // Alice reads the item in the console: her read is in the trail under her email.
    await signIn(page, alice, MEMBER_PASSWORD);
    expect(await page.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    await page.goto(`${f.url}/console/#/vaults/${vaultId}/items/${itemId}`);
    await waitForHeading(page, 'Mail relay');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await waitForHeading(page, 'Sign in');

    await signIn(page, f.ownerEmail, f.ownerPassword);
    await openAudit(page);
    const all = await rows(page);
    expect(all.length).toBe(50);
    expect(await page.locator('.audit-status').textContent()).toBe('Events 1–50, newest first');

    // Older and newer pages.
    await page.getByRole('button', { name: 'Older' }).click();
    await page.locator('.audit-status').filter({ hasText: 'Events 51–' }).waitFor();
    const older = await rows(page);
    expect(Math.max(...older.map((r) => r.seq))).toBeLessThan(Math.min(...all.map((r) => r.seq)));
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.locator('.audit-status').filter({ hasText: 'Events 1–50' }).waitFor();
    expect(await rows(page)).toEqual(all);

    // By result: the bot's refusals, named by the token's name.
    await page.getByLabel('Result').selectOption('DENY');
    await applyFilters(page);
    const denied = await rows(page);
    expect(denied.length).toBe(3);
    for (const row of denied) {
      expect(row.cells.Result).toBe('Deny');
      expect(row.cells.Actor).toContain('deploy-bot (connect-manager)');
    }

    // By action (with the result cleared): reads only.
    await page.getByLabel('Result').selectOption('');
    await page.getByLabel('Action').selectOption('READ');
    await applyFilters(page);
    const reads = await rows(page);
    expect(reads.length).toBe(50);
    expect(reads.every((r) => r.cells.Action === 'Read')).toBe(true);

    // By actor, picked by email: Alice's reads alone.
    await page.getByLabel('Actor').selectOption({ label: alice });
    await applyFilters(page);
    const hers = await rows(page);
    expect(hers.length).toBeGreaterThan(0);
    expect(hers.every((r) => r.cells.Action === 'Read' && r.cells.Actor?.startsWith(alice))).toBe(true);
    expect(hers.map((r) => r.seq)).toEqual(
      (await f.admin<Event[]>('GET', `/audit?actor=${aliceId}&action=READ`)).map((e) => e.seq),
    );

    // By time, in the browser's zone: from an hour ahead, nothing; within the last hour, the same.
    const local = (offsetMs: number) =>
      page.evaluate((ms) => {
        const d = new Date(Date.now() + ms);
        const pad = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
      }, offsetMs);
    await page.getByLabel('From').fill(await local(3_600_000));
    await applyFilters(page);
    expect(await page.locator('.audit-status').textContent()).toBe('No event matches these filters.');
    await page.getByLabel('From').fill(await local(-3_600_000));
    await page.getByLabel('Until').fill(await local(3_600_000));
    await applyFilters(page);
    expect((await rows(page)).map((r) => r.seq)).toEqual(hers.map((r) => r.seq));
    await context.close();
  });

  it('exports the filtered view as JSON lines equal to its rows', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await signIn(page, f.ownerEmail, f.ownerPassword);
    await openAudit(page);
    await page.getByLabel('Action').selectOption('READ');
    await page.getByLabel('Result').selectOption('SUCCESS');
    await page.getByLabel('Resource id').fill(itemId);
    await page.getByLabel('Actor').selectOption({ label: alice });
    await applyFilters(page);
    const shown = await rows(page);
    expect(shown.length).toBeGreaterThan(0);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export JSON lines' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^keyhold-audit-.*\.jsonl$/);
    const text = readFileSync((await download.path()) as string, 'utf8');
    const lines = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Event);
    expect(lines.map((e) => e.seq)).toEqual(shown.map((r) => r.seq));
    expect(lines.every((e) => e.actorId === aliceId && e.actorLabel === alice && e.action === 'READ')).toBe(
      true,
    );
    expect(lines).toEqual(
      await f.admin<Event[]>('GET', `/audit?actor=${aliceId}&action=READ&result=SUCCESS&resource=${itemId}`),
    );

    // A view past one page exports every event, not just the rows shown.
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Action').selectOption('READ');
    await applyFilters(page);
    const [all] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export JSON lines' }).click(),
    ]);
    const allLines = readFileSync((await all.path()) as string, 'utf8')
      .trim()
      .split('\n');
    expect(allLines.length).toBe((await f.admin<Event[]>('GET', '/audit?action=READ&limit=1000')).length);
    expect(allLines.length).toBeGreaterThan(60);
    await context.close();
  });

  it('is not offered to a member, whom the API refuses the trail and its export', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await signIn(page, alice, MEMBER_PASSWORD);
    expect(
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents(),
    ).not.toContain('Audit');
    const statuses = await page.evaluate(async () => [
      (await fetch('/api/admin/audit')).status,
      (await fetch('/api/admin/audit/export')).status,
    ]);
    expect(statuses).toEqual([403, 403]);
    await context.close();
  });

  it('passes axe-core (no serious or critical finding), light and dark, and is photographed', async () => {
    // Only for axe, which is injected as a script: the CSP is bypassed in this context alone.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(page, f.ownerEmail, f.ownerPassword);
    await openAudit(page);
    await checkPage(page, 'audit');
    await page.getByLabel('Result').selectOption('DENY');
    await applyFilters(page);
    await checkPage(page, 'audit-filtered');
    await page.getByLabel('Action').selectOption('DELETE');
    await applyFilters(page);
    expect(await page.locator('.audit-status').textContent()).toBe('No event matches these filters.');
    await checkPage(page, 'audit-empty');
    await context.close();
  });

  it('no page reported a CSP violation, and every API call the console made is documented', async () => {
    expect(record.violations).toEqual([]);
    expect(record.apiCalls).toContain('GET /api/admin/audit/export');
    expect(record.apiCalls).toContain('DELETE /api/admin/session');
    expect(await undocumentedCalls(f.url, record.apiCalls)).toEqual([]);
  });
});
