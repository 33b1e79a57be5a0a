// Creates a key: name (prefilled with the folder being browsed), value and the format to check
// it as. The put is a txn guarded by "the key does not exist", so it never overwrites; like an
// edit, a malformed JSON or YAML value is refused with its line and column before sending.
import { useState } from 'preact/hooks';
import { Cmp, Op, type KiteClient } from '@kite/client/browser';
import { errorText } from '../error-text.js';
import { navigate } from '../router.js';
import { checkSyntax, type ValueFormat } from './value-format.js';
import { ValueFormButtons } from './value-form-buttons.js';

export function NewKeyForm(props: { readonly client: KiteClient; readonly prefix: string; readonly onClose: () => void }) {
  const [key, setKey] = useState(props.prefix);
  const [value, setValue] = useState('');
  const [format, setFormat] = useState<ValueFormat>('text');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const create = (ev: Event): void => {
    ev.preventDefault();
    if (key === '') {
      setProblem('The key must not be empty.');
      return;
    }
    const syntax = checkSyntax(format, value);
    if (syntax !== null) {
      setProblem(`Not created: invalid ${format.toUpperCase()} at line ${syntax.line}, column ${syntax.column}: ${syntax.message}`);
      return;
    }
    setBusy(true);
    setProblem(null);
    props.client.txn({ compare: [Cmp.version(key, '=', 0)], success: [Op.put(key, value)], failure: [] }).then(
      (r) => {
        setBusy(false);
        if (!r.succeeded) {
          setProblem(`Not created: ${key} already exists.`);
          return;
        }
        props.onClose();
        navigate('keys', key);
      },
      (err: unknown) => {
        setBusy(false);
        setProblem(`Not created: ${errorText(err)}`);
      },
    );
  };

  return (
    <form class="editor new-key" onSubmit={create} aria-labelledby="new-key-title">
      <h2 id="new-key-title">New key</h2>
      <label>Key <input class="mono" name="key" required value={key} onInput={(e) => setKey(e.currentTarget.value)} /></label>
      <label>Value
        <textarea class="mono" name="value" rows={8} spellcheck={false} value={value} aria-invalid={problem !== null}
          onInput={(e) => setValue(e.currentTarget.value)} />
      </label>
      {problem !== null && <p class="error" role="alert">{problem}</p>}
      <ValueFormButtons format={format} onFormat={setFormat} busy={busy} onCancel={props.onClose} submitLabel="Create" />
    </form>
  );
}
