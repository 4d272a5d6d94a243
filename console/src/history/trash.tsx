import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import { categoryName, type ItemSummary, itemPath, type Vault, vaultPath } from '../vaults/types.js';
import { useActorName } from './item-history.js';

/** `TrashedItem` of the admin API. */
interface TrashedItem extends ItemSummary {
  deletedAt: string;
  deletedBy: string;
}

/**
 * A vault's trash: the items deleted from it, most recently deleted first, each with "Undelete"
 * and "Delete permanently" (after a confirmation). Buttons name their item.
 */
export function VaultTrash({ vaultId }: { vaultId: string }) {
  const [vault] = useLoad(() => api<Vault>('GET', vaultPath(vaultId)), vaultId);
  const [trash, reload] = useLoad(() => api<TrashedItem[]>('GET', `${vaultPath(vaultId)}/trash`), vaultId);
  const name = vault.state === 'ok' ? vault.value.name : 'the vault';
  return (
    <>
      <p class="crumbs">
        <a href={href('/vaults')}>Vaults</a> / <a href={href(vaultPath(vaultId))}>Items</a>
      </p>
      <Title text={`Trash of ${name}`} />
      <p class="muted">
        Deleted items are kept here, with their history and files, until deleted permanently. Connect and the
        item lists do not show them.
      </p>
      <Show loaded={trash}>
        {(list) =>
          list.length === 0 ? (
            <p>The trash is empty.</p>
          ) : (
            <ul class="items trash">
              {list.map((item) => (
                <TrashRow key={item.id} item={item} vaultId={vaultId} reload={reload} />
              ))}
            </ul>
          )
        }
      </Show>
    </>
  );
}

function TrashRow({
  item,
  vaultId,
  reload,
}: {
  item: TrashedItem;
  vaultId: string;
  reload(): Promise<void>;
}) {
  const { notify } = useSession();
  const actor = useActorName();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();
  const title = item.title || '(untitled)';
  const act = async (call: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await call();
      await reload();
      notify(done);
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };
  const undelete = () =>
    act(
      () => api('POST', `${vaultPath(vaultId)}/trash/${encodeURIComponent(item.id)}/undelete`),
      `${title} is back in the vault.`,
    );
  const purge = () =>
    act(
      () => api('DELETE', `${vaultPath(vaultId)}/trash/${encodeURIComponent(item.id)}`),
      `${title} was deleted permanently.`,
    );
  return (
    <li>
      <strong>{title}</strong>{' '}
      <span class="muted">
        {categoryName(item.category)} · version {item.version} · deleted{' '}
        <time dateTime={item.deletedAt}>{new Date(item.deletedAt).toLocaleString()}</time> by{' '}
        {actor(item.deletedBy)}
      </span>
      <Alert message={error} />
      {confirming ? (
        <p class="row confirm">
          <span>Delete {title} permanently, with its history and files? This cannot be undone.</span>
          <button type="button" class="button danger" onClick={purge} disabled={busy}>
            Delete {title} permanently
          </button>
          <button type="button" class="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </p>
      ) : (
        <p class="row">
          <button type="button" class="small" onClick={undelete} disabled={busy}>
            Undelete {title}
          </button>
          <button type="button" class="small" onClick={() => setConfirming(true)} disabled={busy}>
            Delete {title} permanently…
          </button>
        </p>
      )}
    </li>
  );
}

/** Links from an item's page: its history, and "Delete" (to the vault's trash, confirmed first). */
export function ItemHistoryLinks({
  vaultId,
  itemId,
  title,
}: {
  vaultId: string;
  itemId: string;
  title: string;
}) {
  const { notify } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const path = itemPath(vaultId, itemId);
  const remove = async () => {
    try {
      await api('DELETE', path);
      notify(`${title} moved to the trash.`);
      window.location.hash = vaultPath(vaultId);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <>
      <a class="button" href={href(`${path}/history`)}>
        History
      </a>{' '}
      <button type="button" class="button" onClick={() => setConfirming(true)}>
        Delete
      </button>
      {confirming && (
        <span class="confirm">
          {' '}
          Move {title} to the trash? It can be undeleted from there.{' '}
          <button type="button" class="button danger" onClick={remove}>
            Move to trash
          </button>{' '}
          <button type="button" class="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </span>
      )}
      {error && (
        <span class="alert" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
