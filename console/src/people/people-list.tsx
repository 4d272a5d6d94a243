import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href } from '../router.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import { ShownOnce } from './shown-once.js';
import { PeopleNav } from './subnav.js';
import { type CreatedUser, MAX_NAME, personPath, roleName, USER_ROLES, type User } from './types.js';

/** The account's people with their role and state, and a form to add one (GET/POST /users). */
export function PeopleList() {
  const [users, reload] = useLoad(() => api<User[]>('GET', '/users'), 'users');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('member');
  const [created, setCreated] = useState<CreatedUser>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();

  const add = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setCreated(undefined);
    try {
      const named = name.trim() === '' ? {} : { name };
      setCreated(await api<CreatedUser>('POST', '/users', { email: email.trim(), role, ...named }));
      setEmail('');
      setName('');
      reload();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Title text="People" />
      <PeopleNav current="people" />
      <Show loaded={users}>
        {(list) => (
          <ul class="items people">
            {[...list]
              .sort((a, b) => a.email.localeCompare(b.email))
              .map((u) => (
                <li key={u.id}>
                  <a href={href(personPath(u.id))}>{u.email}</a>
                  {u.name !== null && <span> · {u.name}</span>}
                  <span class="muted small"> · {roleName(u.role)}</span>
                  {!u.enabled && <span class="state-off small"> · Disabled</span>}
                </li>
              ))}
          </ul>
        )}
      </Show>
      <h2>Add a person</h2>
      {created?.password && (
        <ShownOnce
          label={`${created.email} can sign in with this password, then change it on their Account page.`}
          value={created.password}
          what="password"
        />
      )}
      <Alert message={error} />
      <form class="stack" onSubmit={add}>
        <label for="new-email">Email</label>
        <input
          id="new-email"
          type="email"
          required
          autocomplete="off"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <label for="new-name">Name (optional)</label>
        <input
          id="new-name"
          type="text"
          autocomplete="off"
          maxLength={MAX_NAME}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label for="new-role">Role</label>
        <select id="new-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          {USER_ROLES.map((r) => (
            <option key={r} value={r}>
              {roleName(r)}
            </option>
          ))}
        </select>
        <p class="muted small">Keyhold makes a password for them and shows it here once.</p>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            Add person
          </button>
        </div>
      </form>
    </>
  );
}
