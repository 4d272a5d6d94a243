import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { aad } from '../crypto/envelope.js';
import { Keyring } from '../crypto/keyring.js';
import {
  MasterKeyError,
  parseMasterKey,
  readMasterKeyFile,
  readOrCreateMasterKeyFile,
} from '../crypto/master-key.js';
import { type HeadsUpgrade, upgradeItemHeads } from '../domain/items/upgrade-heads.js';
import { isAppError } from '../errors/app-error.js';
import { ProcessError } from '../errors/process-error.js';
import type { Backend } from '../storage/backend.js';
import { KEY_CHECK } from '../storage/backend.js';
import { chooseBackend } from '../storage/choose-backend.js';
import type { Storage, Stores } from '../storage/ports.js';

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

/**
 * The database already holds a Keyhold database: found there before anything was written, or
 * created by another initialisation that committed first (on PostgreSQL, another node or `init`).
 */
export class AlreadyInitialisedError extends ProcessError {
  constructor(location: string) {
    super(
      'already_initialised',
      `${location} already holds a Keyhold database; refusing to initialise it again`,
    );
  }
}

/** A new store, opened but not yet claimed: `claim` writes its key check (in the first account's transaction). */
export interface NewStore extends OpenStore {
  /** The master key file this start created or read; null when the key came from KEYHOLD_MASTER_KEY. */
  masterKeyFile: string | null;
  claim(tx: Pick<Stores, 'meta'>): Promise<void>;
}

/**
 * Opens a backend that holds nothing yet, with the master key from KEYHOLD_MASTER_KEY, else the
 * key file (created with mode 0600 when missing). The key check is written by `claim`, inside the
 * transaction that founds the first account: of two initialisations racing on one empty
 * PostgreSQL database, exactly one commits (the key check's primary key refuses the other).
 */
export async function createStore(
  config: Config,
  backend: Backend = chooseBackend(config),
): Promise<NewStore> {
  const found = await backend.inspect();
  if (found.kind === 'keyhold') throw new AlreadyInitialisedError(backend.location);
  if (found.kind === 'other') throw new MasterKeyError(found.why);
  const { key, file } = loadMasterKey(config, 'create');
  const keyring = new Keyring(key);
  const storage = await backend.open();
  return {
    storage,
    keyring,
    masterKeyFile: file,
    claim: (tx) => tx.meta.insert(KEY_CHECK, headsInForceCheck(keyring)),
  };
}

/**
 * Opens a backend that holds a Keyhold database. The master key is checked against the stored
 * key-check value first, read without writing anything: a wrong or missing key stops start-up
 * with a clear message and nothing, not even a migration, touches the database.
 */
export async function openStore(
  config: Config,
  backend: Backend = chooseBackend(config),
): Promise<OpenStore> {
  const found = await backend.inspect();
  if (found.kind === 'nothing') {
    throw new MasterKeyError(
      `no Keyhold database at ${backend.location}; run \`keyhold init\` or \`keyhold serve\` first`,
    );
  }
  if (found.kind === 'other') throw new MasterKeyError(found.why);
  const keyring = new Keyring(keyToOpen(config, backend.location));
  const headsInForce = openKeyCheck(keyring, found.keyCheck, backend);
  const storage = await backend.open();
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

/**
 * The master key, where every command takes it from: KEYHOLD_MASTER_KEY, else the key file
 * (`file`: null when the key came from the environment). A missing file is created (mode 0600,
 * its directory 0700) when `ifMissing` is 'create', as for a new database; otherwise it is a
 * MasterKeyError whose message ends with `ifMissing`: what the key is needed for.
 */
export function loadMasterKey(
  config: Pick<Config, 'masterKey' | 'masterKeyFile'>,
  ifMissing: 'create' | string,
): { key: Buffer; file: string | null } {
  if (config.masterKey !== undefined)
    return { key: parseMasterKey(config.masterKey, 'KEYHOLD_MASTER_KEY'), file: null };
  const file = config.masterKeyFile;
  if (ifMissing === 'create') {
    // `init --data-dir NEW` writes the key before the backend makes the directory.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    return { key: readOrCreateMasterKeyFile(file), file };
  }
  if (!existsSync(file)) {
    throw new MasterKeyError(
      `the master key is missing: KEYHOLD_MASTER_KEY is not set and ${file} does not exist; ${ifMissing}`,
    );
  }
  return { key: readMasterKeyFile(file), file };
}

/** The master key of the Keyhold database at `location`: a missing key file is not created. */
export const keyToOpen = (config: Pick<Config, 'masterKey' | 'masterKeyFile'>, location: string): Buffer =>
  loadMasterKey(config, `the database in ${location} cannot be opened without the key it was created with`)
    .key;

const headsInForceCheck = (keyring: Keyring) =>
  keyring.sealWithMaster(HEADS_IN_FORCE, aad.masterKeyCheck()).toString('base64');

/** Opens the key check with `keyring`'s master key; answers whether item heads are in force. */
export function openKeyCheck(
  keyring: Keyring,
  keyCheck: string,
  backend: Pick<Backend, 'location'>,
): boolean {
  try {
    return keyring
      .openWithMaster(Buffer.from(keyCheck, 'base64'), aad.masterKeyCheck(), 'master key check')
      .equals(HEADS_IN_FORCE);
  } catch (error) {
    if (isAppError(error) && error.code === 'integrity_error') {
      throw new MasterKeyError(
        `the master key does not match the database in ${backend.location}; use the key it was created with`,
      );
    }
    throw error;
  }
}
