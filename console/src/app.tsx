import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, messageOf, setCsrfToken, whenSignedOut } from './api.js';
import { href, match, useHashPath } from './router.js';
import type { Section } from './section.js';
import * as sectionModules from './sections/index.js';
import { type Session, SessionCtx } from './session.js';
import { SignIn } from './sign-in.js';
import { Title } from './ui.js';

const SECTIONS: Section[] = Object.values(sectionModules).sort((a, b) => a.order - b.order);

type State =
  | { kind: 'starting' }
  | { kind: 'signed-out'; message?: string | undefined }
  | { kind: 'signed-in'; session: Session };

/** The console: asks whether a session is open, then shows the sign-in page or the shell. */
export function App() {
  const [state, setState] = useState<State>({ kind: 'starting' });
  const signedIn = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState({ kind: 'signed-in', session });
  }, []);
  useEffect(() => {
    whenSignedOut((message) => setState({ kind: 'signed-out', message }));
    api<Session>('GET', '/session').then(signedIn, (error: unknown) => {
      const expired = (error as { code?: string }).code === 'session_expired';
      setState({ kind: 'signed-out', message: expired ? 'Your session expired, sign in again' : undefined });
    });
  }, [signedIn]);

  if (state.kind === 'starting')
    return (
      <p class="muted starting" role="status">
        Loading…
      </p>
    );
  if (state.kind === 'signed-out') return <SignIn message={state.message} onSignedIn={signedIn} />;
  return (
    <Shell
      session={state.session}
      onRefreshed={signedIn}
      onSignedOut={(message) => {
        setCsrfToken(undefined);
        setState({ kind: 'signed-out', message });
      }}
    />
  );
}

function Shell({
  session,
  onRefreshed,
  onSignedOut,
}: {
  session: Session;
  onRefreshed: (session: Session) => void;
  onSignedOut: (message: string) => void;
}) {
  const path = useHashPath();
  const [notice, setNotice] = useState({ message: '', at: 0 });
  const notify = useCallback((message: string) => setNotice({ message, at: Date.now() }), []);
  // A page's message stays for the page it was written on (or was written just before
  // navigating to); the next page starts without it.
  useEffect(() => {
    setNotice((n) => (Date.now() - n.at > 1000 ? { message: '', at: 0 } : n));
  }, [path]);
  const sections = SECTIONS.filter((s) => s.visible?.(session) ?? true);
  // The address of a section this person does not see: say so, not "not found".
  const forbidden = SECTIONS.some(
    (s) => !sections.includes(s) && s.routes.some((r) => match(r.pattern, path)),
  );
  const signOut = async () => {
    try {
      await api('DELETE', '/session');
      onSignedOut('You are signed out.');
    } catch (error) {
      notify(messageOf(error));
    }
  };
  const first = sections[0];
  let view = null;
  let current: Section | undefined;
  for (const section of sections) {
    for (const route of section.routes) {
      const params = match(route.pattern, path);
      if (params) {
        view = route.view(params);
        current = section;
        break;
      }
    }
    if (view) break;
  }
  if (!view && path === '/' && first) {
    const params = match(first.path, first.path) ?? {};
    current = first;
    view = first.routes.find((r) => match(r.pattern, first.path))?.view(params) ?? null;
  }
  return (
    <SessionCtx.Provider value={{ session, signOut, refreshed: onRefreshed, notify }}>
      <button type="button" class="skip" onClick={skipToMain}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Keyhold</span>
        <span class="account" title="Account">
          {session.account.name}
        </span>
        <span class="who" title={session.user.name ? session.user.email : undefined}>
          {session.user.name ?? session.user.email}
        </span>
        <button type="button" class="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Sections">
        <ul>
          {sections.map((s) => (
            <li key={s.path}>
              <a href={href(s.path)} aria-current={s === current ? 'page' : undefined}>
                {s.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <p class="notice" role="status">
          {notice.message}
        </p>
        {view ??
          (forbidden ? (
            <>
              <Title text="Not allowed" />
              <p class="alert" role="alert">
                Your role in this account does not include this page.
              </p>
            </>
          ) : (
            <>
              <Title text="Not found" />
              <p>There is no page at this address.</p>
            </>
          ))}
      </main>
    </SessionCtx.Provider>
  );
}

/** A button, not a `#main` link: the hash is the route, so the skip moves the focus only. */
function skipToMain() {
  document.getElementById('main')?.focus();
}
