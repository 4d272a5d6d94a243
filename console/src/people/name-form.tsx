import { useEffect, useState } from 'preact/hooks';
import { MAX_NAME } from './types.js';

/**
 * A person's display name: a field and Save, and Remove while they have one. `save` gets the
 * name as typed (the API trims and checks it) or null to remove it, and reports its own errors.
 */
export function NameForm({
  id,
  current,
  busy,
  save,
}: {
  /** The input's id (one page may hold one form). */
  id: string;
  current: string | null;
  busy: boolean;
  save: (name: string | null) => Promise<unknown>;
}) {
  const [name, setName] = useState(current ?? '');
  // Drawn again with a new name (saved, or changed elsewhere and reloaded): show that one.
  useEffect(() => setName(current ?? ''), [current]);
  const submit = (event: Event) => {
    event.preventDefault();
    return save(name);
  };
  return (
    <form class="row" onSubmit={submit}>
      <label for={id}>Name</label>
      <input
        id={id}
        type="text"
        autocomplete="off"
        required
        maxLength={MAX_NAME}
        value={name}
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <button type="submit" disabled={busy || name === (current ?? '')}>
        Save name
      </button>
      {current !== null && (
        <button type="button" class="secondary" disabled={busy} onClick={() => save(null)}>
          Remove name
        </button>
      )}
    </form>
  );
}
