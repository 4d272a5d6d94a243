import { isIPv6 } from 'node:net';
import type { AuditStore } from '../../storage/ports.js';
import type { RequestContext } from '../context.js';
import { type AuditFacts, recordAudit } from './audit-log.js';

/**
 * Refusals of unauthenticated requests written one by one per source and interval. A client
 * with a mistyped, expired or revoked token retries a few times: those events show what it
 * tried. Past that the rows say nothing new, and anyone who can reach a port could write them
 * as fast as the disk takes them; five keep the evidence without the flood.
 */
export const REFUSALS_WRITTEN_PER_INTERVAL = 5;
/**
 * Refusals written one by one per account and interval, whatever their sources. A client that
 * holds many sources (a routed IPv6 /48 is 65,536 /64s; a botnet, as many IPv4 addresses) would
 * otherwise write five rows from each: past this budget an account's refusals from sources not
 * already being summarised are counted into one summary for all of them, with no address.
 */
export const REFUSALS_WRITTEN_PER_ACCOUNT = 100;
/** The interval a source's budget covers and a summary counts over. */
const REFUSAL_INTERVAL_MS = 60_000;
/**
 * Sources tracked at once. Each costs a few hundred bytes (its key and at most a handful of
 * summary groups, each with a bounded User-Agent); past this bound the oldest is evicted, its
 * summary written early, so an attacker cycling addresses costs memory only up to the bound.
 */
const MAX_REFUSAL_SOURCES = 10_000;

/** What a source's summary of one kind of call holds until it is written. */
interface Group {
  ctx: RequestContext;
  facts: AuditFacts;
  count: number;
  firstAt: string;
}

interface Source {
  /** When its interval began (the clock's milliseconds). */
  start: number;
  /** Refusals written one by one in this interval. */
  written: number;
  /** Counted refusals, by action and resource type: a summary event each. */
  groups: Map<string, Group>;
}

/** An account's refusals written one by one in its current interval. */
interface Budget {
  start: number;
  written: number;
}

export interface RefusalSummaryOptions {
  /** Milliseconds since the epoch. */
  now?: () => number;
  intervalMs?: number;
  maxSources?: number;
  /** A summary could not be written; its refusals are counted nowhere else. */
  onError?: (error: unknown, count: number) => void;
}

/**
 * Aggregates refusals of unauthenticated requests (no, unknown, expired or revoked token) per
 * account and source address. The first `REFUSALS_WRITTEN_PER_INTERVAL` of an interval are
 * written one by one as before, as long as the account has written fewer than
 * `REFUSALS_WRITTEN_PER_ACCOUNT` in its interval (past that, a new source's refusals go to one
 * summary for the account, with no address); the rest are counted, and one summary event per kind of call
 * (action and resource type) is written when the interval ends: result DENY, `count` the number
 * of refusals it stands for, `occurredAt` the first of them, the source as `ip`, the first
 * counted request's User-Agent, no token or request id.
 *
 * Only refusals are aggregated: an authenticated caller's every action, allowed or denied, is
 * written on its own, so the trail of what credentials did stays complete. A refusal written
 * one by one fails closed like any event; a counted one was answered already, and a summary
 * that cannot be written is reported to `onError`.
 *
 * Summaries are written by a sweep every sixth of an interval (so at most that late), when a
 * source is evicted, and by `close`, which writes every open summary: a clean shutdown loses
 * no count.
 */
