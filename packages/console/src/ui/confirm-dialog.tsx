// A modal confirmation (native <dialog>: focus is trapped and Escape cancels). The action runs
// only on the explicit confirm button; its error is shown in the dialog, which stays open.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../error-text.js';

export interface ConfirmProps {
  readonly title: string;
  readonly children: ComponentChildren;
  readonly confirmLabel: string;
  readonly onConfirm: () => Promise<void>;
  readonly onClose: () => void;
  readonly danger?: boolean;
}

export function ConfirmDialog(props: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (d !== null && !d.open) d.showModal();
  }, []);
  const confirm = (): void => {
    setBusy(true);
    setError(null);
    props.onConfirm().then(props.onClose, (err: unknown) => {
      setBusy(false);
      setError(errorText(err));
    });
  };
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onClose={props.onClose}>
      <h2 id="confirm-title">{props.title}</h2>
      <div class="confirm-body">{props.children}</div>
      {error !== null && <p class="error" role="alert">{error}</p>}
      <div class="buttons">
        <button type="button" onClick={() => ref.current?.close()} disabled={busy}>Cancel</button>
        <button type="button" class={props.danger === true ? 'danger' : 'primary'} onClick={confirm} disabled={busy}>{props.confirmLabel}</button>
      </div>
    </dialog>
  );
}
