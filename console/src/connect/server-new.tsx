import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href } from '../router.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import { CredentialsDownload } from './credentials.js';
import { loadVaultNames } from './server-list.js';
import { CONNECT, type ServerWithCredentials, serverPath, type VaultNames } from './types.js';

/** Vault checkboxes, sorted by name. */
export function VaultChoice({
  names,
  chosen,
  onChange,
  legend,
}: {
  names: VaultNames;
  chosen: Set<string>;
  onChange: (next: Set<string>) => void;
  legend: string;
}) {
  const sorted = [...names].sort((a, b) => a[1].localeCompare(b[1]));
  return (
    <fieldset>
      <legend>{legend}</legend>
      {sorted.length === 0 && <p class="muted">There is no vault to give.</p>}
      {sorted.map(([id, name]) => (
        <label class="choice" key={id}>
          <input
            type="checkbox"
            checked={chosen.has(id)}
            onChange={(e) => {
              const next = new Set(chosen);
              if (e.currentTarget.checked) next.add(id);
              else next.delete(id);
              onChange(next);
            }}
          />
          {name}
        </label>
      ))}
    </fieldset>
  );
}

/** A new Connect server: its name and vaults; then its credentials file, offered once. */
export function ServerNew() {
  const [names] = useLoad(loadVaultNames, 'vault-names');
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState(new Set<string>());
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();
  const [created, setCreated] = useState<ServerWithCredentials>();

  if (created)
    return (
      <>
        <Title text={`Server ${created.name} created`} />
        <CredentialsDownload name={created.name} credentials={created.credentials} />
        <p>
          <a class="button" href={href(serverPath(created.id))}>
            Done: go to {created.name}
          </a>
        </p>
      </>
    );

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setCreated(await api<ServerWithCredentials>('POST', '/servers', { name, vaults: [...chosen] }));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <p class="crumbs">
        <a href={href(CONNECT)}>Connect servers</a>
      </p>
      <Title text="New Connect server" />
      <Show loaded={names}>
        {(n) => (
          <form class="stack" onSubmit={submit}>
            <Alert message={error} />
            <label for="server-name">Name</label>
            <input
              id="server-name"
              required
              maxLength={200}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <VaultChoice names={n} chosen={chosen} onChange={setChosen} legend="Vaults it reaches" />
            <p class="row">
              <button type="submit" class="primary" disabled={busy}>
                Create server
              </button>
            </p>
          </form>
        )}
      </Show>
    </>
  );
}
