import { expect } from 'vitest';
import { client, type TestApp } from './app.js';
import { PageBrowser } from './page-browser.js';
import { secretFromEnrolmentPage, totpCode } from './totp.js';

export const MEMBER_PASSWORD = 'a long enough password';

export interface Member {
  id: string;
  email: string;
  /** A browser of the member's own: its own cookies, its own address. */
  browser: PageBrowser;
}

/**
 * Members of a test app's account, each with a browser of their own, and the sign-in steps the
 * page tests take with them: created through the admin API, signed in and enrolled in TOTP
 * through the real pages.
 */
export class Members {
  readonly base: string;
  #count = 0;

  constructor(
    readonly t: TestApp,
    /** Emails are `<prefix><n>@example.com`; browsers come from 192.0.2.<n>. */
    readonly prefix: string,
  ) {
    this.base = `/oauth/${t.accountId}`;
  }

  async create(): Promise<Member> {
    const n = ++this.#count;
    const email = `${this.prefix}${n}@example.com`;
    const res = await client(this.t.app, this.t.token).post('/users', {
      email,
      password: MEMBER_PASSWORD,
      role: 'member',
    });
    expect(res.statusCode).toBe(201);
    return { id: res.json().id, email, browser: new PageBrowser(this.t.app, `192.0.2.${n}`) };
  }

  /** Posts the login form (the member's password unless `fields` gives another); a 303 to the grants or to the second step. */
  signIn(browser: PageBrowser, email: string, fields: Record<string, string> = {}) {
    return browser.submit(`${this.base}/login`, { email, password: MEMBER_PASSWORD, ...fields });
  }

  /** A new member with TOTP on (enrolled on the settings page), signed out again. */
  async enrolled(): Promise<Member & { secret: string; codes: string[] }> {
    const u = await this.create();
    expect((await this.signIn(u.browser, u.email)).statusCode).toBe(303);
    const secret = secretFromEnrolmentPage((await u.browser.get(`${this.base}/mfa`)).body);
    const done = await u.browser.submit(`${this.base}/mfa`, { code: totpCode(secret) });
    expect(done.statusCode).toBe(200);
    const codes = [...done.body.matchAll(/<li><code>([A-Z2-7-]+)<\/code><\/li>/g)].map((m) => m[1] as string);
    expect(codes).toHaveLength(10);
    await u.browser.submit(`${this.base}/grants`, {}, `${this.base}/logout`);
    expect(u.browser.cookies.has('keyhold_session')).toBe(false);
    return { ...u, secret, codes };
  }
}
