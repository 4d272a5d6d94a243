import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { systemContext } from '../../src/domain/context.js';
import { userService } from '../../src/domain/users/user-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

/**
 * The user service keeps a display name only as `personName` makes it, whoever calls it: the
 * routes' schemas check first, and the service checks again, on a real database.
 */
const dir = mkdtempSync(join(tmpdir(), 'keyhold-names-'));
let storage: Storage;
const accountId = newId();
const ctx = systemContext(accountId);

beforeAll(async () => {
  storage = await openSqlite(join(dir, 'names.sqlite'));
  await storage.accounts.insert({ id: accountId, name: 'Acme', createdAt: new Date().toISOString() });
});

afterAll(async () => {
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the user service', () => {
  const users = () => userService(storage, { pagesBase: () => 'https://keyhold.example/oauth' });

  it('keeps a name trimmed and in NFC, at creation and on a change', async () => {
    const created = await users().create(ctx, {
      email: 'ann@example.com',
      role: 'member',
      name: ' Ann\u0301 ',
    });
    expect(created.name).toBe('Anń');
    expect((await users().setName(ctx, created.id, '  Ann B.  ')).name).toBe('Ann B.');
    expect((await storage.users.get(accountId, created.id))?.name).toBe('Ann B.');
  });

  it('refuses a name the schema would refuse, storing nothing', async () => {
    await expect(
      users().create(ctx, { email: 'bob@example.com', role: 'member', name: 'Bob\u0000' }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'invalid_input',
      message: 'name: must not contain control characters',
    });
    expect(await storage.users.findByEmail(accountId, 'bob@example.com')).toBeUndefined();
    const cy = await users().create(ctx, { email: 'cy@example.com', role: 'member', name: 'Cy' });
    await expect(users().setName(ctx, cy.id, 'x'.repeat(201))).rejects.toMatchObject({
      status: 400,
      message: 'name: must be at most 200 characters',
    });
    expect((await storage.users.get(accountId, cy.id))?.name).toBe('Cy');
  });
});
