import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, cmd, runCli, type Server } from '../helpers/processes.js';
import {
  failure,
  type Initialized,
  type ServedKeyhold,
  serveInitialized,
} from '../helpers/served-keyhold.js';

/**
 * `keyhold audit list` end to end: a real `init` and `serve`, a person signing in through the
 * login page over a socket, and the CLI as its own process naming that person in the trail and
 * narrowing the trail by them, by resource type and by time.
 */

interface AuditEvent {
  seq: number;
  occurredAt: string;
  actorType: string;
  actorId: string;
  actorLabel: string;
  actorKnown: boolean;
  action: string;
  resourceType: string;
  result: string;
}

let server: Server;
let init: Initialized;
let kh: ServedKeyhold['kh'];
let json: ServedKeyhold['json'];
/** Signs in on the login page as a browser would (CSRF cookie and field); answers the status. */
async function signIn(email: string, password: string): Promise<number> {
  const base = `${server.url}/oauth/${init.accountId}`;
  const page = await fetch(`${base}/login`);
  const cookie = (page.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
  const csrf = /name="csrf" value="([^"]*)"/.exec(await page.text())?.[1] ?? '';
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ csrf, email, password }).toString(),
  });
  return res.status;
}

beforeAll(async () => {
  ({ init, server, kh, json } = await serveInitialized());
  expect(await signIn(init.ownerEmail, 'not the password')).toBe(401);
  expect(await signIn(init.ownerEmail, init.ownerPassword)).toBe(303);
});
afterAll(async () => {
  await server?.stop();
  await cleanup();
});

describe('keyhold audit list', () => {
  it('shows who acted by email or name in the ACTOR column', async () => {
    const listing = await kh(cmd`audit list --limit 20`);
    expect(listing.code, listing.stderr).toBe(0);
    const rows = listing.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^SEQ\s+TIME\s+ACTION\s+RESOURCE\s+ID\s+RESULT\s+ACTOR$/);
    // Newest first: the sign-in, then the refused attempt, both by the owner, named by email.
    expect(rows[1]).toMatch(
      /\sCREATE\s+LOGIN_SESSION\s+[a-z0-9]+\s+SUCCESS\s+owner@keyhold\.local \(user\)$/,
    );
    expect(rows[2]).toMatch(/\sCREATE\s+LOGIN_SESSION\s+\S*\s*DENY\s+owner@keyhold\.local \(user\)$/);
    expect(rows.some((r) => / system$/.test(r))).toBe(true);
    expect(listing.stdout).not.toMatch(/user:[a-z0-9]{26}/);
  });

  it('narrows by actor (an email, resolved to the user), resource type, result and relative time', async () => {
    const mine = await json<AuditEvent[]>(cmd`audit list --actor ${init.ownerEmail} --limit 1000`);
    expect(mine.map((e) => [e.action, e.resourceType, e.result])).toEqual([
      ['CREATE', 'LOGIN_SESSION', 'SUCCESS'],
      ['CREATE', 'LOGIN_SESSION', 'DENY'],
    ]);
    expect(new Set(mine.map((e) => e.actorLabel))).toEqual(new Set([init.ownerEmail]));

    const refused = await json<AuditEvent[]>(
      cmd`audit list --resource-type login_session --result deny --since 1h --until ${new Date(Date.now() + 60_000).toISOString()}`,
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ result: 'DENY', actorLabel: init.ownerEmail });
    expect(await json<AuditEvent[]>(cmd`audit list --until 7d`)).toEqual([]);
    const system = await json<AuditEvent[]>(cmd`audit list --actor system --action create`);
    expect(system.length).toBeGreaterThan(0);
    expect(system.every((e) => e.actorType === 'system' && e.action === 'CREATE')).toBe(true);
  });

  it('reports a bad filter in one line, from the CLI or the server', async () => {
    expect(failure(await kh(cmd`audit list --since 5`))).toBe(
      'keyhold: --since needs a unit (s, m, h, d or w, like 24h) or an RFC 3339 time, got "5"',
    );
    expect(failure(await kh(cmd`audit list --since 2026-02-30T00:00:00Z`))).toBe(
      'keyhold: --since: must be an RFC 3339 date-time with a time zone, like 2026-01-02T15:04:05Z or 2026-01-02T16:04:05+01:00',
    );
    expect(failure(await kh(cmd`audit list --since 1h --until 2h`))).toMatch(
      /^keyhold: --since \(.*\) must be earlier than until \(.*\)/,
    );
    expect(failure(await kh(cmd`audit list --action peek`))).toBe(
      'keyhold: --action: must be one of READ, CREATE, UPDATE, DELETE',
    );
    expect(failure(await kh(cmd`audit list --actor nobody@example.com`))).toMatch(/^keyhold: no user /);
  });

  it('documents every filter in --help', async () => {
    const help = await runCli(cmd`audit list --help`);
    expect(help.code).toBe(0);
    for (const flag of [
      '--actor',
      '--action',
      '--result',
      '--resource-type',
      '--resource',
      '--since',
      '--until',
    ])
      expect(help.stdout).toContain(flag);
    expect(help.stdout).toContain('24h');
  });
});
