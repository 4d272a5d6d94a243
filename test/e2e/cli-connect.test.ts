import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  childEnv,
  cleanup,
  cmd,
  type RunResult,
  runCli,
  type Server,
  sha256File,
  tempDataDir,
} from '../helpers/processes.js';
import {
  failure,
  type Initialized,
  type ServedKeyhold,
  serveInitialized,
} from '../helpers/served-keyhold.js';

/**
 * The Connect administration commands of the `keyhold` CLI end to end: `server`, `token` and
 * `keys`, each run as its own process against a real `keyhold serve`. Tests build on each other,
 * in order.
 */

interface ServerView {
  id: string;
  name: string;
  vaults: string[];
  createdAt: string;
}
interface Grant {
  vaultId: string;
  permissions: string[];
}
interface TokenView {
  id: string;
  name: string;
  serverId: string;
  vaults: Grant[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}
interface Credentials {
  kind: string;
  version: number;
  serverId: string;
  accountId: string;
  serverSecret: string;
  central: string | null;
}
interface KeyView {
  kid: string;
  kind: 'connect' | 'oauth';
  state: 'current' | 'previous' | 'withdrawn';
  retiredAt: string | null;
  withdrawnAt: string | null;
  publicJwk: { kid: string; kty: string; crv: string; alg: string };
}

const ID = /^[a-z0-9]{26}$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const DAY = 86_400;

let workDir: string;
let init: Initialized;
let server: Server;
/** Vaults A, B, C, D (ids) created through the CLI. */
let vault: Record<'A' | 'B' | 'C' | 'D', string>;
/** The main server: created with A, B, D; then C added and B removed. */
let web: ServerView;
/** Every token the CLI printed; none may show up again in a listing. */
const issued: string[] = [];

let json: ServedKeyhold['json'];
/** A remote command with the owner token at `addr` (the test server unless another is given). */
const kh = (args: string[], addr = server.url) =>
  runCli([...args, '--addr', addr, '--token', init.adminToken]);

/** Runs the CLI in another working directory (runCli always uses the repository root). */
function runIn(cwd: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
      });
    });
  });
}

