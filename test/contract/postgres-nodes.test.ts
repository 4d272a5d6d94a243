import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { SigningKeys } from '../../src/domain/connect/signing-keys.js';
import { systemContext } from '../../src/domain/context.js';
import { CatalogCache } from '../../src/domain/oauth/catalog.js';
import { ClientAuthenticator } from '../../src/domain/oauth/client-auth.js';
import { withAccessCache } from '../../src/storage/cache/access-cache.js';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { ASSERTION_AUDIENCE, privateKeyJwtClient } from '../helpers/client-assertion.js';
import { connectScene, heldTokenReads, randomHash } from '../helpers/connect-scene.js';
import { connectAsAdmin, type PostgresCluster, startPostgres } from '../helpers/postgres.js';

/**
 * Two central nodes on one PostgreSQL database, as two `openPostgres` handles: what one commits,
 * the other's in-memory copies (the access cache, scope catalogs) drop within a second — by
 * notification, and by the poll of the change counter when the notification is lost or the
 * listening connection is gone — and a client assertion used on one is refused on the other.
 */
let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(() => cluster?.stop());

const now = '2026-01-02T03:04:05.000Z';
const LISTENERS = `application_name like 'keyhold changes %' and datname = current_database()`;

/** Milliseconds until `check` holds, asked every 5 ms; fails past `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('two nodes on one PostgreSQL database', () => {
  let a: Storage;
  let b: Storage;
  /** A connection of the test's own, as an operator's psql would be. */
  let admin: pg.Client;

  beforeEach(async () => {
    const url = await cluster.createDatabase();
    a = await openPostgres(url);
    b = await openPostgres(url);
    admin = await connectAsAdmin(url);
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close(), admin.end()]);
  });

  const listenerPids = async () =>
    (await admin.query<{ pid: number }>(`select pid from pg_stat_activity where ${LISTENERS}`)).rows
      .map((r) => r.pid)
      .sort();

  /** Ends every node's listening connection, as a failover or an operator would. */
  const breakListeners = async () => {
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where ${LISTENERS}`);
    await within(5_000, async () => (await listenerPids()).length === 0);
  };

  /** On node A: an account, a vault, a Connect server on it and a token of that server. */
  const scene = () => connectScene(a, now);

  /**
   * B reads the token until it serves it from memory: the same frozen record twice in a row, read
   * far enough apart that the notifications of A's writes that made it (each empties the cache)
   * have all arrived. What empties B's cache after this is the change the test makes.
   */
  const cachedOnB = async (id: string) => {
    await within(2_000, async () => {
      const first = await b.connectTokens.get(id);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return first?.revokedAt === null && (await b.connectTokens.get(id)) === first;
    });
  };
  const revokedOnB = (id: string) => async () => (await b.connectTokens.get(id))?.revokedAt === now;

  it('a token revoked, a vault removed from a server and a server deleted through A are refused through B’s access cache within a second', async () => {
    const { accountId, serverId, serverSecretHash, vaultId, token } = await scene();
    await cachedOnB(token.id);
    expect(await b.connectServers.vaults(serverId)).toEqual([vaultId]);
    await a.transaction(async (tx) => {
      await tx.connectTokens.revoke(accountId, token.id, now);
    });
    const ms = await within(1_000, revokedOnB(token.id));
    console.log(`revocation seen on B ${ms.toFixed(1)} ms after A's commit (notification)`);
    // The whole cache went with it: the vault removed from the server next.
    await a.connectServers.removeVault(serverId, vaultId);
    await within(1_000, async () => (await b.connectServers.vaults(serverId)).length === 0);
    // And the server deleted: its credentials (a remote Connect server's) no longer resolve.
    expect((await b.connectServers.findBySecretHash(serverSecretHash))?.id).toBe(serverId);
    expect(await b.connectServers.findBySecretHash(serverSecretHash)).toBe(
      await b.connectServers.findBySecretHash(serverSecretHash),
    );
    await a.connectServers.delete(accountId, serverId);
    await within(
      1_000,
      async () => (await b.connectServers.findBySecretHash(serverSecretHash)) === undefined,
    );
  });

  it('a notification that reaches B while B reads discards that read', async () => {
    const { accountId, token } = await scene();
    await cachedOnB(token.id);
    // B's cache over a read that has read the database and is held before it returns.
    const slow = heldTokenReads(b);
    const cached = withAccessCache(slow.storage, b.changes);
    slow.hold();
    const overtaken = cached.connectTokens.get(token.id);
    const heard = new Promise<void>((resolve) => {
      const stop = b.changes.subscribe((topics) => {
        if (!topics.has('access')) return;
        stop();
        resolve();
      });
    });
    await a.connectTokens.revoke(accountId, token.id, now);
    await heard;
    slow.release();
    expect((await overtaken)?.revokedAt).toBeNull();
    expect((await cached.connectTokens.get(token.id))?.revokedAt).toBe(now);
  });

  it('with every listening connection ended, the poll brings the revocation to B within a second, and listening resumes', async () => {
    const { accountId, token } = await scene();
    await cachedOnB(token.id);
    await breakListeners();
    await a.transaction(async (tx) => {
      await tx.connectTokens.revoke(accountId, token.id, now);
    });
    // Nobody listened when it committed: no notification of it will ever arrive.
    expect(await listenerPids()).toEqual([]);
    const ms = await within(1_000, revokedOnB(token.id));
    console.log(`revocation seen on B ${ms.toFixed(1)} ms after A's commit (poll, no listener)`);
    // Both nodes listen again, and hear the next change.
    await within(5_000, async () => (await listenerPids()).length === 2);
    const next = await scene();
    await cachedOnB(next.token.id);
    await a.connectTokens.revoke(next.accountId, next.token.id, now);
    await within(1_000, revokedOnB(next.token.id));
  });

  it('a change whose notification is lost reaches B by the poll within a second; a listener that missed it is replaced', async () => {
    const { token } = await scene();
    await cachedOnB(token.id);
    const before = await listenerPids();
    expect(before).toHaveLength(2);
    // What a writer does, minus the notification: as if it had been lost on the way.
    await admin.query('begin');
    await admin.query('update connect_tokens set revoked_at = $1 where id = $2', [now, token.id]);
    await admin.query('update change_counter set value = value + 1 where id = 1');
    await admin.query('commit');
    const ms = await within(1_000, revokedOnB(token.id));
    console.log(`revocation seen on B ${ms.toFixed(1)} ms after its commit (poll, notification lost)`);
    // The listeners heard nothing of a change for a whole poll: both are replaced.
    await within(3_000, async () => {
      const pids = await listenerPids();
      return pids.length === 2 && pids.every((pid) => !before.includes(pid));
    });
  });

  for (const path of ['notification', 'poll'] as const) {
    it(`a resource server registered through A is in B’s scope catalog within a second (${path})`, async () => {
      const accountId = newId();
      await a.accounts.insert({ id: accountId, name: 'Acme', createdAt: now });
      const catalogs = new CatalogCache(b);
      // The built-ins: the vault API and OpenID Connect sign-in.
      const builtIn = (await catalogs.get(accountId)).resourceServers.length;
      expect(builtIn).toBe(2);
      expect(await catalogs.get(accountId)).toBe(await catalogs.get(accountId));
      if (path === 'poll') await breakListeners();
      const serverId = newId();
      await a.transaction(async (tx) => {
        await tx.resourceServers.insert(
          {
            id: serverId,
            accountId,
            identifier: 'https://notes.example.com',
            name: 'Notes',
            tokenFormat: 'jwt',
            accessTokenTtl: 600,
            secretHash: randomHash(),
            createdAt: now,
          },
          [
            {
              accountId,
              name: 'notes:read',
              resourceServerId: serverId,
              description: 'Read notes',
              exclusive: false,
              createdAt: now,
            },
          ],
        );
      });
      const ms = await within(
        1_000,
        async () => (await catalogs.get(accountId)).resourceServers.length === builtIn + 1,
      );
      console.log(`catalog change seen on B ${ms.toFixed(1)} ms after A's commit (${path})`);
      expect((await catalogs.get(accountId)).scopes.map((s) => s.name)).toContain('notes:read');
    });
  }

  it('B signs with a key rotated on A at once, verifies it, and forgets the keys of an account deleted on A', async () => {
    const keyring = new Keyring(randomBytes(32));
    const keysA = new SigningKeys(a, keyring);
    const keysB = new SigningKeys(b, keyring);
    const accountId = newId();
    const first = await a.transaction(async (tx) => {
      await tx.accounts.insert({ id: accountId, name: 'Acme', createdAt: now });
      return keysA.create(accountId, 'connect', tx, systemContext(accountId));
    });
    expect((await keysB.signer(accountId, 'connect')).kid).toBe(first.kid);
    expect((await keysB.verifier(first.kid))?.accountId).toBe(accountId);
    // Which key signs is read on every use: the rotation needs no delivery to take effect.
    const second = await a.transaction((tx) =>
      keysA.create(accountId, 'connect', tx, systemContext(accountId)),
    );
    expect((await keysB.signer(accountId, 'connect')).kid).toBe(second.kid);
    expect((await keysB.verifier(second.kid))?.kid).toBe(second.kid);
    expect((await keysB.verifier(first.kid))?.kid).toBe(first.kid); // older tokens still verify
    // The account goes on A: B's imported keys go with the delivery.
    await a.transaction((tx) => tx.accounts.delete(accountId));
    await within(1_000, async () => (await keysB.verifier(second.kid)) === undefined);
    expect(await keysB.verifier(first.kid)).toBeUndefined();
  });

  it('a key withdrawn on A stops verifying on B within a second, though B had it imported', async () => {
    const keyring = new Keyring(randomBytes(32));
    const keysA = new SigningKeys(a, keyring);
    const keysB = new SigningKeys(b, keyring);
    const accountId = newId();
    const first = await a.transaction(async (tx) => {
      await tx.accounts.insert({ id: accountId, name: 'Acme', createdAt: now });
      return keysA.create(accountId, 'connect', tx, systemContext(accountId));
    });
    const second = await a.transaction((tx) =>
      keysA.create(accountId, 'connect', tx, systemContext(accountId)),
    );
    // B imports the previous key (its cache holds it from now on) and the current one.
    await within(1_000, async () => (await keysB.verifier(first.kid))?.kid === first.kid);
    expect((await keysB.verifier(second.kid))?.kid).toBe(second.kid);
    await a.transaction((tx) => keysA.withdraw(accountId, first.kid, tx, systemContext(accountId)));
    // On A at once (its own delivery), on B by the notification.
    expect(await keysA.verifier(first.kid)).toBeUndefined();
    const ms = await within(1_000, async () => (await keysB.verifier(first.kid)) === undefined);
    console.log(`withdrawal seen on B ${ms.toFixed(1)} ms after A's commit (notification)`);
    expect((await keysB.verifier(second.kid))?.kid).toBe(second.kid);
    expect((await keysB.jwks(accountId, 'connect')).keys.map((k) => k.kid)).toEqual([second.kid]);
  });

  it('a client assertion used on A is refused on B, and of concurrent uses on both exactly one passes', async () => {
    const accountId = newId();
    await a.accounts.insert({ id: accountId, name: 'Acme', createdAt: now });
    const { assertion, credentials } = await privateKeyJwtClient(a, accountId);
    const onA = new ClientAuthenticator(a);
    const onB = new ClientAuthenticator(b);
    const signed = await assertion();
    await onA.authenticate(accountId, credentials(signed), [ASSERTION_AUDIENCE]);
    await expect(onB.authenticate(accountId, credentials(signed), [ASSERTION_AUDIENCE])).rejects.toThrow(
      'client assertion was already used',
    );
    const raced = await assertion();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) =>
        (n % 2 ? onA : onB).authenticate(accountId, credentials(raced), [ASSERTION_AUDIENCE]),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  /**
   * Anyone who may connect to the database (PUBLIC may, by default) may NOTIFY on its channels,
   * with no privilege on any of Keyhold's tables, and may LISTEN to learn the counter's values.
   */
  const intrude = (from: number, to: number) =>
    admin.query(
      `select count(pg_notify('keyhold_changes', 'intruder ' || v::text || ' access'))
       from generate_series($1::bigint, $2::bigint) v`,
      [from, to],
    );
  const counter = async () =>
    Number((await admin.query<{ value: string }>('select value from change_counter')).rows[0]?.value);

  it('a notification forged ahead of the counter does not hide a change whose own notification is lost', async () => {
    const { accountId, token } = await scene();
    await cachedOnB(token.id);
    // The next few values, "heard" by both nodes before they are taken.
    const c = await counter();
    await intrude(c + 1, c + 5);
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // any number of polls later
    await cachedOnB(token.id);
    // The listening connections go silent (a NAT or firewall dropping an idle connection).
    const frozen = await listenerPids();
    expect(frozen).toHaveLength(2);
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    try {
      await a.connectTokens.revoke(accountId, token.id, now);
      expect(await counter()).toBe(c + 1);
      const ms = await within(1_000, revokedOnB(token.id));
      console.log(`revocation seen on B ${ms.toFixed(1)} ms after its commit (forged notification ahead)`);
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
    }
  });

  it('keeps no memory of notifications forged far ahead of the counter', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    // Far beyond 2^31: each value a heap number.
    const base = 2 ** 40;
    const sent = 300_000;
    let heard = 0;
    const stop = b.changes.subscribe(() => {
      heard += 1;
    });
    try {
      await intrude(base, base + sent - 1);
      await within(30_000, async () => heard >= sent);
    } finally {
      stop();
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // polls on both nodes
    const grown = heap() - before;
    console.log(`heap after ${sent} forged notifications on two nodes: ${(grown / 1e6).toFixed(1)} MB more`);
    expect(grown).toBeLessThan(4e6);
  }, 60_000);
});
