import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  FieldPurpose,
  ItemBuilder,
  ItemCategory,
  OnePasswordConnect,
  type OPConnect,
} from '@1password/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminClient, adminClient, type IssuedToken } from '../helpers/connect.js';
import { cleanup, runCli, type Server, startKeyhold, tempDataDir } from '../helpers/processes.js';

/**
 * A standalone Connect node (`keyhold connect`) over real processes: it serves from its own
 * encrypted replica, keeps serving reads while the central service is down (writes answer 503),
 * catches up within a second once it is back, hears of a revocation within a second, starts
 * with the central service down, refuses once the staleness bound has passed, keeps no
 * plaintext on disk, and wipes itself when its server is deleted. Tests build on each other.
 */

const SECRET = `pw-${'n0de'.repeat(6)}`;
const TITLE = 'Edge database';
const VAULT_NAME = 'edge vault';
const FILE_TEXT = 'file body that must stay sealed on the node';

let home: string;
let port: number;
let central: Server | undefined;
let node: Server | undefined;
let admin: AdminClient;
let adminToken: string;
let vaultId: string;
let itemId: string;
let serverId: string;
let credentialsFile: string;
let nodeDir: string;
let full: IssuedToken;
let revocable: IssuedToken;
/** When the first outage began and ended. */
const outage = { from: '', to: '' };

const centralUrl = () => `http://127.0.0.1:${port}`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(p));
    });
  });
}

async function startCentral(): Promise<void> {
  central = await startKeyhold(
    ['serve', '--data-dir', path.join(home, 'central'), '--port', String(port)],
    'keyhold listening',
  );
}

async function startNode(extra: string[] = []): Promise<Server> {
  node = await startKeyhold(
    [
      'connect',
      '--credentials',
      credentialsFile,
      '--central',
      centralUrl(),
      '--port',
      '0',
      '--data-dir',
      nodeDir,
      ...extra,
    ],
    'connect server listening',
  );
  return node;
}

const sdk = (token: string): OPConnect =>
  OnePasswordConnect({ serverURL: (node as Server).url, token, keepAlive: false });

const nodeGet = (route: string, token: string) =>
  fetch(`${(node as Server).url}${route}`, { headers: { authorization: `Bearer ${token}` } });

interface Health {
  dependencies: { service: string; status: string }[];
}

