import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, cmd, type RunResult, runCli, type Server, tempDataDir } from '../helpers/processes.js';
import {
  failure,
  type Initialized,
  type ServedKeyhold,
  serveInitialized,
} from '../helpers/served-keyhold.js';

/**
 * The `keyhold` CLI end to end: a real `init`, a real `serve` on that directory, and every remote
 * command run as its own process against it. Tests in this file build on each other, in order.
 */

interface Field {
  id: string;
  type: string;
  purpose?: string;
  label: string;
  value: string;
  entropy?: number;
}
interface Item {
  id: string;
  title: string;
  category: string;
  vault: { id: string };
  version: number;
  tags: string[];
  urls?: { href: string; primary?: boolean }[];
  fields: Field[];
  files?: { id: string; name: string; size: number }[];
}
interface AuditEvent {
  seq: number;
  action: string;
  resourceType: string;
  resourceId: string | null;
  vaultId: string | null;
  itemId: string | null;
  result: string;
}

const ID = /^[a-z0-9]{26}$/;

let dataDir: string;
let initResult: RunResult;
let init: Initialized;
let kh: ServedKeyhold['kh'];
let json: ServedKeyhold['json'];
let server: Server;
/** Every secret value handed to the server; none may show up in the audit trail. */
const secrets: string[] = [];

const field = (item: Item, label: string): Field => {
  const found = item.fields.find((f) => f.label === label);
  if (!found) throw new Error(`item ${item.title} has no field ${label}`);
  return found;
};

