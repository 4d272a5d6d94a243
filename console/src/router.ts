import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routing (`/console/#/vaults/…`): the server serves one index.html at /console/ and knows
 * nothing of the console's routes, and what follows `#` (ids, a search) never reaches the
 * server, its logs or a proxy. See docs/architecture.md.
 */
export type Params = Record<string, string>;

export function currentPath(): string {
  const hash = window.location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : '/';
}

export function useHashPath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const changed = () => setPath(currentPath());
    window.addEventListener('hashchange', changed);
    // The address may have changed between the first render and this effect (which runs after
    // the paint): a hashchange then was missed, so read the address again.
    changed();
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return path;
}

/** `/vaults/:vaultId` against `/vaults/abc` → `{vaultId: 'abc'}`; undefined when it does not match. */
export function match(pattern: string, path: string): Params | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  if (want.length !== got.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return params;
}

/** The href of a console route. */
export const href = (path: string) => `#${path}`;

export function navigate(path: string): void {
  window.location.hash = path;
}
