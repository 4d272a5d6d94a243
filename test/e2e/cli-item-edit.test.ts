import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanup, runCli, type Server, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * `item edit`, `item get --field/--otp`, `vault rename`, `vault delete --force` and names in
 * place of ids, over real processes against one real service.
 */
let central: Server;
let token: string;
let dir: string;

const cli = (args: string[], options: Parameters<typeof runCli>[1] = {}, addr?: string) =>
  runCli([...args, '--addr', addr ?? central.url], { ...options, env: { KEYHOLD_TOKEN: token } });
const ok = async (...args: string[]) => {
  const res = await cli(args);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
};
const fail = async (...args: string[]) => {
  const res = await cli(args);
  expect(res.code, res.stdout).not.toBe(0);
  return res.stderr.trim();
};
const json = async <T>(...args: string[]) => JSON.parse(await ok(...args, '--json')) as T;

/** The admin API, straight (what a concurrent editor does). */
const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${central.url}/api/admin/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (res.status === 204 ? undefined : await res.json()) as T;
};

type Field = {
  id: string;
  type: string;
  label: string;
  value?: string;
  totp?: string;
  section?: { id: string };
};
type Item = {
  id: string;
  title: string;
  version: number;
  tags: string[];
  urls?: { href: string; primary?: boolean }[];
  sections?: { id: string; label?: string }[];
  fields: Field[];
};
const field = (item: Item, label: string) => item.fields.find((f) => f.label === label);

beforeAll(async () => {
  dir = tempDataDir();
  central = await startServer(join(dir, 'data'));
  token = /admin token:\s+(\S+)/.exec(central.lines.join('\n'))?.[1] as string;
}, 60_000);
afterAll(cleanup);
// Every command is a process of its own; on a busy machine each takes a second or more.
vi.setConfig({ testTimeout: 120_000 });

describe('item edit', () => {
  let vault: string;
  let item: Item;
  beforeAll(async () => {
    vault = (await json<{ id: string }>('vault', 'create', 'Edit Me')).id;
    item = await json<Item>(
      'item',
      'create',
      '--vault',
      'edit me', // a vault by name, ignoring case
      '--title',
      'Billing DB',
      '--username',
      'billing',
      '--password',
      'first-password',
      '--tag',
      'db',
      '--url',
      'https://db.example.com',
    );
  });

  it('takes a value from standard input: the command line holds only "@-", the output no secret', async () => {
    const secret = 'stdin-secret-Ω-1';
    let argv = '';
    const res = await cli(['item', 'edit', 'Edit Me', 'Billing DB', 'password=@-'], {
      input: `${secret}\n`,
      beforeInput: async (child) => {
        argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').join(' ');
      },
    });
    expect(res.code, res.stderr).toBe(0);
    expect(argv).toContain('password=@-');
    expect(argv).not.toContain(secret);
    expect(res.stdout).not.toContain(secret);
    expect(res.stdout).toMatch(/password\s+CONCEALED\s+\*{8}/);
    const stored = await api<Item>('GET', `vaults/${vault}/items/${item.id}`);
    expect(field(stored, 'password')?.value).toBe(secret);
    expect(stored.version).toBe(2);
    // --json hides concealed values too.
    const again = await cli(['item', 'edit', vault, item.id, 'password=@-', '--json'], { input: secret });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain(secret);
    expect((JSON.parse(again.stdout) as Item).version).toBe(3);
  });

  it('takes a value from a file, adds fields with types and sections, deletes one, and edits title, tags and URL', async () => {
    const file = join(dir, 'token.txt');
    writeFileSync(file, 'file-secret-2\n', { mode: 0o600 });
    const out = await ok(
      'item',
      'edit',
      'Edit Me',
      'billing db',
      `API.token=@${file}`,
      'port[text]=5432',
      'pin=1234',
      'username=-',
      '--title',
      'Billing Database',
      '--tag',
      'prod',
      '--remove-tag',
      'db',
      '--url',
      'https://billing.example.com',
    );
    expect(out).not.toContain('file-secret-2');
    expect(out).not.toContain('1234');
    const stored = await api<Item>('GET', `vaults/${vault}/items/${item.id}`);
    expect(stored.title).toBe('Billing Database');
    expect(stored.tags).toEqual(['prod']);
    expect(stored.urls?.[0]?.href).toBe('https://billing.example.com');
    expect(field(stored, 'username')).toBeUndefined();
    expect(field(stored, 'port')).toMatchObject({ type: 'STRING', value: '5432' });
    // A new field without a type is concealed, as in 1Password.
    expect(field(stored, 'pin')).toMatchObject({ type: 'CONCEALED', value: '1234' });
    const api_ = stored.sections?.find((s) => s.label === 'API');
    expect(api_).toBeDefined();
    expect(field(stored, 'token')).toMatchObject({ value: 'file-secret-2', section: { id: api_?.id } });
    // The type of an existing field changes with [TYPE]; its value with it.
    await ok('item', 'edit', 'Edit Me', 'Billing Database', 'port[password]=6543');
    const retyped = await api<Item>('GET', `vaults/${vault}/items/${item.id}`);
    expect(field(retyped, 'port')).toMatchObject({ type: 'CONCEALED', value: '6543' });
  });

  it('refuses bad assignments and unknown fields in words, writing nothing', async () => {
    const before = (await api<Item>('GET', `vaults/${vault}/items/${item.id}`)).version;
    expect(await fail('item', 'edit', vault, item.id, 'nope=-')).toBe(
      "keyhold: no field named or with id 'nope' in item Billing Database",
    );
    expect(await fail('item', 'edit', vault, item.id, 'pin')).toContain('no "=" found');
    expect(await fail('item', 'edit', vault, item.id, 'pin[phone]=1')).toContain(
      'unknown field type "phone"',
    );
    const twice = await cli(['item', 'edit', vault, item.id, 'a=@-', 'b=@-'], { input: 'x' });
    expect(twice.stderr).toContain('b -: standard input is already read for a');
    expect(await fail('item', 'edit', vault, item.id)).toContain('nothing to change');
    expect((await api<Item>('GET', `vaults/${vault}/items/${item.id}`)).version).toBe(before);
  });

  it('explains a 409: the item changed between the read and the write', async () => {
    // A proxy in front of the service: when the CLI's PUT arrives, someone else's edit goes in
    // first, so the CLI's write is based on the version it read, one behind.
    const current = await api<Item>('GET', `vaults/${vault}/items/${item.id}`);
    const proxy: HttpServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        if (req.method === 'PUT') {
          const now = await api<Item>('GET', `vaults/${vault}/items/${item.id}`);
          await api('PUT', `vaults/${vault}/items/${item.id}`, { ...now, title: 'Changed meanwhile' });
        }
        const answer = await fetch(`${central.url}${req.url}`, {
          method: req.method ?? 'GET',
          headers: Object.fromEntries(
            Object.entries(req.headers).filter(([k]) => ['authorization', 'content-type'].includes(k)),
          ) as Record<string, string>,
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const res = await cli(['item', 'edit', vault, item.id, '--title', 'Mine'], {}, via);
      expect(res.code).toBe(1);
      expect(res.stderr.trim()).toBe(
        `keyhold: the item changed since it was read (version ${current.version} → ${current.version + 1}); nothing was written: run the command again`,
      );
    } finally {
      proxy.close();
    }
    const stored = await api<Item>('GET', `vaults/${vault}/items/${item.id}`);
    expect(stored.title).toBe('Changed meanwhile');
    expect(stored.version).toBe(current.version + 1);
  });

  it('restores an older version by names, keeping the history', async () => {
    const out = await ok('item', 'restore', 'Edit Me', 'Changed meanwhile', '--version', '1');
    expect(out).toMatch(/restored from version 1: now at version \d+/);
    const stored = await api<Item>('GET', `vaults/${vault}/items/${item.id}`);
    expect(stored.title).toBe('Billing DB');
    expect(field(stored, 'password')?.value).toBe('first-password');
    expect(await ok('item', 'history', 'Edit Me', 'Billing DB')).toMatch(/1\s+Billing DB/);
  });
});

/** RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits), written out here independently of the service. */
function totp(base32: string, at: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '').toUpperCase())
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => Number.parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] as number) & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

