import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import { CHANGE_TOPICS, type ChangeTopic } from '../ports/changes.js';
import type { PublishChange } from '../sql/storage.js';
import type { Database } from '../sql/tables.js';
import { ownConnection } from './connection.js';

/** The notification channel; notifications stay within their database. */
const CHANNEL = 'keyhold_changes';
/**
 * How often the change counter is read. A missed notification is acted on within this, plus a
 * read, plus `GRACE_MS`: well within a second.
 */
export const POLL_MS = 500;
/** How long a poll waits for the notification of a change it found unheard before assuming it lost. */
const GRACE_MS = 100;
/** The wait before listening again after the listening connection failed, doubled while it fails. */
const RECONNECT_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;
const EVERY_TOPIC: ReadonlySet<ChangeTopic> = new Set(CHANGE_TOPICS);
const MAX_SUSPECTS = 64;
/**
 * Values heard ahead of the last poll, at most. Legitimately, one poll interval's commits;
 * past this a value is not noted, and the next poll takes it for unheard (a needless delivery
 * of every topic, never a missed one).
 */
const MAX_HEARD = 10_000;

/**
 * Publishes a change from node `node`: bumps the change counter and notifies `CHANNEL` with
 * `<node> <counter> <topics>`, in the writing transaction. PostgreSQL sends a notification only
 * when its transaction commits, after the commit is visible; the counter row, locked until then,
 * gives committed changes consecutive values (a rolled-back bump is taken again by the next).
 */
export function publishChange(node: string): PublishChange {
  return async (db, topics) => {
    const payload = [...topics].join(',');
    const { rows } = await sql<{ sent: unknown }>`
      with bumped as (update change_counter set value = value + 1 where id = 1 returning value)
      select pg_notify(${CHANNEL}, ${node}::text || ' ' || value::text || ' ' || ${payload}::text) as sent
      from bumped`.execute(db);
    // Without the row no other node would ever hear of this change: refuse the write instead.
    if (rows.length !== 1) throw new Error('change_counter has no row 1: changes cannot be announced');
  };
}

export interface ChangeReceiverOptions {
  /** The database's URL: the listening connection is one of its own, outside the pool. */
  url: string;
  /** Where the counter is polled (the pool). */
  db: Kysely<Database>;
  /** This node's id, as `publishChange` was given it: its own changes are delivered already. */
  node: string;
  deliver: (topics: ReadonlySet<ChangeTopic>) => void;
}

export interface ChangeReceiver {
  close(): Promise<void>;
}

/**
 * Delivers other nodes' changes to this one. Two paths, so that a change is acted on within a
 * second whatever happens to one of them:
 *
 * - LISTEN on a connection of its own (application_name `keyhold changes <node>`): each
 *   notification's topics are delivered as it arrives. A connection that fails is replaced
 *   after a wait (1 s, doubling while it keeps failing); one that stays open but goes deaf (a
 *   change the poll found unheard for a whole interval) is replaced at once.
 * - a poll of the change counter every `POLL_MS`: every value since the last poll must have been
 *   heard (this node's own included) — or be heard within `GRACE_MS`, for a change committed
 *   just before the read; when one was not, every topic is delivered, since a counter value does
 *   not say what changed. A failed poll delivers every topic too.
 *
 * Every delivery comes after the change is visible to new reads: a notification is sent after
 * its commit, and the poll reads committed values.
 */
