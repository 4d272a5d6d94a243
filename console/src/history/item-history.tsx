import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href, navigate } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import { type FullItem, itemPath, vaultPath } from '../vaults/types.js';
import { type DiffRow, diffItems } from './diff.js';

/** `ItemVersion` of the admin API: one stored version of an item. */
export interface ItemVersion {
  version: number;
  title: string;
  createdAt: string;
  editedBy: string;
}

/** Who an actor id is, as far as the console knows: "you", or the id itself. */
export function useActorName(): (id: string) => string {
  const { session } = useSession();
  return (id) => (id === session.user.id ? `you (${session.user.email})` : id);
}

/**
 * An item's history: every version with who made it and when, a diff between any two (field by
 * field; concealed values named changed or unchanged, drawn only once revealed, and each reveal
 * reads both versions again, so it is an audited read), and "Restore this version", which stores
 * that version's content as the next version after a confirmation.
 */
export function ItemHistory({ vaultId, itemId }: { vaultId: string; itemId: string }) {
  const path = itemPath(vaultId, itemId);
  const [versions] = useLoad(() => api<ItemVersion[]>('GET', `${path}/versions`), path);
  return (
    <>
      <p class="crumbs">
        <a href={href('/vaults')}>Vaults</a> / <a href={href(vaultPath(vaultId))}>Items</a> /{' '}
        <a href={href(path)}>Item</a>
      </p>
      <Show loaded={versions}>{(list) => <HistoryOf list={list} path={path} />}</Show>
    </>
  );
}

