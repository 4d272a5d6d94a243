import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href, navigate } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useLoad } from '../ui.js';
import { Confirm } from './confirm.js';
import { CredentialsDownload } from './credentials.js';
import { loadVaultNames } from './server-list.js';
import { VaultChoice } from './server-new.js';
import {
  CONNECT,
  type ConnectToken,
  type Server,
  type ServerWithCredentials,
  serverPath,
  type VaultNames,
  vaultName,
  when,
} from './types.js';

/** One Connect server: its vaults (to change), its tokens (to revoke), new credentials, deletion. */
export function ServerView({ serverId }: { serverId: string }) {
  const path = serverPath(serverId);
  const [loaded, reload] = useLoad(async () => {
    const [server, tokens, names] = await Promise.all([
      api<Server>('GET', `/servers/${encodeURIComponent(serverId)}`),
      api<ConnectToken[]>('GET', `/servers/${encodeURIComponent(serverId)}/tokens`),
      loadVaultNames(),
    ]);
    return { server, tokens, names };
  }, path);
  return (
    <>
      <p class="crumbs">
        <a href={href(CONNECT)}>Connect servers</a>
      </p>
      <Show loaded={loaded}>
        {({ server, tokens, names }) => (
          <>
            <Title text={server.name} />
            <p class="muted">Created {when(server.createdAt)}</p>
            <ServerVaults server={server} names={names} onSaved={reload} />
            <Tokens server={server} tokens={tokens} names={names} onChanged={reload} />
            <ServerCredentials server={server} />
            <DeleteServer server={server} />
          </>
        )}
      </Show>
    </>
  );
}

function ServerVaults({
  server,
  names,
  onSaved,
}: {
  server: Server;
  names: VaultNames;
  onSaved: () => Promise<void>;
}) {
  const { notify } = useSession();
  const [chosen, setChosen] = useState(new Set(server.vaults));
  const [error, setError] = useState<string>();
  // Vaults the server reaches that this person cannot see are listed too, by id.
  const all = new Map(names);
  for (const v of server.vaults) if (!all.has(v)) all.set(v, vaultName(names, v));
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const addVaults = [...chosen].filter((v) => !server.vaults.includes(v));
    const removeVaults = server.vaults.filter((v) => !chosen.has(v));
    try {
      await api('PATCH', `/servers/${encodeURIComponent(server.id)}`, { addVaults, removeVaults });
      await onSaved();
      notify(`The vaults of ${server.name} are saved.`);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <section aria-labelledby="vaults-heading">
      <h2 id="vaults-heading">Vaults</h2>
      <form class="stack" onSubmit={save}>
        <Alert message={error} />
        <p class="muted small">Removing a vault ends its access at once, for every token of the server.</p>
        <VaultChoice
          names={all}
          chosen={chosen}
          onChange={setChosen}
          legend={`Vaults ${server.name} reaches`}
        />
        <p class="row">
          <button type="submit">Save vaults</button>
        </p>
      </form>
    </section>
  );
}

const status = (t: ConnectToken) =>
  t.revokedAt !== null
    ? `Revoked ${when(t.revokedAt)}`
    : t.expiresAt !== null && Date.parse(t.expiresAt) <= Date.now()
      ? `Expired ${when(t.expiresAt)}`
      : 'Active';

function Tokens({
  server,
  tokens,
  names,
  onChanged,
}: {
  server: Server;
  tokens: ConnectToken[];
  names: VaultNames;
  onChanged: () => Promise<void>;
}) {
  const { notify } = useSession();
  const [error, setError] = useState<string>();
  const revoke = async (t: ConnectToken) => {
    setError(undefined);
    try {
      await api('DELETE', `/tokens/${encodeURIComponent(t.id)}`);
      await onChanged();
      notify(`Token ${t.name} is revoked.`);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <section aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Tokens</h2>
      <p>
        <a class="button primary" href={href(`${serverPath(server.id)}/tokens/new`)}>
          New token
        </a>
      </p>
      <Alert message={error} />
      {tokens.length === 0 ? (
        <p>No token yet: applications need one to use this server.</p>
      ) : (
        <ul class="items tokens">
          {tokens.map((t) => (
            <li key={t.id}>
              <strong>{t.name}</strong> <span class="muted">· {status(t)}</span>
              <dl class="facts">
                <dt>Vaults</dt>
                <dd>
                  {t.vaults
                    .map((g) => `${vaultName(names, g.vaultId)} (${g.permissions.join(', ')})`)
                    .join('; ')}
                </dd>
                <dt>Created</dt>
                <dd>{when(t.createdAt)}</dd>
                <dt>Expires</dt>
                <dd>{t.expiresAt === null ? 'Never' : when(t.expiresAt)}</dd>
                <dt>Last used</dt>
                <dd class="last-used">{t.lastUsedAt === null ? 'Never' : when(t.lastUsedAt)}</dd>
              </dl>
              {t.revokedAt === null && (
                <Confirm
                  label={`Revoke token ${t.name}`}
                  confirmLabel={`Yes, revoke token ${t.name}`}
                  onConfirm={() => revoke(t)}
                >
                  Applications using {t.name} are refused from their next request. This cannot be undone.
                </Confirm>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ServerCredentials({ server }: { server: Server }) {
  const [made, setMade] = useState<ServerWithCredentials>();
  const [error, setError] = useState<string>();
  return (
    <section aria-labelledby="new-credentials-heading">
      <h2 id="new-credentials-heading">New credentials</h2>
      <Alert message={error} />
      {made ? (
        <CredentialsDownload name={made.name} credentials={made.credentials} />
      ) : (
        <Confirm
          label={`New credentials for ${server.name}`}
          confirmLabel={`Yes, make new credentials for ${server.name}`}
          onConfirm={async () => {
            try {
              setMade(
                await api<ServerWithCredentials>(
                  'POST',
                  `/servers/${encodeURIComponent(server.id)}/credentials`,
                ),
              );
            } catch (err) {
              setError(messageOf(err));
            }
          }}
        >
          A new credentials file is made, shown once. The current file stops working at once: the server must
          be given the new one.
        </Confirm>
      )}
    </section>
  );
}

function DeleteServer({ server }: { server: Server }) {
  const { notify } = useSession();
  const [error, setError] = useState<string>();
  return (
    <section aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete</h2>
      <Alert message={error} />
      <Confirm
        label={`Delete server ${server.name}`}
        confirmLabel={`Delete server ${server.name} for good`}
        typed={server.name}
        onConfirm={async () => {
          try {
            await api('DELETE', `/servers/${encodeURIComponent(server.id)}`);
            notify(`Server ${server.name} is deleted.`);
            navigate(CONNECT);
          } catch (err) {
            setError(messageOf(err));
          }
        }}
      >
        Every token of {server.name} stops working, and its standalone nodes wipe their copies and stop.
      </Confirm>
    </section>
  );
}
