import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { adminApi } from '../helpers/admin-http.js';
import { type Created, unreadable } from '../helpers/item-load.js';
import { cleanup, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * An acknowledged write survives a crash: items are created while the server is SIGKILLed
 * mid-stream; after a restart every item whose create was answered 2xx is there, intact, and the
 * database passes SQLite's integrity check.
 */

/** Requests kept in flight at once: enough to overlap commits, few enough for two cores. */
const IN_FLIGHT = 4;

afterAll(cleanup);

describe('durability', () => {
  it('keeps every acknowledged item across a SIGKILL, and the database stays consistent', {
    timeout: 60_000,
  }, async () => {
    const dataDir = tempDataDir();
    const first = await startServer(dataDir);
    const token = /admin token:\s+(\S+)/.exec(first.lines.join('\n'))?.[1] as string;
    const call = adminApi(first, token);
    const vault = (await (await call('POST', 'vaults', { name: 'crash test' })).json()) as { id: string };

    // Kill after a random number of acknowledged writes in 200–400, with requests still in flight.
    const killAfter = 200 + randomInt(201);
    const acknowledged: Created[] = [];
    let next = 0;
    let killed: Promise<void> | undefined;
    const worker = async () => {
      while (killed === undefined) {
        const n = next++;
        const title = `item ${n}`;
        const password = `pw-${n}-${randomBytes(9).toString('base64url')}`;
        let response: Response;
        try {
          response = await call('POST', `vaults/${vault.id}/items`, {
            title,
            fields: [
              { id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', label: 'password', value: password },
            ],
          });
        } catch {
          return; // the server is gone: this create was never acknowledged
        }
        if (response.status !== 201)
          throw new Error(`create ${n} answered ${response.status}: ${await response.text()}`);
        const item = (await response.json()) as { id: string };
        acknowledged.push({ id: item.id, title, password });
        if (acknowledged.length >= killAfter && killed === undefined) killed = first.kill();
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    await killed;
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter);

    const second = await startServer(dataDir);
    try {
      const read = adminApi(second, token);
      // The audit event of each acknowledged create was committed with it (read first: the item
      // reads below add events of their own).
      const events = (await (await read('GET', 'audit?limit=1000')).json()) as {
        action: string;
        itemId: string | null;
      }[];
      const created = new Set(events.filter((e) => e.action === 'CREATE').map((e) => e.itemId));
      expect(acknowledged.filter((ack) => !created.has(ack.id))).toEqual([]);

      // Every acknowledged item, with its exact title and password.
      expect(await unreadable(second, token, vault.id, acknowledged)).toEqual([]);

      // Requests cut off by the kill may or may not have committed; none may be half there.
      const listed = (await (await read('GET', `vaults/${vault.id}/items`)).json()) as { id: string }[];
      expect(listed.length).toBeGreaterThanOrEqual(acknowledged.length);
      expect(listed.length).toBeLessThanOrEqual(acknowledged.length + IN_FLIGHT);
    } finally {
      expect(await second.stop()).toBe(0);
    }

    const db = new Database(path.join(dataDir, 'keyhold.db'), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});
