import { useState } from 'preact/hooks';
import { ApiError, api, messageOf } from '../api.js';
import { href } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import type { Vault } from '../vaults/types.js';
import { NameForm } from './name-form.js';
import { ShownOnce } from './shown-once.js';
import {
  ACCESS_LEVELS,
  levelOf,
  type MfaStatus,
  personPath,
  roleName,
  USER_ROLES,
  type User,
  type VaultGrant,
  when,
} from './types.js';

interface Person {
  user: User;
  vaults: Vault[];
  grants: VaultGrant[];
  /** Undefined when the caller's role may not read it (an admin looking at an owner). */
  mfa: MfaStatus | undefined;
}

const loadPerson = async (userId: string): Promise<Person> => {
  const base = personPath(userId).replace('/people', '/users');
  const [user, vaults, grants, mfa] = await Promise.all([
    api<User>('GET', base),
    api<Vault[]>('GET', '/vaults'),
    api<VaultGrant[]>('GET', `${base}/vaults`),
    api<MfaStatus>('GET', `${base}/mfa`).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 403) return undefined;
      throw error;
    }),
  ]);
  return { user, vaults, grants, mfa };
};

/** One person: role, enabled or not, a password reset, two-step sign-in, vault access. */
export function PersonPage({ userId }: { userId: string }) {
  const [person, reload] = useLoad(() => loadPerson(userId), userId);
  return (
    <>
      <p class="crumbs">
        <a href={href('/people')}>People</a>
      </p>
      <Show loaded={person}>{(p) => <PersonView person={p} reload={reload} />}</Show>
    </>
  );
}

function PersonView({ person, reload }: { person: Person; reload: () => Promise<void> }) {
  const { notify } = useSession();
  const { user, vaults, grants, mfa } = person;
  const base = `/users/${encodeURIComponent(user.id)}`;
  const [role, setRole] = useState(user.role);
  const [reset, setReset] = useState<{ url: string; expiresAt: string }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();

  /** Runs one change, draws the person again, then says so (the notice never precedes the page). */
  const change = async (call: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await call();
      await reload();
      notify(done);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const saveRole = (event: Event) => {
    event.preventDefault();
    return change(() => api('PUT', `${base}/role`, { role }), `${user.email} is now ${roleName(role)}.`);
  };
  const saveName = async (name: string | null) => {
    const saved = await api<User>('PUT', `${base}/name`, { name });
    await reload();
    notify(
      saved.name === null ? `${user.email} has no name now.` : `${user.email} is now named ${saved.name}.`,
    );
  };
  const makeResetLink = async () => {
    setError(undefined);
    try {
      setReset(await api<{ url: string; expiresAt: string }>('POST', `${base}/password-reset`));
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const setAccess = (vault: Vault, level: string) => {
    const permissions = ACCESS_LEVELS.find((l) => l.value === level)?.permissions ?? [];
    const had = grants.some((g) => g.vaultId === vault.id && g.permissions.length > 0);
    const path = `${base}/vaults/${encodeURIComponent(vault.id)}`;
    const label = ACCESS_LEVELS.find((l) => l.value === level)?.label ?? level;
    if (permissions.length === 0) {
      if (!had) return;
      return change(() => api('DELETE', path), `${user.email} has no access to ${vault.name} now.`);
    }
    return change(
      () => api('PUT', path, { permissions }),
      `${user.email}: ${label.toLowerCase()} access to ${vault.name}.`,
    );
  };

  return (
    <>
      <Title text={user.email} />
      {user.name !== null && <p class="person-name">{user.name}</p>}
      <p class="muted">
        {roleName(user.role)} · {user.enabled ? 'Enabled' : `Disabled since ${when(user.disabledAt)}`} · added{' '}
        {when(user.createdAt)}
      </p>
      <Alert message={error} />

      <h2>Name</h2>
      <p class="muted small">
        Shown beside their email here, and given to applications they sign in to with the profile scope.
      </p>
      <NameForm id="name" current={user.name} save={saveName} />

      <h2>Role</h2>
      <form class="row" onSubmit={saveRole}>
        <label for="role">Role</label>
        <select id="role" class="narrow" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          {USER_ROLES.map((r) => (
            <option key={r} value={r}>
              {roleName(r)}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy || role === user.role}>
          Save role
        </button>
      </form>

      <h2>Sign-in</h2>
      <p>
        {user.enabled
          ? 'Enabled: their password, sessions and tokens work.'
          : 'Disabled: their sign-in, sessions and tokens are refused.'}
      </p>
      <div class="row">
        {user.enabled ? (
          <button
            type="button"
            disabled={busy}
            onClick={() => change(() => api('POST', `${base}/disable`), `${user.email} is disabled.`)}
          >
            Disable {user.email}
          </button>
        ) : (
          <button
            type="button"
            disabled={busy}
            onClick={() => change(() => api('POST', `${base}/enable`), `${user.email} is enabled.`)}
          >
            Enable {user.email}
          </button>
        )}
        <button type="button" disabled={busy} onClick={makeResetLink}>
          Make a password reset link
        </button>
      </div>
      {reset && (
        <ShownOnce
          label={`Give ${user.email} this link: it sets a new password once, until ${when(reset.expiresAt)}.`}
          value={reset.url}
          what="reset link"
        />
      )}
      <p>
        Two-step sign-in:{' '}
        {mfa === undefined
          ? 'your role does not show it for this person.'
          : mfa.enabled
            ? `on, ${mfa.recoveryCodesLeft} recovery codes left.`
            : 'off.'}
      </p>
      {mfa?.enabled && (
        <div class="row">
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              change(
                () => api('DELETE', `${base}/mfa`),
                `Two-step sign-in of ${user.email} is off: they enrol again at their next sign-in if the account requires it.`,
              )
            }
          >
            Turn off two-step sign-in for {user.email}
          </button>
        </div>
      )}

      <h2>Vaults</h2>
      {vaults.length === 0 ? (
        <p>The account has no vaults yet.</p>
      ) : (
        <ul class="items access">
          {[...vaults]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((v) => {
              const level = levelOf(grants.find((g) => g.vaultId === v.id)?.permissions ?? []);
              const id = `access-${v.id}`;
              return (
                <li key={v.id} class="access-row">
                  <label for={id}>{v.name}</label>
                  <select
                    id={id}
                    class="narrow"
                    value={level}
                    disabled={busy}
                    onChange={(e) => setAccess(v, e.currentTarget.value)}
                  >
                    {ACCESS_LEVELS.map((l) => (
                      <option key={l.value} value={l.value}>
                        {l.label}
                      </option>
                    ))}
                  </select>
                </li>
              );
            })}
        </ul>
      )}
      <p class="muted small">
        Owners and admins read and write every vault by their role; auditors and Connect managers see the
        vaults' names only. The access given here adds to the role.
      </p>
    </>
  );
}
