import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, cmd, runCli, type Server, startServer, tempDataDir } from '../helpers/processes.js';
import { secretFromEnrolmentPage, totpCode } from '../helpers/totp.js';

/**
 * `keyhold user mfa|reset-mfa` and `keyhold account policy` as processes against a real `serve`:
 * a user enrols over HTTP as a browser would, the administrator sees it, resets it, and switches
 * the account's policy on and off.
 */
const PASSWORD = 'cli mfa user password';
let server: Server;
let init: { accountId: string; adminToken: string };

const kh = (args: string[]) => runCli([...args, '--addr', server.url, '--token', init.adminToken]);

/** A cookie-keeping fetch of the sign-in pages (no redirect followed). */
function pages() {
  const jar = new Map<string, string>();
  return async (path: string, form?: Record<string, string>) => {
    const response = await fetch(`${server.url}/oauth/${init.accountId}${path}`, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [name, value] = (line.split(';')[0] ?? '').split('=') as [string, string];
      jar.set(name, value);
    }
    return { status: response.status, body: await response.text() };
  };
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

beforeAll(async () => {
  const dataDir = tempDataDir();
  init = JSON.parse((await runCli(cmd`init --data-dir ${dataDir} --json`)).stdout);
  server = await startServer(dataDir);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await cleanup();
});

describe('keyhold user mfa / reset-mfa and account policy', () => {
  it('shows, resets and reports a user’s second factor', async () => {
    expect((await kh(cmd`user create dana@example.com --password ${PASSWORD}`)).code).toBe(0);
    const page = pages();
    const login = await page('/login');
    expect(
      (await page('/login', { csrf: csrfOf(login.body), email: 'dana@example.com', password: PASSWORD }))
        .status,
    ).toBe(303);
    const enrol = await page('/mfa');
    const secret = secretFromEnrolmentPage(enrol.body);
    expect((await page('/mfa/enable', { csrf: csrfOf(enrol.body), code: totpCode(secret) })).status).toBe(
      200,
    );

    const shown = await kh(cmd`user mfa dana@example.com`);
    expect(shown.stdout.trim()).toBe('dana@example.com: two-step sign-in on, 10 unused recovery codes');
    const reset = await kh(cmd`user reset-mfa dana@example.com`);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout.trim()).toBe('Two-step sign-in of dana@example.com reset');
    const again = await kh(cmd`user reset-mfa dana@example.com --json`);
    expect(JSON.parse(again.stdout)).toMatchObject({ removed: false });
    const unknown = await kh(cmd`user reset-mfa nobody@example.com`);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("no user named or with id 'nobody@example.com'");
  });

  it('shows and sets the account policy, and refuses a value that is not on or off', async () => {
    expect((await kh(cmd`account policy`)).stdout.trim()).toBe('require MFA: off\nrequire PAR: off');
    expect((await kh(cmd`account policy --require-mfa on`)).stdout.trim()).toBe(
      'require MFA: on\nrequire PAR: off',
    );
    expect(JSON.parse((await kh(cmd`account policy --json`)).stdout)).toEqual({
      requireMfa: true,
      requirePushedAuthorizationRequests: false,
    });
    expect((await kh(cmd`account policy --require-par on`)).stdout.trim()).toBe(
      'require MFA: on\nrequire PAR: on',
    );
    expect((await kh(cmd`account policy --require-par off`)).stdout.trim()).toBe(
      'require MFA: on\nrequire PAR: off',
    );
    const bad = await kh(cmd`account policy --require-mfa yes`);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toMatch(/--require-mfa must be on or off, got "yes"/);
    expect((await kh(cmd`account policy --require-mfa off`)).stdout.trim()).toBe(
      'require MFA: off\nrequire PAR: off',
    );
  });
});
