import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConnectFixture, stopConnectServices } from '../helpers/connect.js';
import { cleanup, runCli, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * The bounded audit trail as `keyhold serve` runs it: retention pruning at start, by the
 * settings, and the refusal summaries still open written at shutdown.
 */
afterAll(async () => {
  await stopConnectServices();
  await cleanup();
});

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

describe('audit retention settings', () => {
  it('default to 365 days for successes and 30 for refusals; 0 keeps for ever; others are refused', () => {
    expect(loadConfig({})).toMatchObject({ auditRetentionDays: 365, auditRefusalRetentionDays: 30 });
    expect(loadConfig({ KEYHOLD_AUDIT_REFUSAL_RETENTION_DAYS: '0' }).auditRefusalRetentionDays).toBe(0);
    expect(() => loadConfig({ KEYHOLD_AUDIT_RETENTION_DAYS: '-1' })).toThrowError(
      'KEYHOLD_AUDIT_RETENTION_DAYS is invalid (got "-1"): must be days, an integer from 0 (keep for ever) to 36500',
    );
    expect(() => loadConfig({ KEYHOLD_AUDIT_REFUSAL_RETENTION_DAYS: '2.5' })).toThrowError(
      /KEYHOLD_AUDIT_REFUSAL_RETENTION_DAYS is invalid/,
    );
  });
});

describe('keyhold serve', () => {
  it('prunes audit events past their retention when it starts, refusals by their own window', async () => {
    const dataDir = tempDataDir();
    const init = await runCli(['init', '--data-dir', dataDir, '--json']);
    expect(init.code).toBe(0);
    const { accountId } = JSON.parse(init.stdout) as { accountId: string };
    const db = new BetterSqlite3(join(dataDir, 'keyhold.db'));
    const insert = db.prepare(
      `insert into audit_events (occurred_at, account_id, actor_type, actor_id, action, resource_type, result, ip)
       values (?, ?, 'connect_token', 'unknown', 'READ', 'VAULT', ?, 'old')`,
    );
    for (const [days, result, n] of [
      [20, 'DENY', 4], // past the 7-day refusal window
      [3, 'DENY', 2],
      [20, 'SUCCESS', 3], // same age, kept: successes have their own window
      [200, 'SUCCESS', 5], // past the 100-day window
    ] as const)
      for (let i = 0; i < n; i++) insert.run(ago(days), accountId, result);
    db.close();

    const server = await startServer(dataDir, {
      env: { KEYHOLD_AUDIT_RETENTION_DAYS: '100', KEYHOLD_AUDIT_REFUSAL_RETENTION_DAYS: '7' },
    });
    const pruned = () =>
      server.lines
        .map((l) => (l.startsWith('{') ? JSON.parse(l) : {}))
        .find((l) => l.msg === 'audit events past retention pruned');
    await expect.poll(pruned, { timeout: 10_000 }).toMatchObject({
      msg: 'audit events past retention pruned',
      refusals: 4,
      success: 5,
    });
    expect(await server.stop()).toBe(0);
    const after = new BetterSqlite3(join(dataDir, 'keyhold.db'), { readonly: true });
    const left = after
      .prepare(
        "select result, count(*) as n from audit_events where ip = 'old' group by result order by result",
      )
      .all();
    after.close();
    expect(left).toEqual([
      { result: 'DENY', n: 2 },
      { result: 'SUCCESS', n: 3 },
    ]);
  });

  it('writes the open summary of refused requests when it shuts down', async () => {
    const fixture = new ConnectFixture();
    await fixture.start();
    const vault = await fixture.admin.call<{ id: string }>('POST', '/vaults', { name: 'v' });
    await fixture.createServer('edge', [vault.id]);
    const service = await fixture.hostConnect();
    const refused = await Promise.all(
      Array.from({ length: 30 }, () =>
        fetch(`${service.connectUrls[0]}/v1/vaults`, { headers: { authorization: 'Bearer garbage' } }).then(
          (res) => res.status,
        ),
      ),
    );
    expect(refused).toEqual(Array(30).fill(401));
    expect(await service.stop()).toBe(0);
    const db = new BetterSqlite3(join(fixture.dataDir, 'keyhold.db'), { readonly: true });
    const rows = db
      .prepare("select count, ip from audit_events where result = 'DENY' and actor_id = 'unknown'")
      .all() as { count: number; ip: string }[];
    db.close();
    // Every refusal is in the trail once: five on their own, the rest in the summary.
    expect(rows.reduce((sum, r) => sum + r.count, 0)).toBe(30);
    expect(rows.filter((r) => r.count === 1)).toHaveLength(5);
    expect(rows.filter((r) => r.count > 1)).toEqual([{ count: 25, ip: '127.0.0.1' }]);
  });
});
