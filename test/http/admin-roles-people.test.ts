import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VaultPermission } from '../../src/domain/access/permissions.js';
import type { Principal } from '../../src/domain/access/principal.js';
import { userPrincipal } from '../../src/domain/access/principals.js';
import type { Role } from '../../src/domain/access/roles.js';
import { expectDecided, json, ROUTES, type RoutesScene, startRoutesScene } from '../helpers/admin-routes.js';
import { PageBrowser } from '../helpers/page-browser.js';

/**
 * Every admin API route, called by a person signed in with the CLI (`keyhold login`'s device
 * flow, run in-process: device authorization, the sign-in and user-code pages, the token
 * endpoint) for every user role: each answer must be what `decide` says for that person as a
 * `user` principal — their role and the vault permissions they hold — exactly as for admin
 * tokens (admin-roles.test.ts, same rows).
 *
 * The people, chosen so both ways a person reaches a vault are exercised on the fixture vault:
 * the owner `init` made and an admin (their role reaches every vault; no grants); an auditor
 * (role lists vaults only; no grant); a connect-manager holding `manage` on the fixture vault
 * (a grant beyond the role: read, write and manage there); a member holding `read` on it; and a
 * member with no grant at all (sees nothing). A vault the DELETE row makes is granted to nobody.
 */

interface Person {
  label: string;
  role: Role;
  grant: VaultPermission[] | null;
}
const PEOPLE: readonly Person[] = [
  { label: 'owner', role: 'owner', grant: null },
  { label: 'admin', role: 'admin', grant: null },
  { label: 'auditor', role: 'auditor', grant: null },
  { label: 'connect-manager (manage on the vault)', role: 'connect-manager', grant: ['manage'] },
  { label: 'member (read on the vault)', role: 'member', grant: ['read'] },
  { label: 'member (no vault)', role: 'member', grant: null },
];
const PASSWORD = 'a long enough password';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let s: RoutesScene;
/** Each person's user id and CLI access token, minted once (they live 15 minutes). */
const signedIn = new Map<Person, { userId: string; token: string }>();

const form = (url: string, fields: Record<string, string>) =>
  s.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });

/** `keyhold login` in-process: device authorization, approval on the pages, the token. */
async function cliSignIn(email: string, password: string, address: string): Promise<string> {
  const base = `/oauth/${s.accountId}`;
  const started = await form(`${base}/device_authorization`, { client_id: 'keyhold-cli' });
  expect(started.statusCode, started.body).toBe(200);
  const { device_code, user_code } = started.json() as { device_code: string; user_code: string };
  const browser = new PageBrowser(s.app, address);
  const login = await browser.submit(`${base}/login`, { email, password });
  expect(login.statusCode, login.body).toBe(303);
  const approved = await browser.submit(`${base}/device?user_code=${user_code}`, { decision: 'approve' });
  expect(approved.statusCode, approved.body).toBe(200);
  const token = await form(`${base}/token`, {
    grant_type: DEVICE_GRANT,
    device_code,
    client_id: 'keyhold-cli',
  });
  expect(token.statusCode, token.body).toBe(200);
  return (token.json() as { access_token: string }).access_token;
}

beforeAll(async () => {
  s = await startRoutesScene();
  let n = 0;
  for (const person of PEOPLE) {
    n++;
    let email = s.ownerEmail;
    let password = s.ownerPassword;
    let userId: string;
    if (person.role === 'owner') {
      const owner = (await s.storage.users.findByEmail(s.accountId, email)) as { id: string };
      userId = owner.id;
    } else {
      email = `person${n}@example.com`;
      password = PASSWORD;
      userId = (
        await s.created<{ id: string }>('POST', json('/users', { email, password, role: person.role }))
      ).id;
    }
    if (person.grant)
      await s.created(
        'PUT',
        json(`/users/${userId}/vaults/${s.fixture.vaultId}`, { permissions: person.grant }),
      );
    const token = await cliSignIn(email, password, `192.0.2.${n}`);
    // The token acts as this person, not as some admin credential.
    const whoami = await s.call(token, 'GET', json('/whoami'));
    expect(whoami.json(), whoami.body).toMatchObject({
      kind: 'user',
      role: person.role,
      user: { id: userId },
    });
    signedIn.set(person, { userId, token });
  }
});

afterAll(async () => {
  await s?.close();
});

/** The person as `decide` sees them now: their role and their vault permissions, read back. */
async function principalOf(userId: string): Promise<Principal> {
  const user = await s.storage.users.get(s.accountId, userId);
  const account = await s.storage.accounts.get(s.accountId);
  if (!user || !account) throw new Error(`user ${userId} or its account is gone`);
  return userPrincipal(user, await s.storage.vaultAccess.listForUser(userId), account.operator);
}

describe('every admin route answers each signed-in person as decide says', () => {
  it('calls the same rows as the admin-token test: one for every admin route', () => {
    expect([...new Set(s.routes)].sort()).toEqual(Object.keys(ROUTES).sort());
  });

  let n = 0;
  it.each(Object.entries(ROUTES))('%s', async (route, row) => {
    const [method = ''] = route.split(' ');
    for (const person of PEOPLE) {
      const { userId, token } = signedIn.get(person) as { userId: string; token: string };
      const c = await row.call(s.fixture, n++);
      const res = await s.call(token, method, c);
      expectDecided(res, `${route} [${person.label}]`, row, c, await principalOf(userId), s);
    }
  });
});
