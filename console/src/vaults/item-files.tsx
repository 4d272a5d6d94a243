import { useRef, useState } from 'preact/hooks';
import { api, apiBlob, apiUpload, messageOf } from '../api.js';
import { useSession } from '../session.js';
import { Alert, useBusy } from '../ui.js';
import type { ItemFile } from './types.js';

const sizeOf = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} kB`
      : `${(bytes / 1048576).toFixed(1)} MB`;

/**
 * An item's files (the admin file routes): attach (the bytes are the request body), download and
 * delete. A download is fetched with the session cookie into a Blob and saved from a `blob:` URL
 * that lives in this page only: no token or secret goes into an address that reaches the server.
 */
export function ItemFiles({ path, files: initial }: { path: string; files: ItemFile[] }) {
  const { notify } = useSession();
  const [files, setFiles] = useState(initial);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();
  const input = useRef<HTMLInputElement>(null);
  const attach = async (event: Event) => {
    event.preventDefault();
    const chosen = input.current?.files?.[0];
    if (!chosen) {
      setError('Choose a file to attach.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const added = await apiUpload<ItemFile>(
        `${path}/files?${new URLSearchParams({ name: chosen.name })}`,
        chosen,
      );
      setFiles((fs) => [...fs, added]);
      if (input.current) input.current.value = '';
      notify(`${added.name} attached.`);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const download = async (file: ItemFile) => {
    try {
      const blob = await apiBlob(`${path}/files/${encodeURIComponent(file.id)}/content`);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = file.name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      notify(`${file.name} was not downloaded: ${messageOf(e)}`);
    }
  };
  const remove = async (file: ItemFile) => {
    if (!window.confirm(`Delete ${file.name}? It cannot be brought back.`)) return;
    try {
      await api('DELETE', `${path}/files/${encodeURIComponent(file.id)}`);
      setFiles((fs) => fs.filter((f) => f.id !== file.id));
      notify(`${file.name} deleted.`);
    } catch (e) {
      notify(`${file.name} was not deleted: ${messageOf(e)}`);
    }
  };
  return (
    <section class="item-files" aria-labelledby="files-heading">
      <h2 id="files-heading">Files</h2>
      {files.length === 0 ? (
        <p class="muted">No files attached.</p>
      ) : (
        <ul class="plain files">
          {files.map((f) => (
            <li key={f.id}>
              <span class="file-name">{f.name}</span> <span class="muted small">{sizeOf(f.size)}</span>
              <span class="actions">
                <button
                  type="button"
                  class="small"
                  onClick={() => download(f)}
                  aria-label={`Download ${f.name}`}
                >
                  Download
                </button>
                <button
                  type="button"
                  class="small danger"
                  onClick={() => remove(f)}
                  aria-label={`Delete ${f.name}`}
                >
                  Delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      <form class="row" onSubmit={attach}>
        <label for="attach-file" class="attach-label">
          File to attach
        </label>
        <input id="attach-file" type="file" ref={input} />
        <button type="submit" disabled={busy}>
          Attach
        </button>
      </form>
      <Alert message={error} />
    </section>
  );
}