export async function receiveChanges(options: ChangeReceiverOptions): Promise<ChangeReceiver> {
  const { url, db, node, deliver } = options;
  /** Every counter value up to this one has been delivered (or was this node's own). */
  let counted = 0;
  /**
   * Values above `counted` heard by notification, each with the number of the last poll begun
   * when it arrived. A notification is only a claim: anyone who may connect to the database
   * may NOTIFY on its channel, with no privilege on Keyhold's tables. A claim of a value the
   * counter had not reached when a poll began after it arrived cannot be true (a notification
   * comes after its commit), and is forgotten: so a forged value cannot stand in for a change
   * whose notification is lost, beyond the one poll interval it arrived in, nor fill memory.
   */
  const heard = new Map<number, number>();
  /** Polls so far; a poll is known by its number. */
  let polls = 0;
  /** Values the last poll found unheard, and that poll's number. */
  let suspects = { values: new Set<number>(), poll: 0 };
  let closed = false;
  let listener: { client: pg.Client; fromPoll: number } | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reconnectWait = RECONNECT_MS;
  let pollTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();

  const onNotification = (message: pg.Notification) => {
    if (message.channel !== CHANNEL) return;
    const [from, value, topics] = (message.payload ?? '').split(' ');
    const n = Number(value);
    if (Number.isSafeInteger(n)) {
      if (n > counted && heard.size < MAX_HEARD) heard.set(n, polls);
      suspects.values.delete(n);
      if (from === node) return; // delivered here when it committed
    }
    deliver(parseTopics(topics));
  };

  const drop = (client: pg.Client) => {
    if (listener?.client === client) listener = undefined;
    void client.end().catch(() => undefined);
  };

  const listen = async () => {
    const client = ownConnection(url, `keyhold changes ${node}`);
    // A failed or ended connection is replaced.
    const lost = () => {
      if (listener?.client !== client) return;
      drop(client);
      scheduleListen();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', onNotification);
    // `fromPoll`: the first poll begun once LISTEN took effect (none while connecting). Every
    // change committed after that poll began must reach this connection.
    listener = { client, fromPoll: Number.POSITIVE_INFINITY };
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
    } catch (error) {
      lost();
      throw error;
    }
    if (closed) drop(client); // closed while connecting
    if (listener?.client === client) listener.fromPoll = polls + 1;
    reconnectWait = RECONNECT_MS;
  };

  const scheduleListen = () => {
    if (closed || reconnectTimer) return;
    const wait = reconnectWait;
    reconnectWait = Math.min(reconnectWait * 2, RECONNECT_MAX_MS);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (!closed) listen().catch(() => undefined); // listen() has scheduled the next try
    }, wait).unref();
  };

  const readCounter = async () => {
    polls += 1;
    const { rows } = await sql<{
      value: string | number;
    }>`select value from change_counter where id = 1`.execute(db);
    const value = Number(rows[0]?.value);
    if (!Number.isSafeInteger(value)) throw new Error('change_counter has no row 1');
    return value;
  };

  const poll = async () => {
    const current = listener;
    // What the last poll found unheard was committed after the poll before it began: a listener
    // listening since then heard nothing for a whole interval. Listen again, now.
    if (current && suspects.values.size > 0 && current.fromPoll <= suspects.poll - 1) {
      drop(current.client);
      listen().catch(() => undefined);
    }
    let value: number;
    try {
      value = await readCounter();
    } catch {
      deliver(EVERY_TOPIC); // nothing can be told: drop everything
      return;
    }
    if (value < counted) {
      // The counter went back (a restored database): nothing is known.
      deliver(EVERY_TOPIC);
      heard.clear();
      suspects = { values: new Set(), poll: polls };
      counted = value;
      return;
    }
    const thisPoll = polls;
    // A few unheard values are evidence enough; the loop stays short after a long gap.
    let unheard = new Set<number>();
    for (let v = counted + 1; v <= value && unheard.size < MAX_SUSPECTS; v++)
      if (!heard.has(v)) unheard.add(v);
    if (unheard.size > 0) {
      // A change committed just before the read may have its notification on the way.
      await new Promise((resolve) => setTimeout(resolve, GRACE_MS).unref());
      unheard = new Set([...unheard].filter((v) => !heard.has(v)));
      if (unheard.size > 0) deliver(EVERY_TOPIC);
    }
    // Counted now; or claimed ahead of a counter read that began after the claim: untrue.
    for (const [v, at] of heard) if (v <= value || at < thisPoll) heard.delete(v);
    suspects = { values: unheard, poll: thisPoll };
    counted = value;
  };

  const schedulePoll = () => {
    if (closed) return;
    pollTimer = setTimeout(() => {
      polling = poll().finally(schedulePoll);
    }, POLL_MS).unref();
  };

  const close = async () => {
    closed = true;
    clearTimeout(pollTimer);
    clearTimeout(reconnectTimer);
    await polling;
    if (listener) drop(listener.client);
  };

  try {
    await listen();
    counted = await readCounter();
  } catch (error) {
    await close();
    throw error;
  }
  schedulePoll();
  return { close };
}

/** The topics of a notification; one this node does not know (a newer node's) means every topic. */
function parseTopics(text: string | undefined): ReadonlySet<ChangeTopic> {
  const names = (text ?? '').split(',');
  const known = new Set<string>(CHANGE_TOPICS);
  if (names.length === 0 || !names.every((n) => known.has(n))) return EVERY_TOPIC;
  return new Set(names as ChangeTopic[]);
}
