import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { toKeyholdError } from '../../src/errors/normalise.js';
import { isUniqueViolation } from '../../src/storage/errors.js';
import type { AuditEventInput, ItemRecord, Storage, VaultRecord } from '../../src/storage/ports.js';
import { auditQueryContract } from './audit-query-contract.js';
import { sharedStateContract } from './shared-state-contract.js';

/**
 * The storage contract: every backend runs this same suite against a real database. A backend
 * is done when it passes; a skip must state its reason.
 */
export function storageContract(backend: string, open: () => Promise<Storage>): void {
  describe(`storage contract: ${backend}`, () => {
    let storage: Storage;
    const now = '2026-01-02T03:04:05.000Z';
    const bytes = (s: string) => Buffer.from(s, 'utf8');

    beforeEach(async () => {
      storage = await open();
    });
    afterEach(async () => {
      await storage.close();
    });

    const account = async () => {
      const a = { id: newId(), name: 'Acme', createdAt: now, operator: false };
      await storage.accounts.insert(a);
      return a;
    };
    const vault = async (accountId: string): Promise<VaultRecord> => {
      const v: VaultRecord = {
        id: newId(),
        accountId,
        wrappedKey: bytes('wrapped'),
        attributes: bytes('attrs'),
        type: 'USER_CREATED',
        attributeVersion: 1,
        contentVersion: 1,
        createdAt: now,
        updatedAt: now,
      };
      await storage.vaults.insert(v);
      return v;
    };
    const item = async (v: VaultRecord, title = 'x'): Promise<ItemRecord> => {
      const i: ItemRecord = {
        id: newId(),
        vaultId: v.id,
        accountId: v.accountId,
        version: 1,
        createdAt: now,
        updatedAt: now,
        lastEditedBy: 'tester',
        head: bytes(`head:${title}`),
      };
      await storage.items.insert(i, {
        itemId: i.id,
        version: 1,
        overview: bytes(`o:${title}`),
        content: bytes(`c:${title}`),
        layout: 1,
        createdAt: now,
        editedBy: 'tester',
        mac: bytes(`mac:${title}`),
      });
      return i;
    };
    /**
     * Moves `i` from version 1 (layout 1) to version 2 (content 'second', layout 2, edited by
     * 'other'); true if it moved.
     */
    const secondVersion = (i: ItemRecord): Promise<boolean> =>
      storage.items.update(
        { ...i, version: 2, updatedAt: 'later', lastEditedBy: 'other', head: bytes('head:second') },
        1,
        {
          itemId: i.id,
          version: 2,
          overview: bytes('o:second'),
          content: bytes('c:second'),
          layout: 2,
          createdAt: 'later',
          editedBy: 'other',
          mac: null,
        },
      );
    const event = (accountId: string, n: number): AuditEventInput => ({
      occurredAt: now,
      accountId,
      actorType: 'admin_token',
      actorId: `actor${n}`,
      tokenId: null,
      action: 'READ',
      resourceType: 'ITEM',
      resourceId: null,
      vaultId: null,
      itemId: null,
      itemVersion: n,
      result: 'SUCCESS',
      requestId: `r${n}`,
      ip: '127.0.0.1',
      userAgent: 'ua',
    });

    it('stores and lists accounts; deleting one reports whether it existed', async () => {
      const a = await account();
      expect(await storage.accounts.get(a.id)).toEqual(a);
      expect((await storage.accounts.list()).map((x) => x.id)).toContain(a.id);
      expect(await storage.accounts.delete(a.id)).toBe(true);
      expect(await storage.accounts.delete(a.id)).toBe(false);
      expect(await storage.accounts.get(a.id)).toBeUndefined();
    });

    it('marks the operator account, and only it', async () => {
      const operator = { id: newId(), name: 'Operator', createdAt: now, operator: true };
      await storage.accounts.insert(operator);
      const other = await account();
      expect(await storage.accounts.get(operator.id)).toEqual(operator);
      expect((await storage.accounts.get(other.id))?.operator).toBe(false);
      // Left out, the flag is off.
      const plain = { id: newId(), name: 'Plain', createdAt: now };
      await storage.accounts.insert(plain);
      expect(await storage.accounts.get(plain.id)).toEqual({ ...plain, operator: false });
    });

    it('keeps admin tokens with their role, expiry and revocation; revokes each once', async () => {
      const a = await account();
      const b = await account();
      const token = (accountId: string, name: string, hash: string) => ({
        id: newId(),
        accountId,
        name,
        tokenHash: bytes(hash.padEnd(32, '.')),
        role: 'auditor' as const,
        createdAt: now,
        expiresAt: '2027-01-01T00:00:00.000Z',
        revokedAt: null,
        createdBy: 'someone',
      });
      const t1 = token(a.id, 'first', 'one');
      const t2 = token(a.id, 'second', 'two');
      const t3 = token(b.id, 'other account', 'three');
      for (const t of [t1, t2, t3]) await storage.adminTokens.insert(t);
      expect(await storage.adminTokens.findByHash(t1.tokenHash)).toEqual(t1);
      expect(await storage.adminTokens.get(a.id, t2.id)).toEqual(t2);
      expect(await storage.adminTokens.get(b.id, t2.id)).toBeUndefined();
      expect((await storage.adminTokens.list(a.id)).map((t) => t.id).sort()).toEqual([t1.id, t2.id].sort());

      // Another account's token is not revoked through this one; two revocations at once: one wins.
      expect(await storage.adminTokens.revoke(b.id, t1.id, now)).toBe(false);
      const times = ['2026-02-03T04:05:06.000Z', '2026-02-03T04:05:07.000Z'];
      const results = await Promise.all(times.map((at) => storage.adminTokens.revoke(a.id, t1.id, at)));
      expect([...results].sort()).toEqual([false, true]);
      // The row stays, found by its hash and listed, with the winning revocation's time.
      const revoked = await storage.adminTokens.findByHash(t1.tokenHash);
      expect(revoked).toEqual({ ...t1, revokedAt: times[results.indexOf(true)] });
      expect(await storage.adminTokens.list(a.id)).toHaveLength(2);
      expect(await storage.adminTokens.revoke(a.id, newId(), now)).toBe(false);
    });

    it('deleting an account cascades to its users, tokens, vaults, items and files', async () => {
      const a = await account();
      await storage.users.insert({
        id: newId(),
        accountId: a.id,
        email: 'a@example.com',
        passwordHash: 'h',
        role: 'owner',
        createdAt: now,
        updatedAt: now,
      });
      const hash = bytes('0123456789abcdef0123456789abcdef');
      await storage.adminTokens.insert({
        id: newId(),
        accountId: a.id,
        name: 't',
        tokenHash: hash,
        role: 'owner',
        createdAt: now,
        expiresAt: null,
        revokedAt: null,
        createdBy: null,
      });
      const v = await vault(a.id);
      const i = await item(v);
      await storage.files.insert(
        { id: newId(), itemId: i.id, vaultId: v.id, meta: bytes('m'), size: 1, createdAt: now },
        bytes('c'),
      );
      await storage.accounts.delete(a.id);
      expect(await storage.users.findByEmail(a.id, 'a@example.com')).toBeUndefined();
      expect(await storage.adminTokens.findByHash(hash)).toBeUndefined();
      expect(await storage.vaults.get(a.id, v.id)).toBeUndefined();
      expect(await storage.items.versions(i.id)).toEqual([]);
      expect(await storage.files.list(i.id)).toEqual([]);
    });

    it('keeps emails unique within an account, and apart between accounts', async () => {
      const a = await account();
      const b = await account();
      const user = {
        passwordHash: 'h',
        role: 'member' as const,
        createdAt: now,
        updatedAt: now,
        email: 'same@example.com',
      };
      await storage.users.insert({ ...user, id: newId(), accountId: a.id });
      await expect(storage.users.insert({ ...user, id: newId(), accountId: a.id })).rejects.toThrow();
      const inB = { ...user, id: newId(), accountId: b.id };
      await storage.users.insert(inB);
      expect(await storage.users.findByEmail(b.id, 'same@example.com')).toEqual({
        ...inB,
        disabledAt: null,
        name: null,
      });
      expect((await storage.users.findByEmail(a.id, 'same@example.com'))?.accountId).toBe(a.id);
    });

    it('finds the users of one email in every account, and no other', async () => {
      const a = await account();
      const b = await account();
      const email = `${newId()}@example.com`;
      const user = { passwordHash: 'h', role: 'member' as const, createdAt: now, updatedAt: now };
      const inA = { ...user, id: newId(), accountId: a.id, email };
      const inB = { ...user, id: newId(), accountId: b.id, email };
      await storage.users.insert(inB);
      await storage.users.insert(inA);
      await storage.users.insert({ ...user, id: newId(), accountId: a.id, email: `other-${email}` });
      const found = await storage.users.findInAllAccounts(email);
      expect(found.map((u) => u.id).sort()).toEqual([inA.id, inB.id].sort());
      expect(found.map((u) => u.accountId)).toEqual([a.id, b.id].sort());
      expect(await storage.users.findInAllAccounts(`nobody-${email}`)).toEqual([]);
    });

    it('updates a user’s role, state and password hash, in its own account only', async () => {
      const a = await account();
      const id = newId();
      const base = { accountId: a.id, passwordHash: 'h', createdAt: now, updatedAt: now };
      await storage.users.insert({ ...base, id, email: 'u@example.com', role: 'owner' });
      expect(await storage.users.update((await account()).id, id, { role: 'member', updatedAt: 'x' })).toBe(
        false,
      );
      expect(await storage.users.update(a.id, newId(), { role: 'member', updatedAt: 'x' })).toBe(false);
      expect(await storage.users.update(a.id, id, { disabledAt: 'd1', updatedAt: 'u1' })).toBe(true);
      expect(await storage.users.get(a.id, id)).toMatchObject({
        role: 'owner',
        disabledAt: 'd1',
        updatedAt: 'u1',
      });
      await storage.users.update(a.id, id, {
        role: 'admin',
        passwordHash: 'h2',
        disabledAt: null,
        updatedAt: 'u2',
      });
      expect(await storage.users.get(a.id, id)).toMatchObject({
        role: 'admin',
        passwordHash: 'h2',
        disabledAt: null,
        updatedAt: 'u2',
        createdAt: now,
      });
    });

    it('keeps a user’s display name: none by default, given at insert, changed and removed by update', async () => {
      const a = await account();
      const base = {
        accountId: a.id,
        passwordHash: 'h',
        role: 'member' as const,
        createdAt: now,
        updatedAt: now,
      };
      const unnamed = newId();
      await storage.users.insert({ ...base, id: unnamed, email: 'unnamed@example.com' });
      expect((await storage.users.get(a.id, unnamed))?.name).toBeNull();
      const named = newId();
      // Any Unicode, kept as it was given (four-byte characters included).
      const name = 'Zoë Ødegård 👩‍💻 李';
      await storage.users.insert({ ...base, id: named, email: 'named@example.com', name });
      expect(await storage.users.get(a.id, named)).toEqual({
        ...base,
        id: named,
        email: 'named@example.com',
        name,
        disabledAt: null,
      });
      expect((await storage.users.findByEmail(a.id, 'named@example.com'))?.name).toBe(name);
      expect((await storage.users.list(a.id)).map((u) => u.name)).toEqual([name, null]);
      // A change of something else leaves the name; a name change leaves the rest.
      await storage.users.update(a.id, named, { role: 'admin', updatedAt: 'u1' });
      expect((await storage.users.get(a.id, named))?.name).toBe(name);
      expect(await storage.users.update(a.id, named, { name: 'Zoë', updatedAt: 'u2' })).toBe(true);
      expect(await storage.users.get(a.id, named)).toMatchObject({
        name: 'Zoë',
        role: 'admin',
        updatedAt: 'u2',
      });
      await storage.users.update(a.id, named, { name: null, updatedAt: 'u3' });
      expect((await storage.users.get(a.id, named))?.name).toBeNull();
      // Another account's user of that id is not touched.
      expect(await storage.users.update((await account()).id, unnamed, { name: 'X', updatedAt: 'u4' })).toBe(
        false,
      );
      expect((await storage.users.get(a.id, unnamed))?.name).toBeNull();
    });

    it('lists an account’s users in byte order of their emails, whatever the database collates text by', async () => {
      const a = await account();
      // Punctuation and case are where a language's collation and byte order part ways.
      const emails = [
        'ab@x.example',
        'a_b@x.example',
        'B@x.example',
        'a.c@x.example',
        'a-b@x.example',
        'aa@x.example',
      ];
      for (const email of emails) {
        await storage.users.insert({
          id: newId(),
          accountId: a.id,
          email,
          passwordHash: 'h',
          role: 'member',
          createdAt: now,
          updatedAt: now,
        });
      }
      expect((await storage.users.list(a.id)).map((u) => u.email)).toEqual([
        'B@x.example',
        'a-b@x.example',
        'a.c@x.example',
        'a_b@x.example',
        'aa@x.example',
        'ab@x.example',
      ]);
    });

    it('refuses a duplicate with a unique violation, which every API answers 409', async () => {
      const a = await account();
      const error = await storage.accounts.insert({ id: a.id, name: 'again', createdAt: now }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isUniqueViolation(error)).toBe(true);
      expect(toKeyholdError(error)).toMatchObject({ status: 409, code: 'conflict' });
    });

    it('counts the enabled owners of an account', async () => {
      const a = await account();
      const b = await account();
      const base = { passwordHash: 'h', createdAt: now, updatedAt: now };
      const owner = (accountId: string, role: 'owner' | 'admin' = 'owner') => {
        const id = newId();
        return storage.users
          .insert({ ...base, id, accountId, email: `${id}@x.example`, role })
          .then(() => id);
      };
      const first = await owner(a.id);
      await owner(a.id);
      await owner(a.id, 'admin');
      await owner(b.id);
      expect(await storage.users.countEnabledOwners(a.id)).toBe(2);
      await storage.users.update(a.id, first, { disabledAt: now, updatedAt: now });
      expect(await storage.users.countEnabledOwners(a.id)).toBe(1);
      expect(await storage.users.countEnabledOwners(newId())).toBe(0);
    });

    it('keeps only the newest password reset of a user, and uses one once, before it expires', async () => {
      const a = await account();
      const userId = newId();
      const base = { passwordHash: 'h', createdAt: now, updatedAt: now, role: 'member' as const };
      await storage.users.insert({ ...base, id: userId, accountId: a.id, email: 'r@example.com' });
      const reset = (expiresAt: string) => ({
        id: newId(),
        secretHash: bytes(newId().padEnd(32, '-')),
        accountId: a.id,
        userId,
        createdAt: now,
        expiresAt,
        usedAt: null,
      });
      const older = reset('2999-01-01T00:00:00.000Z');
      const newer = reset('2999-01-01T00:00:00.000Z');
      await storage.passwordResets.replace(older);
      expect(await storage.passwordResets.findByHash(older.secretHash)).toEqual(older);
      await storage.passwordResets.replace(newer);
      expect(await storage.passwordResets.findByHash(older.secretHash)).toBeUndefined();
      const [first, second] = await Promise.all([
        storage.passwordResets.markUsed(newer.id, now),
        storage.passwordResets.markUsed(newer.id, now),
      ]);
      expect([first, second].sort()).toEqual([false, true]);
      expect((await storage.passwordResets.findByHash(newer.secretHash))?.usedAt).toBe(now);
      // A used link opens nothing: deleting the user's outstanding links leaves it, to be named.
      expect(await storage.passwordResets.deleteForUser(userId)).toBe(0);
      expect((await storage.passwordResets.findByHash(newer.secretHash))?.usedAt).toBe(now);
      const expired = reset('2000-01-01T00:00:00.000Z');
      await storage.passwordResets.replace(expired);
      expect(await storage.passwordResets.markUsed(expired.id, now)).toBe(false);
      const dropped = reset('2999-01-01T00:00:00.000Z');
      await storage.passwordResets.replace(dropped);
      expect(await storage.passwordResets.deleteForUser(newId())).toBe(0);
      expect(await storage.passwordResets.deleteForUser(userId)).toBe(1);
      expect(await storage.passwordResets.findByHash(dropped.secretHash)).toBeUndefined();
      expect(await storage.passwordResets.deleteForUser(userId)).toBe(0);
      await storage.passwordResets.replace(expired);
      // Resets go with their user.
      await storage.users.delete(a.id, userId);
      expect(await storage.passwordResets.findByHash(expired.secretHash)).toBeUndefined();
    });

    it('withdraws a retired signing key of its own account once, never the current one, and keeps the state', async () => {
      const a = await account();
      const b = await account();
      const key = (accountId: string, kind: 'connect' | 'oauth' = 'connect') => ({
        kid: newId(),
        accountId,
        kind,
        publicJwk: '{}',
        privateKey: bytes('sealed'),
        createdAt: now,
        retiredAt: null,
        oauthUntil: null,
        withdrawnAt: null,
      });
      const first = key(a.id);
      await storage.signingKeys.insert(first);
      // Current: refused, whatever the caller.
      expect(await storage.signingKeys.withdraw(a.id, first.kid, now)).toBe(false);
      await storage.signingKeys.retireCurrent(a.id, 'connect', now);
      const second = key(a.id);
      await storage.signingKeys.insert(second);
      // Another account's kid: nothing changes.
      expect(await storage.signingKeys.withdraw(b.id, first.kid, now)).toBe(false);
      expect((await storage.signingKeys.get(first.kid))?.withdrawnAt).toBeNull();
      const at = '2026-01-02T03:04:06.000Z';
      expect(await storage.signingKeys.withdraw(a.id, first.kid, at)).toBe(true);
      // Once: a second withdrawal changes nothing, and keeps the first time.
      expect(await storage.signingKeys.withdraw(a.id, first.kid, '2026-01-03T00:00:00.000Z')).toBe(false);
      expect(await storage.signingKeys.get(first.kid)).toMatchObject({ retiredAt: now, withdrawnAt: at });
      expect(await storage.signingKeys.withdraw(a.id, newId(), at)).toBe(false);
      const listed = await storage.signingKeys.list(a.id);
      expect(listed.map((k) => [k.kid, k.withdrawnAt])).toEqual(
        expect.arrayContaining([
          [first.kid, at],
          [second.kid, null],
        ]),
      );
      expect((await storage.signingKeys.current(a.id, 'connect'))?.kid).toBe(second.kid);
      // Withdrawn, the key is still retired: a rotation never touches it again.
      await storage.signingKeys.retireCurrent(a.id, 'connect', '2026-01-04T00:00:00.000Z');
      expect(await storage.signingKeys.get(first.kid)).toMatchObject({ retiredAt: now, withdrawnAt: at });
    });

    it('scopes vault lookups to their account and counts items', async () => {
      const a = await account();
      const b = await account();
      const v = await vault(a.id);
      await item(v);
      await item(v);
      const row = await storage.vaults.get(a.id, v.id);
      expect(row?.itemCount).toBe(2);
      expect(row?.wrappedKey.equals(bytes('wrapped'))).toBe(true);
      expect(await storage.vaults.get(b.id, v.id)).toBeUndefined();
      expect(await storage.vaults.list(b.id)).toEqual([]);
      // `find` answers the core, without the counters every item write moves (VaultCore): it is
      // what the access cache holds, and an item write announces no change.
      const {
        itemCount: _count,
        contentVersion: _c,
        updatedAt: _u,
        ...core
      } = row as NonNullable<typeof row>;
      expect(await storage.vaults.find(a.id, v.id)).toStrictEqual(core);
      expect(await storage.vaults.find(b.id, v.id)).toBeUndefined();
    });

    it('bumps content and attribute versions', async () => {
      const a = await account();
      const v = await vault(a.id);
      await storage.vaults.touchContent(v.id, '2026-02-01T00:00:00.000Z');
      expect(
        await storage.vaults.updateAttributes(a.id, v.id, bytes('new'), '2026-02-02T00:00:00.000Z'),
      ).toBe(true);
      const row = await storage.vaults.get(a.id, v.id);
      expect(row).toMatchObject({
        contentVersion: 2,
        attributeVersion: 2,
        updatedAt: '2026-02-02T00:00:00.000Z',
      });
      expect(row?.attributes.toString()).toBe('new');
    });

    it('reads the current item version and keeps every version', async () => {
      const a = await account();
      const v = await vault(a.id);
      const i = await item(v, 'first');
      expect(await secondVersion(i)).toBe(true);
      const current = await storage.items.get(v.id, i.id, true);
      expect(current?.version).toBe(2);
      expect(current?.overview.toString()).toBe('o:second');
      expect(current?.content?.toString()).toBe('c:second');
      expect(current?.layout).toBe(2);
      const withoutContent = await storage.items.get(v.id, i.id, false);
      expect(withoutContent?.content).toBeUndefined();
      expect(withoutContent?.layout).toBe(2);
      expect((await storage.items.versions(i.id)).map((x) => [x.version, x.layout])).toEqual([
        [2, 2],
        [1, 1],
      ]);
      const first = await storage.items.getVersion(i.id, 1);
      expect([first?.overview.toString(), first?.content.toString()]).toEqual(['o:first', 'c:first']);
      expect(first?.mac?.toString()).toBe('mac:first');
      expect(current?.hasLaterVersion).toBe(false);
      expect(current?.head?.toString()).toBe('head:second');
      expect((await storage.items.list(v.id)).map((x) => x.overview.toString())).toEqual(['o:second']);
    });

    it('refuses an update based on a stale version and changes nothing', async () => {
      const a = await account();
      const v = await vault(a.id);
      const i = await item(v);
      const next = {
        itemId: i.id,
        version: 2,
        overview: bytes('o'),
        content: bytes('c'),
        layout: 2,
        createdAt: now,
        editedBy: 'x',
        mac: null,
      };
      expect(await storage.items.update({ ...i, version: 2 }, 1, next)).toBe(true);
      expect(await storage.items.update({ ...i, version: 2 }, 1, next)).toBe(false);
      expect((await storage.items.versions(i.id)).length).toBe(2);
    });

    it('shows every write to an item view to the next read, through whatever this process keeps of views', async () => {
      const a = await account();
      const v = await vault(a.id);
      const i = await item(v, 'first');
      const view = async () => {
        const found = await storage.items.getWithFiles(v.id, i.id);
        return found && { content: found.item.content?.toString(), files: found.files.map((f) => f.id) };
      };
      // Read twice: the second read may come from memory.
      await view();
      expect(await view()).toEqual({ content: 'c:first', files: [] });
      expect(await secondVersion(i)).toBe(true);
      expect(await view()).toEqual({ content: 'c:second', files: [] });
      const f = { id: newId(), itemId: i.id, vaultId: v.id, meta: bytes('meta'), size: 3, createdAt: now };
      await storage.files.insert(f, bytes('abc'));
      expect(await view()).toEqual({ content: 'c:second', files: [f.id] });
      await storage.files.setMeta(f.id, bytes('meta, renamed'));
      expect((await storage.items.getWithFiles(v.id, i.id))?.files[0]?.meta.toString()).toBe('meta, renamed');
      await storage.transaction(async (tx) => {
        await tx.files.delete(i.id, f.id);
      });
      expect(await view()).toEqual({ content: 'c:second', files: [] });
      await storage.items.setHead(i.id, bytes('head:set'));
      expect((await storage.items.getWithFiles(v.id, i.id))?.item.head?.toString()).toBe('head:set');
      expect(await storage.items.trash(v.id, i.id, 'then', 'deleter')).toBe(true);
      expect(await view()).toBeUndefined();
      expect(await storage.items.untrash(v.id, i.id)).toBe(true);
      expect(await view()).toEqual({ content: 'c:second', files: [] });
      expect(await storage.items.delete(v.id, i.id)).toBe(true);
      expect(await view()).toBeUndefined();
      // A view read while a write is committed is not kept past it.
      const j = await item(v, 'third');
      await storage.items.getWithFiles(v.id, j.id);
      const [, moved, during] = await Promise.all([
        storage.items.getWithFiles(v.id, j.id),
        secondVersion(j),
        storage.items.getWithFiles(v.id, j.id),
      ]);
      expect(moved).toBe(true);
      expect(during?.item.version).toBeGreaterThanOrEqual(1);
      expect((await storage.items.getWithFiles(v.id, j.id))?.item.content?.toString()).toBe('c:second');
      // Deleting the vault, or the account, takes its views with it.
      const k = await item(v, 'fourth');
      await storage.items.getWithFiles(v.id, k.id);
      await storage.vaults.delete(a.id, v.id);
      expect(await storage.items.getWithFiles(v.id, k.id)).toBeUndefined();
      const w = await vault(a.id);
      const m = await item(w, 'fifth');
      await storage.items.getWithFiles(w.id, m.id);
      await storage.accounts.delete(a.id);
      expect(await storage.items.getWithFiles(w.id, m.id)).toBeUndefined();
    });

    it('keeps a trashed item out of every read of items, and brings it back as it was', async () => {
      const a = await account();
      const v = await vault(a.id);
      const i = await item(v, 'first');
      const kept = await item(v, 'kept');
      expect(await secondVersion(i)).toBe(true);
      const f = { id: newId(), itemId: i.id, vaultId: v.id, meta: bytes('meta'), size: 3, createdAt: now };
      await storage.files.insert(f, bytes('abc'));
      const before = await storage.items.get(v.id, i.id, true);
      expect((await storage.vaults.list(a.id))[0]?.itemCount).toBe(2);

      expect(await storage.items.trash(v.id, i.id, 'then', 'deleter')).toBe(true);
      expect(await storage.items.trash(v.id, i.id, 'again', 'deleter')).toBe(false);
      expect(await storage.items.get(v.id, i.id, true)).toBeUndefined();
      expect(await storage.items.get(v.id, i.id, false)).toBeUndefined();
      expect(await storage.items.getWithFiles(v.id, i.id)).toBeUndefined();
      expect((await storage.items.list(v.id)).map((x) => x.id)).toEqual([kept.id]);
      expect((await storage.vaults.list(a.id))[0]?.itemCount).toBe(1);
      const trashed = await storage.items.getTrashed(v.id, i.id);
      expect(trashed).toMatchObject({ id: i.id, version: 2, deletedAt: 'then', deletedBy: 'deleter' });
      expect(trashed?.overview.toString()).toBe('o:second');
      expect(await storage.items.getTrashed(v.id, kept.id)).toBeUndefined();
      expect((await storage.items.listTrash(v.id)).map((x) => [x.id, x.overview.toString()])).toEqual([
        [i.id, 'o:second'],
      ]);
      // What it keeps meanwhile: every version and its files.
      expect((await storage.items.versions(i.id)).length).toBe(2);
      expect(await storage.files.list(i.id)).toEqual([f]);

      expect(await storage.items.untrash(v.id, kept.id)).toBe(false);
      expect(await storage.items.untrash(v.id, i.id)).toBe(true);
      expect(await storage.items.untrash(v.id, i.id)).toBe(false);
      expect(await storage.items.get(v.id, i.id, true)).toEqual(before);
      expect(await storage.items.listTrash(v.id)).toEqual([]);

      // Deleted from the trash, it is gone with its versions and files.
      expect(await storage.items.trash(v.id, i.id, 'later', 'deleter')).toBe(true);
      expect(await storage.items.delete(v.id, i.id)).toBe(true);
      expect(await storage.items.getTrashed(v.id, i.id)).toBeUndefined();
      expect(await storage.items.versions(i.id)).toEqual([]);
      expect(await storage.files.list(i.id)).toEqual([]);
    });

    it('lists the trash most recently deleted first, and only its own vault', async () => {
      const a = await account();
      const v = await vault(a.id);
      const other = await vault(a.id);
      const x = await item(v, 'x');
      const y = await item(v, 'y');
      const z = await item(other, 'z');
      expect(await storage.items.trash(v.id, x.id, '2026-01-01T00:00:00.000Z', 'd')).toBe(true);
      expect(await storage.items.trash(v.id, y.id, '2026-01-02T00:00:00.000Z', 'd')).toBe(true);
      expect(await storage.items.trash(other.id, z.id, '2026-01-03T00:00:00.000Z', 'd')).toBe(true);
      expect(await storage.items.trash(other.id, x.id, 'now', 'd')).toBe(false);
      expect(await storage.items.untrash(other.id, x.id)).toBe(false);
      expect(await storage.items.getTrashed(other.id, x.id)).toBeUndefined();
      expect((await storage.items.listTrash(v.id)).map((r) => r.id)).toEqual([y.id, x.id]);
    });

    it('does not find an item through another vault', async () => {
      const a = await account();
      const v1 = await vault(a.id);
      const v2 = await vault(a.id);
      const i = await item(v1);
      expect(await storage.items.get(v2.id, i.id, true)).toBeUndefined();
      expect(await storage.items.delete(v2.id, i.id)).toBe(false);
      expect(await storage.items.delete(v1.id, i.id)).toBe(true);
    });

    it('stores files with their content apart from their metadata', async () => {
      const a = await account();
      const v = await vault(a.id);
      const i = await item(v);
      const f = { id: newId(), itemId: i.id, vaultId: v.id, meta: bytes('meta'), size: 3, createdAt: now };
      await storage.files.insert(f, bytes('abc'));
      expect(await storage.files.list(i.id)).toEqual([f]);
      expect(await storage.files.get(i.id, f.id)).toEqual(f);
      expect((await storage.files.content(i.id, f.id))?.toString()).toBe('abc');
      expect(await storage.files.delete(i.id, f.id)).toBe(true);
      expect(await storage.files.content(i.id, f.id)).toBeUndefined();
    });

    it('lists and sets what the item heads upgrade writes, and deletes a meta key', async () => {
      const a = await account();
      const v = await vault(a.id);
      const i = await item(v, 'first');
      expect(await secondVersion(i)).toBe(true);
      const bare = await item(v, 'bare');
      // A row as migration 0008 leaves one stored before it: no head, no version MAC.
      await storage.items.update({ ...bare, version: 2, head: null }, 1, {
        itemId: bare.id,
        version: 2,
        overview: bytes('o'),
        content: bytes('c'),
        layout: 3,
        createdAt: now,
        editedBy: 'x',
        mac: null,
      });
      const headless = (await storage.items.withoutHeads()).filter((x) => x.vaultId === v.id);
      expect(headless).toEqual([{ ...bare, version: 2, head: null, latestVersion: 2 }]);
      await storage.items.setHead(bare.id, bytes('new head'));
      expect((await storage.items.get(v.id, bare.id, false))?.head?.toString()).toBe('new head');
      const macless = (await storage.items.versionsWithoutMacs()).filter((x) => x.vaultId === v.id);
      expect(macless.map((x) => [x.itemId, x.version, x.accountId])).toEqual(
        expect.arrayContaining([
          [i.id, 2, a.id],
          [bare.id, 2, a.id],
        ]),
      );
      expect(macless).toHaveLength(2);
      await storage.items.setVersionMac(i.id, 2, bytes('m2'));
      expect((await storage.items.getVersion(i.id, 2))?.mac?.toString()).toBe('m2');
      expect((await storage.items.getVersion(i.id, 1))?.mac?.toString()).toBe('mac:first');

      const f = { id: newId(), itemId: i.id, vaultId: v.id, meta: bytes('meta'), size: 3, createdAt: now };
      await storage.files.insert(f, bytes('abc'));
      expect((await storage.files.all()).filter((x) => x.vaultId === v.id)).toEqual([
        { ...f, accountId: a.id },
      ]);
      await storage.files.setMeta(f.id, bytes('resealed'));
      expect((await storage.files.get(i.id, f.id))?.meta.toString()).toBe('resealed');

      await storage.meta.insert('contract_key', 'x');
      await storage.meta.delete('contract_key');
      expect(await storage.meta.get('contract_key')).toBeUndefined();
    });

    it('reads an item view: the current version with content and its files in upload order', async () => {
      const a = await account();
      const v = await vault(a.id);
      const other = await vault(a.id);
      const i = await item(v, 'first');
      const bare = await item(v, 'bare');
      const file = (n: number, createdAt: string) => ({
        id: newId(),
        itemId: i.id,
        vaultId: v.id,
        meta: bytes(`meta${n}`),
        size: n,
        createdAt,
      });
      const later = file(2, '2026-01-02T03:04:07.000Z');
      const earlier = file(1, '2026-01-02T03:04:06.000Z');
      await storage.files.insert(later, bytes('bb'));
      await storage.files.insert(earlier, bytes('a'));
      expect(await secondVersion(i)).toBe(true);

      const view = await storage.items.getWithFiles(v.id, i.id);
      expect(view?.item).toEqual({
        ...i,
        version: 2,
        updatedAt: 'later',
        lastEditedBy: 'other',
        head: bytes('head:second'),
        hasLaterVersion: false,
        overview: bytes('o:second'),
        content: bytes('c:second'),
        layout: 2,
      });
      expect(view?.files).toEqual([earlier, later]);
      expect(await storage.items.getWithFiles(v.id, bare.id)).toEqual({
        item: {
          ...bare,
          hasLaterVersion: false,
          overview: bytes('o:bare'),
          content: bytes('c:bare'),
          layout: 1,
        },
        files: [],
      });
      expect(await storage.items.getWithFiles(other.id, i.id)).toBeUndefined();
      expect(await storage.items.getWithFiles(v.id, newId())).toBeUndefined();
    });

    it('replaces vault permissions and removes them with an empty list', async () => {
      const a = await account();
      const v = await vault(a.id);
      const userId = newId();
      await storage.users.insert({
        id: userId,
        accountId: a.id,
        email: `${userId}@example.com`,
        passwordHash: 'h',
        role: 'member',
        createdAt: now,
        updatedAt: now,
      });
      await storage.vaultAccess.set({ vaultId: v.id, userId, permissions: ['read'] });
      await storage.vaultAccess.set({ vaultId: v.id, userId, permissions: ['read', 'write'] });
      expect(await storage.vaultAccess.listForUser(userId)).toEqual([
        { vaultId: v.id, userId, permissions: ['read', 'write'] },
      ]);
      await storage.vaultAccess.set({ vaultId: v.id, userId, permissions: [] });
      expect(await storage.vaultAccess.listForVault(v.id)).toEqual([]);
    });

    it('appends audit events in order and pages newest first', async () => {
      const a = await account();
      for (let n = 1; n <= 5; n++) await storage.audit.append(event(a.id, n));
      const page1 = await storage.audit.list(a.id, { limit: 2 });
      expect(page1.map((e) => e.itemVersion)).toEqual([5, 4]);
      const page2 = await storage.audit.list(a.id, { limit: 10, beforeSeq: page1[1]?.seq as number });
      expect(page2.map((e) => e.itemVersion)).toEqual([3, 2, 1]);
      expect(page2[0]).toMatchObject({ ...event(a.id, 3) });
    });

    it('commits concurrent audit appends together, each resolving only once its event is stored', async () => {
      const a = await account();
      const seen: number[] = [];
      await Promise.all(
        Array.from({ length: 120 }, async (_, n) => {
          await storage.audit.append(event(a.id, n));
          // Once append resolves, the event is committed: a read sees it.
          const stored = await storage.audit.list(a.id, { limit: 1000 });
          expect(stored.some((e) => e.itemVersion === n)).toBe(true);
          seen.push(n);
        }),
      );
      expect(seen).toHaveLength(120);
      const all = await storage.audit.list(a.id, { limit: 1000 });
      expect(all.map((e) => e.itemVersion).sort((x, y) => (x as number) - (y as number))).toEqual([
        ...Array(120).keys(),
      ]);
    });

    it('appends many audit events in their order, over several statements, as part of a transaction', async () => {
      const a = await account();
      await storage.audit.appendMany([]);
      // More than one statement's worth (250 rows each), with a DENY summary's count among them.
      const events = Array.from({ length: 600 }, (_, n) => ({
        ...event(a.id, n),
        ...(n === 300 ? { result: 'DENY' as const, count: 7 } : {}),
      }));
      await storage.transaction(async (tx) => tx.audit.appendMany(events));
      const stored = await storage.audit.list(a.id, { limit: 1000 });
      expect(stored.map((e) => e.itemVersion)).toEqual([...Array(600).keys()].reverse());
      expect(stored.find((e) => e.itemVersion === 300)).toMatchObject({ result: 'DENY', count: 7 });
      expect(stored.find((e) => e.itemVersion === 599)).toMatchObject({ ...event(a.id, 599), count: 1 });
      // A transaction that fails after them keeps none.
      await expect(
        storage.transaction(async (tx) => {
          await tx.audit.appendMany(events.map((e) => ({ ...e, itemVersion: (e.itemVersion ?? 0) + 1000 })));
          await tx.accounts.insert({ id: a.id, name: 'duplicate id', createdAt: now });
        }),
      ).rejects.toThrow();
      expect(await storage.audit.list(a.id, { limit: 2000 })).toHaveLength(600);
    });
    it('keeps the audit trail of a deleted account', async () => {
      const a = await account();
      await storage.audit.append(event(a.id, 1));
      await storage.accounts.delete(a.id);
      expect(await storage.audit.list(a.id, { limit: 10 })).toHaveLength(1);
    });

    it('prunes the oldest events of one result before a time, in batches, leaving the rest', async () => {
      const a = await account();
      const at = (day: number, n: number, result: 'SUCCESS' | 'DENY'): AuditEventInput => ({
        ...event(a.id, n),
        occurredAt: `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`,
        result,
      });
      // Days 1-5: a refusal and a success each; the summary on day 3 stands for 40 refusals.
      for (let day = 1; day <= 5; day++) {
        await storage.audit.append({ ...at(day, day, 'DENY'), ...(day === 3 ? { count: 40 } : {}) });
        await storage.audit.append(at(day, 10 + day, 'SUCCESS'));
      }
      expect((await storage.audit.list(a.id, { limit: 10 })).find((e) => e.itemVersion === 3)?.count).toBe(
        40,
      );
      const cutoff = '2026-01-04T00:00:00.000Z';
      // Oldest first, at most `limit` per call; fewer than `limit` means none are left.
      expect(await storage.audit.prune('DENY', cutoff, 2)).toBe(2);
      let left = await storage.audit.list(a.id, { limit: 10 });
      expect(left.filter((e) => e.result === 'DENY').map((e) => e.itemVersion)).toEqual([5, 4, 3]);
      expect(await storage.audit.prune('DENY', cutoff, 2)).toBe(1);
      expect(await storage.audit.prune('DENY', cutoff, 2)).toBe(0);
      left = await storage.audit.list(a.id, { limit: 10 });
      // Successes are untouched by the pruning of refusals, and the reverse.
      expect(left.filter((e) => e.result === 'SUCCESS')).toHaveLength(5);
      expect(await storage.audit.prune('SUCCESS', '2026-01-02T00:00:00.000Z', 100)).toBe(1);
      left = await storage.audit.list(a.id, { limit: 10 });
      expect(left.map((e) => [e.result, e.itemVersion])).toEqual([
        ['SUCCESS', 15],
        ['DENY', 5],
        ['SUCCESS', 14],
        ['DENY', 4],
        ['SUCCESS', 13],
        ['SUCCESS', 12],
      ]);
    });

    it('rolls a transaction back entirely when any step fails', async () => {
      const a = await account();
      await expect(
        storage.transaction(async (tx) => {
          await tx.audit.append(event(a.id, 1));
          await tx.accounts.insert({ id: a.id, name: 'duplicate id', createdAt: now });
        }),
      ).rejects.toThrow();
      expect(await storage.audit.list(a.id, { limit: 10 })).toEqual([]);
    });

    it('keeps concurrent transactions independent: one failing rolls back alone', async () => {
      const a = await account();
      const results = await Promise.allSettled([
        storage.transaction(async (tx) => tx.audit.append(event(a.id, 1))),
        storage.transaction(async (tx) => {
          await tx.audit.append(event(a.id, 2));
          await tx.accounts.insert({ id: a.id, name: 'duplicate id', createdAt: now });
        }),
        storage.transaction(async (tx) => {
          await tx.audit.append(event(a.id, 3));
          return 'third';
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(results[2]).toEqual({ status: 'fulfilled', value: 'third' });
      const kept = await storage.audit.list(a.id, { limit: 10 });
      expect(kept.map((e) => e.itemVersion).sort()).toEqual([1, 3]);
    });

    it('sees its own writes and those of transactions committed before it', async () => {
      await storage.transaction(async (tx) => tx.meta.insert('first', '1'));
      const seen = await storage.transaction(async (tx) => {
        await tx.meta.insert('second', '2');
        return [await tx.meta.get('first'), await tx.meta.get('second')];
      });
      expect(seen).toEqual(['1', '2']);
    });

    it('stores meta values once', async () => {
      await storage.meta.insert('k', 'v');
      expect(await storage.meta.get('k')).toBe('v');
      await expect(storage.meta.insert('k', 'other')).rejects.toThrow();
      expect(await storage.meta.get('missing')).toBeUndefined();
    });
    describe('second factors (migration 0012)', () => {
      const userOf = async (accountId: string, email = 'mfa@example.com') => {
        const u = {
          id: newId(),
          accountId,
          email,
          passwordHash: 'h',
          role: 'member' as const,
          createdAt: now,
          updatedAt: now,
        };
        await storage.users.insert(u);
        return u;
      };
      const totp = (userId: string, accountId: string, secret: string, pendingFor = 'session:s') => ({
        userId,
        accountId,
        secret: bytes(secret),
        enabled: false,
        lastStep: -1,
        createdAt: now,
        enabledAt: null,
        pendingFor,
      });

      it('keeps a pending secret replaceable and an enabled one fixed; enable is a compare-and-set', async () => {
        const a = await account();
        const u = await userOf(a.id);
        expect(await storage.totp.putPending(totp(u.id, a.id, 's1'))).toBe(true);
        expect(await storage.totp.putPending(totp(u.id, a.id, 's2'))).toBe(true);
        expect(await storage.totp.enable(u.id, bytes('s1'), 'session:s', 10, [], now)).toBe(false);
        const enabled = await Promise.all([
          storage.totp.enable(u.id, bytes('s2'), 'session:s', 10, [bytes('r1'), bytes('r2')], now),
          storage.totp.enable(u.id, bytes('s2'), 'session:s', 10, [bytes('r3')], now),
        ]);
        expect(enabled.filter(Boolean)).toHaveLength(1);
        expect(await storage.totp.get(u.id)).toMatchObject({
          enabled: true,
          lastStep: 10,
          secret: bytes('s2'),
        });
        expect(await storage.totp.putPending(totp(u.id, a.id, 's3'))).toBe(false);
        expect((await storage.totp.get(u.id))?.secret).toEqual(bytes('s2'));
      });

      it('binds a pending secret to one sign-in context: only that context switches it on, and a new context takes it over', async () => {
        const a = await account();
        const u = await userOf(a.id);
        expect(await storage.totp.putPending(totp(u.id, a.id, 's1', 'session:first'))).toBe(true);
        expect((await storage.totp.get(u.id))?.pendingFor).toBe('session:first');
        // The right secret from another context is not enough.
        expect(await storage.totp.enable(u.id, bytes('s1'), 'challenge:first', 10, [], now)).toBe(false);
        // Another context opening enrolment replaces the secret and the binding together: the first
        // context's confirmation of its own secret now fails, and so does the old secret for the new context.
        expect(await storage.totp.putPending(totp(u.id, a.id, 's2', 'challenge:second'))).toBe(true);
        expect(await storage.totp.get(u.id)).toMatchObject({
          secret: bytes('s2'),
          pendingFor: 'challenge:second',
        });
        expect(await storage.totp.enable(u.id, bytes('s1'), 'session:first', 10, [], now)).toBe(false);
        expect(await storage.totp.enable(u.id, bytes('s1'), 'challenge:second', 10, [], now)).toBe(false);
        expect(await storage.totp.enable(u.id, bytes('s2'), 'session:first', 10, [], now)).toBe(false);
        expect((await storage.totp.get(u.id))?.enabled).toBe(false);
        // Of the two contexts confirming in parallel, only the bound one switches it on; the binding ends there.
        const results = await Promise.all([
          storage.totp.enable(u.id, bytes('s2'), 'session:first', 10, [bytes('r1')], now),
          storage.totp.enable(u.id, bytes('s2'), 'challenge:second', 10, [bytes('r2')], now),
        ]);
        expect(results).toEqual([false, true]);
        expect(await storage.totp.get(u.id)).toMatchObject({ enabled: true, pendingFor: null });
        expect(await storage.totp.unusedRecoveryCodes(u.id)).toBe(1);
        // An enabled secret is never rebound by a new context.
        expect(await storage.totp.putPending(totp(u.id, a.id, 's3', 'session:first'))).toBe(false);
        expect(await storage.totp.get(u.id)).toMatchObject({ secret: bytes('s2'), pendingFor: null });
      });

      it('accepts each later step once, under parallel calls, and never an earlier one', async () => {
        const a = await account();
        const u = await userOf(a.id);
        await storage.totp.putPending(totp(u.id, a.id, 's'));
        expect(await storage.totp.acceptStep(u.id, 5)).toBe(false); // not enabled yet
        await storage.totp.enable(u.id, bytes('s'), 'session:s', 10, [], now);
        const results = await Promise.all(
          [11, 11, 11, 11].map((step) => storage.totp.acceptStep(u.id, step)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await storage.totp.acceptStep(u.id, 10)).toBe(false);
        expect(await storage.totp.acceptStep(u.id, 12)).toBe(true);
        // 2^40 steps and beyond: the column is 64-bit.
        expect(await storage.totp.acceptStep(u.id, 2 ** 40)).toBe(true);
        expect((await storage.totp.get(u.id))?.lastStep).toBe(2 ** 40);
      });

      it('spends recovery codes once, replaces them on enable, and deletes everything on reset and with the user', async () => {
        const a = await account();
        const u = await userOf(a.id);
        await storage.totp.putPending(totp(u.id, a.id, 's'));
        await storage.totp.enable(u.id, bytes('s'), 'session:s', 1, [bytes('r1'), bytes('r2')], now);
        const uses = await Promise.all(
          [1, 2, 3].map(() => storage.totp.useRecoveryCode(u.id, bytes('r1'), now)),
        );
        expect(uses.filter(Boolean)).toHaveLength(1);
        expect(await storage.totp.unusedRecoveryCodes(u.id)).toBe(1);
        const other = await userOf(a.id, 'other@example.com');
        expect(await storage.totp.useRecoveryCode(other.id, bytes('r2'), now)).toBe(false);
        expect(await storage.totp.delete(u.id)).toBe(true);
        expect(await storage.totp.delete(u.id)).toBe(false);
        expect(await storage.totp.get(u.id)).toBeUndefined();
        expect(await storage.totp.unusedRecoveryCodes(u.id)).toBe(0);
        await storage.totp.putPending(totp(other.id, a.id, 's'));
        await storage.totp.enable(other.id, bytes('s'), 'session:s', 1, [bytes('r9')], now);
        expect(await storage.users.delete(a.id, other.id)).toBe(true);
        expect(await storage.totp.get(other.id)).toBeUndefined();
        expect(await storage.totp.unusedRecoveryCodes(other.id)).toBe(0);
      });

      it('stores the account policy, absent until set', async () => {
        const a = await account();
        expect(await storage.accountPolicies.get(a.id)).toBeUndefined();
        await storage.accountPolicies.put({
          accountId: a.id,
          requireMfa: true,
          requirePushedRequests: false,
          updatedAt: now,
        });
        expect(await storage.accountPolicies.get(a.id)).toEqual({
          accountId: a.id,
          requireMfa: true,
          requirePushedRequests: false,
          updatedAt: now,
        });
        await storage.accountPolicies.put({
          accountId: a.id,
          requireMfa: false,
          requirePushedRequests: true,
          updatedAt: now,
        });
        expect(await storage.accountPolicies.get(a.id)).toMatchObject({
          requireMfa: false,
          requirePushedRequests: true,
        });
        await storage.accounts.delete(a.id);
        expect(await storage.accountPolicies.get(a.id)).toBeUndefined();
      });

      it('finds a challenge by its hash, counts attempts up to a bound under parallel calls, and consumes it once', async () => {
        const a = await account();
        const u = await userOf(a.id);
        const c = {
          id: newId(),
          secretHash: bytes('challenge-hash'),
          accountId: a.id,
          userId: u.id,
          purpose: 'verify' as const,
          csrfToken: 'csrf',
          attempts: 0,
          createdAt: now,
          expiresAt: '2026-01-02T03:09:05.000Z',
        };
        await storage.mfaChallenges.insert(c);
        expect(await storage.mfaChallenges.findByHash(bytes('challenge-hash'))).toEqual(c);
        const counted = await Promise.all(
          Array.from({ length: 8 }, () => storage.mfaChallenges.countAttempt(c.id, 5)),
        );
        expect(counted.filter(Boolean)).toHaveLength(5);
        expect((await storage.mfaChallenges.findByHash(c.secretHash))?.attempts).toBe(5);
        const deleted = await Promise.all([
          storage.mfaChallenges.delete(c.id),
          storage.mfaChallenges.delete(c.id),
        ]);
        expect(deleted.filter(Boolean)).toHaveLength(1);
        // Every pending sign-in of one user goes at once; another user's stay.
        const other = await userOf(a.id, 'other-mfa@example.com');
        await storage.mfaChallenges.insert({ ...c, id: newId() });
        await storage.mfaChallenges.insert({ ...c, id: newId(), secretHash: bytes('challenge-hash-2') });
        await storage.mfaChallenges.insert({
          ...c,
          id: newId(),
          userId: other.id,
          secretHash: bytes('challenge-hash-3'),
        });
        expect(await storage.mfaChallenges.deleteForUser(u.id)).toBe(2);
        expect(await storage.mfaChallenges.findByHash(c.secretHash)).toBeUndefined();
        expect((await storage.mfaChallenges.findByHash(bytes('challenge-hash-3')))?.userId).toBe(other.id);
        expect(await storage.mfaChallenges.deleteForUser(other.id)).toBe(1);
        await storage.mfaChallenges.insert({ ...c, id: newId() });
        expect(await storage.mfaChallenges.purgeExpired('2026-01-02T03:09:05.000Z')).toBe(0);
        expect(await storage.mfaChallenges.purgeExpired('2026-01-02T03:09:05.001Z')).toBe(1);
      });
    });
  });
  auditQueryContract(backend, open);
  sharedStateContract(backend, open);
}
