import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  childEnv,
  cleanup,
  REPO_ROOT,
  type RunResult,
  runCli,
  type Server,
  startServer,
  tempDataDir,
} from '../helpers/processes.js';

/**
 * The CLI's manners, over real processes against one real service: errors in words, a 413 said
 * as one, a closed pipe ending quietly, `--out` that keeps an existing file, the next-page hint,
 * colour only on a terminal, `serve --check-config --json`.
 */
const LIMIT = 256 * 1024;
let dir: string;
let central: Server;
let token: string;
let vault: string;
let item: string;
let file: string;
const content = randomBytes(200 * 1024);

const kh = (args: string[], env: Record<string, string> = {}) =>
  runCli([...args, '--addr', central.url], { env: { KEYHOLD_TOKEN: token, ...env }, timeoutMs: 60_000 });
const ok = async (args: string[]) => {
  const res = await kh(args);
  expect(res.code, res.stderr).toBe(0);
  return res;
};
const json = async <T>(args: string[]) => JSON.parse((await ok([...args, '--json'])).stdout) as T;
/** The one line a failing command printed, with its exit code checked. */
const failure = (res: RunResult) => {
  expect(res.code, res.stdout).toBe(1);
  expect(res.stdout).toBe('');
  return res.stderr.trim();
};

beforeAll(async () => {
  dir = tempDataDir();
  central = await startServer(join(dir, 'data'), {
    env: { KEYHOLD_MAX_FILE_SIZE: String(LIMIT) },
    timeoutMs: 60_000,
  });
  token = /admin token:\s+(\S+)/.exec(central.lines.join('\n'))?.[1] as string;
  vault = (await json<{ id: string }>(['vault', 'create', 'polish'])).id;
  for (const title of ['alpha', 'beta', 'gamma']) {
    item = (await json<{ id: string }>(['item', 'create', '--vault', vault, '--title', title])).id;
  }
  writeFileSync(join(dir, 'attachment.bin'), content);
  file = (await json<{ id: string }>(['item', 'file', 'add', vault, item, join(dir, 'attachment.bin')])).id;
}, 180_000);
afterAll(cleanup);

describe('errors in words', () => {
  it('a vault that no id or name matches', async () => {
    expect(failure(await kh(['vault', 'get', 'Production']))).toBe(
      "keyhold: no vault named or with id 'Production'",
    );
    expect(failure(await kh(['vault', 'get', 'abcdefghijklmnopqrstuvwxyz']))).toBe(
      "keyhold: no vault named or with id 'abcdefghijklmnopqrstuvwxyz'",
    );
  }, 120_000);

  it('a 403 says what the token lacks, without the status', async () => {
    const auditor = await json<{ token: string }>(['admin-token', 'create', 'reader', '--role', 'auditor']);
    const refused = await kh(['vault', 'create', 'nope'], { KEYHOLD_TOKEN: auditor.token });
    expect(failure(refused)).toBe(
      'keyhold: the admin token is not allowed to do this: its role (auditor) does not have the vaults:create permission (docs/roles.md)',
    );
  }, 120_000);

  it('an upload over the limit is a 413 in words, not an unreachable server', async () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, randomBytes(3 * LIMIT));
    expect(failure(await kh(['item', 'file', 'add', vault, item, big]))).toBe(
      'keyhold: the file (768 KiB) is larger than the server accepts (limit 256 KiB)',
    );
  }, 120_000);
});

describe('a closed pipe ends the command quietly', () => {
  /** Runs the CLI with standard output a pipe this side closes at once, before anything is written. */
  const withClosedStdout = (args: string[]) =>
    new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args, '--addr', central.url], {
        cwd: REPO_ROOT,
        env: childEnv({ KEYHOLD_TOKEN: token }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stderr });
      });
    });

  it('item file get with its reader gone: exit 0, nothing on standard error', async () => {
    const res = await withClosedStdout(['item', 'file', 'get', vault, item, file]);
    expect(res).toEqual({ code: 0, signal: null, stderr: '' });
  }, 120_000);

  it('vault list with its reader gone: exit 0, nothing on standard error', async () => {
    const res = await withClosedStdout(['vault', 'list']);
    expect(res).toEqual({ code: 0, signal: null, stderr: '' });
  }, 120_000);

  it('`item file get … | head -c 10` in a shell with pipefail: ten bytes, status 0, no stack trace', async () => {
    const res = await new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve) => {
      const child = spawn(
        'bash',
        [
          '-o',
          'pipefail',
          '-c',
          `"${process.execPath}" "${CLI}" item file get "$V" "$I" "$F" --addr "$A" | head -c 10`,
        ],
        {
          cwd: REPO_ROOT,
          env: childEnv({ KEYHOLD_TOKEN: token, V: vault, I: item, F: file, A: central.url }),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout.equals(content.subarray(0, 10))).toBe(true);
  }, 120_000);
});

