import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, REPO_ROOT, type RunResult, runCli, tempDataDir } from '../helpers/processes.js';
import { type ServedKeyhold, serveInitialized } from '../helpers/served-keyhold.js';

/**
 * What the built CLI loads to start, read from real processes (no timing: a shared machine's
 * clock would make that flaky; bench/cli-start.mjs measures the time). A command's start-up is
 * most of its time, so the CLI is one CommonJS file (commander and every command module bundled
 * in), and `--version`, `--help` and a remote command load nothing else (a remote command not even
 * the error classes the CLI shares with the server): never zod, the server, a package from node_modules, undici (the
 * code behind the global fetch, which alone costs more than the rest of a command) or, for a
 * remote command, node:child_process.
 */

interface Trace {
  /** URLs of the ES modules resolved, in order, repeats included. */
  esm: string[];
  /** Files in require's cache. */
  cjs: string[];
  /** Node's own modules (`NativeModule internal/deps/undici/undici`, …). */
  builtins: string[];
}

const TRACE_HOOK = path.join(REPO_ROOT, 'test', 'helpers', 'module-trace.mjs');
const DIST = path.join(REPO_ROOT, 'dist');

/** Runs the CLI with the module trace preloaded; answers its result and what it loaded. */
async function traced(
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult & { trace: Trace }> {
  const file = path.join(tempDataDir(), 'trace.json');
  const result = await runCli(args, {
    env: { ...env, MODULE_TRACE_FILE: file, NODE_OPTIONS: `--import=${TRACE_HOOK}` },
  });
  return { ...result, trace: JSON.parse(fs.readFileSync(file, 'utf8')) as Trace };
}

/** The files of this checkout a trace loaded, relative to dist/ (`cli/main.cjs`, `errors/…`). */
const distFiles = (trace: Trace): string[] => [
  ...new Set(
    [...trace.esm.filter((u) => u.startsWith('file:')).map((u) => new URL(u).pathname), ...trace.cjs]
      .filter((f) => f.startsWith(DIST + path.sep))
      .map((f) => path.relative(DIST, f)),
  ),
];

/** Every file outside this checkout's dist/ (a package in node_modules, …). */
const foreignFiles = (trace: Trace): string[] =>
  [...trace.esm.filter((u) => u.startsWith('file:')).map((u) => new URL(u).pathname), ...trace.cjs].filter(
    (f) => !f.startsWith(DIST + path.sep),
  );

const BUNDLE = `cli${path.sep}main.cjs`;

/** What loaded from dist/ besides the CLI's bundle and the error classes it shares with the server. */
const outsideCli = (trace: Trace): string[] =>
  distFiles(trace).filter((f) => f !== BUNDLE && !f.startsWith(`errors${path.sep}`));

const undici = (trace: Trace): string[] => trace.builtins.filter((m) => m.includes('undici'));

/** node:child_process, which commander loads at once unless the bundle defers it (scripts/build-cli.mjs). */
const childProcess = (trace: Trace): string[] =>
  trace.builtins.filter((m) => m === 'NativeModule child_process');

let served: ServedKeyhold;

beforeAll(async () => {
  served = await serveInitialized();
}, 60_000);

afterAll(async () => {
  await served?.server.stop();
  await cleanup();
});

describe('what the CLI loads to start', () => {
  it('the trace sees what it should (fetch loads undici, a package loads from node_modules, child_process)', async () => {
    // The hook itself, checked on a script that does what the CLI must not: otherwise a trace
    // that saw nothing would pass every test below.
    const file = path.join(tempDataDir(), 'trace.json');
    const script = path.join(tempDataDir(), 'probe.mjs');
    fs.writeFileSync(
      script,
      [
        `await import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('zod')).href)});`,
        `await (await fetch(${JSON.stringify(served.server.url)})).text();`,
        "await import('node:child_process');",
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, [`--import=${TRACE_HOOK}`, script], {
      env: { ...process.env, MODULE_TRACE_FILE: file },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const trace = JSON.parse(fs.readFileSync(file, 'utf8')) as Trace;
    expect(foreignFiles(trace).some((f) => f.includes(`${path.sep}zod${path.sep}`))).toBe(true);
    expect(undici(trace)).not.toEqual([]);
    expect(childProcess(trace)).not.toEqual([]);
  });

  it('--version loads the bundle alone', async () => {
    const run = await traced(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version}\n`,
    );
    expect(distFiles(run.trace)).toEqual([BUNDLE]);
    expect(foreignFiles(run.trace)).toEqual([]);
    expect(undici(run.trace)).toEqual([]);
  });

  it('--help lists every command from the command modules alone: no zod, no server, no package', async () => {
    const run = await traced(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('vault');
    expect(run.stdout).toContain('completion');
    expect(foreignFiles(run.trace)).toEqual([]);
    expect(outsideCli(run.trace)).toEqual([]);
    expect(undici(run.trace)).toEqual([]);
  });

  it('vault list against a running service loads the bundle only, and talks over node:http', async () => {
    const run = await traced(['vault', 'list', '--json'], {
      KEYHOLD_ADDR: served.server.url,
      KEYHOLD_TOKEN: served.init.adminToken,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
    // The bundle alone: not even the shared error classes, ES modules whose require() would start
    // the ES module loader; and node:http taken as a built-in, not through import().
    expect(distFiles(run.trace)).toEqual([BUNDLE]);
    expect(foreignFiles(run.trace)).toEqual([]);
    expect(run.trace.esm.filter((u) => u.startsWith('node:'))).toEqual([]);
    expect(undici(run.trace)).toEqual([]);
    expect(childProcess(run.trace)).toEqual([]);
  });

  it('a local command still loads the server when it runs (the laziness is per command, not lost)', async () => {
    const dataDir = path.join(tempDataDir(), 'data');
    const run = await traced(['init', '--data-dir', dataDir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(distFiles(run.trace)).toContain(BUNDLE);
    expect(distFiles(run.trace)).toContain('main.js'); // the server's composition root, from tsc's output
    expect(foreignFiles(run.trace).some((f) => f.includes(`${path.sep}zod${path.sep}`))).toBe(true);
  });
});
