import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/crypto/ids.js';
import { ClientAuthenticator } from '../../../src/domain/oauth/client-auth.js';
import { openSqlite } from '../../../src/storage/sqlite/open.js';
import { ASSERTION_AUDIENCE, privateKeyJwtClient } from '../../helpers/client-assertion.js';

const dir = mkdtempSync(join(tmpdir(), 'keyhold-assertion-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** RFC 7523 §3: a client assertion's `jti` is used once, remembered in the database. */
describe('client assertion replay', () => {
  it('authenticates an assertion once, refuses it again — after a restart too — and forgets it once it has expired', async () => {
    const file = join(dir, 'db.sqlite');
    const accountId = newId();
    let storage = await openSqlite(file);
    await storage.accounts.insert({ id: accountId, name: 'Acme', createdAt: new Date().toISOString() });
    const { client, assertion, credentials } = await privateKeyJwtClient(storage, accountId);
    const signed = await assertion();

    const auth = new ClientAuthenticator(storage);
    expect((await auth.authenticate(accountId, credentials(signed), [ASSERTION_AUDIENCE])).id).toBe(
      client.id,
    );
    await expect(auth.authenticate(accountId, credentials(signed), [ASSERTION_AUDIENCE])).rejects.toThrow(
      'client assertion was already used',
    );
    // Another assertion of the same client, and one with the same jti of another client, are new.
    await auth.authenticate(accountId, credentials(await assertion()), [ASSERTION_AUDIENCE]);
    const other = await privateKeyJwtClient(storage, accountId);
    const sameJti = JSON.parse(Buffer.from(signed.split('.')[1] as string, 'base64url').toString()).jti;
    await other
      .assertion(sameJti)
      .then((a) => auth.authenticate(accountId, other.credentials(a), [ASSERTION_AUDIENCE]));

    await storage.close();
    storage = await openSqlite(file);
    await expect(
      new ClientAuthenticator(storage).authenticate(accountId, credentials(signed), [ASSERTION_AUDIENCE]),
    ).rejects.toThrow('client assertion was already used');
    // Remembered until the assertion expires (2 min here, plus the last second), then purged.
    expect(await storage.usedJtis.purgeExpired(Date.now() + 60_000)).toBe(0);
    expect(await storage.usedJtis.purgeExpired(Date.now() + 122_000)).toBe(3);
    await storage.close();
  });
});
