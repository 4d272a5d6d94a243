import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, runCli, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * One running service per data directory: the access caches are per process, so a second
 * process over the same database would keep honouring what the first revoked.
 */

afterAll(cleanup);

describe('keyhold serve on a data directory another service holds', () => {
  it('is refused with a clear message while the first runs, and starts once the first is gone, even killed', async () => {
    const dataDir = tempDataDir();
    const first = await startServer(dataDir);

    const second = await runCli(['serve', '--data-dir', dataDir, '--port', '0'], { timeoutMs: 15_000 });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`keyhold: ${dataDir} is in use by another running keyhold service`);
    expect(second.stderr).not.toContain('unexpected error');
    // The first is untouched by the refused start.
    expect((await fetch(`${first.url}/health`)).status).toBe(200);

    // A crash leaves no stale lock: the lock is the operating system's and goes with the process.
    await first.kill();
    const third = await startServer(dataDir);
    expect((await fetch(`${third.url}/health`)).status).toBe(200);
    expect(await third.stop()).toBe(0);
  });
});
