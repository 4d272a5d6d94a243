import { api } from '../api.js';
import { href } from '../router.js';
import { Show, Title, useLoad } from '../ui.js';
import { type Vault, vaultPath } from './types.js';

export function VaultList() {
  const [vaults] = useLoad(() => api<Vault[]>('GET', '/vaults'), 'vaults');
  return (
    <>
      <Title text="Vaults" />
      <Show loaded={vaults}>
        {(list) =>
          list.length === 0 ? (
            <p>You have no vaults yet, or none was shared with you.</p>
          ) : (
            <ul class="cards">
              {[...list]
                .sort((a, b) => a.name.localeCompare(b.name))
                .map((v) => (
                  <li key={v.id}>
                    <a href={href(vaultPath(v.id))} class="card-link">
                      {v.name}
                    </a>
                    {v.description && <p class="muted">{v.description}</p>}
                    <p class="muted small">
                      {v.items} {v.items === 1 ? 'item' : 'items'}
                    </p>
                  </li>
                ))}
            </ul>
          )
        }
      </Show>
    </>
  );
}
