import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href, navigate } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import { DEFAULT_RECIPE, generate, MAX_LENGTH, MIN_LENGTH, type Recipe } from './generator.js';
import { parseTotp } from './totp.js';
import {
  CATEGORIES,
  categoryName,
  FIELD_TYPES,
  type FullItem,
  fieldTypeName,
  itemPath,
  vaultPath,
} from './types.js';

type Purpose = '' | 'USERNAME' | 'PASSWORD' | 'NOTES';

/** A field as the form edits it; `key` tells rows apart while ids are not known yet. */
interface DraftField {
  key: string;
  id?: string;
  type: string;
  purpose: Purpose;
  label: string;
  value: string;
  /** The key of its section, or '' for the item's main part. */
  section: string;
}

interface DraftSection {
  key: string;
  id: string;
  label: string;
}

interface Draft {
  title: string;
  category: string;
  favorite: boolean;
  username: string;
  password: string;
  notes: string;
  urls: string;
  tags: string;
  sections: DraftSection[];
  /** Every field but the username, password and notes, which have their own inputs. */
  fields: DraftField[];
}

/** A fresh id: section ids must be known before saving, as fields name their section by it. */
const newKey = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(13)), (b) =>
    b.toString(36).padStart(2, '0').slice(-2),
  ).join('');

const EMPTY: Draft = {
  title: '',
  category: 'LOGIN',
  favorite: false,
  username: '',
  password: '',
  notes: '',
  urls: '',
  tags: '',
  sections: [],
  fields: [],
};

function draftOf(item: FullItem): Draft {
  const purpose = (p: Purpose) => item.fields.find((f) => f.purpose === p)?.value ?? '';
  const sections = item.sections.map((s) => ({ key: s.id, id: s.id, label: s.label ?? '' }));
  return {
    title: item.title,
    category: item.category,
    favorite: item.favorite ?? false,
    username: purpose('USERNAME'),
    password: purpose('PASSWORD'),
    notes: purpose('NOTES'),
    urls: (item.urls ?? []).map((u) => u.href).join('\n'),
    tags: item.tags.join(', '),
    sections,
    fields: item.fields
      .filter((f) => !f.purpose)
      .map((f) => ({
        key: f.id,
        id: f.id,
        type: f.type,
        purpose: '',
        label: f.label,
        value: f.value,
        section: f.section?.id ?? '',
      })),
  };
}

/**
 * The item body for the admin API (the Connect item model). Everything the item has is in the
 * form, so a save sends the whole item; the stored `version` makes a concurrent edit a conflict
 * instead of an overwrite.
 */
