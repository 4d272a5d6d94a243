import { CliError } from './errors.js';

/** What a command needs to know of a thing a user may name: its id and its name (or title, email). */
export interface Nameable {
  id: string;
  name: string;
}

/**
 * The one candidate a user meant by `query`: the one whose id it is, otherwise the one whose name
 * it is (exactly, then ignoring case). An id always wins, so a thing named like another's id is
 * still reachable by its own id. No match and several matches are errors in words: the second
 * lists the candidates with their ids, so the user can pick one.
 *
 * `kind` names the thing in the message ("vault", "item", "server", "client", "user").
 */
export function pickByNameOrId<T extends Nameable>(candidates: readonly T[], query: string, kind: string): T {
  const byId = candidates.find((c) => c.id === query);
  if (byId) return byId;
  const exact = candidates.filter((c) => c.name === query);
  const matches = exact.length > 0 ? exact : candidates.filter((c) => sameIgnoringCase(c.name, query));
  const [only] = matches;
  if (matches.length === 1 && only) return only;
  if (matches.length === 0) throw new CliError(`no ${kind} named or with id ${quote(query)}`);
  const listed = matches.map((c) => `  ${c.id}  ${c.name}`).join('\n');
  throw new CliError(`${quote(query)} names ${matches.length} ${kind}s; use an id:\n${listed}`);
}

const sameIgnoringCase = (a: string, b: string): boolean =>
  a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

const quote = (text: string): string => `'${text}'`;
