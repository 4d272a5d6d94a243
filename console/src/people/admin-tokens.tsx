import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import { ShownOnce } from './shown-once.js';
import { PeopleNav } from './subnav.js';
import { type AdminToken, roleName, TOKEN_ROLES, when } from './types.js';

const DAY = 86_400;
const LIFETIMES = [
  { value: '', label: 'Never' },
  { value: String(DAY), label: '1 day' },
  { value: String(30 * DAY), label: '30 days' },
  { value: String(90 * DAY), label: '90 days' },
  { value: String(365 * DAY), label: '1 year' },
];

const STATUS_NAMES: Record<AdminToken['status'], string> = {
  active: 'Active',
  expired: 'Expired',
  revoked: 'Revoked',
};

/** The account's admin API tokens: list, create (the secret shown once), revoke. */
export function AdminTokens() {
  const { notify } = useSession();
  const [tokens, reload] = useLoad(() => api<AdminToken[]>('GET', '/admin-tokens'), 'admin-tokens');
  const [name, setName] = useState('');
  const [role, setRole] = useState('admin');
  const [lifetime, setLifetime] = useState(String(90 * DAY));
  const [created, setCreated] = useState<AdminToken & { token: string }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();

  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setCreated(undefined);
    try {
      const body = { name: name.trim(), role, ...(lifetime ? { expiresIn: Number(lifetime) } : {}) };
      setCreated(await api<AdminToken & { token: string }>('POST', '/admin-tokens', body));
      setName('');
      reload();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (token: AdminToken) => {
    setError(undefined);
    try {
      await api('DELETE', `/admin-tokens/${encodeURIComponent(token.id)}`);
      if (created?.id === token.id) setCreated(undefined);
      await reload();
      notify(`Token ${token.name} is revoked: it is refused from its next request.`);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <>
      <Title text="Admin tokens" />
      <PeopleNav current="tokens" />
      <p class="muted">
        Tokens for scripts and the <code>keyhold</code> command line: each acts with its role on this
        account's admin API, as a bearer token.
      </p>
      <Alert message={error} />
      <Show loaded={tokens}>
        {(list) =>
          list.length === 0 ? (
            <p>The account has no admin tokens.</p>
          ) : (
            <ul class="items tokens">
              {list.map((t) => (
                <li key={t.id} class="token-row">
                  <div>
                    <span class="token-name">{t.name}</span>
                    <span class="muted small"> · {roleName(t.role)} · </span>
                    <span class={t.status === 'active' ? 'muted small' : 'state-off small'}>
                      {STATUS_NAMES[t.status]}
                    </span>
                    <p class="muted small">
                      Created {when(t.createdAt)}
                      {t.revokedAt
                        ? ` · revoked ${when(t.revokedAt)}`
                        : t.expiresAt
                          ? ` · ${t.status === 'expired' ? 'expired' : 'expires'} ${when(t.expiresAt)}`
                          : ' · never expires'}
                    </p>
                  </div>
                  {t.status === 'active' && (
                    <button
                      type="button"
                      class="small"
                      onClick={() => revoke(t)}
                      aria-label={`Revoke token ${t.name}`}
                    >
                      Revoke
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Show>
      <h2>Create a token</h2>
      {created && (
        <ShownOnce
          label={`Token ${created.name} (${roleName(created.role)}): send it as "Authorization: Bearer" with each request.`}
          value={created.token}
          what="token"
        />
      )}
      <form class="stack" onSubmit={create}>
        <label for="token-name">Name</label>
        <input
          id="token-name"
          required
          maxLength={200}
          autocomplete="off"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label for="token-role">Role</label>
        <select id="token-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          {TOKEN_ROLES.map((r) => (
            <option key={r} value={r}>
              {roleName(r)}
            </option>
          ))}
        </select>
        <label for="token-lifetime">Expires after</label>
        <select id="token-lifetime" value={lifetime} onChange={(e) => setLifetime(e.currentTarget.value)}>
          {LIFETIMES.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            Create token
          </button>
        </div>
      </form>
    </>
  );
}