function bodyOf(draft: Draft, base?: FullItem) {
  const fields: unknown[] = [];
  const purposeField = (purpose: Purpose, type: string, value: string) => {
    const before = base?.fields.find((f) => f.purpose === purpose);
    if (value)
      fields.push({ ...(before ? { id: before.id, label: before.label } : {}), purpose, type, value });
  };
  purposeField('USERNAME', 'STRING', draft.username);
  purposeField('PASSWORD', 'CONCEALED', draft.password);
  purposeField('NOTES', 'STRING', draft.notes);
  for (const f of draft.fields) {
    if (!f.label.trim() && !f.value) continue;
    fields.push({
      ...(f.id ? { id: f.id } : {}),
      type: f.type,
      label: f.label.trim(),
      value: f.value,
      ...(f.section ? { section: { id: f.section } } : {}),
    });
  }
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
    favorite: draft.favorite,
    urls,
    tags,
    sections: draft.sections.map((s) => ({ id: s.id, ...(s.label.trim() ? { label: s.label.trim() } : {}) })),
    fields,
    ...(base ? { version: base.version } : {}),
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
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const setField = (key: string, change: Partial<DraftField>) =>
    setDraft((d) => ({ ...d, fields: d.fields.map((f) => (f.key === key ? { ...f, ...change } : f)) }));
  const addField = (section: string) =>
    setDraft((d) => ({
      ...d,
      fields: [...d.fields, { key: newKey(), type: 'STRING', purpose: '', label: '', value: '', section }],
    }));
  const removeField = (key: string) =>
    setDraft((d) => ({ ...d, fields: d.fields.filter((f) => f.key !== key) }));
  const addSection = () =>
    setDraft((d) => {
      const key = newKey();
      return { ...d, sections: [...d.sections, { key, id: key, label: `Section ${d.sections.length + 1}` }] };
    });
  const renameSection = (key: string, label: string) =>
    setDraft((d) => ({ ...d, sections: d.sections.map((s) => (s.key === key ? { ...s, label } : s)) }));
  /** Removes the section and the fields in it (the form says so on the button). */
  const removeSection = (key: string) =>
    setDraft((d) => ({
      ...d,
      sections: d.sections.filter((s) => s.key !== key),
      fields: d.fields.filter((f) => f.section !== key),
    }));

  const submit = async (event: Event) => {
    event.preventDefault();
    const badOtp = draft.fields.find((f) => f.type === 'OTP' && f.value && !parseTotp(f.value));
    if (badOtp) {
      setError(
        `${badOtp.label || 'The one-time password field'}: enter an otpauth://totp/… URI or a base32 secret of at least 16 characters`,
      );
      return;
    }
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
  const fieldRows = (section: string) =>
    draft.fields
      .filter((f) => f.section === section)
      .map((f) => (
        <FieldEditor
          key={f.key}
          field={f}
          change={(c) => setField(f.key, c)}
          remove={() => removeField(f.key)}
        />
      ));
  return (
    <form class="stack item-form" onSubmit={submit}>
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
      <label class="choice">
        <input
          type="checkbox"
          checked={draft.favorite}
          onChange={(e) => set('favorite')(e.currentTarget.checked)}
        />
        Favourite
      </label>
      {text('username', 'Username', { autocomplete: 'off' })}
      <SecretInput
        id="item-password"
        label="Password"
        value={draft.password}
        change={(v) => set('password')(v)}
      />
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
      {fieldRows('')}
      <div class="row">
        <button type="button" class="small" onClick={() => addField('')}>
          Add a field
        </button>
        <button type="button" class="small" onClick={addSection}>
          Add a section
        </button>
      </div>
      {draft.sections.map((s, i) => (
        <fieldset key={s.key} class="section-edit">
          <legend>{s.label || `Section ${i + 1}`}</legend>
          <label for={`section-${s.key}`}>Section name</label>
          <input
            id={`section-${s.key}`}
            value={s.label}
            onInput={(e) => renameSection(s.key, e.currentTarget.value)}
          />
          {fieldRows(s.key)}
          <div class="row">
            <button type="button" class="small" onClick={() => addField(s.key)}>
              Add a field to {s.label || `section ${i + 1}`}
            </button>
            <button type="button" class="small danger" onClick={() => removeSection(s.key)}>
              Remove {s.label || `section ${i + 1}`} and its fields
            </button>
          </div>
        </fieldset>
      ))}
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

/** One custom field: its label, type and value, with the generator for concealed values. */
function FieldEditor(props: { field: DraftField; change(c: Partial<DraftField>): void; remove(): void }) {
  const { field, change, remove } = props;
  const name = field.label || 'new field';
  const id = `field-${field.key}`;
  return (
    <div class="field-edit">
      <div class="row">
        <span class="grow">
          <label for={`${id}-label`}>Field name</label>
          <input
            id={`${id}-label`}
            value={field.label}
            onInput={(e) => change({ label: e.currentTarget.value })}
          />
        </span>
        <span>
          <label for={`${id}-type`}>Type of {name}</label>
          <select
            id={`${id}-type`}
            value={field.type}
            onChange={(e) => change({ type: e.currentTarget.value })}
          >
            {FIELD_TYPES.map((t) => (
              <option key={t} value={t}>
                {fieldTypeName(t)}
              </option>
            ))}
          </select>
        </span>
      </div>
      {field.type === 'CONCEALED' ? (
        <SecretInput
          id={`${id}-value`}
          label={`Value of ${name}`}
          value={field.value}
          change={(v) => change({ value: v })}
        />
      ) : (
        <>
          <label for={`${id}-value`}>Value of {name}</label>
          <ValueInput id={`${id}-value`} field={field} change={(v) => change({ value: v })} />
        </>
      )}
      <button type="button" class="small danger" onClick={remove}>
        Remove {name}
      </button>
    </div>
  );
}

/** The input fitting a field type (the API's formats: DATE `YYYY-MM-DD`, MONTH_YEAR `YYYYMM`). */
function ValueInput(props: { id: string; field: DraftField; change(v: string): void }) {
  const { id, field, change } = props;
  const common = {
    id,
    value: field.value,
    onInput: (e: Event) => change((e.currentTarget as HTMLInputElement).value),
  };
  switch (field.type) {
    case 'EMAIL':
      return <input type="email" autocomplete="off" {...common} />;
    case 'URL':
      return <input type="url" autocomplete="off" {...common} />;
    case 'DATE':
      return <input type="date" {...common} />;
    case 'MONTH_YEAR':
      return <input inputMode="numeric" placeholder="YYYYMM" pattern="[0-9]{4}/?[0-9]{2}" {...common} />;
    case 'OTP':
      return (
        <input
          autocomplete="off"
          spellcheck={false}
          placeholder="otpauth://totp/… or a base32 secret"
          {...common}
        />
      );
    default:
      return <input autocomplete="off" {...common} />;
  }
}

/** A concealed value: hidden while typed, shown on demand, and the password generator. */
function SecretInput(props: { id: string; label: string; value: string; change(v: string): void }) {
  const { id, label, value, change } = props;
  const [shown, setShown] = useState(false);
  const [open, setOpen] = useState(false);
  const [recipe, setRecipe] = useState<Recipe>(DEFAULT_RECIPE);
  const [problem, setProblem] = useState<string>();
  const run = () => {
    const made = generate(recipe);
    if (made === undefined) {
      setProblem(`Choose at least one kind of character and a length from ${MIN_LENGTH} to ${MAX_LENGTH}.`);
      return;
    }
    setProblem(undefined);
    change(made);
    setShown(true);
  };
  const check = (key: 'letters' | 'digits' | 'symbols', text: string) => (
    <label class="choice">
      <input
        type="checkbox"
        checked={recipe[key]}
        onChange={(e) => setRecipe((r) => ({ ...r, [key]: e.currentTarget.checked }))}
      />
      {text}
    </label>
  );
  return (
    <>
      <label for={id}>{label}</label>
      <div class="row">
        <input
          id={id}
          class="grow"
          type={(shown ? 'text' : 'password') as 'text'}
          autocomplete="new-password"
          spellcheck={false}
          value={value}
          onInput={(e) => change(e.currentTarget.value)}
        />
        <button type="button" class="small" onClick={() => setShown((s) => !s)} aria-pressed={shown}>
          {shown ? `Hide ${label}` : `Show ${label}`}
        </button>
        <button type="button" class="small" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
          Generator for {label}
        </button>
      </div>
      {open && (
        <fieldset class="generator">
          <legend>Generate {label}</legend>
          <label for={`${id}-length`}>Length</label>
          <input
            id={`${id}-length`}
            type="number"
            min={MIN_LENGTH}
            max={MAX_LENGTH}
            value={recipe.length}
            onInput={(e) => setRecipe((r) => ({ ...r, length: Number(e.currentTarget.value) }))}
          />
          {check('letters', 'Letters')}
          {check('digits', 'Digits')}
          {check('symbols', 'Symbols')}
          <Alert message={problem} />
          <button type="button" onClick={run}>
            Generate {label}
          </button>
        </fieldset>
      )}
    </>
  );
}
