import { existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Config } from '../config/schema.js';
import { aad } from '../crypto/envelope.js';
import { Keyring } from '../crypto/keyring.js';
import {
  createMasterKeyFile,
  MASTER_KEY_FILE,
  MasterKeyError,
  parseMasterKey,
  readMasterKeyFile,
} from '../crypto/master-key.js';
import { type HeadsUpgrade, upgradeItemHeads } from '../domain/items/upgrade-heads.js';
import { isAppError } from '../errors/app-error.js';
import type { Storage } from '../storage/ports.js';
import { openSqlite } from '../storage/sqlite/open.js';

export const DATABASE_FILE = 'keyhold.db';
const KEY_CHECK = 'master_key_check';

/**
 * What the key check holds once item heads are in force: a database created with them, or one
 * whose rows got theirs (upgrade-heads.ts). Before, it held random bytes. Sealed under the master
 * key, it cannot be forged, and it cannot be removed (no check, no start): so a start never runs
 * the upgrade again, which would vouch for rows as it finds them, however their heads went
 * missing. Only a key check copied from a backup made before the upgrade brings that back.
 */
const HEADS_IN_FORCE = Buffer.from('keyhold/item-heads-in-force/v1');

export interface OpenStore {
  storage: Storage;
  keyring: Keyring;
  /** Set when this start wrote the item heads of rows stored before they existed. */
  headsUpgrade?: HeadsUpgrade;
}

export const databasePath = (dataDir: string) => join(dataDir, DATABASE_FILE);
export const masterKeyPath = (dataDir: string) => join(dataDir, MASTER_KEY_FILE);
export const isInitialized = (dataDir: string) => existsSync(databasePath(dataDir));

/**
 * Creates a new data directory: master key (from KEYHOLD_MASTER_KEY, else a new key file with
 * mode 0600), then the database with a key-check value sealed under the master key, so a later
 * start with the wrong key is refused before anything is written.
 */
export async function createDataDir(config: Config): Promise<OpenStore & { masterKeyFile: string | null }> {
  if (isInitialized(config.dataDir)) {
    throw new MasterKeyError(
      `${config.dataDir} already holds a Keyhold database; refusing to initialise it again`,
    );
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  let masterKeyFile: string | null = null;
  let master: Buffer;
  if (config.masterKey !== undefined) {
    master = parseMasterKey(config.masterKey, 'KEYHOLD_MASTER_KEY');
  } else {
    masterKeyFile = masterKeyPath(config.dataDir);
    master = existsSync(masterKeyFile)
      ? readMasterKeyFile(masterKeyFile)
      : createMasterKeyFile(masterKeyFile);
  }
  const keyring = new Keyring(master);
  const storage = await openSqlite(databasePath(config.dataDir));
  await storage.meta.insert(KEY_CHECK, headsInForceCheck(keyring));
  return { storage, keyring, masterKeyFile };
}

/**
 * Opens an existing data directory. The master key is checked against the stored key-check
 * value through a read-only connection first: a wrong or missing key stops start-up with a
 * clear message and nothing — not even a migration — touches the database.
 */
export async function openDataDir(config: Config): Promise<OpenStore> {
  const file = databasePath(config.dataDir);
  if (!existsSync(file)) {
    throw new MasterKeyError(
      `no Keyhold database in ${config.dataDir}; run \`keyhold init\` or \`keyhold serve\` first`,
    );
  }
  const keyring = new Keyring(loadMasterKey(config));
  const headsInForce = verifyMasterKey(file, keyring);
  const storage = await openSqlite(file);
  try {
    if (headsInForce) return { storage, keyring };
    // Before anything is served: the upgrade is what makes a missing head mean tampering.
    const headsUpgrade = await upgradeItemHeads(storage, keyring, async (tx) => {
      await tx.meta.delete(KEY_CHECK);
      await tx.meta.insert(KEY_CHECK, headsInForceCheck(keyring));
    });
    return { storage, keyring, headsUpgrade };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

function loadMasterKey(config: Config): Buffer {
  if (config.masterKey !== undefined) return parseMasterKey(config.masterKey, 'KEYHOLD_MASTER_KEY');
  const keyFile = masterKeyPath(config.dataDir);
  if (!existsSync(keyFile)) {
    throw new MasterKeyError(
      `the master key is missing: KEYHOLD_MASTER_KEY is not set and ${keyFile} does not exist; the database in ${config.dataDir} cannot be opened without the key it was created with`,
    );
  }
  return readMasterKeyFile(keyFile);
}

const headsInForceCheck = (keyring: Keyring) =>
  keyring.sealWithMaster(HEADS_IN_FORCE, aad.masterKeyCheck()).toString('base64');

/** Opens the key check with `keyring`'s master key; answers whether item heads are in force. */
function verifyMasterKey(file: string, keyring: Keyring): boolean {
  // A read-only connection to a WAL database still creates empty -wal/-shm files; remove the ones
  // this check made, so a refused start leaves the directory exactly as it found it.
  const sidecars = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('select value from meta where key = ?').get(KEY_CHECK) as
      | { value: string }
      | undefined;
    if (!row) throw new MasterKeyError(`${file} is not a Keyhold database (no master key check)`);
    const check = keyring.openWithMaster(
      Buffer.from(row.value, 'base64'),
      aad.masterKeyCheck(),
      'master key check',
    );
    return check.equals(HEADS_IN_FORCE);
  } catch (error) {
    if (isAppError(error) && error.code === 'integrity_error') {
      throw new MasterKeyError(
        `the master key does not match the database in ${file}; use the key it was created with`,
      );
    }
    if (error instanceof MasterKeyError) throw error;
    throw new MasterKeyError(
      `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    db.close();
    for (const f of sidecars)
      if (existsSync(f) && (f.endsWith('-shm') || statSync(f).size === 0)) unlinkSync(f);
  }
}
