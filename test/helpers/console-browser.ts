import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * What every browser test of the web console shares: Debian's chromium through playwright-core,
 * the console as `npm run build` makes it, contexts that record CSP violations and the API calls
 * the console makes, signing in, and the per-page check (axe-core in light and dark, no
 * horizontal scrolling at 375 px, screenshots at both widths into docs/console/).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
export const SHOTS = join(ROOT, 'docs', 'console');
const AXE = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** Builds the console into dist/console (which the service serves) and starts chromium. */
export async function launchConsoleBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser test needs Chromium at ${CHROMIUM} (or CHROMIUM_PATH).`);
  }
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs')], { stdio: 'pipe' });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/** What contexts made by `cspContext` saw: CSP complaints and page errors, and API calls. */
export interface BrowserRecord {
  /** Every CSP complaint (its `securitypolicyviolation` events and chromium's lines) or page error. */
  violations: string[];
  /** `METHOD /api/…path` of every API request the console made (no query). */
  apiCalls: Set<string>;
}

export const newRecord = (): BrowserRecord => ({ violations: [], apiCalls: new Set() });

/** A context with the CSP on, recording every violation it reports and every API call. */
export async function cspContext(browser: Browser, record: BrowserRecord): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) =>
      console.error('securitypolicyviolation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
  });
  context.on('console', (message) => {
    const text = message.text();
    if (/securitypolicyviolation|Content Security Policy/i.test(text)) record.violations.push(text);
  });
  context.on('weberror', (error) => record.violations.push(`page error: ${error.error().message}`));
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) record.apiCalls.add(`${request.method()} ${url.pathname}`);
  });
  return context;
}

export async function waitForHeading(page: Page, text: string): Promise<void> {
  await page.locator('h1', { hasText: text }).first().waitFor();
}

/** Signs in on the console's sign-in page and waits for the first page after it. */
export async function signIn(
  page: Page,
  base: string,
  email: string,
  password: string,
  landing = 'Vaults',
): Promise<void> {
  await page.goto(`${base}/`);
  await waitForHeading(page, 'Sign in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHeading(page, landing);
}

/**
 * The page as it is now: axe-core finds no serious or critical violation in light or dark mode,
 * nothing is wider than 375 px, and it is photographed at 1280 and 375 px as
 * docs/console/NAME-desktop.png and NAME-mobile.png. axe is injected as a script, so the page
 * must come from a context made with `bypassCSP: true` (the CSP itself is checked by the flows).
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForLoadState('networkidle');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    if ((await page.evaluate<string>('typeof window.axe')) === 'undefined') {
      await page.addScriptTag({ content: AXE });
    }
    const results = await page.evaluate<Array<{ id: string; impact: string; nodes: unknown[] }>>(
      'window.axe.run().then((r) => r.violations)',
    );
    const bad = results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(
      bad.map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes).slice(0, 400)}`),
      `${name} ${scheme}`,
    ).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`) });
  await page.setViewportSize({ width: 375, height: 812 });
  expect(await page.evaluate<number>('document.documentElement.scrollWidth'), name).toBeLessThanOrEqual(375);
  await page.screenshot({ path: join(SHOTS, `${name}-mobile.png`) });
  await page.setViewportSize({ width: 1280, height: 800 });
}

/**
 * The API calls the console made that the admin API's OpenAPI document does not describe
 * (`/api/admin/openapi.json`): the console talks to the documented API only.
 */
export async function undocumentedCalls(base: string, calls: Iterable<string>): Promise<string[]> {
  const document = (await (await fetch(`${base}/api/admin/openapi.json`)).json()) as {
    servers?: Array<{ url: string }>;
    paths: Record<string, Record<string, unknown>>;
  };
  const prefix = (document.servers?.[0]?.url ?? '').replace(/\/$/, '');
  const templates = Object.entries(document.paths).map(([path, operations]) => ({
    pattern: new RegExp(`^${prefix}${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    methods: new Set(Object.keys(operations).map((m) => m.toUpperCase())),
  }));
  return [...calls].filter((call) => {
    const [method = '', path = ''] = call.split(' ');
    return !templates.some((t) => t.methods.has(method) && t.pattern.test(path));
  });
}
