import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../src/http/console/pages.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * `keyhold serve`'s web console files (src/http/console): the page, its hashed assets, their
 * caching and security headers, what is not there, and a service whose console was not built.
 */
const SCRIPT = 'app-ABCDEF12.js';
const STYLES = 'styles-ABCDEF12.css';
const INDEX = `<!doctype html><title>Keyhold</title><script type="module" src="/console/assets/${SCRIPT}"></script>`;

let built: string;
let t: TestApp;
let unbuilt: TestApp;

beforeAll(async () => {
  built = mkdtempSync(join(tmpdir(), 'keyhold-console-'));
  mkdirSync(join(built, 'assets'));
  writeFileSync(join(built, 'index.html'), INDEX);
  writeFileSync(join(built, 'assets', SCRIPT), 'console.log(1);');
  writeFileSync(join(built, 'assets', STYLES), 'body{}');
  // A file beside the build that no URL may reach.
  writeFileSync(join(built, 'secret.txt'), 'not for the web');
  t = await startTestApp({}, { consoleDir: built });
  unbuilt = await startTestApp({}, { consoleDir: join(built, 'nothing-here') });
});

afterAll(async () => {
  await t?.close();
  await unbuilt?.close();
  rmSync(built, { recursive: true, force: true });
});

const expectSecurityHeaders = (headers: Record<string, unknown>) => {
  expect(headers['content-security-policy']).toBe(CONSOLE_CSP);
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-content-type-options']).toBe('nosniff');
};

describe('the console page', () => {
  it('/ redirects (302) to /console/', async () => {
    const res = await t.app.inject('/');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/console/');
  });

  it('/console/ answers index.html, never cached, with the CSP of COMMON.md', async () => {
    for (const url of ['/console/', '/console']) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expectSecurityHeaders(res.headers);
    }
    expect(CONSOLE_CSP).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });

  it('the hashed assets are served with a long cache and their types', async () => {
    const js = await t.app.inject(`/console/assets/${SCRIPT}`);
    expect(js.statusCode).toBe(200);
    expect(js.body).toBe('console.log(1);');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expectSecurityHeaders(js.headers);
    const css = await t.app.inject(`/console/assets/${STYLES}`);
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('an unknown asset or path under /console/ is a 404 page, not cached, with the same headers', async () => {
    for (const url of [
      '/console/assets/app-NOPE.js',
      '/console/assets/x.html',
      '/console/vaults',
      '/console/a/b',
    ]) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toContain('Not found');
      expectSecurityHeaders(res.headers);
    }
  });

  it('no path reaches a file outside the assets', async () => {
    const attempts = [
      '/console/assets/..%2Fsecret.txt',
      '/console/assets/..%2F..%2Fpackage.json',
      '/console/assets/%2e%2e%2fsecret.txt',
      '/console/assets/..%5Csecret.txt',
      '/console/assets/../secret.txt',
      '/console/../secret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/secret.txt',
      '/console/assets/',
      '/console/index.html/..%2Fsecret.txt',
    ];
    for (const url of attempts) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.body, url).not.toContain('not for the web');
    }
  });

  it('a service whose console is not built answers 503 saying how to build it, and keeps serving', async () => {
    const res = await unbuilt.app.inject('/console/');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('npm run build');
    expectSecurityHeaders(res.headers);
    expect((await unbuilt.app.inject(`/console/assets/${SCRIPT}`)).statusCode).toBe(404);
    expect((await unbuilt.app.inject('/health')).statusCode).toBe(200);
  });
});
