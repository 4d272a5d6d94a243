import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runCli, type Server, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * Every CLI command with hostile arguments: it either succeeds (printing valid JSON with --json)
 * or exits 1 with exactly one line on standard error. Never a crash, a stack trace, a hang or an
 * "unexpected error".
 */
let server: Server;
let token: string;
let vaultId: string;

beforeAll(async () => {
  server = await startServer(tempDataDir());
  token = /admin token:\s+(\S+)/.exec(server.lines.join('\n'))?.[1] as string;
  const created = await runCli(['vault', 'create', 'fuzz', '--json', '--addr', server.url, '--token', token]);
  vaultId = JSON.parse(created.stdout).id;
});
afterAll(cleanup);

// argv cannot carry NUL; everything else is fair game, including control characters, RTL marks,
// huge strings, option look-alikes and path tricks.
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }).filter((s) => !s.includes('\u0000')),
  fc.constantFrom(
    '',
    ' ',
    '-',
    '--',
    '-x',
    '--json',
    '..',
    '../..',
    '%2e%2e',
    '?a=b',
    '#frag',
    'a/b',
    '\u202e',
    'x'.repeat(3000),
    '=',
    'a=b=c',
    ':=',
    'label:NOPE=v',
    '1e999',
    '-1',
    'NaN',
  ),
);

const commands: [string, (s: string) => string[]][] = [
  ['vault create', (s) => ['vault', 'create', '--', s]],
  ['vault get', (s) => ['vault', 'get', '--', s]],
  ['vault delete', (s) => ['vault', 'delete', '--', s]],
  ['item create --title', (s) => ['item', 'create', '--vault', vaultId, '--title', s]],
  ['item create --field', (s) => ['item', 'create', '--vault', vaultId, '--title', 't', '--field', s]],
  ['item create --category', (s) => ['item', 'create', '--vault', vaultId, '--title', 't', '--category', s]],
  [
    'item create --password-recipe',
    (s) => [
      'item',
      'create',
      '--vault',
      vaultId,
      '--title',
      't',
      '--generate-password',
      '--password-recipe',
      s,
    ],
  ],
  ['item get', (s) => ['item', 'get', vaultId, '--', s]],
  ['item history', (s) => ['item', 'history', '--', s, s]],
  ['user create', (s) => ['user', 'create', '--', s]],
  ['user grant', (s) => ['user', 'grant', 'owner@keyhold.local', '--vault', vaultId, '--permissions', s]],
  ['user set-role', (s) => ['user', 'set-role', 'owner@keyhold.local', '--', s]],
  ['user revoke', (s) => ['user', 'revoke', 'owner@keyhold.local', '--vault', s]],
  ['user disable', (s) => ['user', 'disable', '--', s]],
  ['user reset-password', (s) => ['user', 'reset-password', '--', s]],
  ['account create', (s) => ['account', 'create', '--', s]],
  ['audit list --limit', (s) => ['audit', 'list', '--limit', s]],
];

describe('CLI with hostile arguments', () => {
  for (const [name, argv] of commands) {
    it(name, { timeout: 120_000 }, async () => {
      const samples = fc.sample(hostile, { numRuns: 8, seed: 42 + name.length });
      for (let i = 0; i < samples.length; i += 4) {
        await Promise.all(
          samples.slice(i, i + 4).map(async (s) => {
            const result = await runCli([...argv(s), '--json', '--addr', server.url, '--token', token]);
            const context = `${name} ${JSON.stringify(s).slice(0, 60)} → ${result.code} ${result.stderr}`;
            expect([0, 1], context).toContain(result.code);
            if (result.code === 0) {
              expect(() => JSON.parse(result.stdout), context).not.toThrow();
            } else {
              const lines = result.stderr.trimEnd().split('\n');
              expect(lines, context).toHaveLength(1);
              expect(lines[0], context).not.toMatch(/unexpected error|^\s+at /);
            }
          }),
        );
      }
    });
  }
});
