// The app's values and its draft: every key of the current release with the edit staged on
// it (if any) and the diff that edit makes, an editor that stages a value, and discard.
// A value is checked in the browser with @kite/config's own validation (the same code
// ConfigAdmin.set runs) before anything is sent, and the error names line and column; the
// admin validates again, and again at release.
import { useState } from 'preact/hooks';
import { applyDraft, checkName, diffContent, validateValue, VALUE_TYPES, type ConfigAdmin, type ConfigValue, type ValueType } from '@kite/config';
import { useAction } from './action-status.js';
import type { AppData } from './app-data.js';
import { ConfirmButton } from './confirm-button.js';
import { errorText } from '../../error-text.js';
import { ReleaseDiff } from './release-diff.js';

interface Editing {
  readonly key: string;
  readonly type: ValueType;
  readonly text: string;
}

const EMPTY: Editing = { key: '', type: 'json', text: '' };

/** The problem with a value the user typed, or null: name rules, then the type's syntax. */
export function draftProblem(e: Editing): string | null {
  try {
    checkName('key', e.key);
    validateValue(e.key, { type: e.type, text: e.text });
    return null;
  } catch (err) {
    return errorText(err);
  }
}

export function DraftPanel({ admin, data }: { admin: ConfigAdmin; data: AppData }) {
  const [editing, setEditing] = useState<Editing>(EMPTY);
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  const { drafts } = data.state;
  const staged = applyDraft(data.current, drafts);
  const keys = [...new Set([...Object.keys(data.current), ...drafts.keys()])].sort();

  const stage = async (e: Event): Promise<void> => {
    e.preventDefault();
    const p = draftProblem(editing);
    setProblem(p);
    // Refused before it is sent: nothing reaches the store when the value does not parse.
    if (p !== null) return;
    const value: ConfigValue = { type: editing.type, text: editing.text };
    if (await action.run(async () => `Staged ${editing.key} (revision ${await admin.set(editing.key, value)}).`)) setEditing(EMPTY);
  };
  const edit = (key: string): void => {
    const v = staged[key] ?? data.current[key];
    setProblem(null);
    setEditing({ key, type: v?.type ?? 'text', text: v?.text ?? '' });
    document.getElementById('draft-value')?.focus();
  };

  return (
    <section aria-labelledby="draft-heading" class="panel">
      <h2 id="draft-heading">Values and draft</h2>
      <table class="config-values">
        <caption>Keys of release {data.state.head.release === 0 ? '(none yet)' : data.state.head.release} and staged edits</caption>
        <thead><tr><th scope="col">Key</th><th scope="col">Type</th><th scope="col">Staged</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {keys.map((key) => {
            const d = drafts.get(key);
            return (
              <tr key={key} data-key={key}>
                <th scope="row"><code>{key}</code></th>
                <td>{(staged[key] ?? data.current[key])?.type}</td>
                <td>{d === undefined ? '' : d.op === 'remove' ? 'removal' : data.current[key] === undefined ? 'new' : 'changed'}</td>
                <td>
                  <button type="button" onClick={() => edit(key)} aria-label={`Edit ${key}`}>Edit</button>{' '}
                  {staged[key] !== undefined && (
                    <button type="button" disabled={action.busy} aria-label={`Remove ${key}`} title="Stage the removal of this key"
                      onClick={() => void action.run(async () => `Staged removal of ${key} (revision ${await admin.unset(key)}).`)}>Remove</button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <form class="draft-editor" onSubmit={(e) => void stage(e)} aria-labelledby="draft-editor-heading">
        <h3 id="draft-editor-heading">Stage a value</h3>
        <label for="draft-key">Key</label>
        <input id="draft-key" name="key" value={editing.key} required autoComplete="off"
          onInput={(e) => setEditing({ ...editing, key: e.currentTarget.value })} />
        <label for="draft-type">Type</label>
        <select id="draft-type" name="type" value={editing.type}
          onChange={(e) => setEditing({ ...editing, type: e.currentTarget.value as ValueType })}>
          {VALUE_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        <label for="draft-value">Value</label>
        <textarea id="draft-value" name="value" rows={8} spellcheck={false} value={editing.text}
          aria-invalid={problem !== null} aria-describedby="draft-problem"
          onInput={(e) => setEditing({ ...editing, text: e.currentTarget.value })} />
        <p id="draft-problem" role="alert" class="field-error">{problem ?? ''}</p>
        <button type="submit" disabled={action.busy}>Stage</button>
      </form>
      {action.status}

      <h3>Staged changes</h3>
      <ReleaseDiff diff={diffContent(data.current, staged)} base={data.state.head.release} headingLevel={4} />
      {drafts.size > 0 && (
        <ConfirmButton label="Discard draft" question={`Discard all ${drafts.size} staged edits?`} disabled={action.busy}
          onConfirm={() => action.run(async () => `Discarded the draft (revision ${await admin.discard()}).`)} />
      )}
    </section>
  );
}
