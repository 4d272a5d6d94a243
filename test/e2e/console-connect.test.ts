import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FieldPurpose, OnePasswordConnect } from '@1password/connect';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { initDataDir, type RunningService, startService } from '../../src/main.js';
import {
  checkPage,
  launchConsoleBrowser,
  newRecord,
  cspContext as recordingContext,
  signIn,
  undocumentedCalls,
  waitForHeading,
} from '../helpers/console-browser.js';

/**
 * The console's Connect section in a real browser against a real service on a socket: a server
 * created in the console, its credentials file downloaded from the page (made in the browser, as
 * a Blob) and given to `startService` as `keyhold serve --connect FILE:0` gives it; a token
 * created in the console, copied from the page, and used by the official `@1password/connect`
 * SDK to read an item; its last use shown; revoked in the console, and the SDK refused. Vaults
 * changed, a server deleted, the Connect key rotated, and a previous key withdrawn (the SDK then
 * refused with a token it signed); a member never sees the section. Every page
 * passes axe-core and is photographed into docs/console/.
 */
const OWNER_PASSWORD = 'correct horse battery staple';
const MEMBER_PASSWORD = 'a long enough member password';
const MEMBER = 'member@example.com';

let dir: string;
let config: Config;
let service: RunningService;
let adminToken: string;
let ownerEmail: string;
let browser: Browser;
let payments: string;
let staging: string;
let itemId: string;
const record = newRecord();
const quiet = pino({ level: 'silent' });

const base = () => service.url;

