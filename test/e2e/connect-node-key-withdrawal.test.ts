import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminClient, adminClient, type IssuedToken } from '../helpers/connect.js';
import { cleanup, runCli, type Server, startKeyhold, tempDataDir } from '../helpers/processes.js';

/**
 * A signing key withdrawn centrally, over real processes: a standalone Connect node that is
 * connected refuses the tokens the key signed within a second (tokens it had verified and cached
 * included), goes on refusing them after a restart with the central service down (the key's state
 * is in its replica), and a node that was offline when it happened refuses them once it is back
 * (here through a reset: its server's vault set changed meanwhile). Tokens of the new key keep
 * working everywhere. Tests build on each other.
 */

let home: string;
let port: number;
let central: Server | undefined;
const nodes: Record<'online' | 'offline', Server | undefined> = { online: undefined, offline: undefined };
let admin: AdminClient;
let vaultId: string;
let itemId: string;
let secondVaultId: string;
const servers = {} as Record<'online' | 'offline', { id: string; credentials: string; dir: string }>;
/** Tokens signed by the key that is withdrawn, and by the key after it, for each server. */
const oldTokens = {} as Record<'online' | 'offline', IssuedToken>;
const newTokens = {} as Record<'online' | 'offline', IssuedToken>;
let withdrawnKid: string;

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

async function startNode(which: 'online' | 'offline'): Promise<Server> {
  const node = await startKeyhold(
    [
      'connect',
      '--credentials',
      servers[which].credentials,
      '--central',
      centralUrl(),
      '--port',
      '0',
      '--data-dir',
      servers[which].dir,
    ],
    'connect server listening',
  );
  nodes[which] = node;
  return node;
}

const itemStatus = async (which: 'online' | 'offline', token: IssuedToken) =>
  (
    await fetch(`${(nodes[which] as Server).url}/v1/vaults/${vaultId}/items/${itemId}`, {
      headers: { authorization: `Bearer ${token.token}` },
    })
  ).status;

const syncStatus = async (which: 'online' | 'offline') => {
  const res = await fetch(`${(nodes[which] as Server).url}/health`);
  const body = (await res.json()) as { dependencies: { service: string; status: string }[] };
  return body.dependencies.find((d) => d.service === 'sync')?.status ?? 'missing';
};

/** Polls `check` every 20 ms until it is true; resolves to the milliseconds it took. */
async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const issue = (serverId: string, name: string) =>
  admin.call<IssuedToken>('POST', `/servers/${serverId}/tokens`, {
    name,
    vaults: [{ vaultId, permissions: ['read'] }],
  });

beforeAll(async () => {
  home = tempDataDir();
  port = await freePort();
  const init = await runCli(['init', '--data-dir', path.join(home, 'central'), '--json']);
  expect(init.code).toBe(0);
  const adminToken = (JSON.parse(init.stdout) as { adminToken: string }).adminToken;
  await startCentral();
  admin = adminClient(centralUrl(), adminToken);
  vaultId = (await admin.call<{ id: string }>('POST', '/vaults', { name: 'edge vault' })).id;
  secondVaultId = (await admin.call<{ id: string }>('POST', '/vaults', { name: 'later vault' })).id;
  itemId = (
    await admin.call<{ id: string }>('POST', `/vaults/${vaultId}/items`, {
      title: 'Edge database',
      category: 'PASSWORD',
      fields: [{ purpose: 'PASSWORD', value: 'withdrawal-test-secret' }],
    })
  ).id;
  for (const which of ['online', 'offline'] as const) {
    const server = await admin.call<{ id: string; credentials: unknown }>('POST', '/servers', {
      name: which,
      vaults: [vaultId],
    });
    const credentials = path.join(home, `${which}-credentials.json`);
    fs.writeFileSync(credentials, JSON.stringify(server.credentials), { mode: 0o600 });
    servers[which] = { id: server.id, credentials, dir: path.join(home, `${which}-node`) };
    oldTokens[which] = await issue(server.id, `${which} app, old key`);
  }
  withdrawnKid = (
    await admin.call<{ keys: { kid: string; kind: string; state: string }[] }>('GET', '/keys')
  ).keys.find((k) => k.kind === 'connect' && k.state === 'current')?.kid as string;
  await admin.call('POST', '/keys/rotate', { kind: 'connect' });
  for (const which of ['online', 'offline'] as const) {
    newTokens[which] = await issue(servers[which].id, `${which} app, new key`);
    await startNode(which);
    await within(10_000, async () => (await syncStatus(which)) === 'SYNCED', `the ${which} node syncs`);
    // Both tokens verify on the node (and are now in its verifier's cache).
    expect(await itemStatus(which, oldTokens[which])).toBe(200);
    expect(await itemStatus(which, newTokens[which])).toBe(200);
  }
}, 90_000);

afterAll(async () => {
  await nodes.online?.kill();
  await nodes.offline?.kill();
  await central?.kill();
  await cleanup();
});

describe('a signing key withdrawn centrally', () => {
  it('is refused by a connected node within a second; the new key’s tokens are untouched', async () => {
    // The second node is offline when it happens.
    await nodes.offline?.stop();
    await admin.call('POST', `/keys/${withdrawnKid}/withdraw`, undefined, 200);
    const ms = await within(
      1_000,
      async () => (await itemStatus('online', oldTokens.online)) === 401,
      'the withdrawal reaches the node',
    );
    expect(ms).toBeLessThan(1_000);
    console.log(`withdrawal refused on the node ${ms.toFixed(0)} ms after the central answer`);
    expect(await itemStatus('online', newTokens.online)).toBe(200);
  });

  it('stays refused on that node after a restart with the central service down', async () => {
    await nodes.online?.stop();
    await central?.kill();
    await startNode('online');
    expect(await itemStatus('online', oldTokens.online)).toBe(401);
    expect(await itemStatus('online', newTokens.online)).toBe(200);
    await startCentral();
    await within(20_000, async () => (await syncStatus('online')) === 'SYNCED', 'the node syncs again');
    expect(await itemStatus('online', oldTokens.online)).toBe(401);
  });

  it('reaches a node that was offline when it happened, through the reset it gets on its return', async () => {
    // Its server's vault set changes while it is away: the node is sent its whole state again.
    await admin.call('PATCH', `/servers/${servers.offline.id}`, { addVaults: [secondVaultId] });
    const node = await startNode('offline');
    await within(20_000, async () => (await syncStatus('offline')) === 'SYNCED', 'the node syncs');
    expect(await itemStatus('offline', oldTokens.offline)).toBe(401);
    expect(await itemStatus('offline', newTokens.offline)).toBe(200);
    // It holds the server's new vault set, which only a reset brings (replica-stream.ts).
    const later = await admin.call<IssuedToken>('POST', `/servers/${servers.offline.id}/tokens`, {
      name: 'later vault reader',
      vaults: [{ vaultId: secondVaultId, permissions: ['read'] }],
    });
    await within(
      5_000,
      async () =>
        (
          await fetch(`${node.url}/v1/vaults/${secondVaultId}`, {
            headers: { authorization: `Bearer ${later.token}` },
          })
        ).status === 200,
      'the node serves the vault its server gained while it was away',
    );
  });
});
