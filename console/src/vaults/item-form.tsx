import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href, navigate } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useLoad } from '../ui.js';
import { CATEGORIES, categoryName, type Field, type FullItem, itemPath, vaultPath } from './types.js';

interface Draft {
  title: string;
  category: string;
  username: string;
  password: string;
  generate: boolean;
  notes: string;
  urls: string;
  tags: string;
}

const EMPTY: Draft = {
  title: '',
  category: 'LOGIN',
  username: '',
  password: '',
  generate: false,
  notes: '',
  urls: '',
  tags: '',
};

const purposeValue = (item: FullItem, purpose: Field['purpose']) =>
  item.fields.find((f) => f.purpose === purpose)?.value ?? '';

const draftOf = (item: FullItem): Draft => ({
  title: item.title,
  category: item.category,
  username: purposeValue(item, 'USERNAME'),
  password: purposeValue(item, 'PASSWORD'),
  generate: false,
  notes: purposeValue(item, 'NOTES'),
  urls: (item.urls ?? []).map((u) => u.href).join('\n'),
  tags: item.tags.join(', '),
});

/**
 * The item body for the admin API: the form's parts, and everything else the item had (other
 * fields, sections, favourite) as it was, so an edit here never drops what the form does not show.
 */
function bodyOf(draft: Draft, base?: FullItem) {
  const kept = (base?.fields ?? []).filter((f) => !f.purpose);
  const fields: unknown[] = [];
  if (draft.username) fields.push({ purpose: 'USERNAME', type: 'STRING', value: draft.username });
  if (draft.generate) fields.push({ purpose: 'PASSWORD', type: 'CONCEALED', generate: true });
  else if (draft.password) fields.push({ purpose: 'PASSWORD', type: 'CONCEALED', value: draft.password });
  if (draft.notes) fields.push({ purpose: 'NOTES', type: 'STRING', value: draft.notes });
  const urls = draft.urls
    .split('\n')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u, i) => ({ href: u, ...(i === 0 ? { primary: true } : {}) }));
  const tags = [
    ...new Set(
      draft.tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
  return {
    title: draft.title,
    category: draft.category,
    urls,
    tags,
    ...(base
      ? {
          favorite: (base as { favorite?: boolean }).favorite ?? false,
          sections: base.sections,
          version: base.version,
        }
      : {}),
    fields: [...fields, ...kept],
  };
}

export function ItemNew({ vaultId }: { vaultId: string }) {
  return (
    <>
      <p class="crumbs">
        <a href={href('/vaults')}>Vaults</a> / <a href={href(vaultPath(vaultId))}>Items</a>
      </p>
      <Title text="New item" />
      <ItemForm
        initial={EMPTY}
        cancel={vaultPath(vaultId)}
        save={(draft) => api<FullItem>('POST', `${vaultPath(vaultId)}/items`, bodyOf(draft))}
        vaultId={vaultId}
      />
    </>
  );
}

export function ItemEdit({ vaultId, itemId }: { vaultId: string; itemId: string }) {
  const path = itemPath(vaultId, itemId);
  const [item] = useLoad(() => api<FullItem>('GET', path), `${path}/edit`);
  return (
    <>
      <p class="crumbs">
        <a href={href('/vaults')}>Vaults</a> / <a href={href(vaultPath(vaultId))}>Items</a>
      </p>
      <Title text={item.state === 'ok' ? `Edit ${item.value.title}` : 'Edit item'} />
      <Show loaded={item}>
        {(it) => (
          <ItemForm
            initial={draftOf(it)}
            cancel={path}
            save={(draft) => api<FullItem>('PUT', path, bodyOf(draft, it))}
            vaultId={vaultId}
          />
        )}
      </Show>
    </>
  );
}

function ItemForm(props: {
  initial: Draft;
  cancel: string;
  vaultId: string;
  save(d: Draft): Promise<FullItem>;
}) {
  const { notify } = useSession();
  const [draft, setDraft] = useState(props.initial);
  const [showPassword, setShowPassword] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const saved = await props.save(draft);
      notify('Item saved.');
      navigate(itemPath(props.vaultId, saved.id));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const text = (key: 'title' | 'username' | 'tags', label: string, extra: Record<string, unknown> = {}) => (
    <>
      <label for={`item-${key}`}>{label}</label>
      <input
        id={`item-${key}`}
        value={draft[key]}
        onInput={(e) => set(key)(e.currentTarget.value)}
        {...extra}
      />
    </>
  );
  return (
    <form class="stack" onSubmit={submit}>
      <Alert message={error} />
      {text('title', 'Title', { required: true, maxLength: 255 })}
      <label for="item-category">Category</label>
      <select
        id="item-category"
        value={draft.category}
        onChange={(e) => set('category')(e.currentTarget.value)}
      >
        {(CATEGORIES as readonly string[]).includes(draft.category) ? null : (
          <option value={draft.category}>{categoryName(draft.category)}</option>
        )}
        {CATEGORIES.map((c) => (
          <option key={c} value={c}>
            {categoryName(c)}
          </option>
        ))}
      </select>
      {text('username', 'Username', { autocomplete: 'off' })}
      <label for="item-password">Password</label>
      <div class="row">
        <input
          id="item-password"
          type={(showPassword ? 'text' : 'password') as 'text'}
          autocomplete="new-password"
          value={draft.password}
          disabled={draft.generate}
          onInput={(e) => set('password')(e.currentTarget.value)}
        />
        <button
          type="button"
          class="small"
          onClick={() => setShowPassword((s) => !s)}
          aria-pressed={showPassword}
        >
          {showPassword ? 'Hide password' : 'Show password'}
        </button>
      </div>
      <label class="choice">
        <input
          type="checkbox"
          checked={draft.generate}
          onChange={(e) => set('generate')(e.currentTarget.checked)}
        />
        Generate a new password (32 characters: letters, digits and symbols)
      </label>
      <label for="item-notes">Notes</label>
      <textarea
        id="item-notes"
        rows={4}
        value={draft.notes}
        onInput={(e) => set('notes')(e.currentTarget.value)}
      />
      <label for="item-urls">Websites (one per line)</label>
      <textarea
        id="item-urls"
        rows={2}
        value={draft.urls}
        onInput={(e) => set('urls')(e.currentTarget.value)}
      />
      {text('tags', 'Tags (separated by commas)')}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          Save item
        </button>
        <a class="button" href={href(props.cancel)}>
          Cancel
        </a>
      </div>
    </form>
  );
}
