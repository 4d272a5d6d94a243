import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runCli, type Server, startServer, tempDataDir } from '../helpers/processes.js';

/** `keyhold item history --diff`, `item restore`, `item delete`, `item trash`, `item undelete`, over real processes. */
let central: Server;
let token: string;
let vault: string;

const cli = async (...args: string[]) => {
  const res = await runCli([...args, '--addr', central.url], { env: { KEYHOLD_TOKEN: token } });
  return res;
};
const ok = async (...args: string[]) => {
  const res = await cli(...args);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
};
const json = async <T>(...args: string[]) => JSON.parse(await ok(...args, '--json')) as T;

beforeAll(async () => {
  central = await startServer(join(tempDataDir(), 'data'));
  token = /admin token:\s+(\S+)/.exec(central.lines.join('\n'))?.[1] as string;
  vault = (await json<{ id: string }>('vault', 'create', 'history')).id;
}, 60_000);
afterAll(cleanup);

type Item = { id: string; version: number; title: string; fields: { id: string; value: string }[] };

describe('history, restore and the trash', () => {
  it('shows the history with a diff that hides secrets, restores version 1, and goes through the trash', async () => {
    const created = await json<Item>(
      'item',
      'create',
      '--vault',
      vault,
      '--title',
      'Database',
      '--username',
      'app',
      '--password',
      'first-secret',
    );
    const id = created.id;
    const put = async (title: string, password: string, version: number) => {
      const res = await fetch(`${central.url}/api/admin/vaults/${vault}/items/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          title,
          category: 'LOGIN',
          version,
          fields: [
            { id: 'username', purpose: 'USERNAME', label: 'username', value: 'app' },
            { id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', label: 'password', value: password },
          ],
        }),
      });
      expect(res.status).toBe(200);
    };
    await put('Database v2', 'second-secret', 1);
    await put('Database v3', 'second-secret', 2);

    const history = await ok('item', 'history', vault, id);
    expect(history).toMatch(/VERSION\s+TITLE\s+CREATED\s+EDITED BY/);
    expect(history).toMatch(/3\s+Database v3/);

    const diff = await ok('item', 'history', vault, id, '--diff');
    expect(diff).toContain('version 2');
    expect(diff).toContain('~ title: Database -> Database v2');
    expect(diff).toContain('~ field password changed (concealed)');
    expect(diff).toContain('~ title: Database v2 -> Database v3');
    expect(diff).not.toContain('second-secret');
    expect(diff).not.toContain('first-secret');
    const revealed = await ok('item', 'history', vault, id, '--diff', '--reveal');
    expect(revealed).toContain('~ field password: first-secret -> second-secret');

    // A restore based on a stale version is refused and stores nothing.
    const stale = await cli('item', 'restore', vault, id, '--version', '1', '--if-version', '2');
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain('fetch it again and retry');
    const restored = await ok('item', 'restore', vault, id, '--version', '1', '--if-version', '3');
    expect(restored).toContain(`Item ${id} restored from version 1: now at version 4`);
    const now = await json<Item>('item', 'get', vault, id);
    expect(now.version).toBe(4);
    expect(now.title).toBe('Database');
    expect(now.fields.find((f) => f.id === 'password')?.value).toBe('first-secret');

    expect(await ok('item', 'delete', vault, id)).toContain('moved to the trash');
    expect((await cli('item', 'get', vault, id)).code).not.toBe(0);
    expect(await ok('item', 'trash', vault)).toMatch(new RegExp(`${id}\\s+Database\\s+LOGIN\\s+4`));
    expect(await ok('item', 'undelete', vault, id)).toContain(`Item ${id} undeleted (version 4)`);
    expect((await json<Item>('item', 'get', vault, id)).version).toBe(4);
    expect(await ok('item', 'trash', vault)).toContain('(none)');

    // Permanently: from the trash, and straight from the vault.
    await ok('item', 'delete', vault, id);
    expect(await ok('item', 'delete', vault, id, '--permanent')).toContain('deleted permanently');
    expect(await ok('item', 'trash', vault)).toContain('(none)');
    const other = await json<Item>('item', 'create', '--vault', vault, '--title', 'Other');
    await ok('item', 'delete', vault, other.id, '--permanent');
    expect(await ok('item', 'trash', vault)).toContain('(none)');
    expect(await json<unknown[]>('item', 'list', vault)).toEqual([]);
  }, 180_000);

  it('explains its flags in --help', async () => {
    expect(await ok('item', 'restore', '--help')).toContain('--if-version');
    expect(await ok('item', 'history', '--help')).toContain('--diff');
    expect(await ok('item', 'delete', '--help')).toContain('--permanent');
    const bad = await cli('item', 'restore', vault, 'x'.repeat(26), '--version', 'one');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--version must be a whole number');
  }, 60_000);
});