export class RefusalSummaries {
  readonly #store: Pick<AuditStore, 'append'>;
  readonly #now: () => number;
  readonly #interval: number;
  readonly #max: number;
  readonly #onError: (error: unknown, count: number) => void;
  /** In order of interval start: a source is re-inserted when its next interval begins. */
  readonly #sources = new Map<string, Source>();
  /** By account id: ids of accounts whose servers were refused, so as many as there are accounts. */
  readonly #accounts = new Map<string, Budget>();
  readonly #pending = new Set<Promise<void>>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(store: Pick<AuditStore, 'append'>, options: RefusalSummaryOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#interval = options.intervalMs ?? REFUSAL_INTERVAL_MS;
    this.#max = options.maxSources ?? MAX_REFUSAL_SOURCES;
    this.#onError =
      options.onError ??
      ((error, count) =>
        process.emitWarning(`an audit summary of ${count} refused requests could not be written: ${error}`));
    // unref: summaries pending never keep the process alive; close() writes them.
    this.#sweeper = setInterval(() => this.#sweep(), Math.ceil(this.#interval / 6)).unref();
  }

  /**
   * Counts a refusal of an unauthenticated request; answers true when it is to be written as an
   * event of its own (the caller then records it, failing closed), false when it is counted in
   * its source's summary instead.
   */
  admit(ctx: RequestContext, facts: AuditFacts): boolean {
    if (this.#closed) return true;
    const now = this.#now();
    const accountId = ctx.actor.accountId;
    let account = this.#accounts.get(accountId);
    if (!account || now - account.start >= this.#interval) {
      account = { start: now, written: 0 };
      this.#accounts.set(accountId, account);
    }
    let address: string | null = sourceAddress(ctx.ip);
    let source = this.#current(`${accountId} ${address}`, now);
    if (!source || source.written < REFUSALS_WRITTEN_PER_INTERVAL) {
      if (account.written < REFUSALS_WRITTEN_PER_ACCOUNT) {
        source ??= this.#open(`${accountId} ${address}`, now);
        source.written++;
        account.written++;
        return true;
      }
      // The account's budget is spent: a source not summarised yet joins the account's shared
      // summary (keyed by the account id alone, which no source's key is).
      address = null;
      source = this.#current(accountId, now) ?? this.#open(accountId, now);
    }
    const kind = `${facts.action} ${facts.resourceType}`;
    const group = source.groups.get(kind);
    if (group) group.count++;
    else
      source.groups.set(kind, {
        ctx: {
          actor: { ...ctx.actor, id: 'unknown', tokenId: null },
          principal: ctx.principal,
          requestId: null,
          ip: address,
          userAgent: ctx.userAgent,
        },
        facts: { action: facts.action, resourceType: facts.resourceType, result: facts.result },
        count: 1,
        firstAt: new Date(now).toISOString(),
      });
    return false;
  }

  /** The source under `key` if its interval is still running; one that ended is written. */
  #current(key: string, now: number): Source | undefined {
    const source = this.#sources.get(key);
    if (source && now - source.start >= this.#interval) {
      this.#sources.delete(key);
      this.#write(source);
      return undefined;
    }
    return source;
  }

  /** A new source under `key`, its interval starting now. */
  #open(key: string, now: number): Source {
    if (this.#sources.size >= this.#max) this.#evictOldest();
    const source: Source = { start: now, written: 0, groups: new Map() };
    this.#sources.set(key, source);
    return source;
  }

  /** Stops the sweep and writes every summary, finished interval or not; resolves once written. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const source of this.#sources.values()) this.#write(source);
    this.#sources.clear();
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** Writes the summaries of the sources whose interval is over, and forgets those sources. */
  #sweep(): void {
    const now = this.#now();
    for (const [key, source] of this.#sources) {
      // Ordered by start: the first source still in its interval ends the sweep.
      if (now - source.start < this.#interval) break;
      this.#sources.delete(key);
      this.#write(source);
    }
  }

  #evictOldest(): void {
    const oldest = this.#sources.entries().next();
    if (oldest.done) return;
    const [key, source] = oldest.value;
    this.#sources.delete(key);
    this.#write(source);
  }

  #write(source: Source): void {
    for (const group of source.groups.values()) {
      const written = recordAudit(this.#store, group.ctx, {
        ...group.facts,
        count: group.count,
        occurredAt: group.firstAt,
      }).catch((error: unknown) => this.#onError(error, group.count));
      this.#pending.add(written);
      void written.finally(() => this.#pending.delete(written));
    }
  }
}

/**
 * The source a refusal is counted against: the IPv4 address (an IPv4-mapped IPv6 address as
 * IPv4), or an IPv6 address's /64 network, since whoever holds one address of a /64 normally
 * holds all 2^64 of them and a budget per address would bound nothing. Anything else (no
 * address) is counted as itself.
 */
export function sourceAddress(ip: string | null): string {
  if (ip === null) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  const address = ip.split('%', 1)[0] ?? ip;
  if (!isIPv6(address)) return ip;
  const [head = '', tail] = address.split('::');
  const before = head === '' ? [] : head.split(':');
  // An embedded IPv4 tail (…:1.2.3.4) takes two groups; it never reaches the first four.
  const after =
    tail === undefined || tail === ''
      ? []
      : tail.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const groups = [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
