import type { ServerResponse } from 'node:http';
import type { ConnectServerRecord, ReplicaChange, Storage } from '../../storage/ports.js';
import { HEARTBEAT_MS, type ReplicaRecord } from '../wire/replica-protocol.js';
import type { ReplicaState, ServerKey } from './replica-state.js';

/**
 * What a stream may hold unsent before its node is taken for too slow and disconnected (it then
 * connects again and catches up from its last mark, or with a reset).
 */
export const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/**
 * Streams one server may hold open at once. Several are legitimate (nodes sharing a credentials
 * file; a node reconnecting before the central side has noticed its old connection is dead), so
 * one more ends the server's oldest instead of being refused; without a bound, one leaked secret
 * could open streams (each with its whole state) until the central service runs out of memory.
 */
export const MAX_STREAMS_PER_SERVER = 16;
/** Changes read from the log at once. */
const BATCH = 500;
/** The wait before the pump reads the log again after a failed read. */
const RETRY_MS = 1_000;
/** How long a stream's initial state waits for a node that does not read it. */
const DRAIN_TIMEOUT_MS = 30_000;

interface Session {
  server: ConnectServerRecord;
  key: ServerKey;
  vaults: Set<string>;
  res: ServerResponse;
  /** Every change up to this seq has been sent (or did not concern this server). */
  cursor: number;
  live: boolean;
  closed: boolean;
  /**
   * `vaults` is the set the node holds (it was sent a reset since it connected), not merely the
   * server's set now (a node resuming left with the set as it was then).
   */
  vaultsKnown: boolean;
  /** A reset is being sent, paced, outside the pump's queue; it joins the pump again after it. */
  resetting: boolean;
  /**
   * The server (its vault set, its credentials, its existence) or its account changed while the
   * stream was not live (its whole state being sent): what is being sent may no longer be the
   * server's to have, so the stream ends at its next record and the node connects again.
   */
  stale: boolean;
}

export interface StreamStart {
  server: ConnectServerRecord;
  key: ServerKey;
  after: number | undefined;
  epoch: string | undefined;
}

/**
 * The central end of the replica streams (connect-server/wire/replica-protocol.ts): one pump per
 * process follows the replica change log (woken by the `replica` change topic, this process's
 * writes at once and other nodes' by the change feed), reads each change once, builds the records
 * it means once per account (an item's record is the same for every server reaching its vault),
 * and writes them to the account's connected streams.
 */
