import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import { loadVaultNames } from './server-list.js';
import { CONNECT, type ConnectToken, type Permission, type Server, serverPath, vaultName } from './types.js';

const DAY = 86_400;
const EXPIRIES: ReadonlyArray<[label: string, seconds: number | undefined]> = [
  ['Never', undefined],
  ['In 1 day', DAY],
  ['In 30 days', 30 * DAY],
  ['In 90 days', 90 * DAY],
  ['In 1 year', 365 * DAY],
];

/** A new token of one server: per vault (of those the server reaches) read and/or write, an expiry. */
export function TokenNew({ serverId }: { serverId: string }) {
  const [loaded] = useLoad(
    async () => ({
      server: await api<Server>('GET', `/servers/${encodeURIComponent(serverId)}`),
      names: await loadVaultNames(),
    }),
    `token-new-${serverId}`,
  );
  const [name, setName] = useState('');
  const [grants, setGrants] = useState(new Map<string, Set<Permission>>());
  const [expiry, setExpiry] = useState(0);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();
  const [created, setCreated] = useState<ConnectToken & { token: string }>();

  if (created) return <TokenShown created={created} />;

  const toggle = (vaultId: string, permission: Permission, on: boolean) => {
    const next = new Map(grants);
    const set = new Set(next.get(vaultId) ?? []);
    if (on) set.add(permission);
    else set.delete(permission);
    if (set.size === 0) next.delete(vaultId);
    else next.set(vaultId, set);
    setGrants(next);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    if (grants.size === 0) return setError('Give the token read or write on at least one vault.');
    const expiresIn = EXPIRIES[expiry]?.[1];
    setBusy(true);
    try {
      setCreated(
        await api('POST', `/servers/${encodeURIComponent(serverId)}/tokens`, {
          name,
          vaults: [...grants].map(([vaultId, permissions]) => ({ vaultId, permissions: [...permissions] })),
          ...(expiresIn === undefined ? {} : { expiresIn }),
        }),
      );
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Show loaded={loaded}>
      {({ server, names }) => (
        <>
          <p class="crumbs">
            <a href={href(CONNECT)}>Connect servers</a> /{' '}
            <a href={href(serverPath(server.id))}>{server.name}</a>
          </p>
          <Title text={`New token for ${server.name}`} />
          <form class="stack" onSubmit={submit}>
            <Alert message={error} />
            <label for="token-name">Name</label>
            <input
              id="token-name"
              required
              maxLength={200}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <fieldset>
              <legend>What it may do in each vault</legend>
              {server.vaults.length === 0 && (
                <p class="muted">The server reaches no vault: give it one first.</p>
              )}
              {server.vaults.map((v) => {
                const vault = vaultName(names, v);
                return (
                  <fieldset key={v} class="grant">
                    <legend>{vault}</legend>
                    {(['read', 'write'] as const).map((p) => (
                      <label class="choice" key={p}>
                        <input
                          type="checkbox"
                          aria-label={`${p === 'read' ? 'Read' : 'Write'} in ${vault}`}
                          checked={grants.get(v)?.has(p) ?? false}
                          onChange={(e) => toggle(v, p, e.currentTarget.checked)}
                        />
                        {p === 'read' ? 'Read (values included)' : 'Write'}
                      </label>
                    ))}
                  </fieldset>
                );
              })}
            </fieldset>
            <label for="token-expiry">Expires</label>
            <select
              id="token-expiry"
              value={expiry}
              onChange={(e) => setExpiry(Number(e.currentTarget.value))}
            >
              {EXPIRIES.map(([label], i) => (
                <option key={label} value={i}>
                  {label}
                </option>
              ))}
            </select>
            <p class="row">
              <button type="submit" class="primary" disabled={busy}>
                Create token
              </button>
            </p>
          </form>
        </>
      )}
    </Show>
  );
}

/** The token, once: in this page's memory only, with a copy button; leaving the page drops it. */
function TokenShown({ created }: { created: ConnectToken & { token: string } }) {
  const { notify } = useSession();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.token);
      notify(`Token ${created.name} copied to the clipboard.`);
    } catch (err) {
      notify(`The token was not copied: ${messageOf(err)}`);
    }
  };
  return (
    <>
      <Title text={`Token ${created.name} created`} />
      <section class="once" aria-labelledby="token-heading">
        <h2 id="token-heading">The token</h2>
        <p>
          It is shown only now: copy it into the application's configuration. Lost, it cannot be shown again;
          create another and revoke this one.
        </p>
        <label for="token-value">Token</label>
        <textarea id="token-value" class="value secret" readOnly rows={4} value={created.token} />
        <p class="row">
          <button type="button" class="primary" onClick={copy}>
            Copy token
          </button>
          <a class="button" href={href(serverPath(created.serverId))}>
            Done
          </a>
        </p>
      </section>
    </>
  );
}
