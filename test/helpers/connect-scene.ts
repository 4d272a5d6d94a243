import { createHash } from 'node:crypto';
import { newId } from '../../src/crypto/ids.js';
import type { ConnectTokenRecord, Storage, Stores } from '../../src/storage/ports.js';

export const SCENE_TIME = '2026-01-02T03:04:05.000Z';

/** A fresh SHA-256 value, as the stores keep secrets: hashed. */
export const randomHash = () => createHash('sha256').update(newId()).digest();

/**
 * Written through `storage`, one store call at a time: an account, a vault in it, a Connect
 * server on that vault, and a read token of that server — what a Connect request's access
 * decision reads.
 */
export async function connectScene(
  storage: Pick<Stores, 'accounts' | 'vaults' | 'connectServers' | 'connectTokens'>,
  now = SCENE_TIME,
) {
  const accountId = newId();
  await storage.accounts.insert({ id: accountId, name: 'Acme', createdAt: now });
  const vaultId = newId();
  await storage.vaults.insert({
    id: vaultId,
    accountId,
    wrappedKey: Buffer.from('wrapped'),
    attributes: Buffer.from('attrs'),
    type: 'USER_CREATED',
    attributeVersion: 1,
    contentVersion: 1,
    createdAt: now,
    updatedAt: now,
  });
  const serverId = newId();
  const serverSecretHash = randomHash();
  await storage.connectServers.insert(
    { id: serverId, accountId, name: 'srv', secretHash: serverSecretHash, createdAt: now, publicKey: null },
    [vaultId],
  );
  const token: ConnectTokenRecord = {
    id: newId(),
    accountId,
    serverId,
    name: 'tok',
    grants: [{ vaultId, permissions: ['read'] }],
    signatureHash: randomHash(),
    createdAt: now,
    expiresAt: null,
    revokedAt: null,
  };
  await storage.connectTokens.insert(token);
  return { accountId, vaultId, serverId, serverSecretHash, token };
}

/**
 * `storage` whose Connect token reads, while held, wait after reading the database until
 * released: a read that a change can overtake before it returns.
 */
export function heldTokenReads(storage: Storage) {
  let held = false;
  let release: () => void = () => undefined;
  const slow: Storage = {
    ...storage,
    connectTokens: {
      ...storage.connectTokens,
      get: async (id) => {
        const record = await storage.connectTokens.get(id);
        if (held) await new Promise<void>((resolve) => (release = resolve));
        return record;
      },
    },
  };
  return {
    storage: slow,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      release();
    },
  };
}
