import { useState } from 'preact/hooks';
import { ApiError, api, messageOf } from './api.js';
import type { Session } from './session.js';
import { Alert, Title, useBusy } from './ui.js';

/** A TOTP key to add to an authenticator app, when the account requires two-step sign-in. */
interface Enrolment {
  secret: string;
  uri: string;
}

type Answer =
  | (Session & { recoveryCodes?: string[] })
  | { accounts: Array<{ id: string; name: string }> }
  | { secondStep: 'verify' }
  | { secondStep: 'enrol'; enrolment: Enrolment };

type Step =
  | { kind: 'password' }
  | { kind: 'account'; accounts: Array<{ id: string; name: string }> }
  | { kind: 'verify' }
  | { kind: 'enrol'; enrolment: Enrolment }
  | { kind: 'codes'; session: Session; codes: string[] };

/**
 * Sign-in with the account's login service (POST /api/admin/session): email and password, then,
 * when the email has several accounts, which one; then the second step when the user has one.
 */
export function SignIn({
  message,
  onSignedIn,
}: {
  message?: string | undefined;
  onSignedIn(s: Session): void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [account, setAccount] = useState('');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();

  const answered = (answer: Answer) => {
    if ('csrfToken' in answer) {
      const { recoveryCodes, ...session } = answer;
      // Codes are shown once, right after enrolment: the person keeps them before going on.
      if (recoveryCodes?.length) return setStep({ kind: 'codes', session, codes: recoveryCodes });
      return onSignedIn(session);
    }
    if ('accounts' in answer) {
      setAccount(answer.accounts[0]?.id ?? '');
      return setStep({ kind: 'account', accounts: answer.accounts });
    }
    setStep(
      answer.secondStep === 'enrol' ? { kind: 'enrol', enrolment: answer.enrolment } : { kind: 'verify' },
    );
  };

  const run = async (call: () => Promise<Answer>) => {
    setBusy(true);
    setError(undefined);
    try {
      answered(await call());
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === 'invalid_credentials'
          ? 'The email or the password is wrong.'
          : messageOf(e),
      );
    } finally {
      setBusy(false);
    }
  };

  const submitPassword = (event: Event) => {
    event.preventDefault();
    const body = { email, password, ...(step.kind === 'account' && account ? { account } : {}) };
    return run(() => api<Answer>('POST', '/session', body));
  };
  const submitCode = (event: Event) => {
    event.preventDefault();
    return run(() => api<Answer>('POST', '/session/second-step', { code: code.trim() }));
  };

  return (
    <div class="signin">
      <header class="top">
        <span class="brand">Keyhold</span>
      </header>
      <main id="main">
        <Title text="Sign in" />
        {message && (
          <p class="info" role="status">
            {message}
          </p>
        )}
        <Alert message={error} />
        {step.kind === 'codes' ? (
          <div class="stack">
            <p>
              Two-step sign-in is on. Keep these recovery codes somewhere safe: each signs you in once when
              you do not have your authenticator app. They are not shown again.
            </p>
            <ul class="codes">
              {step.codes.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
            <button type="button" class="primary" onClick={() => onSignedIn(step.session)}>
              I have kept them, continue
            </button>
          </div>
        ) : step.kind === 'verify' || step.kind === 'enrol' ? (
          <form onSubmit={submitCode} class="stack">
            {step.kind === 'enrol' ? (
              <>
                <p>
                  Your account requires two-step sign-in. Add this key to your authenticator app (as a
                  time-based key), then enter the 6-digit code it shows.
                </p>
                <p>
                  Key: <code class="value">{step.enrolment.secret}</code>
                </p>
              </>
            ) : (
              <p>Enter the 6-digit code of your authenticator app, or one of your recovery codes.</p>
            )}
            <label for="code">Code</label>
            <input
              id="code"
              name="code"
              autocomplete="one-time-code"
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
            <button type="submit" class="primary" disabled={busy}>
              Verify
            </button>
          </form>
        ) : (
          <form onSubmit={submitPassword} class="stack">
            <label for="email">Email</label>
            <input
              id="email"
              name="email"
              type="email"
              autocomplete="username"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
            <label for="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autocomplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
            {step.kind === 'account' && (
              <fieldset>
                <legend>This email has several accounts. Which one?</legend>
                {step.accounts.map((a) => (
                  <label key={a.id} class="choice">
                    <input
                      type="radio"
                      name="account"
                      value={a.id}
                      checked={account === a.id}
                      onChange={() => setAccount(a.id)}
                    />
                    {a.name}
                  </label>
                ))}
              </fieldset>
            )}
            <button type="submit" class="primary" disabled={busy}>
              Sign in
            </button>
          </form>
        )}
      </main>
    </div>
  );
}