async function admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base()}/api/admin${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-console-connect-'));
  config = loadConfig({ KEYHOLD_DATA_DIR: dir, KEYHOLD_PORT: '0', KEYHOLD_LOG_LEVEL: 'silent' });
  const init = await initDataDir(config, { ownerPassword: OWNER_PASSWORD });
  await init.storage.close();
  adminToken = init.adminToken;
  ownerEmail = init.ownerEmail;
  service = await startService(config, quiet);
  payments = (await admin<{ id: string }>('POST', '/vaults', { name: 'Payments' })).id;
  staging = (await admin<{ id: string }>('POST', '/vaults', { name: 'Staging' })).id;
  itemId = (
    await admin<{ id: string }>('POST', `/vaults/${payments}/items`, {
      title: 'Stripe key',
      category: 'API_CREDENTIAL',
      fields: [{ purpose: 'PASSWORD', value: 'sk_live_from_the_vault' }],
    })
  ).id;
  await admin('POST', '/users', { email: MEMBER, role: 'member', password: MEMBER_PASSWORD });
  browser = await launchConsoleBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cspContext = () => recordingContext(browser, record);
const owner = (page: Page) => signIn(page, base(), ownerEmail, OWNER_PASSWORD);
const tokenRow = (page: Page, name: string) =>
  page.locator('.tokens > li', { has: page.locator('strong', { hasText: name }) });

describe('the console’s Connect section', () => {
  let serverId = '';
  let credentialsFile = '';
  let token = '';
  let tokenId = '';

  it('creates a server and downloads its credentials file, made in the browser, once', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await owner(page);
    await page.getByRole('navigation').getByRole('link', { name: 'Connect', exact: true }).click();
    await waitForHeading(page, 'Connect servers');
    // The heading comes before the list has loaded: wait for the list.
    await expect.poll(() => page.locator('main').textContent()).toContain('No Connect server yet');
    await page.getByRole('link', { name: 'New server' }).click();
    await waitForHeading(page, 'New Connect server');
    await page.getByLabel('Name').fill('Payments API');
    await page.getByRole('checkbox', { name: 'Payments' }).check();
    await page.getByRole('button', { name: 'Create server' }).click();
    await waitForHeading(page, 'Server Payments API created');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download credentials file' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('Payments-API-credentials.json');
    // A blob: URL of the page itself: the secret never went to the server in a URL.
    expect(download.url()).toMatch(/^blob:/);
    credentialsFile = join(dir, 'payments-api-credentials.json');
    await download.saveAs(credentialsFile);
    const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as {
      kind: string;
      serverId?: string;
    };
    expect(credentials.kind).toBe('keyhold-connect-credentials');

    // Nothing of it is left in web storage, and it is gone from the page once left.
    expect(await page.evaluate<number>('localStorage.length + sessionStorage.length')).toBe(0);
    await page.getByRole('link', { name: 'Done: go to Payments API' }).click();
    await waitForHeading(page, 'Payments API');
    serverId = decodeURIComponent(page.url().split('/servers/')[1] ?? '');
    expect(serverId).toMatch(/^[a-z0-9]{26}$/);
    expect(await page.content()).not.toContain(JSON.stringify(credentials).slice(30, 60));
    await page.goBack();
    await waitForHeading(page, 'New Connect server');
    expect(await page.getByRole('button', { name: 'Download credentials file' }).count()).toBe(0);
    const servers = await admin<Array<{ id: string; name: string; vaults: string[] }>>('GET', '/servers');
    expect(servers).toEqual([
      expect.objectContaining({ id: serverId, name: 'Payments API', vaults: [payments] }),
    ]);
    await context.close();
  });

  it('creates a token with read on one vault and an expiry; it is shown once and copied', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await owner(page);
    await page.goto(`${base()}/console/#/connect/servers/${serverId}`);
    await waitForHeading(page, 'Payments API');
    expect(await page.locator('main').textContent()).toContain('No token yet');
    await page.getByRole('link', { name: 'New token' }).click();
    await waitForHeading(page, 'New token for Payments API');
    await page.getByLabel('Name').fill('billing worker');
    await page.getByRole('checkbox', { name: 'Read in Payments' }).check();
    await page.getByLabel('Expires').selectOption({ label: 'In 90 days' });
    await page.getByRole('button', { name: 'Create token' }).click();
    await waitForHeading(page, 'Token billing worker created');
    token = await page.getByLabel('Token', { exact: true }).inputValue();
    expect(token.split('.')).toHaveLength(3);
    await page.getByRole('button', { name: 'Copy token' }).click();
    await expect.poll(() => page.evaluate<string>('navigator.clipboard.readText()')).toBe(token);

    await page.getByRole('link', { name: 'Done' }).click();
    await waitForHeading(page, 'Payments API');
    const row = tokenRow(page, 'billing worker');
    expect(await row.textContent()).toContain('Payments (read)');
    expect(await row.locator('.last-used').textContent()).toBe('Never');
    expect(await page.content()).not.toContain(token);
    const tokens = await admin<Array<{ id: string; expiresAt: string; vaults: unknown }>>(
      'GET',
      `/servers/${serverId}/tokens`,
    );
    expect(tokens).toHaveLength(1);
    tokenId = tokens[0]?.id ?? '';
    expect(tokens[0]?.vaults).toEqual([{ vaultId: payments, permissions: ['read'] }]);
    const days = (Date.parse(tokens[0]?.expiresAt ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    await context.close();
  });

  it('the official SDK reads an item with that token; the console shows the last use; revoked there, the SDK is refused', async () => {
    // `keyhold serve --connect FILE:0`: the service again, hosting the server from the downloaded file.
    await service.close();
    service = await startService(config, quiet, [{ credentialsFile, port: 0 }]);
    const connectUrl = service.connectUrls[0] ?? '';
    const op = OnePasswordConnect({ serverURL: connectUrl, token, keepAlive: false });
    const item = await op.getItem(payments, itemId);
    expect(item.title).toBe('Stripe key');
    expect(item.fields?.find((f) => f.purpose === FieldPurpose.Password)?.value).toBe(
      'sk_live_from_the_vault',
    );
    // Granted read on Payments only.
    await expect(op.listItems(staging)).rejects.toMatchObject({ status: 403 });

    const context = await cspContext();
    const page = await context.newPage();
    await owner(page);
    await page.goto(`${base()}/console/#/connect/servers/${serverId}`);
    await waitForHeading(page, 'Payments API');
    const row = tokenRow(page, 'billing worker');
    const lastUsed = await row.locator('.last-used').textContent();
    expect(lastUsed).not.toBe('Never');
    expect(Math.abs(Date.parse(lastUsed ?? '') - Date.now())).toBeLessThan(120_000);

    await page.getByRole('button', { name: 'Revoke token billing worker' }).click();
    await page.getByRole('button', { name: 'Yes, revoke token billing worker' }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toBe('Token billing worker is revoked.');
    await expect.poll(() => row.textContent()).toContain('Revoked');
    expect(await page.getByRole('button', { name: 'Revoke token billing worker' }).count()).toBe(0);
    await expect(op.getItem(payments, itemId)).rejects.toMatchObject({ status: 401 });
    // The refusal is not a use: the last use stays what it was.
    await page.reload();
    await waitForHeading(page, 'Payments API');
    expect(await tokenRow(page, 'billing worker').locator('.last-used').textContent()).toBe(lastUsed);
    const revoked = await admin<Array<{ id: string; revokedAt: string | null }>>(
      'GET',
      `/servers/${serverId}/tokens`,
    );
    expect(revoked.find((t) => t.id === tokenId)?.revokedAt).not.toBeNull();
    await context.close();
  });

  it('changes a server’s vaults, and deletes a server only once its name is typed', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await owner(page);
    await page.goto(`${base()}/console/#/connect/servers/${serverId}`);
    await waitForHeading(page, 'Payments API');
    await page.getByRole('checkbox', { name: 'Staging' }).check();
    await page.getByRole('checkbox', { name: 'Payments' }).uncheck();
    await page.getByRole('button', { name: 'Save vaults' }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toBe('The vaults of Payments API are saved.');
    expect((await admin<{ vaults: string[] }>('GET', `/servers/${serverId}`)).vaults).toEqual([staging]);

    await page.getByRole('button', { name: 'Delete server Payments API' }).click();
    const forGood = page.getByRole('button', { name: 'Delete server Payments API for good' });
    expect(await forGood.isDisabled()).toBe(true);
    await page.getByLabel('Type Payments API to confirm').fill('Payments');
    expect(await forGood.isDisabled()).toBe(true);
    await page.getByLabel('Type Payments API to confirm').fill('Payments API');
    await forGood.click();
    await waitForHeading(page, 'Connect servers');
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toBe('Server Payments API is deleted.');
    expect(await admin<unknown[]>('GET', '/servers')).toEqual([]);
    await context.close();
  });

  it('rotates the Connect signing key after a confirm step: the old key is previous', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await owner(page);
    await page.goto(`${base()}/console/#/connect/keys`);
    await waitForHeading(page, 'Signing keys');
    const before = await admin<{ keys: Array<{ kid: string; kind: string; retiredAt: string | null }> }>(
      'GET',
      '/keys',
    );
    const current = before.keys.find((k) => k.kind === 'connect' && k.retiredAt === null)?.kid ?? '';
    const connectKeys = page.locator('section', { has: page.getByRole('heading', { name: 'Connect keys' }) });
    await expect.poll(() => connectKeys.textContent()).toContain(current);
    await page.getByRole('button', { name: 'Rotate the Connect key' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await admin<{ keys: unknown[] }>('GET', '/keys')).keys).toHaveLength(before.keys.length);
    await page.getByRole('button', { name: 'Rotate the Connect key' }).click();
    await page.getByRole('button', { name: 'Yes, rotate the Connect key' }).click();
    await expect
      .poll(async () => (await admin<{ keys: unknown[] }>('GET', '/keys')).keys.length)
      .toBe(before.keys.length + 1);
    const after = await admin<{ keys: Array<{ kid: string; kind: string; retiredAt: string | null }> }>(
      'GET',
      '/keys',
    );
    expect(after.keys.find((k) => k.kid === current)?.retiredAt).not.toBeNull();
    await expect
      .poll(() => connectKeys.locator('li', { hasText: current }).textContent())
      .toContain('Previous');
    await context.close();
  });

  it('withdraws a previous Connect key after a confirm step that names the consequence: the SDK is refused with a token it signed', async () => {
    // A server hosted by the service, and a token of it signed by the key about to be replaced.
    const made = await admin<{ id: string; credentials: unknown }>('POST', '/servers', {
      name: 'Leaky',
      vaults: [payments],
    });
    const leakyFile = join(dir, 'leaky-credentials.json');
    writeFileSync(leakyFile, JSON.stringify(made.credentials), { mode: 0o600 });
    const issued = await admin<{ token: string }>('POST', `/servers/${made.id}/tokens`, {
      name: 'signed by the leaked key',
      vaults: [{ vaultId: payments, permissions: ['read'] }],
    });
    const leakedKid = JSON.parse(Buffer.from(issued.token.split('.')[0] ?? '', 'base64url').toString()).kid;
    await admin('POST', '/keys/rotate', { kind: 'connect' });
    const fresh = await admin<{ token: string }>('POST', `/servers/${made.id}/tokens`, {
      name: 'signed by the new key',
      vaults: [{ vaultId: payments, permissions: ['read'] }],
    });
    await service.close();
    service = await startService(config, quiet, [{ credentialsFile: leakyFile, port: 0 }]);
    const sdk = (t: string) =>
      OnePasswordConnect({ serverURL: service.connectUrls[0] ?? '', token: t, keepAlive: false });
    expect((await sdk(issued.token).getItem(payments, itemId)).title).toBe('Stripe key');

    const context = await cspContext();
    const page = await context.newPage();
    await owner(page);
    await page.goto(`${base()}/console/#/connect/keys`);
    await waitForHeading(page, 'Signing keys');
    const row = page
      .locator('section', { has: page.getByRole('heading', { name: 'Connect keys' }) })
      .locator('li', {
        hasText: leakedKid,
      });
    await expect.poll(() => row.textContent()).toContain('Previous');
    // The current key has no such button: it must be rotated first.
    const currentKid = (
      await admin<{ keys: Array<{ kid: string; kind: string; state: string }> }>('GET', '/keys')
    ).keys.find((k) => k.kind === 'connect' && k.state === 'current')?.kid;
    expect(await page.getByRole('button', { name: `Withdraw key ${currentKid}` }).count()).toBe(0);

    await page.getByRole('button', { name: `Withdraw key ${leakedKid}` }).click();
    const confirm = page.getByRole('group', { name: `Withdraw key ${leakedKid}?` });
    expect(await confirm.textContent()).toContain('Every token this key signed stops working at once');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await sdk(issued.token).getItem(payments, itemId)).title).toBe('Stripe key');
    await page.getByRole('button', { name: `Withdraw key ${leakedKid}` }).click();
    await page.getByRole('button', { name: `Yes, withdraw key ${leakedKid}` }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toBe(`Key ${leakedKid} is withdrawn: no token it signed works any more.`);
    await expect.poll(() => row.textContent()).toContain('Withdrawn');
    expect(await page.getByRole('button', { name: `Withdraw key ${leakedKid}` }).count()).toBe(0);

    // The official SDK: refused with the token the withdrawn key signed, served with the new one.
    await expect(sdk(issued.token).getItem(payments, itemId)).rejects.toMatchObject({ status: 401 });
    expect((await sdk(fresh.token).getItem(payments, itemId)).title).toBe('Stripe key');
    await context.close();
  });

  it('a member sees no Connect section, and its address shows nothing of it', async () => {
    const context = await cspContext();
    const page = await context.newPage();
    await signIn(page, base(), MEMBER, MEMBER_PASSWORD);
    expect(
      await page.getByRole('navigation').getByRole('link', { name: 'Connect', exact: true }).count(),
    ).toBe(0);
    await page.goto(`${base()}/console/#/connect`);
    await waitForHeading(page, 'Not allowed');
    await page.goto(`${base()}/console/#/connect/keys`);
    await waitForHeading(page, 'Not allowed');
    await context.close();
  });

  it('every page of the section passes axe-core, light and dark, at 375 px, and is photographed', async () => {
    const context = await browser.newContext({
      bypassCSP: true,
      viewport: { width: 1280, height: 800 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    const page = await context.newPage();
    const check = (name: string) => checkPage(page, name);
    await owner(page);
    await page.goto(`${base()}/console/#/connect/new`);
    await waitForHeading(page, 'New Connect server');
    await page.getByLabel('Name').fill('Checkout service');
    await page.getByRole('checkbox', { name: 'Payments' }).check();
    await page.getByRole('checkbox', { name: 'Staging' }).check();
    await check('connect-server-new');
    await page.getByRole('button', { name: 'Create server' }).click();
    await waitForHeading(page, 'Server Checkout service created');
    await check('connect-server-created');
    await page.getByRole('link', { name: 'Done: go to Checkout service' }).click();
    await waitForHeading(page, 'Checkout service');
    const id = decodeURIComponent(page.url().split('/servers/')[1] ?? '');
    await admin('POST', `/servers/${id}/tokens`, {
      name: 'deploy job',
      vaults: [{ vaultId: staging, permissions: ['read', 'write'] }],
    });
    await page.goto(`${base()}/console/#/connect/servers/${id}/tokens/new`);
    await waitForHeading(page, 'New token for Checkout service');
    await page.getByLabel('Name').fill('checkout web');
    await page.getByRole('checkbox', { name: 'Read in Payments' }).check();
    await check('connect-token-new');
    await page.getByRole('button', { name: 'Create token' }).click();
    await waitForHeading(page, 'Token checkout web created');
    await check('connect-token-created');
    await page.getByRole('link', { name: 'Done' }).click();
    await waitForHeading(page, 'Checkout service');
    await check('connect-server');
    await page.getByRole('button', { name: 'Revoke token checkout web' }).click();
    await page.getByRole('button', { name: 'Delete server Checkout service' }).click();
    await check('connect-server-confirm');
    await page.goto(`${base()}/console/#/connect`);
    await waitForHeading(page, 'Connect servers');
    await check('connect-servers');
    await page.goto(`${base()}/console/#/connect/keys`);
    await waitForHeading(page, 'Signing keys');
    await page.getByRole('button', { name: 'Rotate the OAuth key' }).click();
    await check('connect-keys');
    await context.close();
  });

  it('no page reported a CSP violation, and every API call the console made is documented', async () => {
    expect(record.violations).toEqual([]);
    expect(record.apiCalls).toContain('POST /api/admin/servers');
    expect(await undocumentedCalls(base(), record.apiCalls)).toEqual([]);
  });
});
