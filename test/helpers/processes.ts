import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real processes for end-to-end tests: the built CLI (`dist/cli/main.cjs`, so run `npm run build`
 * first: tsc, then the CLI's bundle) started the way a user starts it. Nothing here knows the
 * server's internals; it only reads what the processes print.
 */

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'main.cjs');

const tempDirs = new Set<string>();
const children = new Set<ChildProcess>();

/** A fresh, empty directory (mode 0700) to use as a data directory; removed by `cleanup()`. */
export function tempDataDir(): string {
  const dir = fs.mkdtempSync(`${os.tmpdir()}/keyhold-`);
  tempDirs.add(dir);
  return dir;
}

/**
 * The environment for a child: the test's own, minus every KEYHOLD_ variable (a developer's shell
 * must not change what a test sees), plus `extra`.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('KEYHOLD_')) env[key] = value;
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export interface RunResult {
  /** Exit code; null when the process was killed by a signal (the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Standard output byte for byte, for commands that print binary content. */
  stdoutBytes: Buffer;
}

/**
 * Runs `node dist/cli/main.cjs ...args` to completion. A hung process is killed after `timeoutMs`.
 * With `input`, standard input is a pipe that receives it and is then closed; `beforeInput` runs
 * first, with the running process (to look at it while it waits for its input).
 */
export function runCli(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
    input?: string;
    beforeInput?: (child: ChildProcess) => Promise<void>;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: childEnv(options.env),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const { input, beforeInput } = options;
    if (input !== undefined) {
      child.once('spawn', () => {
        (beforeInput ?? (async () => {}))(child).then(
          () => child.stdin?.end(input),
          (error: unknown) => {
            child.kill('SIGKILL');
            reject(error);
          },
        );
      });
    }
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
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

export interface Server {
  url: string;
  /** The whole JSON log line that said the process was ready. */
  ready: Record<string, unknown>;
  child: ChildProcess;
  /** Every line the server has written to standard output so far (credentials block, then JSON logs). */
  lines: string[];
  stderr(): string;
  /** SIGTERM, then the exit code once the process is gone (SIGKILL if it lingers past 10 s). */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, with no chance to flush or close anything. */
  kill(): Promise<void>;
}

/**
 * Starts `keyhold serve --data-dir DIR --port 0` and resolves once its log says
 * `"msg":"keyhold listening"` with the URL it bound. Rejects, with what the process printed, if it
 * exits or stays silent first.
 */
export function startServer(
  dataDir: string,
  options: { env?: Record<string, string | undefined>; timeoutMs?: number; extraArgs?: string[] } = {},
): Promise<Server> {
  return startKeyhold(
    ['serve', '--data-dir', dataDir, '--port', '0', ...(options.extraArgs ?? [])],
    'keyhold listening',
    options,
  );
}

/**
 * Starts `keyhold ARGS…` and resolves once its log has a line with `"msg": ready` and a `url`
 * (e.g. `keyhold connect …` with `connect server listening`).
 */
export function startKeyhold(
  args: string[],
  ready: string,
  options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<Server> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  let listening = false;
  let onEarlyExit: (code: number | null) => void = () => {};
  // 'close' rather than 'exit': by then everything the process printed has been read.
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      children.delete(child);
      if (!listening) onEarlyExit(code);
      resolve(code);
    });
  });
  const server: Omit<Server, 'url' | 'ready'> = {
    child,
    lines,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });

  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`keyhold ${args[0]} ${why}\nstdout:\n${lines.join('\n')}\nstderr:\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`did not report "${ready}" in time`), options.timeoutMs ?? 20_000);
    onEarlyExit = (code) => fail(`exited with ${code} before listening`);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const entry = readyLine(line, ready);
        if (entry !== undefined && !listening) {
          listening = true;
          clearTimeout(timer);
          resolve({ ...server, url: entry.url as string, ready: entry });
        }
      }
    });
  });
}

/** Pino's `ready` line (with a `url`) parsed; undefined for any other line (including plain text). */
function readyLine(line: string, ready: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    return entry.msg === ready && typeof entry.url === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** SHA-256 of a file, or null when it does not exist. */
export function sha256File(file: string): string | null {
  return fs.existsSync(file) ? createHash('sha256').update(fs.readFileSync(file)).digest('hex') : null;
}

/** Kills every child still running and removes the temporary directories. Call in `afterAll`. */
export async function cleanup(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * A command line as an argument list: the literal text splits on whitespace, each `${value}` is
 * one argument as is (so values with spaces or shell characters need no quoting).
 */
export function cmd(literals: TemplateStringsArray, ...values: (string | number)[]): string[] {
  return literals.flatMap((text, i) => [
    ...text.split(/\s+/).filter((word) => word !== ''),
    ...(i < values.length ? [String(values[i])] : []),
  ]);
}
