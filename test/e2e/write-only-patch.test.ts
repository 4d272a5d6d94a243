import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { ConnectFixture, stopConnectServices } from '../helpers/connect.js';
import { userTokens } from '../helpers/oauth.js';
import { cleanup, type Server, startKeyhold } from '../helpers/processes.js';
import {
  BATTERY,
  type BatteryCase,
  LARGE_ITEM,
  leaked,
  RECEIPT_KEYS,
  STORED_ITEM,
} from '../helpers/write-only-battery.js';

/**
 * Issue 15, point 1, black-box: a caller with WRITE but not READ sends the battery of PATCH,
 * PUT and DELETE requests an attacker would, over real HTTP, to the three places that serve the
 * Connect-shaped item API: a Connect server hosted by `keyhold serve --connect`, a remote
 * `keyhold connect`, and the user vault API `/api/v1` with an OAuth token scoped to write only.
 * Each answer must hold nothing of the stored item, and each attempt must leave an audit event
 * against the item with the action attempted; with the audit trail unwritable, each answers 503.
 */
const fixture = new ConnectFixture();
let vault: string;
let remote: Server;
const REDIRECT = 'http://127.0.0.1:7777/callback';
const MEMBER = { email: 'writer@example.com', password: 'writer password of some length' };

interface Target {
  name: string;
  /** The URL the Connect-shaped routes hang below (`…/v1/vaults/…`). */
  base: () => string;
  token: () => string;
}
let connectToken: string;
let oauthToken: string;
const targets: Target[] = [
  {
    name: 'keyhold serve --connect',
    base: () => fixture.service?.connectUrls[0] ?? '',
    token: () => connectToken,
  },
  { name: 'keyhold connect (remote)', base: () => remote.url, token: () => connectToken },
  { name: '/api/v1 (OAuth, write scope)', base: () => `${fixture.centralUrl}/api`, token: () => oauthToken },
];

async function writeOnlyOAuthToken(): Promise<string> {
  const client = await fixture.admin.call<{ clientId: string; clientSecret: string }>('POST', '/clients', {
    name: 'Blind writer',
    redirectUris: [REDIRECT],
    scopes: ['vault:write'],
  });
  const issuer = `${fixture.centralUrl}/oauth/${fixture.init.accountId}`;
  const tokens = await userTokens(issuer, client, MEMBER, { scope: 'vault:write', redirectUri: REDIRECT });
  // The member may read and write the vault; this token may only write it.
  expect(tokens.scope).toBe(`vault:${vault}:write`);
  return tokens.access_token;
}

beforeAll(async () => {
  await fixture.start();
  vault = (await fixture.admin.call<{ id: string }>('POST', '/vaults', { name: 'Blind' })).id;
  const server = await fixture.createServer('edge', [vault]);
  connectToken = (await fixture.issueToken(server.id, 'blind', [{ vaultId: vault, permissions: ['write'] }]))
    .token;
  const member = await fixture.admin.call<{ id: string }>('POST', '/users', { ...MEMBER, role: 'member' });
  await fixture.admin.call(
    'PUT',
    `/users/${member.id}/vaults/${vault}`,
    { permissions: ['read', 'write'] },
    200,
  );
  await fixture.hostConnect();
  remote = await startKeyhold(
    ['connect', '--credentials', server.credentialsFile, '--central', fixture.centralUrl, '--port', '0'],
    'connect server listening',
  );
  oauthToken = await writeOnlyOAuthToken();
}, 90_000);
afterAll(async () => {
  await cleanup();
  await stopConnectServices();
});

const createItem = async (body: unknown) =>
  (await fixture.admin.call<{ id: string }>('POST', `/vaults/${vault}/items`, body)).id;

async function send(target: Target, method: string, itemId: string, body?: unknown) {
  const response = await fetch(`${target.base()}/v1/vaults/${vault}/items/${itemId}`, {
    method,
    headers: {
      authorization: `Bearer ${target.token()}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

interface Event {
  action: string;
  resourceType: string;
  itemId: string | null;
  vaultId: string | null;
  result: string;
  tokenId: string | null;
}
const auditOf = async (itemId: string) =>
  (await fixture.admin.call<Event[]>('GET', '/audit?limit=200')).filter((e) => e.itemId === itemId);

describe.each(targets)('$name', (target) => {
  it.each(BATTERY)('$name → $status, nothing revealed, audited against the item', async (c: BatteryCase) => {
    const id =
      c.item === 'stored'
        ? await createItem(STORED_ITEM)
        : c.item === 'large'
          ? await createItem(LARGE_ITEM)
          : newId();
    const res = await send(target, c.method, id, c.body);
    expect(res.status, res.text).toBe(c.status);
    expect(leaked(res.text, JSON.stringify(c.body ?? null))).toEqual([]);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(c.status === 200 ? RECEIPT_KEYS : ['message', 'status']);
    expect(await auditOf(id)).toContainEqual(
      expect.objectContaining({ resourceType: 'ITEM', action: c.action, vaultId: vault, result: c.result }),
    );
  });

  it('answers 503 with no detail when the audit trail cannot be written, whatever it would have said', async () => {
    const stored = await createItem(STORED_ITEM);
    const large = await createItem(LARGE_ITEM);
    const raw = new Database(join(fixture.dataDir, 'keyhold.db'));
    raw.exec(
      `create trigger audit_down before insert on audit_events begin select raise(abort, 'audit store down'); end`,
    );
    try {
      const cases: [string, unknown][] = [
        [stored, [{ op: 'replace', path: '/fields/password/type', value: 'DATE' }]], // 403
        [stored, [{ op: 'replace', path: '/category', value: 'CUSTOM' }]], // 400
        [large, BATTERY.find((c) => c.status === 409)?.body], // 409
        [stored, [{ op: 'replace', path: '/title', value: 'would succeed' }]], // 200
      ];
      for (const [id, ops] of cases) {
        const res = await send(target, 'PATCH', id, ops);
        expect(res.status, res.text).toBe(503);
        expect(JSON.parse(res.text)).toEqual({
          status: 503,
          message: 'The audit trail is unavailable; the request was not served',
        });
      }
    } finally {
      raw.exec('drop trigger audit_down');
      raw.close();
    }
    const item = await fixture.admin.call<{ title: string; version: number }>(
      'GET',
      `/vaults/${vault}/items/${stored}`,
    );
    expect([item.title, item.version]).toEqual([STORED_ITEM.title, 1]);
  });
});