function HistoryOf({ list, path }: { list: ItemVersion[]; path: string }) {
  const name = useActorName();
  const current = list[0];
  const [from, setFrom] = useState(list[1]?.version ?? current?.version ?? 1);
  const [to, setTo] = useState(current?.version ?? 1);
  const [restoring, setRestoring] = useState<number>();
  return (
    <>
      <Title text={`History of ${current?.title || '(untitled)'}`} />
      <table class="history">
        <caption class="sr-only">Versions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Title</th>
            <th scope="col">Edited by</th>
            <th scope="col">When</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((v) => (
            <tr key={v.version}>
              <td>
                {v.version}
                {v === current ? ' (current)' : ''}
              </td>
              <td>{v.title || '(untitled)'}</td>
              <td>{name(v.editedBy)}</td>
              <td>
                <time dateTime={v.createdAt}>{new Date(v.createdAt).toLocaleString()}</time>
              </td>
              <td>
                {v !== current && (
                  <button type="button" class="small" onClick={() => setRestoring(v.version)}>
                    Restore version {v.version}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {restoring !== undefined && current && (
        <RestoreConfirm
          path={path}
          version={restoring}
          current={current.version}
          cancel={() => setRestoring(undefined)}
        />
      )}
      <h2>Compare versions</h2>
      <div class="row compare">
        <label>
          From version{' '}
          <select value={from} onChange={(e) => setFrom(Number((e.target as HTMLSelectElement).value))}>
            {list.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
              </option>
            ))}
          </select>
        </label>
        <label>
          to version{' '}
          <select value={to} onChange={(e) => setTo(Number((e.target as HTMLSelectElement).value))}>
            {list.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Diff path={path} from={from} to={to} />
    </>
  );
}

function RestoreConfirm(props: { path: string; version: number; current: number; cancel(): void }) {
  const { path, version, current, cancel } = props;
  const { notify } = useSession();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();
  const restore = async () => {
    setBusy(true);
    try {
      const item = await api<{ version: number }>('POST', `${path}/versions/${version}/restore`, {
        currentVersion: current,
      });
      notify(`Version ${version} restored as version ${item.version}.`);
      navigate(path);
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };
  return (
    <section class="confirm" aria-labelledby="restore-confirm">
      <h2 id="restore-confirm">Restore version {version}?</h2>
      <p>
        Its content becomes version {current + 1}. Nothing is lost: version {current} and every other version
        stay in the history. Files are not versioned and stay as they are.
      </p>
      <Alert message={error} />
      <p class="row">
        <button type="button" class="button primary" onClick={restore} disabled={busy}>
          Restore this version
        </button>
        <button type="button" class="button" onClick={cancel}>
          Cancel
        </button>
      </p>
    </section>
  );
}

const CHANGE_TEXT: Record<DiffRow['change'], string> = {
  added: 'added',
  removed: 'removed',
  changed: 'changed',
  unchanged: 'unchanged',
};

function Diff({ path, from, to }: { path: string; from: number; to: number }) {
  const key = `${path}@${from}..${to}`;
  const read = (n: number) => api<FullItem>('GET', `${path}/versions/${n}`);
  const [rows] = useLoad(async () => diffItems(await read(from), await read(to)), key);
  const [onlyChanges, setOnlyChanges] = useState(true);
  return (
    <Show loaded={rows}>
      {(all) => {
        const shown = onlyChanges ? all.filter((r) => r.change !== 'unchanged') : all;
        return (
          <>
            <label class="choice">
              <input
                type="checkbox"
                checked={onlyChanges}
                onChange={(e) => setOnlyChanges((e.target as HTMLInputElement).checked)}
              />{' '}
              Only what changed
            </label>
            {shown.length === 0 ? (
              <p class="muted">
                No difference between version {from} and version {to}.
              </p>
            ) : (
              <table class="diff">
                <caption class="sr-only">
                  Differences from version {from} to version {to}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Version {from}</th>
                    <th scope="col">Version {to}</th>
                    <th scope="col">Change</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((r) => (
                    <DiffLine
                      key={`${key}/${r.name}/${r.fieldId ?? ''}`}
                      row={r}
                      path={path}
                      from={from}
                      to={to}
                    />
                  ))}
                </tbody>
              </table>
            )}
          </>
        );
      }}
    </Show>
  );
}

function DiffLine({ row, path, from, to }: { row: DiffRow; path: string; from: number; to: number }) {
  const { notify } = useSession();
  const [revealed, setRevealed] = useState<{ before?: string; after?: string }>();
  /** Both versions read again (two audited reads), for this field's values only. */
  const reveal = async () => {
    if (revealed) return setRevealed(undefined);
    try {
      const [a, b] = await Promise.all([
        api<FullItem>('GET', `${path}/versions/${from}`),
        api<FullItem>('GET', `${path}/versions/${to}`),
      ]);
      const value = (item: FullItem) => item.fields.find((f) => f.id === row.fieldId)?.value;
      setRevealed({ before: value(a), after: value(b) });
    } catch (error) {
      notify(messageOf(error));
    }
  };
  const cell = (value: string | undefined, which: 'before' | 'after') => {
    if (value === undefined) return <span class="muted">—</span>;
    if (!row.concealed) return <span class="value">{value}</span>;
    const shown = revealed?.[which];
    if (shown === undefined)
      return (
        <span class="value concealed">
          <span aria-hidden="true">••••••••</span>
          <span class="sr-only">hidden</span>
        </span>
      );
    return <span class="value">{shown}</span>;
  };
  return (
    <tr class={`change-${row.change}`}>
      <th scope="row">{row.name}</th>
      <td>{cell(row.before, 'before')}</td>
      <td>{cell(row.after, 'after')}</td>
      <td>
        {CHANGE_TEXT[row.change]}
        {row.concealed && (row.before !== undefined || row.after !== undefined) && (
          <>
            {' '}
            <button
              type="button"
              class="small"
              onClick={reveal}
              aria-label={`${revealed ? 'Hide' : 'Reveal'} ${row.name} in versions ${from} and ${to}`}
            >
              {revealed ? 'Hide' : 'Reveal'}
            </button>
          </>
        )}
      </td>
    </tr>
  );
}
