import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useBusy } from '../ui.js';

/**
 * A destructive action in two steps: the first button (named for what it does to what) opens a
 * confirmation that says what will happen; only its own named button acts. When `typed` is given,
 * that text must be typed first (deleting a server), so a slip of the keyboard cannot do it.
 */
export function Confirm({
  label,
  confirmLabel,
  children,
  typed,
  onConfirm,
}: {
  label: string;
  confirmLabel: string;
  children: ComponentChildren;
  typed?: string;
  onConfirm: () => Promise<void>;
}) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useBusy();
  if (!open)
    return (
      <button type="button" class="danger small" onClick={() => setOpen(true)}>
        {label}
      </button>
    );
  const ready = typed === undefined || text === typed;
  return (
    <fieldset class="confirm">
      <legend>{label}?</legend>
      <p>{children}</p>
      {typed !== undefined && (
        <label class="confirm-typed">
          Type <strong>{typed}</strong> to confirm
          <input value={text} onInput={(e) => setText(e.currentTarget.value)} autoComplete="off" />
        </label>
      )}
      <p class="row">
        <button
          type="button"
          class="danger"
          disabled={!ready || busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onConfirm();
            } finally {
              setBusy(false);
            }
          }}
        >
          {confirmLabel}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </p>
    </fieldset>
  );
}
