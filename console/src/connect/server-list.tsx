import { api } from '../api.js';
import { href } from '../router.js';
import { Show, Title, useLoad } from '../ui.js';
import type { Vault } from '../vaults/types.js';
import { CONNECT, KEYS_PATH, type Server, serverPath, type VaultNames, vaultName, when } from './types.js';

/** The vaults this person may see, by id (a server's other vaults are shown by id). */
export async function loadVaultNames(): Promise<VaultNames> {
  const vaults = await api<Vault[]>('GET', '/vaults');
  return new Map(vaults.map((v) => [v.id, v.name]));
}

/** The account's Connect servers and the vaults each reaches. */
export function ServerList() {
  const [loaded] = useLoad(
    async () => ({ servers: await api<Server[]>('GET', '/servers'), names: await loadVaultNames() }),
    'servers',
  );
  return (
    <>
      <Title text="Connect servers" />
      <p class="row">
        <a class="button primary" href={href(`${CONNECT}/new`)}>
          New server
        </a>
        <a class="button" href={href(KEYS_PATH)}>
          Signing keys
        </a>
      </p>
      <Show loaded={loaded}>
        {({ servers, names }) =>
          servers.length === 0 ? (
            <p>No Connect server yet. A server lets applications read the vaults you give it.</p>
          ) : (
            <ul class="cards">
              {[...servers]
                .sort((a, b) => a.name.localeCompare(b.name))
                .map((s) => (
                  <li key={s.id}>
                    <a href={href(serverPath(s.id))} class="card-link">
                      {s.name}
                    </a>
                    <p class="muted small">Created {when(s.createdAt)}</p>
                    {s.vaults.length === 0 ? (
                      <p class="muted">Reaches no vault</p>
                    ) : (
                      <ul class="tags" aria-label={`Vaults ${s.name} reaches`}>
                        {s.vaults.map((v) => (
                          <li key={v}>{vaultName(names, v)}</li>
                        ))}
                      </ul>
                    )}
                  </li>
                ))}
            </ul>
          )
        }
      </Show>
    </>
  );
}
