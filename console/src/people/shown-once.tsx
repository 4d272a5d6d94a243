import { useSession } from '../session.js';

/**
 * A secret the API answers once (a generated password, a reset link, an admin token): drawn as
 * text with a copy button, kept in the page's memory only, gone when the person leaves the page.
 */
export function ShownOnce({ label, value, what }: { label: string; value: string; what: string }) {
  const { notify } = useSession();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      notify(`The ${what} is copied to the clipboard.`);
    } catch {
      notify(`The ${what} was not copied: select it and copy it by hand.`);
    }
  };
  return (
    <div class="once info">
      <p>{label} It is shown once: keep it now.</p>
      <p class="once-value">
        <code class="value">{value}</code>
        <button type="button" class="small" onClick={copy} aria-label={`Copy the ${what}`}>
          Copy
        </button>
      </p>
    </div>
  );
}