describe('item get --field and --otp', () => {
  const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  beforeAll(async () => {
    await ok('vault', 'create', 'Codes');
    const file = join(dir, 'otp.txt');
    writeFileSync(file, `otpauth://totp/Example:alice?secret=${SECRET}&issuer=Example\n`, { mode: 0o600 });
    await ok('item', 'create', '--vault', 'Codes', '--title', 'GitHub', '--password', 'gh-password');
    await ok('item', 'edit', 'Codes', 'GitHub', `one-time password[otp]=@${file}`, 'Recovery.code=rc-123');
  });

  it('prints one value raw, concealed or not, by label, id or SECTION.FIELD', async () => {
    expect(await ok('item', 'get', 'Codes', 'GitHub', '--field', 'password')).toBe('gh-password\n');
    expect(await ok('item', 'get', 'Codes', 'github', '--field', 'PASSWORD')).toBe('gh-password\n');
    expect(await ok('item', 'get', 'Codes', 'GitHub', '--field', 'Recovery.code')).toBe('rc-123\n');
    expect(await fail('item', 'get', 'Codes', 'GitHub', '--field', 'nope')).toBe(
      "keyhold: no field named or with id 'nope'",
    );
  });

  it('prints the current TOTP code, as RFC 6238 computes it', async () => {
    const before = Date.now();
    const code = (await ok('item', 'get', 'Codes', 'GitHub', '--otp')).trim();
    const after = Date.now();
    expect(code).toMatch(/^[0-9]{6}$/);
    expect([totp(SECRET, before), totp(SECRET, after)]).toContain(code);
    expect(await fail('item', 'get', 'Codes', 'GitHub', '--otp', '--field', 'password')).toContain(
      'is not a one-time password (OTP) field',
    );
  });
});

