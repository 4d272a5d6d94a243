import { AccountPage } from '../account/account-page.js';
import type { Section } from '../section.js';

/** Every signed-in person's own account: password and two-step sign-in. */
export const account: Section = {
  order: 90,
  label: 'Account',
  path: '/account',
  routes: [{ pattern: '/account', view: () => <AccountPage /> }],
};
