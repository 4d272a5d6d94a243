import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectFixture, stopConnectServices } from '../helpers/connect.js';
import {
  CLI,
  childEnv,
  cleanup,
  REPO_ROOT,
  type RunResult,
  runCli,
  tempDataDir,
} from '../helpers/processes.js';

/**
 * Secret references end to end: `keyhold read`, `run` and `inject` as real processes, against one
 * real `keyhold serve` that also hosts a Connect server — once through the central service with an
 * admin token, once through the Connect server with nothing but a Connect token.
 */

const CONCEALED = '<concealed by keyhold>';
/** The RFC 6238 example key ("12345678901234567890") in base32, so the test can check itself. */
const OTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const API_KEY = `key-${randomBytes(12).toString('hex')}`;
const WEB_PASSWORD = `web-${randomBytes(12).toString('hex')}`;

let fixture: ConnectFixture;
let work: string;
let connectToken: string;
let prodId: string;
let otherId: string;
/** Scripts the children run. */
let printEnv: string;

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits) written out with node:crypto, independent of otpauth. */
function rfc6238(base32: string, at: number, digits = 6): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)?.map((b) => Number.parseInt(b, 2)) ?? []);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const hmac = createHmac('sha1', key).update(counter).digest();
  const offset = (hmac[19] as number) & 0xf;
  const code = (hmac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}

/** A command whose run straddles a 30 s step may see either code: both are right. */
async function otpAround(run: () => Promise<RunResult>): Promise<{ result: RunResult; codes: string[] }> {
  const before = Date.now();
  const result = await run();
  const after = Date.now();
  return { result, codes: [rfc6238(OTP_SECRET, before), rfc6238(OTP_SECRET, after)] };
}

/** `keyhold ARGS` with the central service or the Connect server chosen by the environment. */
type Kh = (args: string[], options?: { input?: string }) => Promise<RunResult>;