describe('vault rename and delete', () => {
  it('renames a vault by name; a vault with items is deleted only with --force', async () => {
    const v = await json<{ id: string }>('vault', 'create', 'Old Name');
    expect(await ok('vault', 'rename', 'Old Name', 'New Name')).toBe(
      `Vault Old Name (${v.id}) renamed to New Name\n`,
    );
    expect((await json<{ name: string }>('vault', 'get', 'new name')).name).toBe('New Name');
    await ok('item', 'create', '--vault', 'New Name', '--title', 'Keep', '--password', 'x');
    expect(await fail('vault', 'delete', 'New Name')).toBe(
      `keyhold: vault New Name (${v.id}) holds 1 item; deleting it deletes them with their history and files: add --force to delete it anyway`,
    );
    expect((await json<{ items: number }>('vault', 'get', v.id)).items).toBe(1);
    expect(await ok('vault', 'delete', 'New Name', '--force')).toBe(`Vault New Name (${v.id}) deleted\n`);
    const empty = await json<{ id: string }>('vault', 'create', 'Empty');
    expect(await ok('vault', 'delete', empty.id)).toBe(`Vault Empty (${empty.id}) deleted\n`);
  });
});

describe('names or ids', () => {
  it('finds vaults, items, servers, clients and users by name, and lists the candidates when a name is ambiguous', async () => {
    const a = await json<{ id: string }>('vault', 'create', 'Twin');
    const b = await json<{ id: string }>('vault', 'create', 'Twin');
    const ambiguous = await fail('vault', 'get', 'Twin');
    expect(ambiguous).toBe(`keyhold: 'Twin' names 2 vaults; use an id:\n  ${a.id}  Twin\n  ${b.id}  Twin`);
    expect(await fail('vault', 'get', 'Production')).toBe("keyhold: no vault named or with id 'Production'");
    // An id still works, and costs no listing.
    expect((await json<{ id: string }>('vault', 'get', a.id)).id).toBe(a.id);

    await ok('item', 'create', '--vault', a.id, '--title', 'Same', '--password', 'p1');
    await ok('item', 'create', '--vault', a.id, '--title', 'Same', '--password', 'p2');
    await ok('item', 'create', '--vault', a.id, '--title', 'Same but longer', '--password', 'p3');
    const items = await json<{ id: string; title: string }[]>('item', 'list', a.id);
    const same = items.filter((i) => i.title === 'Same').map((i) => i.id);
    const twice = await fail('item', 'get', a.id, 'Same');
    expect(twice).toContain("'Same' names 2 items; use an id:");
    for (const id of same) expect(twice).toContain(`  ${id}  Same`);
    expect(await ok('item', 'get', a.id, 'same but LONGER', '--field', 'password')).toBe('p3\n');
    expect(await fail('item', 'get', a.id, 'Missing')).toBe("keyhold: no item named or with id 'Missing'");

    // Trash and undelete by title.
    await ok('item', 'delete', a.id, 'Same but longer');
    expect(await ok('item', 'trash', a.id)).toContain('Same but longer');
    expect(await ok('item', 'undelete', a.id, 'same but longer')).toMatch(/undeleted/);

    // A Connect server by name: its tokens, update and delete.
    const out = join(dir, 'srv.json');
    const srv = await json<{ id: string }>('server', 'create', 'web', '--vaults', 'Codes', '--out', out);
    expect((await json<{ id: string }>('server', 'get', 'WEB')).id).toBe(srv.id);
    const tok = await json<{ vaults: { vaultId: string }[] }>(
      'token',
      'create',
      'app',
      '--server',
      'web',
      '--vault',
      'Codes:read',
    );
    const codes = await json<{ id: string }>('vault', 'get', 'Codes');
    expect(tok.vaults[0]?.vaultId).toBe(codes.id);
    expect(await ok('token', 'list', '--server', 'web')).toContain('app');
    expect(await ok('server', 'update', 'web', '--add-vault', a.id)).toContain('updated');
    expect(await ok('server', 'delete', 'web')).toBe(`Server web (${srv.id}) deleted\n`);
    expect(await fail('server', 'get', 'web')).toBe("keyhold: no Connect server named or with id 'web'");

    // An OAuth client by name.
    const client = await json<{ clientId: string }>(
      'client',
      'create',
      'Reports app',
      '--redirect-uri',
      'https://app.example.com/cb',
      '--scope',
      'vault:read',
    );
    expect((await json<{ clientId: string }>('client', 'get', 'reports app')).clientId).toBe(client.clientId);
    expect(await ok('client', 'delete', 'Reports app')).toBe(
      `Client Reports app (${client.clientId}) deleted\n`,
    );

    // A user by email or id; a vault grant by vault name.
    const user = await json<{ id: string }>('user', 'create', 'dana@example.com');
    expect(await ok('user', 'grant', 'dana@example.com', '--vault', 'Codes', '--permissions', 'read')).toBe(
      `dana@example.com now has read on vault Codes (${codes.id})\n`,
    );
    expect(await ok('user', 'disable', user.id)).toBe('dana@example.com is disabled\n');
    expect(await fail('user', 'disable', 'dana')).toBe("keyhold: no user with email or id 'dana'");
  }, 180_000);
});
