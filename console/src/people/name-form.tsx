import { useEffect, useState } from 'preact/hooks';
import { ApiError, messageOf } from '../api.js';
import { Alert, useBusy } from '../ui.js';
import { MAX_NAME } from './types.js';

/** The API's refusal of a name (`body: name: must …`), as a sentence about the name. */
export function nameError(error: unknown): string {
  const prefix = 'body: name: ';
  if (error instanceof ApiError && error.code === 'invalid_input' && error.message.startsWith(prefix)) {
    return `The name ${error.message.slice(prefix.length)}.`;
  }
  return messageOf(error);
}

/**
 * A person's display name: a field and Save, and Remove while they have one. `save` gets the
 * name as typed (the API trims and checks it) or null to remove it; what it throws is shown here.
 */
export function NameForm({
  id,
  current,
  save,
}: {
  /** The input's id (one page may hold one form). */
  id: string;
  current: string | null;
  save: (name: string | null) => Promise<void>;
}) {
  const [name, setName] = useState(current ?? '');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();
  // Drawn again with a new name (saved, or changed elsewhere and reloaded): show that one.
  useEffect(() => setName(current ?? ''), [current]);
  const run = async (value: string | null) => {
    setBusy(true);
    setError(undefined);
    try {
      await save(value);
    } catch (e) {
      setError(nameError(e));
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: Event) => {
    event.preventDefault();
    return run(name);
  };
  return (
    <>
      <Alert message={error} />
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
          <button type="button" class="secondary" disabled={busy} onClick={() => run(null)}>
            Remove name
          </button>
        )}
      </form>
    </>
  );
}
