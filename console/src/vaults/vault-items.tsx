import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { href } from '../router.js';
import { Show, Title, useLoad } from '../ui.js';
import { categoryName, type ItemSummary, itemPath, type Vault, vaultPath } from './types.js';

/** Items per page. */
const PAGE = 50;
/** How long typing pauses before the search is sent. */
const DEBOUNCE_MS = 250;

interface ItemPage {
  items: ItemSummary[];
  total: number;
  matched: number;
  nextCursor?: string;
}

/**
 * A vault's items, a page at a time, with a search over titles, tags and URLs. Both run on the
 * server (`GET …/items/search`, an index of the vault's decrypted overviews), so a vault of
 * 100,000 items costs the browser one page of 50 rows; the search never looks at secret fields.
 * The search words go in the request's query (they are what the person typed, not a secret),
 * never in the console's own address.
 */
export function VaultItems({ vaultId }: { vaultId: string }) {
  const [vault] = useLoad(() => api<Vault>('GET', vaultPath(vaultId)), vaultId);
  const [typed, setTyped] = useState('');
  const [query, setQuery] = useState('');
  /** The cursors of the pages before this one (empty on the first page), and this page's. */
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    const timer = setTimeout(() => {
      setQuery(typed.trim());
      setCursors([]);
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [typed]);
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (query) params.set('q', query);
  if (cursor) params.set('cursor', cursor);
  const path = `${vaultPath(vaultId)}/items/search?${params}`;
  const [page] = useLoad(() => api<ItemPage>('GET', path), path);
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
      <div class="search">
        <label for="search">Search titles, tags and URLs</label>
        <input id="search" type="search" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
      </div>
      <Show loaded={page}>
        {(p) => (
          <ItemList
            page={p}
            query={query}
            first={cursors.length * PAGE + 1}
            vaultId={vaultId}
            previous={cursors.length > 0 ? () => setCursors((c) => c.slice(0, -1)) : undefined}
            next={p.nextCursor ? () => setCursors((c) => [...c, p.nextCursor as string]) : undefined}
          />
        )}
      </Show>
    </>
  );
}

function ItemList(props: {
  page: ItemPage;
  query: string;
  first: number;
  vaultId: string;
  previous: (() => void) | undefined;
  next: (() => void) | undefined;
}) {
  const { page, query, first, vaultId, previous, next } = props;
  const count = (n: number) => `${n} ${n === 1 ? 'item' : 'items'}`;
  const last = first + page.items.length - 1;
  const range = page.items.length > 0 && page.matched > page.items.length ? `; ${first}–${last} shown` : '';
  return (
    <>
      <p class="muted" role="status" aria-live="polite">
        {query ? `${page.matched} of ${count(page.total)} match` : count(page.total)}
        {range}
      </p>
      {page.items.length > 0 && (
        <ul class="items">
          {page.items.map((item) => (
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
      {(previous || next) && (
        <nav class="row pager" aria-label="Pages">
          <button type="button" onClick={previous} disabled={!previous}>
            Previous page
          </button>
          <button type="button" onClick={next} disabled={!next}>
            Next page
          </button>
        </nav>
      )}
    </>
  );
}
