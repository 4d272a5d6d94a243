import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from './api.js';

/**
 * The page's heading: names the tab, and takes the focus when the page changes so keyboard and
 * screen-reader users start at the new content (a hash change moves no focus by itself).
 */
export function Title({ children, text }: { children?: ComponentChildren; text: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${text} · Keyhold`;
    ref.current?.focus();
  }, [text]);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children ?? text}
    </h1>
  );
}

/**
 * A page's "a change is running" flag. Controls are disabled while it is set, and a disabled
 * control loses the focus to the page: when the change is over, the control that had the focus
 * when it started gets it back (if it is still there and nothing else took the focus meanwhile),
 * so a keyboard user goes on from where they were.
 */
export function useBusy(): [boolean, (busy: boolean) => void] {
  const [busy, setBusyState] = useState(false);
  const focused = useRef<HTMLElement | null>(null);
  const setBusy = (next: boolean) => {
    if (next && document.activeElement instanceof HTMLElement) focused.current = document.activeElement;
    setBusyState(next);
  };
  useEffect(() => {
    if (busy) return;
    const element = focused.current;
    focused.current = null;
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (element?.isConnected && lost) element.focus();
  }, [busy]);
  return [busy, setBusy];
}

export function Alert({ message }: { message: string | undefined }) {
  return message ? (
    <p class="alert" role="alert">
      {message}
    </p>
  ) : null;
}

/** What a loader resolves to: the value, the error's message, or still loading. */
export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | { state: 'ok'; value: T };

/**
 * Runs `load` when `key` changes; `reload()` runs it again. What was loaded for another key is
 * never answered for this one: in the render after the key changes (before the effect has even
 * asked), the state is `loading`, not the previous key's value under the new key's labels.
 *
 * A reload keeps the page drawn (and the focus where it is) until the new value arrives, and its
 * promise settles only then: a caller that says "done" after `await reload()` says it over a page
 * that already shows the change. Only the latest load is answered; an older one arriving late
 * is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): [Loaded<T>, () => Promise<void>] {
  const [loaded, setLoaded] = useState<{ key: string; value: Loaded<T> }>({
    key,
    value: { state: 'loading' },
  });
  const latest = useRef(0);
  const run = (forKey: string): Promise<void> => {
    const ticket = ++latest.current;
    const answer = (value: Loaded<T>) => {
      if (ticket === latest.current) setLoaded({ key: forKey, value });
    };
    return load().then(
      (value) => answer({ state: 'ok', value }),
      (error: unknown) => answer({ state: 'error', message: messageOf(error) }),
    );
  };
  useEffect(() => {
    setLoaded({ key, value: { state: 'loading' } });
    void run(key);
    return () => {
      latest.current++;
    };
  }, [key]);
  return [loaded.key === key ? loaded.value : { state: 'loading' }, () => run(key)];
}

/** Draws a loader's state: a status line, an alert, or `children(value)`. */
export function Show<T>({
  loaded,
  children,
}: {
  loaded: Loaded<T>;
  children: (value: T) => ComponentChildren;
}) {
  if (loaded.state === 'loading')
    return (
      <p class="muted" role="status">
        Loading…
      </p>
    );
  if (loaded.state === 'error') return <Alert message={loaded.message} />;
  return <>{children(loaded.value)}</>;
}
