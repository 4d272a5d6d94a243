import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlreadyInitialisedError } from '../../src/bootstrap/store.js';
import { loadConfig } from '../../src/config/load.js';
import { initDataDir } from '../../src/main.js';

const dir = mkdtempSync(join(tmpdir(), 'keyhold-initialise-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('initialising a database', () => {
  it('refuses a database that is there already as already_initialised, before touching the key', async () => {
    const config = loadConfig({ KEYHOLD_DATA_DIR: dir });
    const first = await initDataDir(config);
    await first.storage.close();
    const key = readFileSync(join(dir, 'master.key'));
    const again = await initDataDir(config).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(again).toBeInstanceOf(AlreadyInitialisedError);
    expect(again).toMatchObject({
      code: 'already_initialised',
      message: `${join(dir, 'keyhold.db')} already holds a Keyhold database; refusing to initialise it again`,
    });
    expect(readFileSync(join(dir, 'master.key'))).toEqual(key);
  });
});
