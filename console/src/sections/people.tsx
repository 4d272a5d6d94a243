import { AdminTokens } from '../people/admin-tokens.js';
import { PeopleList } from '../people/people-list.js';
import { PersonPage } from '../people/person.js';
import { managesPeople, TOKENS_PATH } from '../people/types.js';
import type { Section } from '../section.js';

/** People, their roles and vault access, and admin tokens: owners and admins only. */
export const people: Section = {
  order: 40,
  label: 'People',
  path: '/people',
  visible: managesPeople,
  routes: [
    { pattern: '/people', view: () => <PeopleList /> },
    { pattern: TOKENS_PATH, view: () => <AdminTokens /> },
    { pattern: '/people/:userId', view: (p) => <PersonPage userId={p.userId as string} /> },
  ],
};
