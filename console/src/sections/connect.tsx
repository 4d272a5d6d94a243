import { ServerList } from '../connect/server-list.js';
import { ServerNew } from '../connect/server-new.js';
import { ServerView } from '../connect/server-view.js';
import { SigningKeys } from '../connect/signing-keys.js';
import { TokenNew } from '../connect/token-new.js';
import type { Section } from '../section.js';

/** Roles that administer Connect (or read it: auditors). Members never see the section. */
const CONNECT_ROLES = new Set(['owner', 'admin', 'auditor', 'connect-manager']);

/** Connect servers, their tokens, and the account's signing keys: for administrators. */
export const connect: Section = {
  order: 40,
  label: 'Connect',
  path: '/connect',
  visible: (session) => CONNECT_ROLES.has(session.user.role ?? ''),
  routes: [
    { pattern: '/connect', view: () => <ServerList /> },
    { pattern: '/connect/new', view: () => <ServerNew /> },
    { pattern: '/connect/keys', view: () => <SigningKeys /> },
    { pattern: '/connect/servers/:serverId', view: (p) => <ServerView serverId={p.serverId as string} /> },
    {
      pattern: '/connect/servers/:serverId/tokens/new',
      view: (p) => <TokenNew serverId={p.serverId as string} />,
    },
  ],
};
