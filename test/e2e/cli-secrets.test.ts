import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, hiddenField } from '../helpers/oauth.js';
import { cleanup, runCli, type Server, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * Secret values from a file or standard input (`--X-file PATH`, `-` for standard input), so they
 * never stand in the process's arguments, where every user of the machine can read them. The
 * check looks at /proc/PID/cmdline while the command runs, waiting for its standard input.
 */
let dir: string;
let central: Server;
let token: string;
let accountId: string;
let vault: string;

const secret = (label: string) => `${label}-${randomBytes(12).toString('base64url')}`;

/** What `ps` shows of a running process: its arguments (and, for good measure, its environment). */
function visibleOf(child: ChildProcess): string {
  const proc = `/proc/${child.pid}`;
  return `${readFileSync(`${proc}/cmdline`, 'utf8')}\n${readFileSync(`${proc}/environ`, 'utf8')}`;
}

/** Runs a remote command with `input` on standard input, and what `ps` showed meanwhile. */
async function withStdin(args: string[], input: string) {
  let visible = '';
  const res = await runCli([...args, '--addr', central.url], {
    env: { KEYHOLD_TOKEN: token },
    input,
    beforeInput: async (child) => {
      visible = visibleOf(child);
    },
  });
  return { ...res, visible };
}

/** Signs in on the account's login page: 303 when the password is right. */
async function signIn(base: string, email: string, password: string): Promise<number> {
  const browser = new Browser();
  const login = `${base}/oauth/${accountId}/login`;
  const csrf = hiddenField(await (await browser.fetch(login)).text(), 'csrf');
  const res = await browser.fetch(login, { form: { csrf, email, password } });
  await res.text();
  return res.status;
}

beforeAll(async () => {
  dir = tempDataDir();
  central = await startServer(join(dir, 'data'));
  const printed = central.lines.join('\n');
  token = /admin token:\s+(\S+)/.exec(printed)?.[1] as string;
  accountId = /account:\s+\S+ \((\w+)\)/.exec(printed)?.[1] as string;
  const created = await runCli(['vault', 'create', 'secrets', '--addr', central.url, '--json'], {
    env: { KEYHOLD_TOKEN: token },
  });
  vault = (JSON.parse(created.stdout) as { id: string }).id;
}, 60_000);
afterAll(cleanup);

describe('secret values from standard input or a file', () => {
  it('user create --password-file - reads the password from standard input, never from the arguments', async () => {
    const password = secret('Stdin-Pass');
    const res = await withStdin(
      ['user', 'create', 'alice@example.com', '--password-file', '-', '--json'],
      `${password}\n`,
    );
    expect(res.code).toBe(0);
    expect(res.visible).toContain('--password-file');
    expect(res.visible).not.toContain(password);
    // Not generated, so not printed: the one given is the password (its newline dropped).
    expect(res.stdout).not.toContain('password');
    expect(await signIn(central.url, 'alice@example.com', password)).toBe(303);
  });

  it('item create reads --password-file, --field-file LABEL:TYPE=PATH and --notes-file -', async () => {
    const password = secret('File-Pass');
    const apiKey = `${secret('key-line-1')}\n${secret('key-line-2')}`;
    const notes = secret('notes');
    writeFileSync(join(dir, 'pw.txt'), `${password}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'key.txt'), `${apiKey}\n`, { mode: 0o600 });
    const args = [
      'item',
      'create',
      '--vault',
      vault,
      '--title',
      'from files',
      '--password-file',
      join(dir, 'pw.txt'),
      '--field',
      'host=db.internal',
      '--field-file',
      `api key:CONCEALED=${join(dir, 'key.txt')}`,
      '--notes-file',
      '-',
      '--json',
    ];
    const res = await withStdin(args, notes);
    expect(res.code).toBe(0);
    for (const value of [password, apiKey, notes]) expect(res.visible).not.toContain(value);
    const item = JSON.parse(res.stdout) as { id: string };
    const got = await runCli(['item', 'get', vault, item.id, '--reveal', '--json', '--addr', central.url], {
      env: { KEYHOLD_TOKEN: token },
    });
    const fields = (JSON.parse(got.stdout) as { fields: { label: string; type: string; value: string }[] })
      .fields;
    const field = (label: string) => fields.find((f) => f.label === label);
    expect(field('password')).toMatchObject({ type: 'CONCEALED', value: password });
    // One trailing newline is dropped; the ones inside a value stay.
    expect(field('api key')).toMatchObject({ type: 'CONCEALED', value: apiKey });
    expect(field('host')).toMatchObject({ type: 'STRING', value: 'db.internal' });
    expect(field('notesPlain')?.value).toBe(notes);
  });

  it('init --admin-password-file sets the owner password without printing it', async () => {
    const password = secret('Owner-Pass');
    const file = join(dir, 'owner.txt');
    writeFileSync(file, `${password}\r\n`, { mode: 0o600 });
    const data = join(tempDataDir(), 'data');
    const init = await runCli(['init', '--data-dir', data, '--admin-password-file', file, '--json']);
    expect(init.code).toBe(0);
    expect(init.stdout).not.toContain(password);
    const result = JSON.parse(init.stdout) as {
      accountId: string;
      ownerEmail: string;
      ownerPassword?: string;
    };
    expect(result.ownerPassword).toBeUndefined();
    const second = await startServer(data);
    const saved = accountId;
    accountId = result.accountId;
    try {
      expect(await signIn(second.url, result.ownerEmail, password)).toBe(303);
    } finally {
      accountId = saved;
      await second.stop();
    }
  }, 60_000);

  it('refuses ambiguous, empty or unreadable sources by flag and path, never quoting a value', async () => {
    const given = secret('Given-Pass');
    const both = await runCli(
      ['user', 'create', 'b@example.com', '--password', given, '--password-file', join(dir, 'pw.txt')],
      { env: { KEYHOLD_TOKEN: token } },
    );
    expect(both.stderr).toBe('keyhold: give either --password or --password-file, not both\n');

    const twice = await withStdin(
      ['item', 'create', '--vault', vault, '--title', 't', '--password-file', '-', '--field-file', 'k=-'],
      given,
    );
    expect(twice.stderr).toBe(
      'keyhold: --field-file k -: standard input is already read for --password-file; give one of them a file\n',
    );

    const empty = await withStdin(['user', 'create', 'c@example.com', '--password-file', '-'], '\n');
    expect(empty.stderr).toBe('keyhold: --password-file: standard input is empty\n');

    const missing = await runCli([
      'init',
      '--data-dir',
      join(dir, 'never'),
      '--admin-password-file',
      join(dir, 'nope'),
    ]);
    expect(missing.stderr).toBe(
      `keyhold: --admin-password-file: cannot read ${join(dir, 'nope')} (ENOENT)\n`,
    );

    const noPath = await runCli(['item', 'create', '--vault', vault, '--title', 't', '--field-file', 'k'], {
      env: { KEYHOLD_TOKEN: token },
    });
    expect(noPath.stderr).toBe(
      'keyhold: --field-file must be LABEL=PATH or LABEL:TYPE=PATH (no "=" found)\n',
    );
    for (const res of [both, twice, empty, missing, noPath]) {
      expect(res.code).toBe(1);
      expect(res.stderr).not.toContain(given);
    }
  }, 60_000);
});
