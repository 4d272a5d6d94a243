import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, messageOf } from '../api.js';
import { NameForm } from '../people/name-form.js';
import { type Session, useSession } from '../session.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';

interface MfaStatus {
  userId: string;
  enabled: boolean;
  recoveryCodesLeft: number;
}

const ROLE_NAMES: Record<string, string> = {
  owner: 'Owner',
  admin: 'Admin',
  auditor: 'Auditor',
  'connect-manager': 'Connect manager',
  member: 'Member',
};

/** The signed-in person's own account: who they are, their password, their two-step sign-in. */
export function AccountPage() {
  const { session } = useSession();
  return (
    <>
      <Title text="Your account" />
      <dl class="fields">
        <dt>Email</dt>
        <dd>{session.user.email}</dd>
        <dt>Account</dt>
        <dd>{session.account.name}</dd>
        {session.user.role && (
          <>
            <dt>Role</dt>
            <dd>{ROLE_NAMES[session.user.role] ?? session.user.role}</dd>
          </>
        )}
      </dl>
      <OwnName />
      <TwoStep />
      <PasswordChange />
    </>
  );
}

/** PUT /session/name: the person's own display name, which applications may be given. */
function OwnName() {
  const { session, refreshed, notify } = useSession();
  const save = async (name: string | null) => {
    const answer = await api<Session>('PUT', '/session/name', { name });
    refreshed(answer);
    notify(answer.user.name ? `Your name is now ${answer.user.name}.` : 'Your name is removed.');
  };
  return (
    <section aria-labelledby="name-heading">
      <h2 id="name-heading">Name</h2>
      <p class="muted small">
        Shown beside your email in this account, and given to applications you sign in to with the profile
        scope.
      </p>
      <NameForm id="own-name" current={session.user.name ?? null} save={save} />
    </section>
  );
}

/** POST /session/password: the current password, the new one twice. */
function PasswordChange() {
  const { notify } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    if (next !== again) return setError('The two new passwords differ.');
    if (next.length < 12) return setError('The new password needs at least 12 characters.');
    setBusy(true);
    try {
      await api('POST', '/session/password', { current, next });
      setCurrent('');
      setNext('');
      setAgain('');
      notify('Your password is changed. Your other sessions are signed out.');
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === 'invalid_credentials'
          ? 'The current password is wrong.'
          : messageOf(e),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <Alert message={error} />
      <form class="stack" onSubmit={submit}>
        <label for="current-password">Current password</label>
        <input
          id="current-password"
          type="password"
          autocomplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
        <label for="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autocomplete="new-password"
          required
          minLength={12}
          maxLength={1024}
          aria-describedby="new-password-hint"
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
        <p id="new-password-hint" class="muted small">
          At least 12 characters. Your other sessions end when it changes; this one stays.
        </p>
        <label for="new-password-again">New password again</label>
        <input
          id="new-password-again"
          type="password"
          autocomplete="new-password"
          required
          value={again}
          onInput={(e) => setAgain(e.currentTarget.value)}
        />
        <div>
          <button type="submit" class="primary" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}

type Step =
  | { kind: 'status' }
  | { kind: 'enrol'; secret: string; uri: string }
  | { kind: 'codes'; codes: string[] };

/** Two-step sign-in: enrol (a key as text, then a code), recovery codes once, or turn it off. */
function TwoStep() {
  const { notify } = useSession();
  const [status, reload] = useLoad(() => api<MfaStatus>('GET', '/session/mfa'), 'mfa');
  const [step, setStep] = useState<Step>({ kind: 'status' });
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();

  const run = async (call: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await call();
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === 'invalid_credentials'
          ? 'That code is wrong or too old. Enter the code your app shows now.'
          : messageOf(e),
      );
    } finally {
      setBusy(false);
    }
  };
  const start = () =>
    run(async () => {
      const enrolment = await api<{ secret: string; uri: string }>('POST', '/session/mfa/enrolment');
      setCode('');
      setStep({ kind: 'enrol', ...enrolment });
    });
  const enable = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      const { recoveryCodes } = await api<{ recoveryCodes: string[] }>('POST', '/session/mfa/enable', {
        code: code.trim(),
      });
      setCode('');
      setStep({ kind: 'codes', codes: recoveryCodes });
      notify('Two-step sign-in is on.');
    });
  };
  const disable = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      await api('POST', '/session/mfa/disable', { code: code.trim() });
      setCode('');
      await reload();
      notify('Two-step sign-in is off.');
    });
  };
  // A new key on the page: the focus goes to the code it asks for (the key is read just above).
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (step.kind === 'enrol') codeRef.current?.focus();
  }, [step]);
  const codeInput = (
    <>
      <label for="mfa-code">Code</label>
      <input
        ref={codeRef}
        id="mfa-code"
        autocomplete="one-time-code"
        inputMode="numeric"
        required
        value={code}
        onInput={(e) => setCode(e.currentTarget.value)}
      />
    </>
  );

  return (
    <section aria-labelledby="mfa-heading">
      <h2 id="mfa-heading">Two-step sign-in</h2>
      <Alert message={error} />
      {step.kind === 'codes' ? (
        <div class="stack">
          <p>
            Two-step sign-in is on. Keep these recovery codes somewhere safe: each signs you in once when you
            do not have your authenticator app. They are not shown again.
          </p>
          <ul class="codes">
            {step.codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <div>
            <button
              type="button"
              class="primary"
              onClick={() => {
                setStep({ kind: 'status' });
                reload();
              }}
            >
              I have kept them
            </button>
          </div>
        </div>
      ) : step.kind === 'enrol' ? (
        <form class="stack" onSubmit={enable}>
          <p>
            Add this key to your authenticator app as a time-based key (or paste the link into an app that
            takes one), then enter the 6-digit code it shows.
          </p>
          <p>
            Key:{' '}
            <code class="value" id="totp-secret">
              {step.secret}
            </code>
          </p>
          <p class="muted small">
            Link: <span class="value">{step.uri}</span>
          </p>
          {codeInput}
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              Turn on two-step sign-in
            </button>
            <button type="button" onClick={() => setStep({ kind: 'status' })}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <Show loaded={status}>
          {(s) =>
            s.enabled ? (
              <form class="stack" onSubmit={disable}>
                <p>
                  On: each sign-in asks for a code of your authenticator app. {s.recoveryCodesLeft} recovery
                  codes left.
                </p>
                <p class="muted small">To turn it off, enter a code of your app or a recovery code.</p>
                {codeInput}
                <div>
                  <button type="submit" disabled={busy}>
                    Turn off two-step sign-in
                  </button>
                </div>
              </form>
            ) : (
              <div class="stack">
                <p>Off: your password alone signs you in.</p>
                <div>
                  <button type="button" class="primary" disabled={busy} onClick={start}>
                    Set up two-step sign-in
                  </button>
                </div>
              </div>
            )
          }
        </Show>
      )}
    </section>
  );
}