async function health(): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${(node as Server).url}/health`);
  return { status: res.status, body: (await res.json()) as Health };
}

const syncStatus = async () =>
  (await health()).body.dependencies.find((d) => d.service === 'sync')?.status ?? 'missing';

/** Polls `check` every 20 ms until it is true; resolves to the milliseconds it took. */
async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every file under `dir`, recursively (the replica, its WAL and shm, the outbox). */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

/** The SDK's read steps an application depends on. */
async function sdkReads(op: OPConnect): Promise<void> {
  const vaults = await op.listVaults();
  expect(vaults.map((v) => v.name)).toEqual([VAULT_NAME]);
  const byId = await op.getItem(vaultId, itemId);
  expect(byId.fields?.find((f) => String(f.purpose) === 'PASSWORD')?.value).toBe(SECRET);
  const byTitle = await op.getItemByTitle(vaultId, TITLE);
  expect(byTitle.id).toBe(itemId);
  const items = await op.listItems(vaultId);
  expect(items.map((i) => i.title)).toContain(TITLE);
  const [file] = await op.listFiles(vaultId, itemId);
  expect(file?.name).toBe('notes.txt');
  expect(await op.getFileContent(vaultId, itemId, file?.id as string)).toBe(FILE_TEXT);
}

beforeAll(async () => {
  home = tempDataDir();
  nodeDir = path.join(home, 'node');
  port = await freePort();
  const init = await runCli(['init', '--data-dir', path.join(home, 'central'), '--json']);
  expect(init.code).toBe(0);
  adminToken = (JSON.parse(init.stdout) as { adminToken: string }).adminToken;
  await startCentral();
  admin = adminClient(centralUrl(), adminToken);
  vaultId = (await admin.call<{ id: string }>('POST', '/vaults', { name: VAULT_NAME })).id;
  itemId = (
    await admin.call<{ id: string }>('POST', `/vaults/${vaultId}/items`, {
      title: TITLE,
      category: 'LOGIN',
      fields: [
        { purpose: 'USERNAME', value: 'edge' },
        { purpose: 'PASSWORD', value: SECRET },
      ],
    })
  ).id;
  await admin.upload(vaultId, itemId, 'notes.txt', Buffer.from(FILE_TEXT));
  const server = await admin.call<{ id: string; credentials: unknown }>('POST', '/servers', {
    name: 'edge',
    vaults: [vaultId],
  });
  serverId = server.id;
  credentialsFile = path.join(home, 'credentials.json');
  fs.writeFileSync(credentialsFile, JSON.stringify(server.credentials), { mode: 0o600 });
  const grant = [{ vaultId, permissions: ['read', 'write'] }];
  full = await admin.call<IssuedToken>('POST', `/servers/${serverId}/tokens`, { name: 'app', vaults: grant });
  revocable = await admin.call<IssuedToken>('POST', `/servers/${serverId}/tokens`, {
    name: 'leaving',
    vaults: grant,
  });
  await startNode();
  await within(10_000, async () => (await syncStatus()) === 'SYNCED', 'the node syncs');
}, 60_000);

afterAll(async () => {
  await node?.kill();
  await central?.kill();
  await cleanup();
});

describe('a standalone Connect node', () => {
  it('serves the SDK from its replica, and a client reads its own writes at once', async () => {
    const op = sdk(full.token);
    await sdkReads(op);
    const created = await op.createItem(
      vaultId,
      new ItemBuilder()
        .setTitle('written through the node')
        .setCategory(ItemCategory.Password)
        .addField({ purpose: FieldPurpose.Password, value: 'own write' })
        .build(),
    );
    const again = await op.getItem(vaultId, created.id as string);
    expect(again.title).toBe('written through the node');
  });

  it('hears of a token revoked centrally within a second', async () => {
    expect((await nodeGet(`/v1/vaults/${vaultId}/items/${itemId}`, revocable.token)).status).toBe(200);
    await admin.call('DELETE', `/tokens/${revocable.id}`);
    const ms = await within(
      1_000,
      async () => (await nodeGet(`/v1/vaults/${vaultId}/items/${itemId}`, revocable.token)).status === 401,
      'the revocation reaches the node',
    );
    expect(ms).toBeLessThan(1_000);
  });

  it('keeps serving reads with the central service killed; writes answer 503', async () => {
    await central?.kill();
    outage.from = new Date().toISOString();
    await sdkReads(sdk(full.token));
    const write = await fetch(`${(node as Server).url}/v1/vaults/${vaultId}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${full.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'during the outage', category: 'PASSWORD', vault: { id: vaultId } }),
    });
    expect(write.status).toBe(503);
    const body = (await write.json()) as { status: number; message: string };
    expect(body.status).toBe(503);
    expect(body.message).toMatch(/central service/i);
    await within(20_000, async () => (await syncStatus()) === 'STALE', 'health reports STALE');
    expect((await health()).status).toBe(200);
  });

  it('catches up once the central service is back: a write made centrally reaches it within a second', async () => {
    outage.to = new Date().toISOString();
    await startCentral();
    await within(20_000, async () => (await syncStatus()) === 'SYNCED', 'the node syncs again');
    const made = await admin.call<{ id: string }>('POST', `/vaults/${vaultId}/items`, {
      title: 'made after the outage',
      category: 'PASSWORD',
      fields: [{ purpose: 'PASSWORD', value: 'later' }],
    });
    const ms = await within(
      1_000,
      async () => (await nodeGet(`/v1/vaults/${vaultId}/items/${made.id}`, full.token)).status === 200,
      'the write reaches the node',
    );
    expect(ms).toBeLessThan(1_000);
  });

  it('ships the reads it served, outage included, to the central audit trail', async () => {
    const events = () =>
      admin.call<{ action: string; itemId: string | null; result: string; occurredAt: string }[]>(
        'GET',
        `/audit?actor=${full.id}&limit=1000`,
      );
    await within(
      5_000,
      async () =>
        (await events()).filter(
          (e) =>
            e.action === 'READ' &&
            e.itemId === itemId &&
            e.result === 'SUCCESS' &&
            e.occurredAt > outage.from &&
            e.occurredAt < outage.to,
        ).length >= 2,
      'the node’s read events reach the central trail',
    );
    // The same events, as the Connect API's activity (from the node) and the CLI show them.
    const duringOutage = (action: string, item: string | undefined, at: string) =>
      action === 'READ' && item === itemId && at > outage.from && at < outage.to;
    const activity = await nodeGet('/v1/activity?limit=100', full.token);
    expect(activity.status).toBe(200);
    const requests = (await activity.json()) as {
      action: string;
      timestamp: string;
      resource: { item?: { id: string } };
    }[];
    expect(
      requests.filter((r) => duringOutage(r.action, r.resource.item?.id, r.timestamp)).length,
    ).toBeGreaterThanOrEqual(2);
    const cli = await runCli([
      'audit',
      'list',
      '--actor',
      full.id,
      '--limit',
      '1000',
      '--json',
      '--addr',
      centralUrl(),
      '--token',
      adminToken,
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const listed = JSON.parse(cli.stdout) as { action: string; itemId: string; occurredAt: string }[];
    expect(
      listed.filter((e) => duringOutage(e.action, e.itemId, e.occurredAt)).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('starts with the central service down and serves from its replica, until the staleness bound passes', async () => {
    await node?.stop();
    await central?.kill();
    // The bound counts from the node's last word from the central service, before the stop and
    // the kill: 15 s leaves room for both and the restart on a loaded machine (6 s did not).
    await startNode(['--max-staleness', '15s']);
    await sdkReads(sdk(full.token));
    await within(30_000, async () => (await syncStatus()) === 'NOT_SYNCED', 'the bound passes');
    const refused = await nodeGet(`/v1/vaults/${vaultId}/items/${itemId}`, full.token);
    expect(refused.status).toBe(503);
    const text = await refused.text();
    expect(text).not.toContain(SECRET);
    expect((await health()).status).toBe(503);
  }, 60_000);

  it('keeps no plaintext secret, title, vault name, file body or token on disk', () => {
    const needles = [SECRET, TITLE, VAULT_NAME, FILE_TEXT, full.token, 'written through the node'];
    for (const file of filesUnder(nodeDir)) {
      const bytes = fs.readFileSync(file);
      for (const needle of needles) {
        expect(bytes.includes(Buffer.from(needle)), `${needle} in ${file}`).toBe(false);
        expect(bytes.includes(Buffer.from(needle, 'utf16le')), `${needle} (UTF-16) in ${file}`).toBe(false);
      }
    }
  });

  it('wipes its replica and exits when its server is deleted', async () => {
    await startCentral();
    await node?.stop();
    const running = await startNode();
    await within(20_000, async () => (await syncStatus()) === 'SYNCED', 'the node syncs');
    const exited = new Promise<number | null>((resolve) => running.child.once('exit', resolve));
    await admin.call('DELETE', `/servers/${serverId}`);
    expect(await exited).toBe(1);
    expect(running.lines.join('\n')).toMatch(/deleted/);
    for (const file of filesUnder(nodeDir)) {
      const bytes = fs.readFileSync(file);
      expect(bytes.includes(Buffer.from(itemId)), `${itemId} in ${file}`).toBe(false);
    }
  });
});
