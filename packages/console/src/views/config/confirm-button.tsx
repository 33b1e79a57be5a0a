// A button for an action that changes what instances run (rollback, promote, abort, discard):
// it opens the console's confirmation dialog, and only the dialog's confirm button acts.
import { useState } from 'preact/hooks';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';

export function ConfirmButton(props: { label: string; question: string; confirmLabel?: string; disabled?: boolean; onConfirm(): Promise<unknown> }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" disabled={props.disabled === true} onClick={() => setOpen(true)}>{props.label}</button>
      {open && (
        <ConfirmDialog title={props.question} confirmLabel={props.confirmLabel ?? props.label} danger
          onConfirm={async () => { await props.onConfirm(); }} onClose={() => setOpen(false)}>
          <p>This changes what instances run; the change is recorded with your name.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
