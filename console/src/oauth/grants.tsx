import { api, messageOf } from '../api.js';
import { useSession } from '../session.js';
import { Show, Title, useLoad } from '../ui.js';
import { OAuthNav } from './oauth-nav.js';
import { type Grant, when } from './types.js';

interface User {
  id: string;
  email: string;
}

/** Every user's grants, for an admin to review and revoke. */
export function UsersGrants() {
  const { notify } = useSession();
  const [data, reload] = useLoad(
    () => Promise.all([api<Grant[]>('GET', '/grants'), api<User[]>('GET', '/users')]),
    'users-grants',
  );
  const revoke = async (g: Grant, email: string) => {
    try {
      await api('DELETE', `/grants/${encodeURIComponent(g.id)}`);
      notify(`${email}’s grant to ${g.clientName} is revoked; its tokens no longer work.`);
      reload();
    } catch (e) {
      notify(messageOf(e));
    }
  };
  return (
    <>
      <Title text="Users’ grants" />
      <OAuthNav current="/oauth/grants" />
      <p class="muted">
        What each person allowed an application to reach. Revoking one ends its tokens at once.
      </p>
      <Show loaded={data}>
        {([grants, users]) => {
          const emails = new Map(users.map((u) => [u.id, u.email]));
          return grants.length === 0 ? (
            <p>Nobody has given an application access.</p>
          ) : (
            <ul class="cards wide">
              {grants.map((g) => {
                const email = emails.get(g.userId) ?? g.userId;
                return (
                  <li key={g.id}>
                    <span class="card-link">{g.clientName}</span>
                    <p class="small">
                      Granted by {email} on {when(g.createdAt)}
                    </p>
                    <ul class="plain small">
                      {g.scopes.map((s) => (
                        <li key={s}>
                          <code>{s}</code>
                        </li>
                      ))}
                    </ul>
                    <button type="button" class="small" onClick={() => revoke(g, email)}>
                      Revoke {email}’s grant to {g.clientName}
                    </button>
                  </li>
                );
              })}
            </ul>
          );
        }}
      </Show>
    </>
  );
}
