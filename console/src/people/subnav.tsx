import { href } from '../router.js';
import { TOKENS_PATH } from './types.js';

/** The People section's two lists: people, and the account's admin tokens. */
export function PeopleNav({ current }: { current: 'people' | 'tokens' }) {
  return (
    <nav aria-label="People and admin tokens" class="subnav">
      <a href={href('/people')} aria-current={current === 'people' ? 'page' : undefined}>
        People
      </a>
      <a href={href(TOKENS_PATH)} aria-current={current === 'tokens' ? 'page' : undefined}>
        Admin tokens
      </a>
    </nav>
  );
}
