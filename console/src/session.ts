import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** The signed-in person, as the session routes answer (docs/admin-api.md). */
export interface Session {
  user: { id: string; email: string; name?: string | null; role?: string };
  account: { id: string; name: string };
  csrfToken: string;
  expiresAt?: string;
}

export interface SessionContext {
  session: Session;
  signOut(): Promise<void>;
  /** Takes the session as a session route answered it (the person renamed themselves). */
  refreshed(session: Session): void;
  /** Shows a short message in the shell's status region (screen readers announce it). */
  notify(message: string): void;
}

export const SessionCtx = createContext<SessionContext | undefined>(undefined);

export function useSession(): SessionContext {
  const ctx = useContext(SessionCtx);
  if (!ctx) throw new Error('useSession outside the signed-in shell');
  return ctx;
}
