// The button row shared by the value forms (new key, edit value): the syntax check's format
// picker, Cancel and the submit button, all disabled while a write is in flight.
import { VALUE_FORMATS, type ValueFormat } from './value-format.js';

export function ValueFormButtons(props: {
  readonly format: ValueFormat;
  readonly onFormat: (f: ValueFormat) => void;
  readonly busy: boolean;
  readonly onCancel: () => void;
  readonly submitLabel: string;
}) {
  return (
    <div class="buttons">
      <label>Check as{' '}
        <select value={props.format} onChange={(e) => props.onFormat(e.currentTarget.value as ValueFormat)}>
          {VALUE_FORMATS.map((f) => <option key={f} value={f}>{f.toUpperCase()}</option>)}
        </select>
      </label>
      <button type="button" onClick={props.onCancel} disabled={props.busy}>Cancel</button>
      <button type="submit" class="primary" disabled={props.busy}>{props.submitLabel}</button>
    </div>
  );
}
