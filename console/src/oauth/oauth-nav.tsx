import { href } from '../router.js';

const TABS = [
  { path: '/oauth', label: 'Resource servers and scopes' },
  { path: '/oauth/clients', label: 'Clients' },
  { path: '/oauth/check', label: 'Scope check' },
  { path: '/oauth/grants', label: 'Users’ grants' },
] as const;

/** The OAuth section's own links, under its heading. */
export function OAuthNav({ current }: { current: (typeof TABS)[number]['path'] }) {
  return (
    <nav aria-label="OAuth" class="subnav">
      <ul>
        {TABS.map((t) => (
          <li key={t.path}>
            <a href={href(t.path)} aria-current={t.path === current ? 'page' : undefined}>
              {t.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
