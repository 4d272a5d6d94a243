import { ScopeCheck } from '../oauth/check.js';
import { ClientList, ClientNew, ClientView } from '../oauth/clients.js';
import { ConnectedApplications } from '../oauth/connected.js';
import { UsersGrants } from '../oauth/grants.js';
import { ResourceServerNew, ResourceServers, ResourceServerView } from '../oauth/resource-servers.js';
import type { Section } from '../section.js';

/** Roles that may read the OAuth registry (`oauth:read`); the API decides every request all the same. */
const REGISTRY_ROLES = new Set(['owner', 'admin', 'auditor']);

/** The OAuth authorization server's registry, for admins: resource servers, clients, the check, grants. */
export const oauth: Section = {
  order: 60,
  label: 'OAuth',
  path: '/oauth',
  visible: (session) => REGISTRY_ROLES.has(session.user.role ?? ''),
  routes: [
    { pattern: '/oauth', view: () => <ResourceServers /> },
    { pattern: '/oauth/resource-servers/new', view: () => <ResourceServerNew /> },
    { pattern: '/oauth/resource-servers/:id', view: (p) => <ResourceServerView id={p.id as string} /> },
    { pattern: '/oauth/clients', view: () => <ClientList /> },
    { pattern: '/oauth/clients/new', view: () => <ClientNew /> },
    { pattern: '/oauth/clients/:clientId', view: (p) => <ClientView clientId={p.clientId as string} /> },
    { pattern: '/oauth/check', view: () => <ScopeCheck /> },
    { pattern: '/oauth/grants', view: () => <UsersGrants /> },
  ],
};

/** Every signed-in person's own grants: the applications they connected. */
export const connected: Section = {
  order: 80,
  label: 'Connected applications',
  path: '/connected',
  routes: [{ pattern: '/connected', view: () => <ConnectedApplications /> }],
};
