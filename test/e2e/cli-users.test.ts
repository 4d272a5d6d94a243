import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, cmd, runCli, type Server } from '../helpers/processes.js';
import { failure, type ServedKeyhold, serveInitialized } from '../helpers/served-keyhold.js';

/**
 * `keyhold user …` end to end: a real `init`, a real `serve`, and each command as its own
 * process. Tests build on each other, in order.
 */
interface User {
  id: string;
  email: string;
  name: string | null;
  role: string;
  enabled: boolean;
}

let server: Server;
let kh: ServedKeyhold['kh'];
let json: ServedKeyhold['json'];
const OWNER = 'owner@keyhold.local';

beforeAll(async () => {
  ({ server, kh, json } = await serveInitialized());
});

afterAll(async () => {
  await server?.stop();
  await cleanup();
});

describe('keyhold user', () => {
  it('--help lists the lifecycle commands', async () => {
    const help = await runCli(['user', '--help']);
    for (const command of [
      'set-role',
      'set-name',
      'disable',
      'enable',
      'delete',
      'revoke',
      'reset-password',
    ]) {
      expect(help.stdout).toContain(command);
    }
    const setRole = await runCli(['user', 'set-role', '--help']);
    expect(setRole.stdout).toContain('Usage: keyhold user set-role [options] <email> <role>');
  });

  it('set-role changes a role; a bad role is refused before any request; the last owner stays', async () => {
    await json(cmd`user create dana@example.com --password ${'dana password long'}`);
    expect(await json<User>(cmd`user set-role dana@example.com admin`)).toMatchObject({ role: 'admin' });
    expect((await kh(cmd`user set-role dana@example.com admin`)).stdout).toBe(
      'dana@example.com now has role admin\n',
    );
    expect(failure(await kh(cmd`user set-role dana@example.com root`))).toBe(
      'keyhold: ROLE "root" is not a role; allowed: owner, admin, auditor, connect-manager, member',
    );
    expect(failure(await kh(cmd`user set-role nobody@example.com admin`))).toBe(
      "keyhold: no user named or with id 'nobody@example.com'",
    );
    expect(failure(await kh(cmd`user set-role ${OWNER} member`))).toBe(
      "keyhold: cannot demote the user: this is the account's last enabled owner; make another user owner first",
    );
  });

  it('disable and enable show in the list', async () => {
    expect((await kh(cmd`user disable dana@example.com`)).stdout).toBe('dana@example.com is disabled\n');
    const list = await kh(cmd`user list`);
    expect(list.stdout).toMatch(/dana@example\.com\s+admin\s+disabled/);
    expect(await json<User>(cmd`user enable dana@example.com`)).toMatchObject({ enabled: true });
    expect(failure(await kh(cmd`user disable ${OWNER}`))).toMatch(/^keyhold: cannot disable the user/);
  });

  it('revoke removes a vault permission; revoking again says there was none', async () => {
    const vault = await json<{ id: string }>(cmd`vault create Shared`);
    await json(cmd`user grant dana@example.com --vault ${vault.id} --permissions read,write`);
    const revoked = await kh(cmd`user revoke dana@example.com --vault ${vault.id}`);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe(`dana@example.com no longer has access to vault Shared (${vault.id})\n`);
    const users = await json<User[]>(cmd`user list`);
    const dana = users.find((u) => u.email === 'dana@example.com');
    expect(failure(await kh(cmd`user revoke dana@example.com --vault ${vault.id}`))).toBe(
      `keyhold: user ${dana?.id} has no access to vault ${vault.id}`,
    );
    expect(failure(await kh(cmd`user revoke dana@example.com`))).toMatch(/required option '--vault <vault>'/);
  });

  it('reset-password prints a one-time link once; the page it opens works', async () => {
    const printed = await kh(cmd`user reset-password dana@example.com`);
    expect(printed.code).toBe(0);
    const url = /^ {2}(http\S+)$/m.exec(printed.stdout)?.[1] ?? '';
    expect(url).toMatch(/\/oauth\/[a-z0-9]{26}\/reset\?token=khpr_[A-Za-z0-9_-]{43}$/);
    expect(printed.stdout).toContain('The link is shown once.');
    const page = await fetch(url.replace(/^https?:\/\/[^/]+/, server.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Choose a new password for dana@example.com');
    // A second link replaces the first.
    await json(cmd`user reset-password dana@example.com`);
    expect((await fetch(url.replace(/^https?:\/\/[^/]+/, server.url))).status).toBe(400);
  });

  it('create --name and set-name give a display name; --clear removes it; a bad one is the API’s 400', async () => {
    const created = await kh(
      cmd`user create erin@example.com --name ${'  Erin Example '} --password ${'erin password long'}`,
    );
    expect(created.stdout).toMatch(
      /^User erin@example\.com \([a-z0-9]{26}\) created with role member, named Erin Example\n$/,
    );
    expect((await kh(cmd`user list`)).stdout).toMatch(/erin@example\.com\s+Erin Example\s+member\s+enabled/);
    expect((await kh(cmd`user set-name erin@example.com ${'Erin E. Example'}`)).stdout).toBe(
      'erin@example.com is now named Erin E. Example\n',
    );
    expect(await json<User>(cmd`user set-name erin@example.com ${'Erin'}`)).toMatchObject({ name: 'Erin' });
    expect((await kh(cmd`user set-name erin@example.com --clear`)).stdout).toBe(
      'erin@example.com has no name\n',
    );
    expect((await json<User[]>(cmd`user list`)).find((u) => u.email === 'erin@example.com')?.name).toBeNull();
    expect(failure(await kh(cmd`user set-name erin@example.com ${'x'.repeat(201)}`))).toBe(
      'keyhold: name: must be at most 200 characters',
    );
    expect(failure(await kh(cmd`user set-name erin@example.com ${'Erin\u001b[2J'}`))).toBe(
      'keyhold: name: must not contain control characters',
    );
    expect(failure(await kh(cmd`user set-name erin@example.com`))).toBe(
      'keyhold: give a NAME, or --clear to remove the name',
    );
    expect(failure(await kh(cmd`user set-name erin@example.com Erin --clear`))).toBe(
      'keyhold: give a NAME or --clear, not both',
    );
    expect(failure(await kh(cmd`user create fred@example.com --name ${''}`))).toBe(
      'keyhold: name: must not be empty',
    );
    const help = await runCli(['user', 'set-name', '--help']);
    expect(help.stdout).toContain('Usage: keyhold user set-name [options] <email> [name]');
    expect(help.stdout).toContain('--clear');
    expect((await runCli(['user', 'create', '--help'])).stdout).toContain('--name <name>');
    await kh(cmd`user delete erin@example.com`);
  });

  it('delete removes the user; the last owner cannot be deleted', async () => {
    expect((await kh(cmd`user delete dana@example.com`)).stdout).toBe('User dana@example.com deleted\n');
    expect(failure(await kh(cmd`user delete dana@example.com`))).toBe(
      "keyhold: no user named or with id 'dana@example.com'",
    );
    expect(failure(await kh(cmd`user delete ${OWNER}`))).toMatch(/^keyhold: cannot delete the user: /);
    expect((await json<User[]>(cmd`user list`)).map((u) => u.email)).toEqual([OWNER]);
  });
});