beforeAll(async () => {
  work = tempDataDir();
  printEnv = path.join(work, 'print-env.mjs');
  // Prints the variables named on its command line, each twice (the second time split across two
  // writes 30 ms apart, so a masker must join chunks), then a digest of each value so the test
  // knows the child got the real secret even though its output is masked; exits with $EXIT_WITH.
  fs.writeFileSync(
    printEnv,
    `import { createHash } from 'node:crypto';
const names = process.argv.slice(2);
for (const name of names) process.stdout.write(name + '=' + process.env[name] + '\\n');
for (const name of names) {
  const value = process.env[name] ?? '';
  const half = Math.floor(value.length / 2);
  process.stderr.write(name + ' on stderr=' + value.slice(0, half));
  await new Promise((resolve) => setTimeout(resolve, 30));
  process.stderr.write(value.slice(half) + '\\n');
}
for (const name of names) {
  process.stdout.write(name + ' sha256=' + createHash('sha256').update(process.env[name] ?? '').digest('hex') + '\\n');
}
process.exitCode = Number(process.env.EXIT_WITH ?? 0);
`,
  );

  fixture = new ConnectFixture();
  await fixture.start();
  const { admin } = fixture;
  prodId = (await admin.call<{ id: string }>('POST', '/vaults', { name: 'Refs Prod' })).id;
  otherId = (await admin.call<{ id: string }>('POST', '/vaults', { name: 'Refs Other' })).id;
  await admin.call('POST', `/vaults/${prodId}/items`, {
    title: 'Database',
    category: 'DATABASE',
    sections: [{ id: 'admin', label: 'Admin' }],
    fields: [
      { id: 'username', purpose: 'USERNAME', label: 'username', value: 'app' },
      { id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', label: 'password', value: PASSWORD },
      { type: 'OTP', label: 'one-time password', value: `otpauth://totp/db?secret=${OTP_SECRET}` },
      { type: 'CONCEALED', label: 'api key', value: API_KEY, section: { id: 'admin' } },
    ],
  });
  await admin.call('POST', `/vaults/${prodId}/items`, {
    title: 'Web / Frontend',
    category: 'LOGIN',
    fields: [
      { id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', label: 'password', value: WEB_PASSWORD },
    ],
  });
  await admin.call('POST', `/vaults/${otherId}/items`, {
    title: 'Elsewhere',
    category: 'PASSWORD',
    fields: [{ purpose: 'PASSWORD', value: 'not for the token' }],
  });
  const server = await fixture.createServer('refs', [prodId, otherId]);
  connectToken = (
    await fixture.issueToken(server.id, 'app host', [{ vaultId: prodId, permissions: ['read'] }])
  ).token;
  await fixture.hostConnect();
});

afterAll(async () => {
  await stopConnectServices();
  await cleanup();
});

/** Runs the CLI with `env` (the test's own KEYHOLD_ variables dropped first). */
const runWith = (env: Record<string, string>, args: string[], options: { input?: string } = {}) =>
  runCli(args, { env, timeoutMs: 60_000, ...options });

const sha = (value: string) => createHash('sha256').update(value).digest('hex');

describe.each([
  {
    source: 'the central service (admin token)',
    env: (): Record<string, string> => ({
      KEYHOLD_ADDR: fixture.centralUrl,
      KEYHOLD_TOKEN: fixture.init.adminToken,
    }),
    scheme: 'keyhold',
  },
  {
    source: 'a Connect server (Connect token only)',
    env: (): Record<string, string> => ({
      KEYHOLD_CONNECT_HOST: fixture.service?.connectUrls[0] as string,
      KEYHOLD_CONNECT_TOKEN: connectToken,
    }),
    scheme: 'op',
  },
])('against $source', ({ env, scheme }) => {
  const kh: Kh = (args, options) => runWith(env(), args, options);

  it('read prints one value; -n without the newline; ?attribute=otp is the RFC 6238 code', async () => {
    const [plain, bare, byIds, escaped, type, otp] = await Promise.all([
      kh(['read', `${scheme}://Refs Prod/Database/password`]),
      kh(['read', '-n', `${scheme}://refs prod/database/username`]),
      kh(['read', `${scheme}://${prodId}/Database/admin/API KEY`]),
      kh(['read', `${scheme}://Refs Prod/Web %2F Frontend/password`]),
      kh(['read', `${scheme}://Refs Prod/Database/password?attribute=type`]),
      otpAround(() => kh(['read', `${scheme}://Refs Prod/Database/one-time password?attribute=otp`])),
    ]);
    expect(plain).toMatchObject({ code: 0, stdout: `${PASSWORD}\n`, stderr: '' });
    expect(bare).toMatchObject({ code: 0, stdout: 'app' });
    expect(byIds.stdout).toBe(`${API_KEY}\n`);
    expect(escaped.stdout).toBe(`${WEB_PASSWORD}\n`);
    expect(type.stdout).toBe('CONCEALED\n');
    expect(otp.result.code, otp.result.stderr).toBe(0);
    expect(otp.codes).toContain(otp.result.stdout.trimEnd());
    expect(otp.result.stdout).toMatch(/^\d{6}\n$/);
  }, 90_000);

  it('read says in words what it could not find', async () => {
    const [vault, vaultById, field] = await Promise.all([
      kh(['read', `${scheme}://Refs Other/Elsewhere/password`]),
      kh(['read', `${scheme}://${otherId}/Elsewhere/password`]),
      kh(['read', `${scheme}://Refs Prod/Database/pasword`]),
    ]);
    const reach = scheme === 'op' ? 'that this Connect token can reach' : 'that you can read';
    if (scheme === 'op') {
      // The token was not granted "Refs Other": the Connect server does not show it.
      expect(vault.stderr).toBe(
        `keyhold: op://Refs Other/Elsewhere/password: no vault named or with id 'Refs Other' ${reach}\n`,
      );
      // By id too: the same words, nothing about whether the vault exists.
      expect(vaultById.stderr).toBe(
        `keyhold: op://${otherId}/Elsewhere/password: no vault named or with id '${otherId}' ${reach}\n`,
      );
    } else {
      expect(vault.stdout).toBe('not for the token\n');
      expect(vaultById.stdout).toBe('not for the token\n');
    }
    expect(field).toMatchObject({ code: 1, stdout: '' });
    expect(field.stderr).toBe(
      `keyhold: ${scheme}://Refs Prod/Database/pasword: no field named or with id 'pasword' in item 'Database'\n`,
    );
  }, 90_000);

  it('run hands the resolved secrets to the child, masks them in its output and passes its exit code', async () => {
    const envFile = path.join(work, `${scheme}.env`);
    fs.writeFileSync(
      envFile,
      `# from a file\nAPI_KEY="${scheme}://Refs Prod/Database/Admin/api key"\nPLAIN=just text\n`,
    );
    const result = await runWith(
      { ...env(), DB_PASSWORD: `${scheme}://Refs Prod/Database/password`, EXIT_WITH: '7' },
      ['run', '--env-file', envFile, '--', process.execPath, printEnv, 'DB_PASSWORD', 'API_KEY', 'PLAIN'],
    );
    expect(result.code, result.stderr).toBe(7);
    expect(result.stdout).toBe(
      [
        `DB_PASSWORD=${CONCEALED}`,
        `API_KEY=${CONCEALED}`,
        'PLAIN=just text',
        `DB_PASSWORD sha256=${sha(PASSWORD)}`,
        `API_KEY sha256=${sha(API_KEY)}`,
        `PLAIN sha256=${sha('just text')}`,
        '',
      ].join('\n'),
    );
    // Written in two halves 30 ms apart: masked all the same.
    expect(result.stderr).toBe(
      `DB_PASSWORD on stderr=${CONCEALED}\nAPI_KEY on stderr=${CONCEALED}\nPLAIN on stderr=just text\n`,
    );
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    expect(result.stdout + result.stderr).not.toContain(API_KEY);

    const unmasked = await runWith({ ...env(), DB_PASSWORD: `${scheme}://Refs Prod/Database/password` }, [
      'run',
      '--no-masking',
      '--',
      process.execPath,
      printEnv,
      'DB_PASSWORD',
    ]);
    expect(unmasked.code).toBe(0);
    expect(unmasked.stdout).toContain(`DB_PASSWORD=${PASSWORD}\n`);
  }, 90_000);

  it('run refuses, naming every reference it cannot resolve, and does not start the command', async () => {
    const marker = path.join(work, `${scheme}-ran`);
    const result = await runWith(
      {
        ...env(),
        GOOD: `${scheme}://Refs Prod/Database/password`,
        NO_ITEM: `${scheme}://Refs Prod/Nope/password`,
        NO_FIELD: `${scheme}://Refs Prod/Database/nope`,
        BAD_SYNTAX: `${scheme}://Refs Prod/Database`,
      },
      ['run', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`],
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^keyhold: could not resolve 3 secret references; the command was not run:\n/,
    );
    expect(result.stderr).toContain(
      `  BAD_SYNTAX: invalid secret reference "${scheme}://Refs Prod/Database": expected 3 or 4 parts`,
    );
    expect(result.stderr).toContain(
      `  NO_ITEM: ${scheme}://Refs Prod/Nope/password: no item named or with id 'Nope' in vault 'Refs Prod'\n`,
    );
    expect(result.stderr).toContain(
      `  NO_FIELD: ${scheme}://Refs Prod/Database/nope: no field named or with id 'nope' in item 'Database'`,
    );
    expect(result.stderr).not.toContain(PASSWORD);
    expect(fs.existsSync(marker)).toBe(false);
  }, 90_000);

  it('inject renders a template into a 0600 file, refuses to overwrite it, and writes nothing when a reference fails', async () => {
    const template = [
      'db:',
      `  password: {{ ${scheme}://Refs Prod/Database/password }}`,
      `  again: {{${scheme}://Refs Prod/Database/password}}`,
      `  key: "{{ keyhold://Refs Prod/Database/Admin/api key }}"`,
      '  helm: {{ .Values.keep }}',
      '',
    ].join('\n');
    const out = path.join(work, `${scheme}-config.yaml`);
    const rendered = await kh(['inject', '-o', out], { input: template });
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.stdout).toBe('');
    expect(fs.readFileSync(out, 'utf8')).toBe(
      [
        'db:',
        `  password: ${PASSWORD}`,
        `  again: ${PASSWORD}`,
        `  key: "${API_KEY}"`,
        '  helm: {{ .Values.keep }}',
        '',
      ].join('\n'),
    );
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);

    const templateFile = path.join(work, `${scheme}-template`);
    fs.writeFileSync(templateFile, `x={{ op://Refs Prod/Database/username }}\n`);
    const [again, toStdout] = await Promise.all([
      kh(['inject', '-i', templateFile, '-o', out]),
      kh(['inject', '-i', templateFile]),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`keyhold: --out-file ${out} already exists; pass --force to overwrite it\n`);
    expect(fs.readFileSync(out, 'utf8')).toContain(PASSWORD);
    expect(toStdout.stdout).toBe('x=app\n');

    const broken = path.join(work, `${scheme}-broken.yaml`);
    const failed = await kh(['inject', '-o', broken], {
      input: `a={{ ${scheme}://Refs Prod/Database/password }}\nb={{ ${scheme}://Refs Prod/Missing/password }}\nc={{ ${scheme}://No such vault/x/y }}\n`,
    });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    const reach = scheme === 'op' ? 'that this Connect token can reach' : 'that you can read';
    expect(failed.stderr).toBe(
      [
        'keyhold: could not resolve 2 secret references; nothing was written:',
        `  line 2: ${scheme}://Refs Prod/Missing/password: no item named or with id 'Missing' in vault 'Refs Prod'`,
        `  line 3: ${scheme}://No such vault/x/y: no vault named or with id 'No such vault' ${reach}`,
        '',
      ].join('\n'),
    );
    expect(fs.existsSync(broken)).toBe(false);
  }, 90_000);
});

describe('the source', () => {
  it('OP_CONNECT_HOST / OP_CONNECT_TOKEN select a Connect server too; half a pair is refused', async () => {
    const [op, half, badToken] = await Promise.all([
      runWith(
        { OP_CONNECT_HOST: fixture.service?.connectUrls[0] as string, OP_CONNECT_TOKEN: connectToken },
        ['read', 'op://Refs Prod/Database/password'],
      ),
      runWith({ KEYHOLD_CONNECT_HOST: fixture.service?.connectUrls[0] as string }, ['read', 'op://a/b/c']),
      runWith(
        { KEYHOLD_CONNECT_HOST: fixture.service?.connectUrls[0] as string, KEYHOLD_CONNECT_TOKEN: 'x.y.z' },
        ['read', 'op://a/b/c'],
      ),
    ]);
    expect(op.stdout).toBe(`${PASSWORD}\n`);
    expect(half.stderr).toBe(
      'keyhold: KEYHOLD_CONNECT_HOST is set but KEYHOLD_CONNECT_TOKEN is not: set both to use a Connect server, or neither to use the central service\n',
    );
    expect(badToken.stderr).toMatch(
      /the Connect server at http:\/\/127\.0\.0\.1:\d+ refused the Connect token/,
    );
  }, 90_000);

  it('read --out writes a 0600 file and refuses to overwrite it without --force', async () => {
    const env = { KEYHOLD_ADDR: fixture.centralUrl, KEYHOLD_TOKEN: fixture.init.adminToken };
    const file = path.join(work, 'secret.txt');
    const first = await runWith(env, ['read', 'keyhold://Refs Prod/Database/password', '--out', file]);
    expect(first).toMatchObject({ code: 0, stdout: '' });
    expect(fs.readFileSync(file, 'utf8')).toBe(PASSWORD);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    fs.rmSync(file);
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    const refused = await runWith(env, ['read', 'keyhold://Refs Prod/Database/username', '--out', file]);
    expect(refused.stderr).toBe(`keyhold: --out ${file} already exists; pass --force to overwrite it\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    const forced = await runWith(env, [
      'read',
      'keyhold://Refs Prod/Database/username',
      '--out',
      file,
      '--force',
    ]);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe('app');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  }, 90_000);
});

describe('run and signals', () => {
  /** `keyhold run -- node -e SCRIPT` without references (no service needed), as a live process. */
  function startRun(script: string): { child: ChildProcess; done: Promise<RunResult> } {
    const child = spawn(process.execPath, [CLI, 'run', '--', process.execPath, '-e', script], {
      cwd: REPO_ROOT,
      env: childEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    const done = new Promise<RunResult>((resolve) =>
      child.on('close', (code) =>
        resolve({
          code,
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
          stdoutBytes: Buffer.concat(out),
        }),
      ),
    );
    return { child, done };
  }
  const printed = (child: ChildProcess, text: string) =>
    new Promise<void>((resolve) => {
      let seen = '';
      child.stdout?.on('data', (c: Buffer) => {
        seen += c.toString();
        if (seen.includes(text)) resolve();
      });
    });

  it('forwards SIGTERM to the child, passes stdin through, and reports a child killed by a signal as 128+n', async () => {
    const graceful = startRun(
      "process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(3); }); process.stdin.on('data', (d) => console.log('stdin: ' + d.toString().trim())); console.log('ready');",
    );
    await printed(graceful.child, 'ready');
    graceful.child.stdin?.write('hello\n');
    await printed(graceful.child, 'stdin: hello');
    graceful.child.kill('SIGTERM');
    const ended = await graceful.done;
    expect(ended.stdout).toBe('ready\nstdin: hello\nchild got SIGTERM\n');
    expect(ended.code).toBe(3);

    const killed = startRun("console.log('ready'); setInterval(() => {}, 1000);");
    await printed(killed.child, 'ready');
    killed.child.kill('SIGINT');
    expect((await killed.done).code).toBe(130);

    const missing = await runCli(['run', '--', 'no-such-command-keyhold-test']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe('keyhold: no-such-command-keyhold-test: command not found\n');
  }, 90_000);
});