export class ReplicaStreams {
  readonly #storage: Pick<Storage, 'replicaLog' | 'connectServers' | 'changes'>;
  readonly #state: ReplicaState;
  readonly #heartbeatMs: number;
  readonly #byAccount = new Map<string, Set<Session>>();
  #epoch = '';
  /** Every change up to this seq has been read by the pump. */
  #cursor = -1;
  #chain: Promise<void> = Promise.resolve();
  #wanted = false;
  #unsubscribe: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    storage: Pick<Storage, 'replicaLog' | 'connectServers' | 'changes'>,
    state: ReplicaState,
    options: { heartbeatMs?: number } = {},
  ) {
    this.#storage = storage;
    this.#state = state;
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  }

  /** How many streams are connected (and subscribed to the pump). */
  get connected(): number {
    let n = 0;
    for (const set of this.#byAccount.values()) n += set.size;
    return n;
  }

  /** Serves one stream on `res` (headers already sent) until it closes. */
  async serve(start: StreamStart, res: ServerResponse): Promise<void> {
    if (this.#closed) {
      res.end();
      return;
    }
    await this.#start();
    const session: Session = {
      server: start.server,
      key: start.key,
      vaults: new Set(),
      res,
      cursor: 0,
      live: false,
      closed: false,
      vaultsKnown: false,
      resetting: false,
      stale: false,
    };
    let position: Awaited<ReturnType<Storage['replicaLog']['position']>>;
    try {
      position = await this.#storage.replicaLog.position();
      if (position.epoch !== this.#epoch) {
        // The database was restored under this process: the pump adopts the new log (ending the
        // streams of the old one) before this stream joins it.
        await this.#enqueue(() => this.#drain());
        position = await this.#storage.replicaLog.position();
      }
    } catch (error) {
      res.destroy(error instanceof Error ? error : undefined);
      return;
    }
    const onClose = () => this.#drop(session);
    res.on('close', onClose);
    this.#add(session);
    try {
      const resumable =
        start.after !== undefined &&
        start.epoch === position.epoch &&
        start.after >= position.prunedThrough &&
        start.after <= position.seq;
      if (resumable) {
        session.cursor = start.after as number;
        session.vaults = new Set(await this.#storage.connectServers.vaults(start.server.id));
      } else {
        await this.#reset(session, position.seq, true);
      }
      // Joins the pump: what it has read since is replayed in its turn, then the stream is live.
      await this.#enqueue(() => this.#join(session));
    } catch (error) {
      this.#drop(session);
      res.destroy(error instanceof Error ? error : undefined);
    }
  }

  /** Ends every stream and stops the pump (app close must not wait on open streams). */
  close(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    clearInterval(this.#heartbeat);
    for (const set of this.#byAccount.values()) for (const s of set) this.#end(s);
    this.#byAccount.clear();
  }

  async #start(): Promise<void> {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#storage.changes.subscribe((topics) => {
      if (topics.has('replica')) this.#wake();
    });
    const position = await this.#storage.replicaLog.position();
    if (this.#cursor < 0) {
      this.#cursor = position.seq;
      this.#epoch = position.epoch;
    }
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  #wake(): void {
    if (this.#wanted || this.#closed) return;
    this.#wanted = true;
    void this.#enqueue(async () => {
      this.#wanted = false;
      await this.#drain();
    }).catch(() => {
      // The log could not be read (the database away): try again, as no later change may wake it.
      setTimeout(() => this.#wake(), RETRY_MS).unref();
    });
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(step);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * A mark on every live stream, in the pump's turn after a read of the log: a database restored
   * under this process with no write since (a new epoch) is noticed here, not only at a change.
   */
  #beat(): void {
    if (this.#closed || this.#byAccount.size === 0) return;
    void this.#enqueue(async () => {
      // The log unreadable (the database away): the marks still say what was sent.
      await this.#drain().catch(() => undefined);
      for (const set of this.#byAccount.values())
        for (const s of set) if (s.live) this.#send(s, { type: 'mark', epoch: this.#epoch, seq: s.cursor });
    });
  }

  #add(session: Session): void {
    const id = session.server.accountId;
    const set = this.#byAccount.get(id) ?? new Set<Session>();
    // Sets iterate in insertion order: the first found is the oldest.
    const same = [...set].filter((s) => s.server.id === session.server.id);
    for (const old of same.slice(0, Math.max(0, same.length - MAX_STREAMS_PER_SERVER + 1))) {
      this.#drop(old);
      old.res.destroy();
    }
    set.add(session);
    this.#byAccount.set(id, set);
  }

  #drop(session: Session): void {
    session.closed = true;
    const set = this.#byAccount.get(session.server.accountId);
    set?.delete(session);
    if (set && set.size === 0) this.#byAccount.delete(session.server.accountId);
  }

  #end(session: Session): void {
    this.#drop(session);
    if (!session.res.writableEnded) session.res.end();
  }

  /** Writes a live record; a node that does not keep up is disconnected. */
  #send(session: Session, record: ReplicaRecord): void {
    if (session.closed) return;
    session.res.write(`data: ${JSON.stringify(record)}\n\n`);
    if (session.res.writableLength > MAX_PENDING_BYTES) {
      this.#drop(session);
      session.res.destroy();
    }
  }

  /** Writes a record of a stream's initial state, waiting for the node to read what is sent. */
  async #sendPaced(session: Session, record: ReplicaRecord): Promise<void> {
    if (session.closed) throw new Error('stream closed');
    if (session.stale) throw new Error('the server changed while its state was being sent');
    if (session.res.write(`data: ${JSON.stringify(record)}\n\n`)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('the node does not read its stream')), DRAIN_TIMEOUT_MS);
      const done = (error?: Error) => {
        clearTimeout(timer);
        session.res.off('drain', ok);
        session.res.off('close', gone);
        if (error) reject(error);
        else resolve();
      };
      const ok = () => done();
      const gone = () => done(new Error('stream closed'));
      session.res.on('drain', ok);
      session.res.on('close', gone);
    });
  }

  /** `reset`, the whole state as it is now, and a mark at `seq` (read before the state was). */
  async #reset(session: Session, seq: number, paced: boolean): Promise<void> {
    // What changed before the state is read below is in it.
    session.stale = false;
    const vaults = await this.#storage.connectServers.vaults(session.server.id);
    const send = paced
      ? (r: ReplicaRecord) => this.#sendPaced(session, r)
      : async (r: ReplicaRecord) => this.#send(session, r);
    await send({ type: 'reset', epoch: this.#epoch });
    const reachable = new Set<string>();
    for await (const record of this.#state.whole(session.server, session.key, vaults)) {
      if (record.type === 'server') for (const v of record.server.vaults) reachable.add(v);
      await send(record);
    }
    session.vaults = reachable;
    session.vaultsKnown = true;
    session.cursor = seq;
    await send({ type: 'mark', epoch: this.#epoch, seq });
  }

  /**
   * Sends a stream the whole state again, paced (waiting for the node to read, as a first
   * connect's state is) and outside the pump's queue, so that neither a large state disconnects
   * the node (MAX_PENDING_BYTES) nor a slow node holds up the other streams; the stream then
   * joins the pump again from `seq`, replaying what the pump read meanwhile.
   */
  #resetLater(session: Session, seq: number): void {
    if (session.resetting || session.closed) return;
    session.live = false;
    session.resetting = true;
    void (async () => {
      try {
        await this.#reset(session, seq, true);
        session.resetting = false;
        await this.#enqueue(() => this.#join(session));
      } catch {
        this.#drop(session);
        session.res.destroy();
      }
    })();
  }

  /** In the pump's turn: the changes of the account the pump has read but the stream has not. */
  async #join(session: Session): Promise<void> {
    if (session.closed) return;
    let after = session.cursor;
    while (after < this.#cursor) {
      const changes = await this.#storage.replicaLog.changesAfter(session.server.accountId, after, BATCH);
      // A prune may have taken changes this stream lacks between its position and this read.
      const { prunedThrough } = await this.#storage.replicaLog.position();
      if (prunedThrough > session.cursor) {
        this.#resetLater(session, this.#cursor);
        return;
      }
      const upTo = changes.filter((c) => c.seq <= this.#cursor);
      const cache = new Map<string, Promise<ReplicaRecord | undefined>>();
      for (const change of upTo) {
        await this.#apply(session, change, cache);
        // A reset from here on: it joins again once sent.
        if (session.resetting || session.closed) return;
      }
      if (upTo.length < BATCH) break;
      after = (upTo.at(-1) as ReplicaChange).seq;
    }
    if (session.closed) return;
    session.cursor = Math.max(session.cursor, this.#cursor);
    session.live = true;
    // Every change since the node's mark is replayed, and none changed its vault set (that
    // would have reset it): the set it holds is the server's.
    session.vaultsKnown = true;
    this.#send(session, { type: 'mark', epoch: this.#epoch, seq: session.cursor });
  }

  /** In the pump's turn: reads what was committed since, and sends it to the streams it concerns. */
  async #drain(): Promise<void> {
    const position = await this.#storage.replicaLog.position();
    if (position.epoch !== this.#epoch) {
      // The database was restored under this process (a new epoch, its seqs from 0 again): every
      // stream ends, and its node, connecting again with the old epoch, gets the whole state.
      this.#epoch = position.epoch;
      this.#cursor = position.seq;
      for (const set of this.#byAccount.values()) for (const s of [...set]) this.#end(s);
      return;
    }
    for (;;) {
      const changes = await this.#storage.replicaLog.since(this.#cursor, BATCH);
      if (changes.length === 0) return;
      const touched = new Set<Session>();
      const cache = new Map<string, Promise<ReplicaRecord | undefined>>();
      for (const change of changes) {
        const sessions = this.#byAccount.get(change.accountId);
        if (sessions)
          for (const s of [...sessions]) {
            if (!s.live && !s.closed && this.#concernsServer(s, change)) s.stale = true;
            if (!s.live || s.closed || change.seq <= s.cursor) continue;
            await this.#apply(s, change, cache);
            touched.add(s);
          }
        this.#cursor = change.seq;
      }
      for (const set of this.#byAccount.values())
        for (const s of set) if (s.live) s.cursor = Math.max(s.cursor, this.#cursor);
      for (const s of touched)
        if (!s.closed && !s.resetting) this.#send(s, { type: 'mark', epoch: this.#epoch, seq: s.cursor });
      if (changes.length < BATCH) return;
    }
  }

  /** A change to the server itself or its account (what the server may have, or whether it may). */
  #concernsServer(session: Session, change: ReplicaChange): boolean {
    return (change.kind === 'server' && change.serverId === session.server.id) || change.kind === 'account';
  }

  /** Sends what `change` means for one stream's server. */
  async #apply(
    session: Session,
    change: ReplicaChange,
    cache: Map<string, Promise<ReplicaRecord | undefined>>,
  ): Promise<void> {
    const { server } = session;
    switch (change.kind) {
      case 'item': {
        const { vaultId, itemId } = change;
        if (!vaultId || !itemId || !session.vaults.has(vaultId)) return;
        const k = `${vaultId}/${itemId}`;
        let record = cache.get(k);
        if (!record) {
          record = this.#state.item(server.accountId, vaultId, itemId);
          cache.set(k, record);
        }
        const r = await record;
        if (r) this.#send(session, r);
        return;
      }
      case 'vault': {
        const { vaultId } = change;
        if (!vaultId) return;
        if (!session.vaults.has(vaultId)) {
          // Replayed to a node resuming: its vault set is the server's as it was when it left,
          // not as it is now, so a vault deleted meanwhile may be one it holds. Telling it the
          // vault's id could reveal a vault it never reached; the whole state again cannot.
          if (!session.vaultsKnown && !(await this.#state.vault(server, session.key, vaultId)))
            this.#resetLater(session, change.seq);
          return;
        }
        const vault = await this.#state.vault(server, session.key, vaultId);
        if (vault) {
          this.#send(session, { type: 'vault', vault });
          return;
        }
        session.vaults.delete(vaultId);
        this.#send(session, { type: 'vault-gone', vaultId });
        this.#send(session, { type: 'server', server: this.#state.serverState(server, [...session.vaults]) });
        return;
      }
      case 'server': {
        if (change.serverId !== server.id) return;
        const now = await this.#storage.connectServers.findById(server.id);
        if (!now || now.accountId !== server.accountId) {
          this.#send(session, { type: 'server-gone' });
          this.#end(session);
          return;
        }
        // New credentials: the old secret no longer opens this stream.
        if (!now.secretHash.equals(server.secretHash) || now.publicKey !== server.publicKey) {
          this.#end(session);
          return;
        }
        const vaults = await this.#storage.connectServers.vaults(server.id);
        const same = vaults.length === session.vaults.size && vaults.every((v) => session.vaults.has(v));
        // Replayed to a node resuming, `session.vaults` is the server's set now, not the one the
        // node left with: the set may have changed while it was away, so it gets the whole state.
        if (same && session.vaultsKnown) return;
        // Which vaults the server may reach changed: the whole state again.
        this.#resetLater(session, change.seq);
        return;
      }
      case 'token': {
        if (change.serverId !== server.id || !change.subjectId) return;
        const token = await this.#state.token(server, change.subjectId);
        if (token) this.#send(session, { type: 'token', token });
        return;
      }
      case 'signing-key': {
        for (const key of await this.#state.signingKeys(server.accountId))
          this.#send(session, { type: 'signing-key', key });
        return;
      }
      case 'account': {
        this.#send(session, { type: 'server-gone' });
        this.#end(session);
        return;
      }
    }
  }
}
