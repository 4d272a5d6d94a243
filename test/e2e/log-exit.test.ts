import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/processes.js';

it('a log line written just before the process exits still reaches standard output (the lines held for the transport thread are handed on at exit)', () => {
  const main = pathToFileURL(path.join(REPO_ROOT, 'dist', 'main.js')).href;
  const script = `
    const { createLogger } = await import(${JSON.stringify(main)});
    const logger = createLogger({ logLevel: 'info' });
    logger.info({ n: 1 }, 'first words');
    await new Promise((resolve) => setTimeout(resolve, 50));
    logger.info({ n: 2 }, 'last words');
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(run.status).toBe(0);
  const messages = run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
  expect(messages).toEqual(['first words', 'last words']);
});