/** A local port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  ({ dataDir, initResult, init, server, kh, json } = await serveInitialized());
  secrets.push(init.adminToken);
});

afterAll(async () => {
  await server?.stop();
  await cleanup();
});

describe('keyhold init', () => {
  it('prints the new credentials as JSON and writes the master key with mode 0600', () => {
    expect(initResult.code, initResult.stderr).toBe(0);
    expect(Object.keys(init).sort()).toEqual(
      cmd`accountId accountName adminToken database masterKeyFile ownerEmail ownerId ownerPassword`,
    );
    expect(init).toMatchObject({
      accountName: 'Default',
      ownerEmail: 'owner@keyhold.local',
      database: path.join(dataDir, 'keyhold.db'),
    });
    expect(init.accountId).toMatch(ID);
    expect(init.adminToken).toMatch(/^khadm_[A-Za-z0-9_-]{20,}$/);
    expect(init.masterKeyFile).toBe(path.join(dataDir, 'master.key'));
    expect(fs.statSync(init.masterKeyFile).mode & 0o777).toBe(0o600);
  });

  it('creates a data directory that does not exist yet, mode 0700, with the key and database in it', async () => {
    const fresh = path.join(tempDataDir(), 'not', 'yet');
    const result = await runCli(cmd`init --data-dir ${fresh} --json`);
    expect(result.code, result.stderr).toBe(0);
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(fresh, 'master.key')).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(fresh, 'keyhold.db'))).toBe(true);
  });

  it('refuses to initialise the same directory twice, in one line', async () => {
    const again = await runCli(cmd`init --data-dir ${dataDir} --json`);
    expect(failure(again)).toMatch(
      /^keyhold: .* already holds a Keyhold database; refusing to initialise it again$/,
    );
    expect(again.stdout).toBe('');
  });
});

describe('keyhold vault', () => {
  let vaultId: string;

  it('creates, lists, shows and deletes vaults', async () => {
    type Vault = { id: string; name: string; description: string; items: number };
    const created = await json<Vault>(cmd`vault create Payments --description ${'card processors'}`);
    expect(created).toMatchObject({ name: 'Payments', description: 'card processors', items: 0 });
    expect(created.id).toMatch(ID);
    vaultId = created.id;

    const human = await kh(cmd`vault create Scratch`);
    expect(human.code, human.stderr).toBe(0);
    const scratchId = /^Vault Scratch \(([a-z0-9]{26})\) created$/.exec(human.stdout.trim())?.[1] as string;
    expect(scratchId).toMatch(ID);

    const [list, table, shown, shownHuman] = await Promise.all([
      json<Vault[]>(cmd`vault list`),
      kh(cmd`vault list`),
      json<Vault>(cmd`vault get ${vaultId}`),
      kh(cmd`vault get ${vaultId}`),
    ]);
    expect(list.map((v) => `${v.id} ${v.name}`).sort()).toEqual(
      [`${vaultId} Payments`, `${scratchId} Scratch`].sort(),
    );
    expect(table.stdout).toMatch(/^ID\s+NAME\s+ITEMS\s+UPDATED$/m);
    expect(table.stdout).toMatch(new RegExp(`^${vaultId}\\s+Payments\\s+0\\s`, 'm'));
    expect(shown).toMatchObject({ id: vaultId, name: 'Payments', description: 'card processors' });
    expect(shownHuman.stdout).toContain(`Payments (${vaultId})`);
    expect(shownHuman.stdout).toContain('description: card processors');

    const deleted = await kh(cmd`vault delete ${scratchId}`);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout.trim()).toBe(`Vault Scratch (${scratchId}) deleted`);
    expect(failure(await kh(cmd`vault get ${scratchId}`))).toBe(
      `keyhold: no vault named or with id '${scratchId}'`,
    );
    expect((await json<Vault[]>(cmd`vault list`)).map((v) => v.id)).toEqual([vaultId]);
  });

  describe('keyhold item', () => {
    const password = 'pw-S3cret=with=equals';
    const pin = '8264';
    let item: Item;
    let generated: Item;

    it('creates an item from flags: fields split on the first "=", typed fields, password, username, notes, url, tags', async () => {
      secrets.push(password, pin);
      item = await json<Item>(
        cmd`item create --vault ${vaultId} --title ${'Stripe API'} --category API_CREDENTIAL
            --username ops@example.com --password ${password}
            --field endpoint=https://api.stripe.com/v1?a=b --field ${`pin:CONCEALED=${pin}`}
            --field expires:DATE=2030-01-31 --field db:host:STRING=db1
            --notes ${'rotate yearly'} --url https://dashboard.stripe.com --tag prod --tag payments`,
      );
      expect(item.id).toMatch(ID);
      expect(item).toMatchObject({
        title: 'Stripe API',
        category: 'API_CREDENTIAL',
        vault: { id: vaultId },
        version: 1,
        tags: ['prod', 'payments'],
        urls: [{ href: 'https://dashboard.stripe.com', primary: true }],
      });
      expect(field(item, 'password')).toEqual({
        id: 'password',
        purpose: 'PASSWORD',
        type: 'CONCEALED',
        label: 'password',
        value: password,
      });
      expect(field(item, 'username')).toMatchObject({
        id: 'username',
        purpose: 'USERNAME',
        value: 'ops@example.com',
      });
      expect(field(item, 'endpoint')).toMatchObject({
        type: 'STRING',
        value: 'https://api.stripe.com/v1?a=b',
      });
      expect(field(item, 'pin')).toMatchObject({ type: 'CONCEALED', value: pin });
      expect(field(item, 'expires')).toMatchObject({ type: 'DATE', value: '2030-01-31' });
      expect(field(item, 'db:host')).toMatchObject({ type: 'STRING', value: 'db1' });
      expect(field(item, 'notesPlain')).toMatchObject({ purpose: 'NOTES', value: 'rotate yearly' });
    });

    it('generates passwords on the server: 32 characters of every set by default, or a recipe', async () => {
      generated = await json<Item>(cmd`item create --vault ${vaultId} --title Generated --generate-password`);
      const pw = field(generated, 'password');
      secrets.push(pw.value);
      expect(generated.category).toBe('LOGIN');
      expect(pw).toMatchObject({ id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', label: 'password' });
      expect(pw.value).toHaveLength(32);
      expect(pw.value).toMatch(/[a-zA-Z]/);
      expect(pw.value).toMatch(/[0-9]/);
      expect(pw.value).toMatch(/[^a-zA-Z0-9]/);
      // 29 characters from all 90, plus one guaranteed from each set (recipe.ts documents the bound).
      const bits = 29 * Math.log2(90) + Math.log2(52) + Math.log2(10) + Math.log2(28);
      expect(pw.entropy).toBe(Math.floor(bits * 100) / 100);

      const custom = await json<Item>(
        cmd`item create --vault ${vaultId} --title ${'Custom recipe'} --generate-password
            --password-recipe length=40,sets=LETTERS+DIGITS`,
      );
      const customPw = field(custom, 'password');
      secrets.push(customPw.value);
      expect(customPw.value).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(customPw.entropy).toBeGreaterThan(230);
    });

    it('refuses contradictory or malformed flags before sending anything', async () => {
      const create = `item create --vault ${vaultId} --title x`.split(' ');
      const [both, badType, noEquals, badRecipe] = await Promise.all([
        kh([...create, ...cmd`--password p --generate-password`]),
        kh([...create, ...cmd`--field pin:SECRET=1`]),
        kh([...create, ...cmd`--field just-a-label`]),
        kh([...create, ...cmd`--generate-password --password-recipe length=abc`]),
      ]);
      expect(failure(both)).toBe('keyhold: give either --password or --generate-password, not both');
      expect(failure(badType)).toContain(
        'unknown field type "SECRET"; allowed: STRING, EMAIL, CONCEALED, URL, OTP, DATE, MONTH_YEAR, MENU',
      );
      expect(failure(noEquals)).toContain('--field must be LABEL=VALUE or LABEL:TYPE=VALUE');
      expect(failure(badRecipe)).toContain('--password-recipe length must be a whole number from 1 to 64');
      const titles = (await json<Item[]>(cmd`item list ${vaultId}`)).map((i) => i.title);
      expect(titles.sort()).toEqual(['Custom recipe', 'Generated', 'Stripe API']);
    });

    it('shows an item with concealed values hidden unless --reveal; --json has them', async () => {
      const [hidden, revealed, asJson] = await Promise.all([
        kh(cmd`item get ${vaultId} ${item.id}`),
        kh(cmd`item get ${vaultId} ${item.id} --reveal`),
        json<Item>(cmd`item get ${vaultId} ${item.id}`),
      ]);
      expect(hidden.code, hidden.stderr).toBe(0);
      expect(hidden.stdout).toContain(`Stripe API (${item.id})`);
      expect(hidden.stdout).toMatch(/^username\s+STRING\s+ops@example\.com$/m);
      expect(hidden.stdout).toMatch(/^password\s+CONCEALED\s+\*{8}$/m);
      expect(hidden.stdout).toMatch(/^pin\s+CONCEALED\s+\*{8}$/m);
      expect(hidden.stdout).not.toContain(password);
      expect(hidden.stdout).not.toContain(pin);
      expect(revealed.stdout).toMatch(new RegExp(`^password\\s+CONCEALED\\s+${password}$`, 'm'));
      expect(revealed.stdout).toMatch(new RegExp(`^pin\\s+CONCEALED\\s+${pin}$`, 'm'));
      expect(asJson).toEqual(item);
    });

    it('lists the items of a vault without their fields', async () => {
      const [list, table] = await Promise.all([
        json<Item[]>(cmd`item list ${vaultId}`),
        kh(cmd`item list ${vaultId}`),
      ]);
      const stripe = list.find((i) => i.id === item.id);
      expect(stripe).toMatchObject({ title: 'Stripe API', category: 'API_CREDENTIAL', version: 1 });
      expect(stripe).not.toHaveProperty('fields');
      expect(JSON.stringify(list)).not.toContain(password);
      expect(table.stdout).toMatch(new RegExp(`^${item.id}\\s+Stripe API\\s+API_CREDENTIAL\\s+1\\s`, 'm'));
    });

    it('lists the versions of an item after an update', async () => {
      // The CLI has no update command yet; version 2 is made through the admin API directly.
      const url = `${server.url}/api/admin/vaults/${vaultId}/items/${item.id}`;
      const headers = { authorization: `Bearer ${init.adminToken}`, 'content-type': 'application/json' };
      const current = (await (await fetch(url, { headers })).json()) as Item;
      const body = JSON.stringify({ ...current, title: 'Stripe API (rotated)' });
      const response = await fetch(url, { method: 'PUT', headers, body });
      expect(response.status).toBe(200);
      expect(((await response.json()) as Item).version).toBe(2);

      type Version = { version: number; title: string };
      const history = await json<Version[]>(cmd`item history ${vaultId} ${item.id}`);
      expect(history.map((v) => `${v.version} ${v.title}`)).toEqual([
        '2 Stripe API (rotated)',
        '1 Stripe API',
      ]);
      const table = await kh(cmd`item history ${vaultId} ${item.id}`);
      expect(table.stdout).toMatch(/^VERSION\s+TITLE\s+CREATED\s+EDITED BY$/m);
      expect(table.stdout).toMatch(/^2\s+Stripe API \(rotated\)\s/m);
    });

    it('uploads a file and downloads exactly the same bytes, to a file, to stdout and as JSON', async () => {
      // Every byte value, then random bytes: nothing may be re-encoded on the way.
      const bytes = Buffer.concat([
        Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
        randomBytes(70_000),
      ]);
      const source = path.join(dataDir, 'upload.bin');
      fs.writeFileSync(source, bytes);
      type FileView = { id: string; name: string; size: number; content: string };
      const added = await json<FileView>(
        cmd`item file add ${vaultId} ${generated.id} ${source} --name ${'client cert.p12'}`,
      );
      expect(added).toMatchObject({ name: 'client cert.p12', size: bytes.length });
      expect(added.id).toMatch(ID);

      const out = path.join(dataDir, 'download.bin');
      const get = cmd`item file get ${vaultId} ${generated.id} ${added.id}`;
      const [toFile, toStdout, asJson, withFiles] = await Promise.all([
        kh([...get, '--out', out]),
        kh(get),
        json<FileView>(get),
        json<Item>(cmd`item get ${vaultId} ${generated.id}`),
      ]);
      expect(toFile.code, toFile.stderr).toBe(0);
      expect(toFile.stdout.trim()).toBe(`Wrote ${bytes.length} bytes to ${out}`);
      expect(fs.readFileSync(out).equals(bytes)).toBe(true);
      expect(fs.statSync(out).mode & 0o777).toBe(0o600);
      expect(toStdout.stdoutBytes.equals(bytes)).toBe(true);
      expect(asJson).toMatchObject({ id: added.id, name: 'client cert.p12', size: bytes.length });
      expect(Buffer.from(asJson.content, 'base64').equals(bytes)).toBe(true);
      expect(withFiles.files).toEqual([
        expect.objectContaining({ id: added.id, name: 'client cert.p12', size: bytes.length }),
      ]);

      const missing = path.join(dataDir, 'missing.bin');
      expect(failure(await kh(cmd`item file add ${vaultId} ${generated.id} ${missing}`))).toBe(
        `keyhold: cannot read ${missing}: ENOENT`,
      );
    });

    it('deletes an item (to the trash)', async () => {
      const deleted = await kh(cmd`item delete ${vaultId} ${item.id}`);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout.trim()).toBe(
        `Item ${item.id} moved to the trash (keyhold item undelete ${vaultId} ${item.id} brings it back)`,
      );
      expect(failure(await kh(cmd`item get ${vaultId} ${item.id}`))).toBe(
        `keyhold: no item named or with id '${item.id}'`,
      );
    });

    it('refuses ids that would resolve to another resource', async () => {
      expect(failure(await kh(cmd`item delete ${vaultId} ..`))).toBe(
        "keyhold: no item named or with id '..'",
      );
      expect((await json<{ id: string }>(cmd`vault get ${vaultId}`)).id).toBe(vaultId);
    });
  });

  describe('keyhold user', () => {
    type User = { id: string; email: string; role: string; password?: string };

    it('creates users (a generated password is returned once), lists them and grants vault access', async () => {
      const bobPassword = 'correct horse battery staple';
      const [alice, bob] = await Promise.all([
        json<User>(cmd`user create alice@example.com --role admin`),
        json<User>(cmd`user create bob@example.com --password ${bobPassword}`),
      ]);
      secrets.push(alice.password as string, bobPassword);
      expect(alice).toMatchObject({ email: 'alice@example.com', role: 'admin' });
      expect(alice.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(bob).toMatchObject({ email: 'bob@example.com', role: 'member' });
      expect(bob).not.toHaveProperty('password');

      const [list, table] = await Promise.all([json<User[]>(cmd`user list`), kh(cmd`user list`)]);
      expect(list.map((u) => `${u.email} ${u.role}`).sort()).toEqual([
        'alice@example.com admin',
        'bob@example.com member',
        'owner@keyhold.local owner',
      ]);
      expect(table.stdout).toMatch(new RegExp(`^${alice.id}\\s+alice@example\\.com\\s+admin\\s`, 'm'));

      const grant = await json<{ userId: string; vaultId: string; permissions: string[] }>(
        cmd`user grant alice@example.com --vault ${vaultId} --permissions write,read`,
      );
      expect(grant).toEqual({ userId: alice.id, vaultId, permissions: ['read', 'write'] });
      const human = await kh(cmd`user grant bob@example.com --vault ${vaultId} --permissions read`);
      expect(human.stdout.trim()).toBe(`bob@example.com now has read on vault Payments (${vaultId})`);
    });

    it('checks roles and permission names client-side and reports unknown users', async () => {
      const [badPermission, badRole, unknown] = await Promise.all([
        kh(cmd`user grant alice@example.com --vault ${vaultId} --permissions read,admin`),
        kh(cmd`user create carol@example.com --role root`),
        kh(cmd`user grant nobody@example.com --vault ${vaultId} --permissions read`),
      ]);
      expect(failure(badPermission)).toBe(
        'keyhold: --permissions: expected a comma-separated list of read, write, manage, got "admin"',
      );
      expect(failure(badRole)).toBe(
        'keyhold: --role "root" is not a role; allowed: owner, admin, auditor, connect-manager, member',
      );
      expect(failure(unknown)).toBe("keyhold: no user named or with id 'nobody@example.com'");
    });
  });

  describe('keyhold account', () => {
    it("creates an account whose admin token works, sees none of the first account's vaults, and deletes it", async () => {
      type Account = { id: string; name: string; createdAt: string; adminToken: string };
      const acme = await json<Account>(cmd`account create Acme`);
      secrets.push(acme.adminToken);
      expect(Object.keys(acme).sort()).toEqual(['adminToken', 'createdAt', 'id', 'name', 'operator']);
      expect(acme.name).toBe('Acme');
      expect(acme.adminToken).not.toBe(init.adminToken);

      // Address and token from the environment only.
      const env = { KEYHOLD_ADDR: server.url, KEYHOLD_TOKEN: acme.adminToken };
      const [accounts, fromEnv, foreign, notOperator] = await Promise.all([
        json<Account[]>(cmd`account list`),
        runCli(cmd`vault list --json`, { env }),
        runCli(cmd`vault get ${vaultId}`, { env }),
        runCli(cmd`account list`, { env }),
      ]);
      expect(accounts.map((a) => `${a.id} ${a.name}`).sort()).toEqual(
        [`${acme.id} Acme`, `${init.accountId} Default`].sort(),
      );
      expect(fromEnv.code, fromEnv.stderr).toBe(0);
      expect(JSON.parse(fromEnv.stdout)).toEqual([]);
      expect(failure(foreign)).toBe(`keyhold: no vault named or with id '${vaultId}'`);
      expect(failure(notOperator)).toBe(
        'keyhold: the admin token is not allowed to do this: managing accounts needs an owner of the operator account',
      );

      const deleted = await kh(cmd`account delete ${acme.id}`);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout.trim()).toBe(`Account ${acme.id} deleted`);
      expect((await json<Account[]>(cmd`account list`)).map((a) => a.id)).toEqual([init.accountId]);
      expect(failure(await runCli(cmd`vault list`, { env }))).toBe(
        'keyhold: the admin token is not one this service knows (mistyped, or made by another service): check KEYHOLD_TOKEN or --token',
      );
    });
  });

  describe('keyhold audit', () => {
    it('lists what was done, all SUCCESS, with no secret value anywhere in it', async () => {
      const events = await json<AuditEvent[]>(cmd`audit list --limit 1000`);
      const has = (action: string, resourceType: string, match: Partial<AuditEvent> = {}) =>
        events.some(
          (e) =>
            e.action === action &&
            e.resourceType === resourceType &&
            Object.entries(match).every(([k, v]) => e[k as keyof AuditEvent] === v),
        );
      expect(has('CREATE', 'VAULT', { vaultId })).toBe(true);
      expect(has('DELETE', 'VAULT')).toBe(true);
      expect(has('READ', 'VAULT', { vaultId })).toBe(true);
      expect(has('CREATE', 'ITEM', { vaultId })).toBe(true);
      expect(has('READ', 'ITEM', { vaultId })).toBe(true);
      expect(has('UPDATE', 'ITEM', { vaultId })).toBe(true);
      expect(has('DELETE', 'ITEM', { vaultId })).toBe(true);
      expect(has('CREATE', 'FILE', { vaultId })).toBe(true);
      expect(has('READ', 'FILE', { vaultId })).toBe(true);
      expect(has('CREATE', 'USER')).toBe(true);
      expect(has('CREATE', 'ACCOUNT')).toBe(true);
      expect(has('DELETE', 'ACCOUNT')).toBe(true);
      expect(events.every((e) => e.result === 'SUCCESS')).toBe(true);
      expect(events.map((e) => e.seq)).toEqual(events.map((e) => e.seq).sort((a, b) => b - a));

      const text = JSON.stringify(events);
      const values = new Set(events.flatMap((e) => Object.values(e)));
      expect(secrets.length).toBeGreaterThanOrEqual(8);
      for (const secret of secrets) {
        // A secret as short as the PIN turns up by chance inside random request ids (hex): it may
        // not be any value of an event; a longer one may not be anywhere in the text.
        if (secret.length < 12) expect(values.has(secret), secret).toBe(false);
        else expect(text).not.toContain(secret);
      }
    });

    it('pages with --limit and --before, and renders a table', async () => {
      const [firstPage, table] = await Promise.all([
        json<AuditEvent[]>(cmd`audit list --limit 2`),
        kh(cmd`audit list --limit 5`),
      ]);
      expect(firstPage).toHaveLength(2);
      const last = firstPage[1] as AuditEvent;
      const next = await json<AuditEvent[]>(cmd`audit list --limit 3 --before ${last.seq}`);
      expect(next).toHaveLength(3);
      expect(next.every((e) => e.seq < last.seq)).toBe(true);
      expect(table.stdout).toMatch(/^SEQ\s+TIME\s+ACTION\s+RESOURCE\s+ID\s+RESULT\s+ACTOR$/m);
      expect(table.stdout.trim().split('\n')).toHaveLength(6);
    });
  });
});

describe('failures are one line on stderr and a non-zero exit', () => {
  it('without a token, names KEYHOLD_TOKEN', async () => {
    expect(failure(await runCli(cmd`vault list --addr ${server.url}`))).toContain('KEYHOLD_TOKEN');
  });

  it('with a wrong token, says the token is unknown and where it came from', async () => {
    expect(failure(await kh(cmd`vault list`, 'khadm_not-a-real-token'))).toBe(
      'keyhold: the admin token is not one this service knows (mistyped, or made by another service): check KEYHOLD_TOKEN or --token',
    );
  });

  it('with an unreachable address, says so', async () => {
    const addr = `http://127.0.0.1:${await closedPort()}`;
    expect(failure(await runCli(cmd`vault list --addr ${addr} --token ${init.adminToken}`))).toBe(
      `keyhold: cannot reach ${addr} (ECONNREFUSED); is \`keyhold serve\` running there?`,
    );
  });

  it('with a vault that is neither a name nor an id, says so in words', async () => {
    expect(failure(await kh(cmd`vault get not-a-vault-id`))).toBe(
      "keyhold: no vault named or with id 'not-a-vault-id'",
    );
  });

  it('checks numbers client-side: --limit abc never reaches the server', async () => {
    // Nothing listens at this address, so only a client-side check can produce this message.
    const addr = `http://127.0.0.1:${await closedPort()}`;
    expect(failure(await runCli(cmd`audit list --limit abc --addr ${addr} --token x`))).toBe(
      'keyhold: --limit must be a whole number from 1 to 1000, got "abc"',
    );
    expect(failure(await kh(cmd`audit list --before -3`))).toContain('--before must be a whole number');
  });
});
