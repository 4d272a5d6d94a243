import type { Command } from 'commander';
import type { AdminClient } from '../client.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { hintNextPage } from '../paging.js';
import { timeFlag } from '../time-flag.js';
import { clientFor, integerFlag, type RemoteOptions, remote } from './remote.js';

interface AuditEvent {
  seq: number;
  occurredAt: string;
  actorType: string;
  actorId: string;
  /** The actor's email or name, or its id with a note when it no longer exists (docs/admin-api.md). */
  actorLabel: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  vaultId: string | null;
  itemId: string | null;
  result: string;
  /** More than 1 for a summary of refused requests (docs/admin-api.md). */
  count?: number;
}

interface ListOptions extends RemoteOptions {
  limit: string;
  before?: string;
  actor?: string;
  action?: string;
  result?: string;
  resourceType?: string;
  resource?: string;
  since?: string;
  until?: string;
}

/** The most specific id an event names, for the one-line rendering. */
const target = (e: AuditEvent) => e.itemId ?? e.resourceId ?? e.vaultId ?? '';

/** How the ACTOR column names each kind of actor after its label. */
const KINDS: Record<string, string> = {
  user: 'user',
  admin_token: 'admin token',
  connect_token: 'Connect token',
  oauth_client: 'OAuth client',
  oauth_token: 'OAuth token',
};
const actor = (e: AuditEvent) => {
  // `system`, and `unknown user` for a caller never identified, already say what they are.
  if (e.actorType === 'system' || e.actorId === 'unknown') return e.actorLabel ?? e.actorId;
  return `${e.actorLabel ?? e.actorId} (${KINDS[e.actorType] ?? e.actorType})`;
};

/** Ids Keyhold makes, OAuth client ids, and the service itself are sent as they are. */
const ACTOR_ID = /^(?:[a-z0-9]{26}|kc-[a-z0-9]{26}|system|unknown)$/;

/**
 * The actor id for `--actor`: an id as it is; an email (it has an `@`) is looked up among the
 * account's users; anything else is taken for an admin token's name.
 */
async function resolveActor(client: AdminClient, value: string): Promise<string> {
  if (ACTOR_ID.test(value)) return value;
  if (value.includes('@')) {
    // The email query answers 404 for an address no user of the account has.
    const [user] = await client.request<{ id: string }[]>('GET', 'users', undefined, { email: value });
    if (!user) throw new CliError(`no user ${value} in this account`);
    return user.id;
  }
  let tokens: { id: string; name: string }[];
  try {
    tokens = await client.request<{ id: string; name: string }[]>('GET', 'admin-tokens');
  } catch (error) {
    throw new CliError(
      `--actor ${JSON.stringify(value)} is not an id or an email, and admin tokens could not be listed to find one by that name (${(error as Error).message}); pass the actor's id`,
    );
  }
  const named = tokens.filter((t) => t.name === value);
  if (named.length === 1) return (named[0] as { id: string }).id;
  if (named.length === 0)
    throw new CliError(`--actor ${JSON.stringify(value)}: no user email, admin token name or id matches`);
  throw new CliError(
    `--actor ${JSON.stringify(value)}: ${named.length} admin tokens have that name; pass one's id (${named.map((t) => t.id).join(', ')})`,
  );
}

/** `keyhold audit …`: the account's audit trail. */
export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description("read the audit trail of the caller's account (the admin token's, or the signed-in user's)");

  remote(
    audit
      .command('list')
      .description('list audit events, newest first, narrowed by any of the filters (all must match)')
      .option('--limit <n>', 'how many events, 1-1000', '50')
      .option(
        '--before <seq>',
        'only events older than this sequence number: the next page starts before the last SEQ shown (a full page ends with the command for it on standard error)',
      )
      .option('--actor <who>', "only this actor's events: a user's email, an admin token's name, or an id")
      .option('--action <verb>', 'only this action: READ, CREATE, UPDATE or DELETE')
      .option('--result <result>', 'only this result: SUCCESS, DENY or FAILURE')
      .option('--resource-type <type>', 'only events on this kind of resource (VAULT, ITEM, USER, TOKEN, …)')
      .option('--resource <id>', 'only events naming this id as their resource, vault or item')
      .option(
        '--since <time>',
        'only events at or after this time: RFC 3339, or a relative time like 24h or 7d',
      )
      .option('--until <time>', 'only events before this time: RFC 3339, or a relative time like 30m'),
  ).action(async (opts: ListOptions) => {
    const client = clientFor(opts);
    const upper = (value: string | undefined) => value?.toUpperCase();
    const limit = integerFlag('--limit', opts.limit, 1, 1000);
    const query = {
      // One more than shown, when allowed, tells whether there is a next page.
      limit: String(Math.min(limit + 1, 1000)),
      before:
        opts.before === undefined
          ? undefined
          : String(integerFlag('--before', opts.before, 1, Number.MAX_SAFE_INTEGER)),
      action: upper(opts.action),
      result: upper(opts.result),
      resourceType: upper(opts.resourceType?.replace(/-/g, '_')),
      resource: opts.resource,
      since: opts.since === undefined ? undefined : timeFlag('--since', opts.since),
      until: opts.until === undefined ? undefined : timeFlag('--until', opts.until),
      actor: opts.actor === undefined ? undefined : await resolveActor(client, opts.actor),
    };
    const fetched = await client.request<AuditEvent[]>('GET', 'audit', undefined, query);
    const events = fetched.slice(0, limit);
    emit(events, opts, (list) =>
      table(
        ['SEQ', 'TIME', 'ACTION', 'RESOURCE', 'ID', 'RESULT', 'ACTOR'],
        list.map((e) => [
          e.seq,
          e.occurredAt,
          e.action,
          e.resourceType,
          target(e),
          (e.count ?? 1) > 1 ? `${e.result} (${e.count} requests)` : e.result,
          actor(e),
        ]),
      ),
    );
    // At 1000 a full page may also be the last; the hint then leads to an empty one.
    const last = events.at(-1);
    if (!opts.json && last && (fetched.length > limit || events.length === 1000)) {
      hintNextPage('--before', String(last.seq));
    }
  });
}
