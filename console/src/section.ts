import type { ComponentChildren } from 'preact';
import type { Params } from './router.js';
import type { Session } from './session.js';

/**
 * One part of the console (vaults, people, Connect, …): its link in the navigation and the
 * routes it draws. A section is one file under sections/ plus one line in sections/index.ts.
 */
export interface Section {
  /** Its place in the navigation, lowest first. */
  order: number;
  /** The navigation link's text. */
  label: string;
  /** The route the navigation link opens. */
  path: string;
  /** Whether this person sees the section at all (the API still decides every request). */
  visible?(session: Session): boolean;
  /** Patterns (`/vaults/:vaultId`) and what each draws; the first match wins. */
  routes: ReadonlyArray<{ pattern: string; view(params: Params): ComponentChildren }>;
}
