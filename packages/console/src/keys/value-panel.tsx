// One key: its value as text / JSON / YAML (highlighted), revision data, the attached lease with
// its remaining TTL, live updates (a change by someone else is marked), and the edit and delete
// actions. An edit is checked before anything is sent: malformed JSON or YAML is refused with
// the line and column of the error (the caret is put there); writes are guarded txns.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { KiteClient } from '@kite/client/browser';
import { errorText } from '../error-text.js';
import { href } from '../router.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { conflictText, deleteKey, saveValue } from './key-writes.js';
import { useKey, useLeaseTtl } from './use-key.js';
import { checkSyntax, decodeValue, guessFormat, highlighted, offsetOf, VALUE_FORMATS, type ValueFormat } from './value-format.js';
import { ValueFormButtons } from './value-form-buttons.js';

export function ValuePanel(props: { readonly client: KiteClient; readonly keyPath: string }) {
  const { client, keyPath } = props;
  const live = useKey(client, keyPath);
  const kv = live.kv;
  const decoded = kv === undefined ? null : decodeValue(kv.value);
  const [format, setFormat] = useState<ValueFormat | null>(null);
  const shown: ValueFormat = format ?? (decoded === null ? 'text' : guessFormat(keyPath, decoded.text));
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const lease = useLeaseTtl(client, kv?.lease ?? 0);

  useEffect(() => {
    setFormat(null);
    setEditing(false);
  }, [keyPath]);

  if (live.loading) return <p role="status">Loading {keyPath}…</p>;
  return (
    <section class="value-panel" aria-labelledby="key-title">
      <h2 id="key-title" class="mono key-title">{keyPath}</h2>
      {live.error !== null && <p class="error" role="alert">{live.error}</p>}
      {live.changedByOther && (
        <p class="changed-note" role="status" data-testid="changed-note">
          Changed by another writer while open.{' '}
          <button type="button" class="link" onClick={live.acknowledge}>Dismiss</button>
        </p>
      )}
      {kv === undefined ? <p data-testid="key-absent">This key does not exist (now).</p> : (
        <>
          <dl class="meta">
            <dt>Revision</dt><dd data-testid="mod-revision">{kv.modRevision}</dd>
            <dt>Created at</dt><dd>{kv.createRevision}</dd>
            <dt>Version</dt><dd>{kv.version}</dd>
            <dt>Size</dt><dd>{kv.value.byteLength} B</dd>
            <dt>Lease</dt>
            <dd data-testid="lease">
              {lease === null ? 'none' : lease.expired ? `${lease.id.toString(16)} (expired)`
                : `${lease.id.toString(16)} · ${lease.remainingS ?? '…'} s left of ${lease.grantedS ?? '…'} s`}
            </dd>
          </dl>
          <div class="toolbar">
            <fieldset class="formats">
              <legend class="sr-only">Show as</legend>
              {VALUE_FORMATS.map((f) => (
                <label key={f}><input type="radio" name="format" value={f} checked={shown === f} onChange={() => setFormat(f)} /> {f.toUpperCase()}</label>
              ))}
            </fieldset>
            <a href={href('history', keyPath)}>History</a>
            {!editing && <button type="button" onClick={() => setEditing(true)} disabled={decoded?.utf8 !== true}>Edit</button>}
            <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>Delete</button>
          </div>
          {decoded !== null && !decoded.utf8 && <p class="muted">Binary value (not UTF-8): shown with replacement characters, not editable here.</p>}
          {editing && decoded !== null
            ? <Editor key={keyPath} client={client} keyPath={keyPath} initial={decoded.text} format={shown}
                currentModRevision={kv.modRevision} lease={kv.lease} onOwnWrite={live.noteOwnWrite} onDone={() => setEditing(false)} />
            : decoded !== null && <ValueView text={decoded.text} format={shown} changed={live.changedByOther} />}
        </>
      )}
      {confirmDelete && kv !== undefined && (
        <ConfirmDialog
          title={`Delete ${keyPath}?`}
          confirmLabel="Delete"
          danger
          onClose={() => setConfirmDelete(false)}
          onConfirm={async () => {
            const r = await deleteKey(client, keyPath, kv.modRevision);
            if (!r.ok) throw new Error(conflictText(r.current));
            live.noteOwnWrite(r.revision);
          }}
        >
          <p>The key and its value ({kv.value.byteLength} bytes) are removed. Its history stays until compaction.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function ValueView(props: { readonly text: string; readonly format: ValueFormat; readonly changed: boolean }) {
  const html = highlighted(props.format, props.text);
  return (
    <pre class={`value hljs${props.changed ? ' changed' : ''}`} data-testid="value" tabIndex={0} aria-label="Value">
      {html === null ? <code>{props.text}</code> : <code dangerouslySetInnerHTML={{ __html: html }} />}
    </pre>
  );
}

function Editor(props: {
  readonly client: KiteClient;
  readonly keyPath: string;
  readonly initial: string;
  readonly format: ValueFormat;
  /** The key's modRevision now (live); the editor guards its save with the one it started from. */
  readonly currentModRevision: number;
  readonly lease: number;
  readonly onOwnWrite: (revision: number) => void;
  readonly onDone: () => void;
}) {
  const [text, setText] = useState(props.initial);
  const [format, setFormat] = useState<ValueFormat>(props.format);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [seenModRevision] = useState(props.currentModRevision);
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => area.current?.focus(), []);

  const save = (ev: Event): void => {
    ev.preventDefault();
    const syntax = checkSyntax(format, text);
    if (syntax !== null) {
      setProblem(`Not saved: invalid ${format.toUpperCase()} at line ${syntax.line}, column ${syntax.column}: ${syntax.message}`);
      const at = offsetOf(text, syntax.line, syntax.column);
      area.current?.focus();
      area.current?.setSelectionRange(at, at);
      return;
    }
    setBusy(true);
    setProblem(null);
    saveValue(props.client, props.keyPath, text, seenModRevision, props.lease).then(
      (r) => {
        setBusy(false);
        if (!r.ok) {
          setProblem(conflictText(r.current));
          return;
        }
        props.onOwnWrite(r.revision);
        props.onDone();
      },
      (err: unknown) => {
        setBusy(false);
        setProblem(`Not saved: ${errorText(err)}`);
      },
    );
  };

  return (
    <form class="editor" onSubmit={save} aria-label={`Edit ${props.keyPath}`}>
      <label class="sr-only" for="value-editor">Value of {props.keyPath}</label>
      <textarea
        id="value-editor" ref={area} class="mono" spellcheck={false} rows={16} value={text}
        aria-invalid={problem !== null} aria-describedby={problem !== null ? 'editor-problem' : undefined}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onDone();
        }}
      />
      {props.currentModRevision !== seenModRevision && (
        <p class="changed-note" role="status">Someone changed this key after you started editing: saving will be refused. Cancel to see the new value.</p>
      )}
      {problem !== null && <p id="editor-problem" class="error" role="alert" data-testid="editor-problem">{problem}</p>}
      <ValueFormButtons format={format} onFormat={setFormat} busy={busy} onCancel={props.onDone} submitLabel="Save" />
    </form>
  );
}
