import { createHash, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { importJWK, type JWK, type KeyObject } from 'jose';
import { aad, open, openJson, sealJson } from '../../crypto/envelope.js';
import { deriveMacKey } from '../../crypto/mac.js';
import { importServerPrivateKey, unwrapVaultKey } from '../../crypto/server-key.js';
import type { KeyedVault, VaultKeys } from '../../crypto/vault-keys.js';
import type { ConnectCredentials } from '../../domain/connect/server-service.js';
import type { VerificationKey } from '../../domain/connect/signing-keys.js';
import type { ConnectVerifierStores, VerificationKeys } from '../../domain/connect/verifier.js';
import { openFileMetas } from '../../domain/items/file-service.js';
import { verifyHead } from '../../domain/items/heads.js';
import { placeOf } from '../../domain/items/item-rows.js';
import { openOverview, openServedJson } from '../../domain/items/sealing.js';
import { integrityError } from '../../errors/app-error.js';
import type {
  AuditStore,
  ConnectTokenRecord,
  FileRecord,
  FileStore,
  ItemRow,
  ItemStore,
  VaultCore,
  VaultRow,
  VaultStore,
} from '../../storage/ports.js';
import { fileRecordOf } from '../../storage/sql/files.js';
import { type AuditWriter, auditWriter } from '../../storage/sqlite/audit-writer.js';
import { LOCK_FILE, lockDataDir } from '../../storage/sqlite/data-dir-lock.js';
import type {
  ItemState,
  ReplicaRecord,
  ServerState,
  SigningKeyState,
  TokenState,
  VaultContent,
  VaultState,
} from '../wire/replica-protocol.js';
import { ReadCache } from './read-cache.js';
import type { Outbox, Replica, ReplicaPosition } from './replica.js';
import { keepPrivate, unreadable } from './replica-file.js';
import { checkIdentity } from './replica-identity.js';
import { replicaOutbox } from './replica-outbox.js';
import {
  addGoneSeen,
  replicaReads,
  replicaStatements,
  schemaSql,
  TABLES,
  toItemRow,
} from './replica-schema.js';

/** The replica's file in the node's data directory (with its -wal and -shm). */
export const REPLICA_FILE = 'replica.sqlite';

/** The store ports the central read code uses, answered from the replica. */
export interface ReplicaStores extends ConnectVerifierStores {
  vaults: Pick<VaultStore, 'find' | 'get' | 'list'>;
  items: Pick<ItemStore, 'get' | 'getWithFiles' | 'list'>;
  files: Pick<FileStore, 'list' | 'get' | 'content'>;
  /** The outbox. */
  audit: Pick<AuditStore, 'append'>;
}

/** A replica in SQLite, with what reading it takes. */
export interface SqliteReplica extends Replica {
  readonly outbox: Outbox;
  /** The replica's rows as the central store ports serve them. */
  readonly stores: ReplicaStores;
  /** The data keys of the vaults held, unwrapped when they arrived. */
  readonly keys: VaultKeys;
  /** The public keys of the account's Connect signing keys, for ConnectVerifier. */
  readonly signingKeys: VerificationKeys;
  /** The file the replica lives in. */
  readonly file: string;
  /**
   * When the last mark was applied (ms since the epoch), kept sealed with the position, so the
   * staleness bound survives a restart without a file an intruder in the data directory could
   * move forward; undefined without a position, or if the stored time is ahead of the clock.
   */
  lastMarkAt(): number | undefined;
}

/** A vault held: its core (what authorization and decryption need), counters and keys. */
interface HeldVault {
  core: VaultCore;
  contentVersion: number;
  updatedAt: string;
  key: Buffer;
  macKey: Buffer;
}

/** One set of tables: the replica (`''`) or a state a `reset` is gathering (`'staged_'`). */
interface TableSet {
  prefix: string;
  vaults: Map<string, HeldVault>;
  server: ServerState | undefined;
  /** The epoch of the reset gathering this set (staged sets only): its mark must be of it. */
  epoch?: string;
  /**
   * The token ledger: each token row's hash, by token id (see `rowHash`), and each signing key
   * row's, by `key:KID` (keyLedgerId), so a revoked token or a withdrawn key put back at rest as
   * its older sealed row is found. A key row without an entry (from a replica older than the keys'
   * entries) is taken as it is until its next record.
   */
  ledger: Map<string, string>;
}

/**
 * A sealed row's fingerprint (SHA-256, 128 bits kept). Every seal has a fresh nonce, so a row put
 * back to an older copy, even of the same token, has another fingerprint than the one recorded.
 */
const rowHash = (sealed: Buffer) => createHash('sha256').update(sealed).digest('base64url').slice(0, 22);

type Kind =
  | 'identity'
  | 'position'
  | 'server'
  | 'vault'
  | 'vault-content'
  | 'token'
  | 'token-ledger'
  | 'signing-key';

/** Item views kept read (read-cache.ts): a few MiB of sealed rows at most. */
const ITEM_VIEWS_CACHED = 1_000;

/**
 * Opens (creating if needed) the replica of the server in `credentials` in `dataDir`.
 *
 * - Items and files are kept as the central service stores them (sealed under their vault's
 *   data key, with heads), so the central read code opens them unchanged and a tampered row is
 *   an integrity error. Everything else — vault records with their wrapped keys, tokens, signing
 *   keys, the server's vault set, the position, the replica's identity — is sealed under the
 *   replica key of the credentials file, with AAD naming the server, the kind and the id, so a
 *   row moved to another place fails to open. Plaintext never touches disk.
 * - Vault keys are unwrapped (the server's private key) when they arrive and when the replica
 *   opens, and held in memory; items are read from SQLite by key, never all held.
 * - WAL with synchronous=FULL: what `receive` resolved is on disk. A reset's records are gathered
 *   in staging tables without an fsync each; its mark swaps them in, in one transaction whose
 *   commit syncs everything before it.
 * - The outbox is a table of the same file, appended by the audit writer thread
 *   (storage/sqlite/audit-writer.ts) on a second connection: group commit, durable before
 *   `append` resolves.
 *
 * A replica made for another server or account, sealed with another replica key, or of another
 * layout is refused with `replica_foreign`, and left as it is.
 */
export async function openReplica(options: {
  dataDir: string;
  credentials: ConnectCredentials;
}): Promise<SqliteReplica> {
  const { dataDir, credentials } = options;
  const { serverId, accountId } = credentials;
  const replicaKey = Buffer.from(credentials.replicaKey, 'base64url');
  const serverKey = await importServerPrivateKey(credentials.serverKey);
  const file = join(dataDir, REPLICA_FILE);
  // One node per data directory: a second one would share the staging tables of a reset (its
  // open clears them under the first one's feet) and ship the same outbox.
  const lock = lockDataDir(dataDir);
  let db: BetterSqlite3.Database;
  try {
    keepPrivate(dataDir, file);
    db = new BetterSqlite3(file);
  } catch (error) {
    lock.release();
    throw unreadable(dataDir, error);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      for (const sql of schemaSql) db.exec(sql);
      addGoneSeen(db);
    }).immediate();
  } catch (error) {
    db.close();
    lock.release();
    throw unreadable(dataDir, error);
  }

  const aadOf = (kind: Kind, id: string) => `keyhold/replica/v1|${accountId}|${serverId}|${kind}|${id}`;
  const sealRow = (kind: Kind, id: string, value: unknown) => sealJson(replicaKey, value, aadOf(kind, id));
  const openRow = <T>(kind: Kind, id: string, sealed: Buffer): T =>
    openJson<T>(replicaKey, sealed, aadOf(kind, id), `replica ${kind} ${id}`);

  const getMeta = db.prepare<[string], { value: Buffer }>('select value from meta where key = ?');
  const setMeta = db.prepare<[string, Buffer]>(
    'insert into meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value',
  );
  const metaText = (key: string) => getMeta.get(key)?.value.toString('utf8');

  // Whose replica this is, checked before anything in it is used.
  let outboxId: string;
  try {
    outboxId = checkIdentity(
      db,
      { getMeta, setMeta, metaText, sealRow, openRow },
      { dataDir, serverId, accountId },
    );
  } catch (error) {
    db.close();
    lock.release();
    throw unreadable(dataDir, error);
  }

  const main = replicaStatements(db, '');
  const staged = replicaStatements(db, 'staged_');
  const reads = replicaReads(db);
  const of = (set: TableSet) => (set.prefix === '' ? main : staged);

  /**
   * A transaction of this connection that writes: BEGIN IMMEDIATE, so it waits for the write lock
   * (busy_timeout) before it reads anything. A deferred one that read first could not wait: had
   * the outbox writer thread committed in between, its first write failed at once with "database
   * is locked" (SQLITE_BUSY_SNAPSHOT), and a record whose apply failed dropped the stream.
   */
  const writeTransaction = <A extends unknown[], R>(fn: (...args: A) => R) =>
    db.transaction(fn).immediate as (...args: A) => R;

  const clearStaged = writeTransaction(() => {
    for (const t of TABLES) db.exec(`delete from "staged_${t}"`);
  });
  /**
   * The token ledger, sealed, and the position with the ledger's fingerprint, in one step: a
   * token row put back to an older copy (say, from before its revocation) no longer matches the
   * ledger, and the ledger put back with it no longer matches the position; the position put back
   * too is an older place in the log and an older mark time, which the stream and the staleness
   * bound answer. Returns the ledger's fingerprint.
   */
  const writeLedger = (ledger: Map<string, string>, at: ReplicaPosition | undefined, markedAt?: number) => {
    const sealed = sealRow('token-ledger', serverId, Object.fromEntries(ledger));
    setMeta.run('token_ledger', sealed);
    const hash = rowHash(sealed);
    if (at) setMeta.run('position', sealRow('position', serverId, { ...at, markedAt, ledger: hash }));
    return hash;
  };
  const swap = writeTransaction(
    (position: ReplicaPosition, markedAt: number, ledger: Map<string, string>) => {
      for (const t of TABLES) {
        if (t === 'gone') {
          // Tombstones are kept: item ids are never reused, and a late stale record must not bring one back.
          db.exec('insert or ignore into "gone" select * from "staged_gone"');
        } else {
          db.exec(`delete from "${t}"`);
          db.exec(`insert into "${t}" select * from "staged_${t}"`);
        }
        db.exec(`delete from "staged_${t}"`);
      }
      return writeLedger(ledger, position, markedAt);
    },
  );

  // ---- in-memory state: the vaults held (with their keys) and the server's vault set ----
  const loadSet = async (prefix: string): Promise<TableSet> => {
    const st = prefix === '' ? main : staged;
    const set: TableSet = { prefix, vaults: new Map(), server: undefined, ledger: new Map() };
    const server = st.getState.get('server');
    if (server) set.server = openRow<ServerState>('server', serverId, server.sealed);
    for (const row of st.allVaults.all()) {
      const state = openRow<VaultState>('vault', row.id, row.sealed);
      const content = openRow<VaultContent>('vault-content', row.id, row.content);
      set.vaults.set(row.id, await holdVault(state, content));
    }
    return set;
  };

  const holdVault = async (state: VaultState, content: VaultContent): Promise<HeldVault> => {
    if (state.accountId !== accountId) throw integrityError(`vault ${state.id}`);
    const key = await unwrapVaultKey(serverKey as KeyObject, state, state.key);
    return {
      core: {
        id: state.id,
        accountId: state.accountId,
        wrappedKey: Buffer.from(state.key, 'utf8'),
        attributes: Buffer.from(state.attributes, 'base64'),
        type: state.type,
        attributeVersion: state.attributeVersion,
        createdAt: state.createdAt,
      },
      contentVersion: content.contentVersion,
      updatedAt: content.updatedAt,
      key,
      macKey: deriveMacKey(key),
    };
  };

  let current: TableSet;
  let position: ReplicaPosition | undefined;
  let lastMarkAt: number | undefined;
  /** The fingerprint of the sealed token ledger the position names. */
  let ledgerHash: string | undefined;
  try {
    // A reset interrupted by a stop is started over: what it gathered is not a state.
    clearStaged();
    current = await loadSet('');
    const sealedPosition = getMeta.get('position');
    if (sealedPosition) {
      const held = openRow<ReplicaPosition & { markedAt?: number; ledger?: string }>(
        'position',
        serverId,
        sealedPosition.value,
      );
      position = { epoch: held.epoch, seq: held.seq };
      // A time ahead of the clock would stretch the staleness bound: not believed.
      lastMarkAt =
        typeof held.markedAt === 'number' && held.markedAt <= Date.now() ? held.markedAt : undefined;
      if (held.ledger !== undefined) {
        const sealedLedger = getMeta.get('token_ledger');
        if (!sealedLedger || rowHash(sealedLedger.value) !== held.ledger)
          throw integrityError('token ledger');
        const ledger = openRow<Record<string, string>>('token-ledger', serverId, sealedLedger.value);
        current.ledger = new Map(Object.entries(ledger));
        ledgerHash = held.ledger;
      }
    }
    if (ledgerHash === undefined) {
      // No state yet, or one written before the ledger: the rows as they are.
      for (const row of main.allTokens.all()) current.ledger.set(row.id, rowHash(row.sealed));
    }
  } catch (error) {
    db.close();
    lock.release();
    throw unreadable(dataDir, error);
  }
  let gathering: TableSet | undefined;
  let wiped: Promise<void> | undefined;
  let closed = false;
  const verificationKeys = new Map<string, VerificationKey>();
  /**
   * Token registrations as opened, by id: opening one per request cost more than the rest of the
   * verifier's check, and the verifier keeps its lookups per grants array, so a record served
   * again is one built once. Emptied by every token record and every new state.
   */
  const tokens = new Map<string, Readonly<ConnectTokenRecord>>();
  const MAX_TOKENS = 20_000;

  const writer: AuditWriter = auditWriter(file, 'outbox');

  /** Item views read lately, by `vaultId/itemId` (read-cache.ts: emptied by every record received). */
  const itemViews = new ReadCache<{ item: ItemRow; files: FileRecord[] }>(ITEM_VIEWS_CACHED);

  const usable = () => {
    if (wiped || closed) throw new Error('the replica is closed');
  };

  const outbox = replicaOutbox({
    id: outboxId,
    writer,
    reads,
    usable,
    isOpen: () => !wiped && !closed,
  });

  // ---- applying records ----
  const reachable = new WeakMap<ServerState, ReadonlySet<string>>();
  const reaches = (set: TableSet, vaultId: string): boolean => {
    const server = set.server;
    if (!server) return false;
    let vaults = reachable.get(server);
    if (!vaults) {
      vaults = new Set(server.vaults);
      reachable.set(server, vaults);
    }
    return vaults.has(vaultId);
  };

  const purgeVault = (set: TableSet, vaultId: string) => {
    const st = of(set);
    st.dropVault.run(vaultId);
    st.dropVaultItems.run(vaultId);
    st.dropVaultFiles.run(vaultId);
    st.dropVaultGone.run(vaultId);
    const held = set.vaults.get(vaultId);
    set.vaults.delete(vaultId);
    // Not zeroed: a read still running may hold it.
    if (held) held.macKey = Buffer.alloc(0);
  };

  const moveContent = (set: TableSet, vaultId: string, content: VaultContent) => {
    const held = set.vaults.get(vaultId);
    if (!held || content.contentVersion < held.contentVersion) return;
    of(set).setVaultContent.run(sealRow('vault-content', vaultId, content), vaultId);
    held.contentVersion = content.contentVersion;
    held.updatedAt = content.updatedAt;
  };

  /** Checks an item's head and seals before it is kept: a record that does not check is refused. */
  const checkItem = (held: HeldVault, item: ItemState) => {
    const row: ItemRow = {
      id: item.id,
      vaultId: item.vaultId,
      accountId: item.accountId,
      version: item.version,
      createdAt: item.createdAt,
      updatedAt: item.updatedAt,
      lastEditedBy: item.lastEditedBy,
      head: item.head === null ? null : Buffer.from(item.head, 'base64'),
      hasLaterVersion: false,
      overview: Buffer.from(item.overview, 'base64'),
      content: Buffer.from(item.content, 'base64'),
      layout: item.layout,
    };
    if (row.accountId !== held.core.accountId) throw integrityError(`item ${item.id}`);
    verifyHead(held.macKey, row);
    openOverview(held.key, placeOf(row), row.overview);
    openServedJson(held.key, placeOf(row), {
      overview: row.overview,
      content: row.content as Buffer,
      layout: row.layout,
    });
    const files = item.files.map((f) => {
      if (f.itemId !== item.id || f.vaultId !== item.vaultId) throw integrityError(`file ${f.id}`);
      const record: FileRecord = {
        id: f.id,
        itemId: f.itemId,
        vaultId: f.vaultId,
        meta: Buffer.from(f.meta, 'base64'),
        size: f.size,
        createdAt: f.createdAt,
      };
      const content = Buffer.from(f.content, 'base64');
      const plain = open(
        held.key,
        content,
        aad.file(held.core.accountId, f.vaultId, f.itemId, f.id, 'content'),
        `file ${f.id}`,
      );
      if (plain.length !== f.size) throw integrityError(`file ${f.id}`);
      plain.fill(0);
      return { record, content };
    });
    openFileMetas(
      keysOf(held),
      held.core,
      files.map((f) => f.record),
    );
    return { row, files };
  };

  const keysOf = (held: HeldVault): VaultKeys => ({ vaultKey: () => held.key, macKey: () => held.macKey });

  const applyItem = writeTransaction(
    (set: TableSet, checked: ReturnType<typeof checkItem>, seen: number, content: VaultContent) => {
      const st = of(set);
      const { row, files } = checked;
      // A tombstone keeps a late record of the item out; a record that comes with a later vault
      // content version than the item-gone was read after it, so the item is back (undeleted
      // from the trash): its vault content is read before the item (replica-state.ts), and
      // every trash and undelete moves the vault's content version.
      const gone = st.isGone.get(row.id);
      if (gone) {
        if (gone.seen === null || content.contentVersion <= gone.seen) return;
        st.dropGone.run(row.id);
      }
      const stored = st.itemSeen.get(row.id);
      // States, not deltas: a record older than what is kept changes nothing. An item's files
      // move without its version, so of two records at one version the later-sent one wins.
      if (stored && (row.version < stored.version || (row.version === stored.version && seen < stored.seen)))
        return;
      st.putItem.run({
        id: row.id,
        vault_id: row.vaultId,
        account_id: row.accountId,
        version: row.version,
        created_at: row.createdAt,
        updated_at: row.updatedAt,
        last_edited_by: row.lastEditedBy,
        head: row.head,
        overview: row.overview,
        content: row.content,
        layout: row.layout,
        seen,
      });
      st.dropItemFiles.run(row.id);
      for (const f of files) {
        st.putFile.run({
          id: f.record.id,
          item_id: f.record.itemId,
          vault_id: f.record.vaultId,
          meta: f.record.meta,
          size: f.record.size,
          created_at: f.record.createdAt,
          content: f.content,
        });
      }
      moveContent(set, row.vaultId, content);
    },
  );

  const applyItemGone = writeTransaction(
    (set: TableSet, vaultId: string, itemId: string, content: VaultContent) => {
      const st = of(set);
      const stored = st.itemSeen.get(itemId);
      if (stored && stored.vault_id !== vaultId) return;
      st.dropItem.run(itemId);
      st.dropItemFiles.run(itemId);
      st.putGone.run(itemId, vaultId, content.contentVersion);
      moveContent(set, vaultId, content);
    },
  );

  const applyServer = writeTransaction((set: TableSet, server: ServerState) => {
    if (server.id !== serverId || server.accountId !== accountId)
      throw integrityError(`server record for ${server.id}`);
    of(set).putState.run('server', sealRow('server', serverId, server));
    const reachable = new Set(server.vaults);
    for (const vaultId of [...set.vaults.keys()]) if (!reachable.has(vaultId)) purgeVault(set, vaultId);
    set.server = server;
  });

  const applyVault = writeTransaction((set: TableSet, state: VaultState, held: HeldVault) => {
    of(set).putVault.run(
      state.id,
      sealRow('vault', state.id, state),
      sealRow('vault-content', state.id, { contentVersion: held.contentVersion, updatedAt: held.updatedAt }),
    );
  });

  const applyToken = (set: TableSet, token: TokenState) => {
    if (token.serverId !== serverId || token.accountId !== accountId)
      throw integrityError(`token ${token.id}`);
    const sealed = sealRow('token', token.id, token);
    if (set !== current) {
      of(set).putToken.run(token.id, sealed);
      set.ledger.set(token.id, rowHash(sealed));
      return;
    }
    const ledger = new Map(set.ledger).set(token.id, rowHash(sealed));
    ledgerHash = writeTransaction(() => {
      main.putToken.run(token.id, sealed);
      return writeLedger(ledger, position, lastMarkAt);
    })();
    set.ledger = ledger;
    tokens.delete(token.id);
  };

  const applySigningKey = (set: TableSet, key: SigningKeyState) => {
    if (key.accountId !== accountId) throw integrityError(`signing key ${key.kid}`);
    // A kid's public key never changes (a rotation makes a new kid): a record that would change
    // it is forged or broken, and would let its signer in.
    let state = key;
    for (const row of [reads.signingKey.get(key.kid), of(set).getSigningKey.get(key.kid)]) {
      if (!row) continue;
      const held = openRow<SigningKeyState>('signing-key', key.kid, row.sealed);
      if (!samePublicKey(held.publicJwk, key.publicJwk)) throw integrityError(`signing key ${key.kid}`);
      // Withdrawal is for good: a record without it (an out-of-date one, or from a central
      // database restored to before it) never brings a withdrawn key back here.
      if (held.withdrawnAt && !state.withdrawnAt) state = { ...state, withdrawnAt: held.withdrawnAt };
    }
    const sealed = sealRow('signing-key', key.kid, state);
    if (set !== current) {
      of(set).putSigningKey.run(key.kid, sealed);
      set.ledger.set(keyLedgerId(key.kid), rowHash(sealed));
      return;
    }
    const ledger = new Map(set.ledger).set(keyLedgerId(key.kid), rowHash(sealed));
    ledgerHash = writeTransaction(() => {
      main.putSigningKey.run(key.kid, sealed);
      return writeLedger(ledger, position, lastMarkAt);
    })();
    set.ledger = ledger;
    verificationKeys.delete(key.kid);
  };

  /**
   * A reset's records go to the staging tables in shared transactions: one per event-loop turn
   * or per GATHER_BATCH records, whichever ends first. A transaction each cost some 100 µs in
   * WAL appends and checkpoints; none of them needs to be durable (a reset cut short is started
   * over), and a turn's transaction keeps the outbox writer waiting no longer than the turn
   * keeps this thread busy anyway.
   */
  let gatherOpen = false;
  let gatheredInTransaction = 0;
  const GATHER_BATCH = 1_000;
  const endGatherTransaction = () => {
    if (!gatherOpen) return;
    gatherOpen = false;
    gatheredInTransaction = 0;
    if (db.open && db.inTransaction) db.exec('commit');
  };
  const gathered = (work: () => void) => {
    if (!gatherOpen) {
      db.exec('begin immediate');
      gatherOpen = true;
      setImmediate(endGatherTransaction);
    }
    work();
    gatheredInTransaction += 1;
    if (gatheredInTransaction >= GATHER_BATCH) endGatherTransaction();
  };
  /** Runs `work` in the set's way: batched while a reset gathers, in its own commit otherwise. */
  const applying = (set: TableSet, work: () => void) => (set === gathering ? gathered(work) : work());

  const startGathering = (epoch: string) => {
    endGatherTransaction();
    db.pragma('synchronous = NORMAL');
    clearStaged();
    gathering = { prefix: 'staged_', vaults: new Map(), server: undefined, epoch, ledger: new Map() };
  };

  const stopGathering = () => {
    endGatherTransaction();
    gathering = undefined;
    db.pragma('synchronous = FULL');
  };

  const receive = async (record: ReplicaRecord): Promise<void> => {
    usable();
    // A mark alone changes no item: the views read stay true (a reset's mark swaps the tables: below).
    if (record.type !== 'mark') itemViews.clear();
    const set = gathering ?? current;
    switch (record.type) {
      case 'reset':
        startGathering(record.epoch);
        return;
      case 'mark': {
        const at: ReplicaPosition = { epoch: record.epoch, seq: record.seq };
        const now = Date.now();
        if (gathering) {
          // A reset's state is the state at a mark of its own log: one of another is no place in it.
          if (record.epoch !== gathering.epoch)
            throw new Error(`a mark of epoch ${record.epoch} ends a reset of epoch ${gathering.epoch}`);
          const next = gathering;
          stopGathering();
          itemViews.clear();
          ledgerHash = swap(at, now, next.ledger);
          // What was gathered is the replica's now, in the replica's own tables.
          current = { prefix: '', vaults: next.vaults, server: next.server, ledger: next.ledger };
          verificationKeys.clear();
          tokens.clear();
        } else if (position) {
          // Another epoch starts with a reset: a mark of one without it is not a place in this log.
          if (record.epoch !== position.epoch)
            throw new Error(
              `a mark of epoch ${record.epoch} without a reset (the replica is at ${position.epoch})`,
            );
          setMeta.run(
            'position',
            sealRow('position', serverId, { ...at, markedAt: now, ledger: ledgerHash }),
          );
        } else {
          return; // no whole state yet: a mark alone is not one
        }
        position = at;
        lastMarkAt = now;
        return;
      }
      case 'server':
        applying(set, () => applyServer(set, record.server));
        return;
      case 'signing-key':
        applying(set, () => applySigningKey(set, record.key));
        return;
      case 'token':
        applying(set, () => applyToken(set, record.token));
        return;
      case 'vault': {
        const { vault } = record;
        // The server's vault set comes first (in a reset too): a vault outside it is never sent.
        if (!reaches(set, vault.id)) throw integrityError(`vault ${vault.id}: not one the server may reach`);
        const previous = set.vaults.get(vault.id);
        const held = await holdVault(vault, {
          contentVersion: Math.max(previous?.contentVersion ?? 0, vault.contentVersion),
          updatedAt:
            previous && previous.contentVersion > vault.contentVersion ? previous.updatedAt : vault.updatedAt,
        });
        usable();
        if (set !== (gathering ?? current))
          throw new Error('the replica moved on while a vault key was unwrapped');
        // A vault's data key never changes: a record with another one for a vault held (now, or
        // in what a reset gathers) is forged or broken, whoever wrapped it to this server's
        // public key, which is no secret.
        for (const known of [current.vaults.get(vault.id), set.vaults.get(vault.id)]) {
          if (known && (known.key.length !== held.key.length || !timingSafeEqual(known.key, held.key))) {
            held.key.fill(0);
            throw integrityError(`vault ${vault.id} key`);
          }
        }
        applying(set, () => applyVault(set, vault, held));
        set.vaults.set(vault.id, held);
        return;
      }
      case 'vault-gone':
        applying(set, () => writeTransaction(() => purgeVault(set, record.vaultId))());
        return;
      case 'item': {
        const held = set.vaults.get(record.item.vaultId);
        if (!held) throw integrityError(`item ${record.item.id}: its vault is not held`);
        const checked = checkItem(held, record.item);
        applying(set, () => applyItem(set, checked, record.vaultContent.contentVersion, record.vaultContent));
        return;
      }
      case 'item-gone':
        applying(set, () => applyItemGone(set, record.vaultId, record.itemId, record.vaultContent));
        return;
      case 'server-gone':
        wipe();
        return;
    }
  };

  const wipe = (): void => {
    if (wiped) return;
    if (closed) throw new Error('the replica is closed');
    endGatherTransaction();
    gathering = undefined;
    // Nothing readable from here on, even if removing the files below were cut short.
    db.transaction(() => {
      for (const t of TABLES) {
        db.exec(`delete from "${t}"`);
        db.exec(`delete from "staged_${t}"`);
      }
      db.exec('delete from outbox');
      db.exec('delete from meta');
    })();
    db.close();
    itemViews.clear();
    outbox.forget();
    for (const held of current.vaults.values()) held.key.fill(0);
    current = { prefix: '', vaults: new Map(), server: undefined, ledger: new Map() };
    ledgerHash = undefined;
    position = undefined;
    lastMarkAt = undefined;
    verificationKeys.clear();
    tokens.clear();
    wiped = writer.close().then(() => {
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
      // Removed while still held, so no other node takes it in between; nothing is left behind.
      rmSync(join(dataDir, LOCK_FILE), { force: true });
      lock.release();
    });
  };

  // ---- the store ports, over the replica as it stands ----
  const rowOf = (held: HeldVault): VaultRow => ({
    ...held.core,
    contentVersion: held.contentVersion,
    updatedAt: held.updatedAt,
    itemCount: reads.itemCount.get(held.core.id)?.n ?? 0,
  });
  const heldIn = (accountIdAsked: string, vaultId: string) => {
    const held = current.vaults.get(vaultId);
    return held && held.core.accountId === accountIdAsked ? held : undefined;
  };

  const stores: ReplicaStores = {
    vaults: {
      find: async (acc, id) => heldIn(acc, id)?.core,
      get: async (acc, id) => {
        const held = heldIn(acc, id);
        return held && rowOf(held);
      },
      list: async (acc) =>
        [...current.vaults.values()]
          .filter((v) => v.core.accountId === acc)
          .sort((a, b) =>
            a.core.createdAt < b.core.createdAt ? -1 : a.core.createdAt > b.core.createdAt ? 1 : 0,
          )
          .map(rowOf),
    },
    items: {
      get: async (vaultId, id, withContent) => {
        const row = (withContent ? reads.itemWithContent : reads.item).get(vaultId, id);
        return row && toItemRow(row);
      },
      getWithFiles: async (vaultId, id) =>
        itemViews.get(`${vaultId}/${id}`, () => {
          const rows = reads.itemWithFiles.all(vaultId, id);
          const first = rows[0];
          if (!first) return undefined;
          const files: FileRecord[] = [];
          for (const r of rows) {
            if (r.file_id === null) continue;
            files.push({
              id: r.file_id,
              itemId: r.file_item_id as string,
              vaultId: r.file_vault_id as string,
              meta: r.file_meta as Buffer,
              size: r.file_size as number,
              createdAt: r.file_created_at as string,
            });
          }
          return { item: toItemRow(first), files };
        }),
      list: async (vaultId) => reads.items.all(vaultId).map(toItemRow),
    },
    files: {
      list: async (itemId) => reads.files.all(itemId).map(fileRecordOf),
      get: async (itemId, id) => {
        const row = reads.file.get(itemId, id);
        return row && fileRecordOf(row);
      },
      content: async (itemId, id) => reads.fileContent.get(itemId, id)?.content,
    },
    connectTokens: {
      get: async (id) => {
        const cached = tokens.get(id);
        if (cached) return cached;
        const row = reads.token.get(id);
        const recorded = current.ledger.get(id);
        if (!row && recorded === undefined) return undefined;
        // A row added, removed or put back behind the node's back is not the registration it keeps.
        if (!row || recorded !== rowHash(row.sealed)) throw integrityError(`token ${id}`);
        const token = openRow<TokenState>('token', id, row.sealed);
        const record: ConnectTokenRecord = {
          id: token.id,
          accountId: token.accountId,
          serverId: token.serverId,
          // Token names are the central service's: a node never needs them.
          name: '',
          grants: token.grants,
          signatureHash: Buffer.from(token.signatureHash, 'base64'),
          createdAt: token.createdAt,
          expiresAt: token.expiresAt,
          revokedAt: token.revokedAt,
        };
        if (tokens.size >= MAX_TOKENS) tokens.delete(tokens.keys().next().value as string);
        tokens.set(id, Object.freeze(record));
        return record;
      },
    },
    connectServers: {
      vaults: async (id) => (current.server && current.server.id === id ? current.server.vaults : []),
    },
    audit: { append: (event) => outbox.append(event) },
  };

  const keys: VaultKeys = {
    vaultKey: (vault: KeyedVault) => {
      const held = current.vaults.get(vault.id);
      if (!held) throw integrityError(`vault ${vault.id} key`);
      return held.key;
    },
    macKey: (vault: KeyedVault) => {
      const held = current.vaults.get(vault.id);
      if (!held) throw integrityError(`vault ${vault.id} key`);
      return held.macKey;
    },
  };

  const loadVerifier = async (kid: string): Promise<VerificationKey | undefined> => {
    const row = reads.signingKey.get(kid);
    if (!row) return undefined;
    // An older sealed row of this key put back behind the node's back (one from before its
    // withdrawal) is not the state the node keeps.
    const recorded = current.ledger.get(keyLedgerId(kid));
    if (recorded !== undefined && recorded !== rowHash(row.sealed))
      throw integrityError(`signing key ${kid}`);
    const state = openRow<SigningKeyState>('signing-key', kid, row.sealed);
    // A withdrawn key verifies nothing (ConnectVerifier asks again on every cached token).
    if (state.withdrawnAt) return undefined;
    const key: VerificationKey = {
      kid,
      accountId: state.accountId,
      kind: state.kind,
      publicKey: (await importJWK(
        JSON.parse(state.publicJwk) as JWK,
        'ES256',
      )) as VerificationKey['publicKey'],
    };
    verificationKeys.set(kid, key);
    return key;
  };
  // A key in memory is answered at once (ConnectVerifier asks on every cached token).
  const signingKeys: VerificationKeys = {
    verifier: (kid) => verificationKeys.get(kid) ?? loadVerifier(kid),
  };

  return {
    serverId,
    accountId,
    file,
    outbox,
    stores,
    keys,
    signingKeys,
    position: () => position,
    lastMarkAt: () => lastMarkAt,
    receive,
    abandon: () => {
      if (!gathering || wiped || closed) return;
      stopGathering();
      clearStaged();
    },
    wipe,
    async close() {
      if (wiped) return wiped;
      if (closed) return;
      closed = true;
      endGatherTransaction();
      await writer.close();
      db.close();
      lock.release();
    },
  };
}

/** Two public JWKs of the same key, however their JSON text is laid out. */
/** A signing key's entry in the ledger: apart from token ids, which are bare ids. */
const keyLedgerId = (kid: string) => `key:${kid}`;

function samePublicKey(a: string, b: string): boolean {
  const parse = (text: string) => {
    try {
      const jwk = JSON.parse(text) as Record<string, unknown>;
      return `${String(jwk.kty)}|${String(jwk.crv)}|${String(jwk.x)}|${String(jwk.y)}`;
    } catch {
      return undefined;
    }
  };
  const left = parse(a);
  return left !== undefined && left === parse(b);
}
