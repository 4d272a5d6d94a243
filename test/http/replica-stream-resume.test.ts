import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReplicaRecord } from '../../src/connect-server/wire/replica-protocol.js';
import { listenLocally, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';
import { openStream, type SseStream } from '../helpers/sse.js';

/**
 * A node that was away while its server's vault set changed, resuming after its last mark: the
 * central service does not know which vaults the node left with, so a replayed change to the set
 * (or a vault deleted meanwhile) must tell it.
 */
let t: TestApp;
let base: string;
const opened: SseStream[] = [];

beforeAll(async () => {
  t = await startTestApp();
  base = await listenLocally(t);
}, 60_000);
afterAll(async () => {
  for (const s of opened) s.close();
  await t.close();
});

it('a node resuming after its server lost a vault while it was away is told (a reset without the vault, or a server record)', async () => {
  const setup = adminSetup(t);
  const kept = (await setup.vault('kept')).id;
  const removed = (await setup.vault('removed')).id;
  const created = await setup.server([kept, removed]);
  const secret = created.credentials.serverSecret;
  const first = await openStream(base, secret, {});
  opened.push(first);
  await first.waitFor((r) => r.type === 'mark');
  const marks = first.records.filter((r) => r.type === 'mark');
  const mark = marks.at(-1) as Extract<ReplicaRecord, { type: 'mark' }>;
  first.close();

  // While the node is away.
  const res = await setup.api.patch(`/servers/${created.id}`, { removeVaults: [removed] });
  expect(res.statusCode).toBe(200);

  const resumed = await openStream(base, secret, { after: mark.seq, epoch: mark.epoch });
  opened.push(resumed);
  await resumed.waitFor((r) => r.type === 'mark');
  const told = resumed.records.some(
    (r) =>
      (r.type === 'server' && !r.server.vaults.includes(removed)) ||
      (r.type === 'vault-gone' && r.vaultId === removed),
  );
  expect(told).toBe(true);
});

it('a node resuming after a vault it held was deleted while it was away is told', async () => {
  const setup = adminSetup(t);
  const kept = (await setup.vault('kept too')).id;
  const deleted = (await setup.vault('deleted')).id;
  const created = await setup.server([kept, deleted]);
  const secret = created.credentials.serverSecret;
  const first = await openStream(base, secret, {});
  opened.push(first);
  await first.waitFor((r) => r.type === 'mark');
  const mark = first.records.filter((r) => r.type === 'mark').at(-1) as Extract<
    ReplicaRecord,
    { type: 'mark' }
  >;
  first.close();

  expect((await setup.api.delete(`/vaults/${deleted}`)).statusCode).toBe(204);

  const resumed = await openStream(base, secret, { after: mark.seq, epoch: mark.epoch });
  opened.push(resumed);
  await resumed.waitFor((r) => r.type === 'mark');
  const reset = resumed.records.findIndex((r) => r.type === 'reset');
  expect(reset).toBeGreaterThanOrEqual(0);
  const state = resumed.records.slice(reset);
  expect(state.some((r) => r.type === 'vault' && r.vault.id === kept)).toBe(true);
  expect(JSON.stringify(state)).not.toContain(deleted);
});