describe('--out keeps an existing file unless --force', () => {
  it('refuses, leaves the file as it was, then replaces it with --force as a 0600 file', async () => {
    const out = join(dir, 'existing.bin');
    writeFileSync(out, 'keep me', { mode: 0o644 });
    expect(failure(await kh(['item', 'file', 'get', vault, item, file, '--out', out]))).toBe(
      `keyhold: ${out} already exists; refusing to overwrite it (pass --force to replace it)`,
    );
    expect(readFileSync(out, 'utf8')).toBe('keep me');

    await ok(['item', 'file', 'get', vault, item, file, '--out', out, '--force']);
    expect(readFileSync(out).equals(content)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const fresh = join(dir, 'fresh.bin');
    await ok(['item', 'file', 'get', vault, item, file, '--out', fresh]);
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
  }, 120_000);
});

describe('pages with a next-page hint', () => {
  it('item list --limit pages in title order; the hint on standard error runs as the next page', async () => {
    const first = await ok(['item', 'list', vault, '--limit', '2']);
    expect(first.stdout).toMatch(/alpha/);
    expect(first.stdout).toMatch(/beta/);
    expect(first.stdout).not.toMatch(/gamma/);
    const hint = /^More: keyhold (.+) --cursor (\S+)$/.exec(first.stderr.trim());
    expect(hint, first.stderr).not.toBeNull();
    expect(first.stderr).not.toContain(token);

    const page = await json<{ items: { title: string }[]; nextCursor?: string }>([
      'item',
      'list',
      vault,
      '--limit',
      '2',
    ]);
    expect(page.items.map((i) => i.title)).toEqual(['alpha', 'beta']);
    expect(page.nextCursor).toBe(hint?.[2]);

    const second = await ok(['item', 'list', vault, '--limit', '2', '--cursor', hint?.[2] as string]);
    expect(second.stdout).toMatch(/gamma/);
    expect(second.stderr).toBe('');
  }, 120_000);

  it('audit list --limit 1 ends with the command for the page before, filters kept', async () => {
    const res = await ok(['audit', 'list', '--limit', '1', '--action', 'CREATE']);
    const seq = /^\s*(\d+)/m.exec(res.stdout.split('\n')[1] ?? '')?.[1];
    expect(res.stderr.trim()).toBe(
      `More: keyhold audit list --limit 1 --action CREATE --addr ${central.url} --before ${seq}`,
    );
    // --json carries the cursor as the last event's seq, and no hint.
    const listed = await kh(['audit', 'list', '--limit', '1', '--json']);
    expect(listed.stderr).toBe('');
    expect((JSON.parse(listed.stdout) as { seq: number }[])[0]?.seq).toBeGreaterThan(0);
  }, 120_000);
});

describe('colour only on a terminal', () => {
  /** The command run under a pseudo-terminal (util-linux `script`), as a person would. */
  const onTerminal = (args: string[], env: Record<string, string> = {}) =>
    new Promise<string>((resolve) => {
      const line = [process.execPath, CLI, ...args, '--addr', central.url].map((a) => `'${a}'`).join(' ');
      const child = spawn('script', ['-qec', line, '/dev/null'], {
        env: childEnv({ KEYHOLD_TOKEN: token, TERM: 'xterm', ...env }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.on('close', () => resolve(out));
    });

  it('piped output has no escape codes; a terminal gets a bold header, unless NO_COLOR', async () => {
    const piped = await ok(['vault', 'list']);
    expect(piped.stdout).not.toContain('\u001b');
    expect(await onTerminal(['vault', 'list'])).toContain('\u001b[1mID');
    expect(await onTerminal(['vault', 'list'], { NO_COLOR: '1' })).not.toContain('\u001b');
    // Errors: `keyhold:` in red on a terminal, plain through a pipe.
    expect(await onTerminal(['vault', 'get', 'Production'])).toContain(
      '\u001b[31mkeyhold:\u001b[39m no vault',
    );
    expect(failure(await kh(['vault', 'get', 'Production']))).not.toContain('\u001b');
  }, 120_000);
});

describe('serve --check-config', () => {
  it('prints the checked settings as JSON, secrets left out; a wrong one is valid: false, exit 1', async () => {
    const good = await runCli(['serve', '--check-config', '--json', '--data-dir', join(dir, 'elsewhere')], {
      env: { KEYHOLD_MASTER_KEY: 'not-printed', KEYHOLD_DATABASE_URL: 'postgres://u:pw-not-printed@db/k' },
    });
    expect(good.code, good.stderr).toBe(0);
    const checked = JSON.parse(good.stdout) as { valid: boolean; settings: Record<string, unknown> };
    expect(checked.valid).toBe(true);
    expect(checked.settings.masterKey).toBe('(set)');
    expect(checked.settings.databaseUrl).toBe('postgres://u@db/k');
    expect(good.stdout).not.toContain('not-printed');

    const bad = await runCli(['serve', '--check-config', '--json'], { env: { KEYHOLD_PORT: '99999' } });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({
      valid: false,
      error: 'KEYHOLD_PORT is invalid (got "99999"): must be an integer from 0 to 65535',
    });
  }, 120_000);
});