/** A local port nothing listens on: a command that still succeeds there never made a request. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });

const decodeSegment = (jwt: string, index: number) =>
  JSON.parse(Buffer.from(jwt.split('.')[index] as string, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

const readCredentials = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Credentials;
const mode = (file: string) => fs.statSync(file).mode & 0o777;
const byVault = (a: { u: string }, b: { u: string }) => a.u.localeCompare(b.u);

beforeAll(async () => {
  workDir = tempDataDir();
  ({ init, server, json } = await serveInitialized());
  const ids = await Promise.all(
    (['A', 'B', 'C', 'D'] as const).map(
      async (name) => (await json<{ id: string }>(cmd`vault create ${name}`)).id,
    ),
  );
  vault = { A: ids[0] as string, B: ids[1] as string, C: ids[2] as string, D: ids[3] as string };
});

afterAll(async () => {
  await server?.stop();
  await cleanup();
});

describe('keyhold server credentials', () => {
  it('writes new credentials (v2, 0600), the old secret stops at once; refuses to overwrite without --force', async () => {
    // A directory of its own: the tests below look at what workDir holds.
    const renewDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyhold-renew-'));
    const first = path.join(renewDir, 'renew-1.json');
    const made = await json<{ id: string }>(cmd`server create renew --vaults ${vault.A} --out ${first}`);
    const old = readCredentials(first);
    const whoami = (secret: string) =>
      fetch(`${server.url}/api/connect-server/v1/whoami`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await whoami(old.serverSecret)).status).toBe(200);

    const refused = await kh(cmd`server credentials ${made.id} --out ${first}`);
    expect(failure(refused)).toBe(
      `keyhold: ${first} already exists; refusing to overwrite it (pass --force to replace it)`,
    );
    expect((await whoami(old.serverSecret)).status).toBe(200);

    const second = path.join(renewDir, 'renew-2.json');
    const result = await kh([...cmd`server credentials ${made.id} --out ${second}`, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id: made.id, name: 'renew', credentialsFile: second });
    expect(mode(second)).toBe(0o600);
    const renewed = readCredentials(second) as Credentials & { version: number; serverKey: { d: string } };
    expect(renewed).toMatchObject({
      kind: 'keyhold-connect-credentials',
      version: 2,
      serverId: made.id,
      central: server.url,
    });
    expect(renewed.serverKey.d).toBeTruthy();
    expect(renewed.serverSecret).not.toBe(old.serverSecret);
    expect(result.stdout + result.stderr).not.toContain(renewed.serverSecret);
    expect((await whoami(old.serverSecret)).status).toBe(401);
    expect((await whoami(renewed.serverSecret)).status).toBe(200);
    fs.rmSync(renewDir, { recursive: true, force: true });
    // The tests below count the servers: this one goes again.
    expect((await kh(cmd`server delete ${made.id}`)).code).toBe(0);
  });
});

describe('keyhold server create', () => {
  const out = () => path.join(workDir, 'web-credentials.json');

  it('writes the credentials file (0600, no admin token, no master key) and prints no secret', async () => {
    const result = await kh([
      ...cmd`server create web --vaults ${`${vault.A},${vault.B},${vault.D}`} --out ${out()}`,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(printed).sort()).toEqual(['credentialsFile', 'id', 'name', 'vaults']);
    web = { ...(printed as unknown as ServerView) };
    expect(web.id).toMatch(ID);
    expect(printed).toMatchObject({ name: 'web', credentialsFile: out() });
    expect(web.vaults.sort()).toEqual([vault.A, vault.B, vault.D].sort());

    expect(mode(out())).toBe(0o600);
    const text = fs.readFileSync(out(), 'utf8');
    const credentials = JSON.parse(text) as Credentials;
    expect(credentials).toMatchObject({
      kind: 'keyhold-connect-credentials',
      version: 2,
      serverId: web.id,
      accountId: init.accountId,
      central: server.url,
    });
    expect(credentials.serverSecret).toMatch(/^khsrv_[A-Za-z0-9_-]{43}$/);
    // The secret lives in the file only: never on the terminal.
    expect(result.stdout + result.stderr).not.toContain(credentials.serverSecret);
    expect(result.stdout).not.toContain('khsrv_');

    const masterKey = fs.readFileSync(init.masterKeyFile, 'utf8').trim();
    const masterBytes = Buffer.from(masterKey, 'base64');
    expect(masterBytes).toHaveLength(32);
    expect(text).not.toContain(init.adminToken);
    expect(text).not.toContain(masterKey);
    expect(text).not.toContain(masterBytes.toString('base64url'));
    expect(text).not.toContain(masterBytes.toString('hex'));
  });

  it('refuses to overwrite an existing file, before creating anything; --force replaces it with mode 0600', async () => {
    const before = sha256File(out());
    const serversBefore = await json<ServerView[]>(cmd`server list`);
    const refused = await kh(cmd`server create again --vaults ${vault.A} --out ${out()}`);
    expect(failure(refused)).toBe(
      `keyhold: ${out()} already exists; refusing to overwrite it (pass --force to replace it)`,
    );
    expect(sha256File(out())).toBe(before);
    expect(await json<ServerView[]>(cmd`server list`)).toEqual(serversBefore);

    // A copy to replace, left readable by others: --force must not keep that mode.
    const spare = path.join(workDir, 'spare.json');
    fs.copyFileSync(out(), spare);
    fs.chmodSync(spare, 0o644);
    const forced = await json<{ id: string; credentialsFile: string }>(
      cmd`server create spare --vaults ${vault.A} --out ${spare} --force`,
    );
    expect(forced.credentialsFile).toBe(spare);
    expect(mode(spare)).toBe(0o600);
    expect(readCredentials(spare).serverId).toBe(forced.id);
    expect(forced.id).not.toBe(web.id);
    expect(readCredentials(out()).serverId).toBe(web.id);
    expect(fs.readdirSync(workDir).sort()).toEqual(['spare.json', 'web-credentials.json']);
  });

  it('defaults to ./1password-credentials.json, takes KEYHOLD_ADDR as central, and says what to do next', async () => {
    const dir = path.join(workDir, 'cwd');
    fs.mkdirSync(dir);
    const result = await runIn(dir, cmd`server create human --vaults ${vault.C}`, {
      KEYHOLD_ADDR: server.url,
      KEYHOLD_TOKEN: init.adminToken,
    });
    expect(result.code, result.stderr).toBe(0);
    const file = path.join(dir, '1password-credentials.json');
    expect(mode(file)).toBe(0o600);
    const credentials = readCredentials(file);
    expect(credentials.central).toBe(server.url);
    expect(result.stdout).toContain(`Server human (${credentials.serverId}) created`);
    expect(result.stdout).toContain(file);
    expect(result.stdout).toContain(
      `keyhold token create <token-name> --server ${credentials.serverId} --vault ${vault.C}:read`,
    );
    expect(result.stdout).not.toContain('khsrv_');
  });

  it('checks --vaults before creating the server: an empty list, a vault that does not exist', async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const [empty, bad] = await Promise.all([
      kh(cmd`server create x --vaults ${','} --out ${path.join(workDir, 'x.json')}`, nowhere),
      kh(cmd`server create x --vaults ${`${vault.A},nope`} --out ${path.join(workDir, 'x.json')}`),
    ]);
    expect(failure(empty)).toBe('keyhold: --vaults needs at least one vault (--vaults V1,V2)');
    expect(failure(bad)).toBe("keyhold: no vault named or with id 'nope'");
    expect((await json<ServerView[]>(cmd`server list`)).map((s) => s.name)).not.toContain('x');
    expect(fs.existsSync(path.join(workDir, 'x.json'))).toBe(false);
  });
});

describe('keyhold server list / get / update', () => {
  it('lists and shows servers', async () => {
    const [list, human, shown, shownHuman] = await Promise.all([
      json<ServerView[]>(cmd`server list`),
      kh(cmd`server list`),
      json<ServerView>(cmd`server get ${web.id}`),
      kh(cmd`server get ${web.id}`),
    ]);
    expect(list.map((s) => s.name).sort()).toEqual(['human', 'spare', 'web']);
    expect(human.stdout).toMatch(/^ID\s+NAME\s+VAULTS\s+CREATED$/m);
    expect(human.stdout).toMatch(new RegExp(`^${web.id}\\s+web\\s`, 'm'));
    expect(shown).toMatchObject({ id: web.id, name: 'web' });
    expect(shown.vaults.sort()).toEqual([vault.A, vault.B, vault.D].sort());
    expect(shownHuman.stdout).toContain(`web (${web.id})`);
    expect(shownHuman.stdout).toContain(vault.D);
    expect(JSON.stringify(list)).not.toContain('khsrv_');
  });

  it('adds and removes vaults; refuses an update with nothing to change', async () => {
    const added = await json<ServerView>(cmd`server update ${web.id} --add-vault ${vault.C}`);
    expect(added.vaults.sort()).toEqual([vault.A, vault.B, vault.C, vault.D].sort());
    expect((await json<ServerView>(cmd`server get ${web.id}`)).vaults).toContain(vault.C);

    const removed = await kh(cmd`server update ${web.id} --remove-vault ${vault.B}`);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`Server web (${web.id}) updated`);
    const shown = await json<ServerView>(cmd`server get ${web.id}`);
    expect(shown.vaults.sort()).toEqual([vault.A, vault.C, vault.D].sort());

    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    expect(failure(await kh(cmd`server update ${web.id}`, nowhere))).toBe(
      'keyhold: nothing to change: pass --add-vault and/or --remove-vault',
    );
  });
});

describe('keyhold token', () => {
  let kid: string;
  let longLived: TokenView & { token: string };

  it('creates a token with mixed grants: an ES256 JWT for this server with READ=1, WRITE=2 and the requested lifetime', async () => {
    const before = Math.floor(Date.now() / 1000);
    longLived = await json<TokenView & { token: string }>(
      cmd`token create deploy --server ${web.id} --vault ${`${vault.A}:read`} --vault ${`${vault.C}:read,write`}
          --vault ${`${vault.D}:write`} --expires-in 90d`,
    );
    const after = Math.floor(Date.now() / 1000);
    issued.push(longLived.token);
    expect(longLived.id).toMatch(ID);
    expect(longLived).toMatchObject({ name: 'deploy', serverId: web.id, revokedAt: null });
    expect(longLived.token).toMatch(JWT);

    const header = decodeSegment(longLived.token, 0);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(header.kid).toMatch(ID);
    kid = header.kid as string;

    const payload = decodeSegment(longLived.token, 1);
    const aud = payload.aud;
    expect(Array.isArray(aud) ? aud : [aud]).toContain(web.id);
    expect(payload.sub).toBe(web.id);
    expect(payload.jti).toBe(longLived.id);
    expect(payload['1password.com/auuid']).toBe(init.accountId);
    expect((payload['1password.com/vts'] as { u: string; a: number }[]).sort(byVault)).toEqual(
      [
        { u: vault.A, a: 1 },
        { u: vault.C, a: 3 },
        { u: vault.D, a: 2 },
      ].sort(byVault),
    );
    const exp = payload.exp as number;
    expect(exp).toBeGreaterThanOrEqual(before + 90 * DAY);
    expect(exp).toBeLessThanOrEqual(after + 90 * DAY);
    expect(exp - (payload.iat as number)).toBe(90 * DAY);
    expect(Date.parse(longLived.expiresAt as string) / 1000).toBe(exp);
  });

  it('prints the token once, on its own line, with a warning; every unit and both bounds of --expires-in work', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [human, hours, minutes, seconds, min, max, never] = await Promise.all([
      kh(cmd`token create ci --server ${web.id} --vault ${`${vault.A}:read`} --expires-in 12h`),
      json<{ token: string }>(
        cmd`token create h --server ${web.id} --vault ${`${vault.A}:read`} --expires-in 12h`,
      ),
      json<{ token: string }>(
        cmd`token create m --server ${web.id} --vault ${`${vault.A}:read`} --expires-in 30m`,
      ),
      json<{ token: string }>(
        cmd`token create s --server ${web.id} --vault ${`${vault.A}:read`} --expires-in 3600s`,
      ),
      json<{ token: string }>(
        cmd`token create min --server ${web.id} --vault ${`${vault.A}:read`} --expires-in 60s`,
      ),
      json<{ token: string }>(
        cmd`token create max --server ${web.id} --vault ${`${vault.A}:read`} --expires-in 3660d`,
      ),
      json<TokenView & { token: string }>(
        cmd`token create never --server ${web.id} --vault ${`${vault.A}:read`}`,
      ),
    ]);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    const token = lines.find((l) => JWT.test(l)) as string;
    expect(token, human.stdout).toBeDefined();
    expect(lines.at(-1)).toBe(token);
    expect(human.stdout).toMatch(/shown only once/);
    expect(human.stdout).toContain(`created for server ${web.id}`);
    issued.push(token, hours.token, minutes.token, seconds.token, min.token, max.token, never.token);

    const lifetime = (jwt: string) => {
      const p = decodeSegment(jwt, 1);
      expect(Math.abs((p.iat as number) - now)).toBeLessThan(30);
      return (p.exp as number) - (p.iat as number);
    };
    expect(lifetime(token)).toBe(12 * 3600);
    expect(lifetime(hours.token)).toBe(12 * 3600);
    expect(lifetime(minutes.token)).toBe(30 * 60);
    expect(lifetime(seconds.token)).toBe(3600);
    expect(lifetime(min.token)).toBe(60);
    expect(lifetime(max.token)).toBe(3660 * DAY);
    expect(decodeSegment(never.token, 1).exp).toBeUndefined();
    expect(never.expiresAt).toBeNull();
  });

  it('refuses a vault the server cannot access, in one line naming the vault', async () => {
    const refused = await kh(cmd`token create nope --server ${web.id} --vault ${`${vault.B}:read`}`);
    const line = failure(refused);
    expect(line).toMatch(/^keyhold: /);
    expect(line).not.toMatch(/\b400\b/);
    expect(line).toContain(`vault ${vault.B}`);
  });

  it('rejects bad --vault specs and bad --expires-in on the client, naming them', async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const create = (...extra: string[]) =>
      kh([...cmd`token create bad --server ${web.id}`, ...extra], nowhere).then(failure);
    const badSpecs = [
      vault.A,
      `${vault.A}:`,
      `${vault.A}:admin`,
      `${vault.A}:read,manage`,
      `${vault.A}:read:write`,
      ':read',
    ];
    const badDurations = ['5s', '59s', '0m', '90', '90w', '-1d', '1.5h', '3661d', 'd', '99999999999d'];
    const results = await Promise.all([
      ...badSpecs.map((spec) => create('--vault', spec)),
      ...badDurations.map((d) => create('--vault', `${vault.A}:read`, '--expires-in', d)),
    ]);
    badSpecs.forEach((spec, i) => {
      const line = results[i] as string;
      expect(line, spec).toMatch(/^keyhold: --vault /);
      expect(line, spec).toContain(JSON.stringify(spec));
      expect(line, spec).not.toContain('cannot reach');
    });
    badDurations.forEach((d, i) => {
      const line = results[badSpecs.length + i] as string;
      expect(line, d).toMatch(/^keyhold: --expires-in /);
      expect(line, d).toContain(JSON.stringify(d));
      expect(line, d).not.toContain('cannot reach');
    });
    expect(results[2]).toBe(
      `keyhold: --vault "${vault.A}:admin": unknown permission "admin"; allowed: read, write`,
    );
    expect(results[badSpecs.length]).toBe('keyhold: --expires-in "5s": must be at least 60s (1m)');
    expect(results[badSpecs.length + 7]).toBe(
      'keyhold: --expires-in "3661d": must be at most 10 years (3660d)',
    );
  });

  it('lists tokens without the tokens themselves', async () => {
    const [list, human] = await Promise.all([
      json<TokenView[]>(cmd`token list --server ${web.id}`),
      kh(cmd`token list --server ${web.id}`),
    ]);
    expect(list).toHaveLength(8);
    const deploy = list.find((t) => t.id === longLived.id);
    expect(deploy).toMatchObject({
      name: 'deploy',
      serverId: web.id,
      revokedAt: null,
      expiresAt: longLived.expiresAt,
    });
    expect(deploy?.vaults).toHaveLength(3);
    for (const t of list) expect(Object.keys(t)).not.toContain('token');
    expect(human.stdout).toMatch(/^ID\s+NAME\s+VAULTS\s+EXPIRES\s+REVOKED$/m);
    expect(human.stdout).toMatch(new RegExp(`^${longLived.id}\\s+deploy\\s.*\\sno$`, 'm'));
    expect(human.stdout).toContain(`${vault.C}:read,write`);
    for (const token of issued) {
      const signature = token.split('.')[2] as string;
      expect(human.stdout + JSON.stringify(list)).not.toContain(signature);
    }
  });

  it('revokes a token: the listing then shows it revoked', async () => {
    const revoked = await json<{ id: string; revoked: boolean }>(cmd`token revoke ${longLived.id}`);
    expect(revoked).toEqual({ id: longLived.id, revoked: true });
    const [list, human] = await Promise.all([
      json<TokenView[]>(cmd`token list --server ${web.id}`),
      kh(cmd`token list --server ${web.id}`),
    ]);
    const deploy = list.find((t) => t.id === longLived.id) as TokenView;
    expect(Date.parse(deploy.revokedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(list.filter((t) => t.revokedAt !== null)).toHaveLength(1);
    expect(human.stdout).toMatch(new RegExp(`^${longLived.id}\\s+deploy\\s.*\\s${deploy.revokedAt}$`, 'm'));

    const other = list.find((t) => t.name === 'never') as TokenView;
    const plain = await kh(cmd`token revoke ${other.id}`);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.trim()).toBe(`Token ${other.id} revoked`);
  });

  it('keys rotate makes a new signing key of one kind; keys list shows both kinds, and new tokens use the new kid', async () => {
    const before = await json<{ keys: KeyView[] }>(cmd`keys list`);
    expect(before.keys.map((k) => k.kind).sort()).toEqual(['connect', 'oauth']);
    const oauthKey = before.keys.find((k) => k.kind === 'oauth') as KeyView;
    expect(before.keys.find((k) => k.kind === 'connect')?.kid).toBe(kid);
    expect(before.keys[0]?.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(JSON.stringify(before)).not.toMatch(/"d"\s*:/);

    const rotated = await json<Record<string, unknown>>(cmd`keys rotate`);
    expect(Object.keys(rotated).sort()).toEqual(['createdAt', 'kid', 'kind']);
    expect(rotated.kind).toBe('connect');
    expect(rotated.kid).toMatch(ID);
    expect(rotated.kid).not.toBe(kid);
    expect(Date.parse(rotated.createdAt as string)).toBeGreaterThan(Date.now() - 60_000);

    const [after, human, fresh] = await Promise.all([
      json<{ keys: KeyView[] }>(cmd`keys list`),
      kh(cmd`keys list`),
      json<{ token: string }>(cmd`token create fresh --server ${web.id} --vault ${`${vault.A}:read`}`),
    ]);
    expect(after.keys.map((k) => k.kid).sort()).toEqual([kid, rotated.kid as string, oauthKey.kid].sort());
    // The OAuth key was left alone.
    expect(after.keys.find((k) => k.kid === oauthKey.kid)).toEqual(oauthKey);
    expect(human.stdout).toMatch(/^KID\s+KIND\s+STATE\s+CREATED\s+ALG\s+CURVE$/m);
    expect(human.stdout).toMatch(new RegExp(`^${kid}\\s+connect\\s+previous\\s+\\S+\\s+ES256\\s+P-256`, 'm'));
    expect(human.stdout).toMatch(new RegExp(`^${rotated.kid}\\s+connect\\s+current\\s`, 'm'));
    expect(human.stdout).toMatch(new RegExp(`^${oauthKey.kid}\\s+oauth\\s+current\\s`, 'm'));
    expect(decodeSegment(fresh.token, 0).kid).toBe(rotated.kid);
    issued.push(fresh.token);

    const plain = await kh(cmd`keys rotate --kind oauth`);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(
      /^Signing key [a-z0-9]{26} \(oauth\) created at \S+; new OAuth JWT access tokens are signed with it\.$/m,
    );
    const last = await json<{ keys: KeyView[] }>(cmd`keys list`);
    expect(last.keys.filter((k) => k.retiredAt === null).map((k) => [k.kind, k.kid === rotated.kid])).toEqual(
      expect.arrayContaining([
        ['connect', true],
        ['oauth', false],
      ]),
    );
    expect(failure(await kh(cmd`keys rotate --kind both`))).toBe(
      'keyhold: --kind "both": must be connect or oauth',
    );
  });

  it('keys withdraw ends a previous key for good: its state, the JWKS, the refusals of the current key and of a bad kid', async () => {
    const jwks = async () =>
      (
        (await (await fetch(`${server.url}/api/accounts/${init.accountId}/jwks.json`)).json()) as {
          keys: { kid: string }[];
        }
      ).keys.map((k) => k.kid);
    expect(await jwks()).toContain(kid);

    const withdrawn = await json<Record<string, unknown>>(cmd`keys withdraw ${kid}`);
    expect(Object.keys(withdrawn).sort()).toEqual(['kid', 'kind', 'state', 'withdrawnAt']);
    expect(withdrawn).toMatchObject({ kid, kind: 'connect', state: 'withdrawn' });
    expect(Date.parse(withdrawn.withdrawnAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(await jwks()).not.toContain(kid);

    const [list, human] = await Promise.all([json<{ keys: KeyView[] }>(cmd`keys list`), kh(cmd`keys list`)]);
    expect(list.keys.find((k) => k.kid === kid)).toMatchObject({
      state: 'withdrawn',
      withdrawnAt: withdrawn.withdrawnAt,
    });
    expect(human.stdout).toMatch(
      new RegExp(`^${kid}\\s+connect\\s+withdrawn\\s+\\S+\\s+ES256\\s+P-256`, 'm'),
    );

    // A second time: the key as it is.
    const again = await kh(cmd`keys withdraw ${kid}`);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(
      `Signing key ${kid} (connect) withdrawn at ${withdrawn.withdrawnAt}.\nEvery Connect token it signed is refused from now on, and it is gone from the JWKS.\n`,
    );

    const current = list.keys.find((k) => k.kind === 'connect' && k.state === 'current') as KeyView;
    expect(failure(await kh(cmd`keys withdraw ${current.kid}`))).toBe(
      `keyhold: signing key ${current.kid} is the current connect key: rotate the connect key first (POST /api/admin/keys/rotate, \`keyhold keys rotate --kind connect\`), then withdraw this one`,
    );
    expect(failure(await kh(cmd`keys withdraw ${'zzzzzzzzzzzzzzzzzzzzzzzzzz'}`))).toBe(
      'keyhold: signing key zzzzzzzzzzzzzzzzzzzzzzzzzz not found',
    );
    expect(failure(await kh(cmd`keys withdraw ${'not-a-kid'}`))).toBe(
      'keyhold: "not-a-kid" is not a key id: see the KID column of `keyhold keys list`',
    );
    expect(
      (await json<{ keys: KeyView[] }>(cmd`keys list`)).keys.find((k) => k.kid === current.kid)?.state,
    ).toBe('current');
  });
});

describe('keyhold server delete', () => {
  it('deletes servers; they and their tokens are gone', async () => {
    const list = await json<ServerView[]>(cmd`server list`);
    const spare = list.find((s) => s.name === 'spare') as ServerView;
    const human = list.find((s) => s.name === 'human') as ServerView;
    const [deleted, plain] = await Promise.all([
      json<{ id: string; deleted: boolean }>(cmd`server delete ${web.id}`),
      kh(cmd`server delete ${human.id}`),
    ]);
    expect(deleted).toEqual({ id: web.id, deleted: true });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.trim()).toBe(`Server human (${human.id}) deleted`);
    const [gone, tokens, remaining] = await Promise.all([
      kh(cmd`server get ${web.id}`),
      kh(cmd`token list --server ${web.id}`),
      json<ServerView[]>(cmd`server list`),
    ]);
    expect(failure(gone)).toBe(`keyhold: no Connect server named or with id '${web.id}'`);
    expect(failure(tokens)).toBe(`keyhold: no Connect server named or with id '${web.id}'`);
    expect(remaining.map((s) => s.id)).toEqual([spare.id]);
  });

  it('leaves no token or server secret in the audit trail', async () => {
    const audit = (await kh(cmd`audit list --limit 1000 --json`)).stdout;
    expect(audit).toContain('"TOKEN"');
    expect(audit).toContain('"SERVER"');
    expect(audit).not.toContain('khsrv_');
    for (const token of issued) expect(audit).not.toContain(token.split('.')[2] as string);
  });
});
