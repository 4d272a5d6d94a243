import { useSession } from '../session.js';

/**
 * A secret the API shows once (a client secret, an introspection secret): in a read-only field
 * with a copy button, and said plainly that it will not be shown again. It lives in this page's
 * memory only: leaving the page forgets it.
 */
export function ShownOnce({ label, value, id }: { label: string; value: string; id: string }) {
  const { notify } = useSession();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      notify(`${label} copied to the clipboard.`);
    } catch {
      notify(`${label} was not copied: select it and copy it yourself.`);
    }
  };
  return (
    <div class="info once">
      <label for={id}>{label}</label>
      <div class="row">
        <input id={id} class="value" readOnly value={value} />
        <button type="button" class="small" onClick={copy}>
          Copy {label.toLowerCase()}
        </button>
      </div>
      <p class="small">Copy it now: it is shown once and cannot be shown again.</p>
    </div>
  );
}
