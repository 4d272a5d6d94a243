import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { href } from '../router.js';
import { Show, Title, useLoad } from '../ui.js';
import { categoryName, type ItemSummary, itemPath, type Vault, vaultPath } from './types.js';

/** How many matching items are drawn at once; the search narrows the rest. */
const SHOWN = 200;

/**
 * A vault's items with a search over titles, tags and URLs. The admin API lists a vault's item
 * summaries in one answer and has no search of its own yet, so the search runs here, on the
 * summaries (never on secret fields), and at most SHOWN rows are drawn.
 */
export function VaultItems({ vaultId }: { vaultId: string }) {
  const [vault] = useLoad(() => api<Vault>('GET', vaultPath(vaultId)), vaultId);
  const [items] = useLoad(() => api<ItemSummary[]>('GET', `${vaultPath(vaultId)}/items`), vaultId);
  const [query, setQuery] = useState('');
  const name = vault.state === 'ok' ? vault.value.name : 'Vault';
  return (
    <>
      <p class="crumbs">
        <a href={href('/vaults')}>Vaults</a>
      </p>
      <Title text={name} />
      <p>
        <a class="button primary" href={href(`${vaultPath(vaultId)}/new`)}>
          New item
        </a>{' '}
        <a class="button" href={href(`${vaultPath(vaultId)}/trash`)}>
          Trash
        </a>
      </p>
      <Show loaded={items}>
        {(list) => <ItemTable list={list} query={query} setQuery={setQuery} vaultId={vaultId} />}
      </Show>
    </>
  );
}

function ItemTable(props: {
  list: ItemSummary[];
  query: string;
  setQuery(q: string): void;
  vaultId: string;
}) {
  const { list, query, setQuery, vaultId } = props;
  const indexed = useMemo(
    () =>
      [...list]
        .sort((a, b) => a.title.localeCompare(b.title))
        .map((item) => ({
          item,
          text: [item.title, ...item.tags, ...(item.urls ?? []).map((u) => u.href)].join('\n').toLowerCase(),
        })),
    [list],
  );
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const found = words.length === 0 ? indexed : indexed.filter((e) => words.every((w) => e.text.includes(w)));
  const shown = found.slice(0, SHOWN);
  return (
    <>
      <div class="search">
        <label for="search">Search titles, tags and URLs</label>
        <input id="search" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
      </div>
      <p class="muted" role="status" aria-live="polite">
        {found.length === list.length
          ? `${list.length} ${list.length === 1 ? 'item' : 'items'}`
          : `${found.length} of ${list.length} items match`}
        {found.length > SHOWN ? `; the first ${SHOWN} are shown, search to narrow them` : ''}
      </p>
      {shown.length > 0 && (
        <ul class="items">
          {shown.map(({ item }) => (
            <li key={item.id}>
              <a href={href(itemPath(vaultId, item.id))}>{item.title || '(untitled)'}</a>
              <span class="muted small"> {categoryName(item.category)}</span>
              {item.urls?.[0] && <span class="muted small url"> {item.urls[0].href}</span>}
              {item.tags.length > 0 && (
                <ul class="tags" aria-label="Tags">
                  {item.tags.map((t) => (
                    <li key={t}>{t}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
