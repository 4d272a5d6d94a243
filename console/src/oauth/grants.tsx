import { api, messageOf } from '../api.js';
import { useSession } from '../session.js';
import { Show, Title, useLoad } from '../ui.js';
import { OAuthNav } from './oauth-nav.js';
import { type Grant, type VaultAuthorizationDetail, when } from './types.js';

interface User {
  id: string;
  email: string;
}

const ONE_VAULT = /^vault:([a-z0-9]{26}):(read|write)$/;
const EVERY_VAULT = /^vault:(read|write)$/;

/** A vault API scope in words, naming the vault (the same words the person sees). */
function inWords(scope: string, vaults: Map<string, string>): string {
  const one = ONE_VAULT.exec(scope);
  const every = EVERY_VAULT.exec(scope);
  const permission = one?.[2] ?? every?.[1];
  if (!permission) return scope;
  const where = one ? (vaults.get(one[1] as string) ?? 'a deleted vault') : 'every vault they can open';
  return permission === 'read'
    ? `Read the items in ${where} (read includes passwords and other secret values)`
    : `Create, change and delete items in ${where}`;
}

const listed = (ids: string[], noun: string) =>
  `${ids.length === 1 ? `the ${noun}` : `the ${noun}s`} ${ids.join(', ')}`;

/**
 * An approved authorization detail (RFC 9396) in words: the vaults by name, items and fields by
 * their ids (reading the items' titles here would be a read of each).
 */
function detailInWords(detail: VaultAuthorizationDetail, vaults: Map<string, string>): string {
  const where = `in ${detail.vaults.map((id) => vaults.get(id) ?? 'a deleted vault').join(', ')}`;
  const items = detail.items ? listed(detail.items, 'item') : 'every item';
  if (detail.fields) return `Read only ${listed(detail.fields, 'field')} of ${items} ${where}`;
  const read = detail.actions.includes('read');
  const write = detail.actions.includes('write');
  const verb = read && write ? 'Read and change' : read ? 'Read' : 'Change';
  return `${verb} ${items} ${where}`;
}

/** Every user's grants, for an admin to review and revoke. */
export function UsersGrants() {
  const { notify } = useSession();
  const [data, reload] = useLoad(
    () =>
      Promise.all([
        api<Grant[]>('GET', '/grants'),
        api<User[]>('GET', '/users'),
        api<Array<{ id: string; name: string }>>('GET', '/vaults'),
      ]),
    'users-grants',
  );
  const revoke = async (g: Grant, email: string) => {
    try {
      await api('DELETE', `/grants/${encodeURIComponent(g.id)}`);
      await reload();
      notify(`${email}’s grant to ${g.clientName} is revoked; its tokens no longer work.`);
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
        {([grants, users, vaults]) => {
          const emails = new Map(users.map((u) => [u.id, u.email]));
          const names = new Map(vaults.map((v) => [v.id, v.name]));
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
                    <ul class="access small">
                      {g.scopes.map((s) => (
                        <li key={s}>
                          {inWords(s, names)} <code class="muted">{s}</code>
                        </li>
                      ))}
                    </ul>
                    {g.authorizationDetails && (
                      <>
                        <p class="small">Narrowed to what they approved, entry by entry:</p>
                        <ul class="access small narrowed">
                          {g.authorizationDetails.map((d) => {
                            const words = detailInWords(d, names);
                            return <li key={words}>{words}</li>;
                          })}
                        </ul>
                      </>
                    )}
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
