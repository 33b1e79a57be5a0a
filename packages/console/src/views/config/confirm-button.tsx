// A button for an action that changes what instances run (rollback, promote, abort): the first
// press asks, inline, and only "Confirm" acts. Inline rather than window.confirm so it is
// styled, keyboard-reachable like the rest and focus moves to the question.
import { useEffect, useRef, useState } from 'preact/hooks';

export function ConfirmButton(props: { label: string; question: string; confirmLabel?: string; disabled?: boolean; onConfirm(): void }) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return <button type="button" disabled={props.disabled === true} onClick={() => setAsking(true)}>{props.label}</button>;
  }
  return (
    <span role="group" aria-label={props.question} class="confirm">
      <span>{props.question}</span>{' '}
      <button type="button" ref={confirmRef} class="danger" onClick={() => { setAsking(false); props.onConfirm(); }}>
        {props.confirmLabel ?? 'Confirm'}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}
