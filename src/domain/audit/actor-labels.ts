import type { ActorDirectory, AuditEvent } from '../../storage/ports.js';
import type { ActorType } from '../context.js';

/** An event as the trail's readers see it: with a human label of who acted. */
export interface LabelledAuditEvent extends AuditEvent {
  /**
   * The actor's email or name (see `labelActors`); when the actor cannot be found, its id with
   * a note (`… (deleted user)`) or, for a caller that was never identified, `unknown …`.
   */
  actorLabel: string;
  /** Whether the actor was found, so the label names it rather than its id. */
  actorKnown: boolean;
}

const NOUNS: Record<ActorType, string> = {
  user: 'user',
  admin_token: 'admin token',
  connect_token: 'Connect token',
  oauth_client: 'OAuth client',
  oauth_token: 'OAuth token',
  system: 'system',
};

/** The placeholder id of a refused caller that was never identified (a wrong email, a bad token). */
const UNKNOWN = 'unknown';

/**
 * Labels a page of an account's events with their actors, read now: a user by email, an admin
 * token by name and role, a Connect token by its name and its server's, an OAuth client by name, a user
 * acting through an OAuth token by email and the client's name, the service itself as `system`.
 *
 * One lookup per kind of actor for the whole page, whatever its length, each limited to
 * `accountId` (ActorDirectory): an event names an actor of its own account, and an id that
 * resolves only in another account is labelled like a deleted one, so a label never carries
 * another account's data. Whoever may read the trail (`audit:read`) may list the account's
 * users and tokens too, so naming them here reveals nothing new to that reader.
 */
export async function labelActors(
  directory: ActorDirectory,
  accountId: string,
  events: readonly AuditEvent[],
): Promise<LabelledAuditEvent[]> {
  const idsOf = (...types: string[]) =>
    events.filter((e) => types.includes(e.actorType) && e.actorId !== UNKNOWN).map((e) => e.actorId);
  const oauthTokenIds = events
    .filter((e) => e.actorType === 'oauth_token' && e.tokenId !== null)
    .map((e) => e.tokenId as string);
  const [users, adminTokens, connectTokens, clients, oauthTokens] = await Promise.all([
    // A user acting through an OAuth token is named by email too (the actor id is the user's).
    lookup(idsOf('user', 'oauth_token'), (ids) => directory.users(accountId, ids)),
    lookup(idsOf('admin_token'), (ids) => directory.adminTokens(accountId, ids)),
    lookup(idsOf('connect_token'), (ids) => directory.connectTokens(accountId, ids)),
    lookup(idsOf('oauth_client'), (ids) => directory.oauthClients(accountId, ids)),
    lookup(oauthTokenIds, (ids) => directory.oauthTokens(accountId, ids)),
  ]);

  const label = (e: AuditEvent): { actorLabel: string; actorKnown: boolean } => {
    const noun = NOUNS[e.actorType as ActorType] ?? e.actorType;
    if (e.actorType === 'system') return { actorLabel: 'system', actorKnown: true };
    if (e.actorId === UNKNOWN) return { actorLabel: `unknown ${noun}`, actorKnown: false };
    const missing = { actorLabel: `${e.actorId} (deleted ${noun})`, actorKnown: false };
    switch (e.actorType) {
      case 'user': {
        const user = users.get(e.actorId);
        return user ? { actorLabel: user.email, actorKnown: true } : missing;
      }
      case 'admin_token': {
        const token = adminTokens.get(e.actorId);
        if (!token) return missing;
        return { actorLabel: `${token.name} (${token.role})`, actorKnown: true };
      }
      case 'connect_token': {
        const token = connectTokens.get(e.actorId);
        return token
          ? { actorLabel: `${token.name} on server ${token.serverName}`, actorKnown: true }
          : missing;
      }
      case 'oauth_client': {
        const client = clients.get(e.actorId);
        return client ? { actorLabel: client.name, actorKnown: true } : missing;
      }
      case 'oauth_token': {
        const user = users.get(e.actorId);
        const client = e.tokenId === null ? undefined : oauthTokens.get(e.tokenId);
        const who = user ? user.email : `${e.actorId} (deleted user)`;
        // An expired token may have been purged: the user is still named, the client not.
        return {
          actorLabel: client ? `${who} via ${client.clientName}` : who,
          actorKnown: user !== undefined,
        };
      }
      default:
        return { actorLabel: e.actorId, actorKnown: false };
    }
  };
  return events.map((e) => ({ ...e, ...label(e) }));
}

/** Runs a directory lookup (once, with every id) and indexes its answer by id. */
async function lookup<T extends { id: string }>(
  ids: string[],
  find: (ids: string[]) => Promise<T[]>,
): Promise<Map<string, T>> {
  if (ids.length === 0) return new Map();
  return new Map((await find([...new Set(ids)])).map((row) => [row.id, row]));
}
