// Runs one operator action at a time per panel and reports its outcome where screen readers
// hear it: success in a polite live region, the typed error (code and message from
// @kite/config or the client) in an alert. The view itself updates from the watch, not from
// the action's result, so what it shows is always what the store holds.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorText } from '../../error-text.js';

export interface Action {
  readonly busy: boolean;
  run(what: () => Promise<string>): Promise<boolean>;
  fail(message: string): void;
  readonly status: JSX.Element;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  return {
    busy,
    async run(what) {
      setBusy(true);
      setOutcome(null);
      try {
        setOutcome({ ok: true, text: await what() });
        return true;
      } catch (err) {
        setOutcome({ ok: false, text: errorText(err) });
        return false;
      } finally {
        setBusy(false);
      }
    },
    fail(text) {
      setOutcome({ ok: false, text });
    },
    status: (
      <>
        <p role="status" class="action-ok">{outcome?.ok === true ? outcome.text : ''}</p>
        <p role="alert" class="action-error">{outcome?.ok === false ? outcome.text : ''}</p>
      </>
    ),
  };
}
