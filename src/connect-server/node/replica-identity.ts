import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { integrityError } from '../../errors/app-error.js';
import { ProcessError } from '../../errors/process-error.js';
import { REPLICA_SCHEMA_VERSION, TABLES } from './replica-schema.js';

/** The replica is not this node's to use: the message says whose it is and what to do. */
export class ReplicaForeignError extends ProcessError {
  constructor(message: string) {
    super('replica_foreign', message);
  }
}

/** The replica's `meta` table and its sealing, as the identity check needs them. */
export interface ReplicaMeta {
  getMeta: BetterSqlite3.Statement<[string], { value: Buffer }>;
  setMeta: BetterSqlite3.Statement<[string, Buffer]>;
  metaText(key: string): string | undefined;
  sealRow(kind: 'identity', id: string, value: unknown): Buffer;
  openRow<T>(kind: 'identity', id: string, sealed: Buffer): T;
}

/**
 * Whose replica this is, checked before anything in it is used: a new replica records its
 * layout, server, account and a sealed identity; an existing one must be of this layout, made for
 * the server and account of these credentials, and sealed with their replica key (else
 * `ReplicaForeignError`, saying whose it is and what to do). Returns the outbox id.
 */
export function checkIdentity(
  db: BetterSqlite3.Database,
  meta: ReplicaMeta,
  { dataDir, serverId, accountId }: { dataDir: string; serverId: string; accountId: string },
): string {
  const { getMeta, setMeta, metaText, sealRow, openRow } = meta;
  const identity = getMeta.get('identity');
  if (!identity && holdsAnything(db)) {
    // Made anew over rows it did not make, it would take them for its own under a new outbox id.
    throw new ReplicaForeignError(
      `the replica in ${dataDir} has lost its identity record (damaged or altered); delete that directory to make a new replica`,
    );
  }
  if (!identity) {
    const id = randomBytes(24).toString('base64url');
    db.transaction(() => {
      setMeta.run('schema_version', Buffer.from(String(REPLICA_SCHEMA_VERSION)));
      setMeta.run('server_id', Buffer.from(serverId));
      setMeta.run('account_id', Buffer.from(accountId));
      setMeta.run('identity', sealRow('identity', serverId, { serverId, accountId }));
      setMeta.run('outbox_id', Buffer.from(id));
    })();
    return id;
  }
  const where = `the replica in ${dataDir}`;
  const fix = 'start this node with another --data-dir, or delete that directory to make a new replica';
  const version = metaText('schema_version');
  if (version !== String(REPLICA_SCHEMA_VERSION)) {
    throw new ReplicaForeignError(
      `${where} has layout ${version ?? 'unknown'}, which this Keyhold does not read (it reads ${REPLICA_SCHEMA_VERSION}); ${fix}`,
    );
  }
  const madeFor = { serverId: metaText('server_id'), accountId: metaText('account_id') };
  if (madeFor.serverId !== serverId || madeFor.accountId !== accountId) {
    throw new ReplicaForeignError(
      `${where} was made for Connect server ${madeFor.serverId} of account ${madeFor.accountId}, not for server ${serverId} of account ${accountId} (these credentials); ${fix}`,
    );
  }
  try {
    const opened = openRow<{ serverId: string; accountId: string }>('identity', serverId, identity.value);
    if (opened.serverId !== serverId || opened.accountId !== accountId) throw integrityError('identity');
  } catch {
    throw new ReplicaForeignError(
      `${where} is sealed with another replica key than these credentials hold (another credentials file of server ${serverId}?); ${fix}`,
    );
  }
  const id = metaText('outbox_id');
  if (!id) throw new ReplicaForeignError(`${where} has no outbox id; ${fix}`);
  return id;
}

function holdsAnything(db: BetterSqlite3.Database): boolean {
  for (const table of ['meta', 'outbox', ...TABLES.flatMap((t) => [t, `staged_${t}`])]) {
    if (db.prepare(`select 1 from "${table}" limit 1`).get()) return true;
  }
  return false;
}
