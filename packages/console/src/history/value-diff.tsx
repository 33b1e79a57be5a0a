// A line diff of two values (the `diff` library), as +/- lines with unchanged runs folded to
// DIFF_CONTEXT_LINES around each change. The work is bounded: values over DIFF_CHARS_MAX, or
// an edit script longer than DIFF_EDIT_LENGTH_MAX, are summarised by their sizes instead.
import { diffLines } from 'diff';

export const DIFF_CHARS_MAX = 200_000;
export const DIFF_EDIT_LENGTH_MAX = 5_000;
/** Unchanged lines kept before and after each change. */
export const DIFF_CONTEXT_LINES = 3;

export interface DiffLine {
  readonly op: ' ' | '+' | '-' | '…';
  readonly text: string;
}

export function lineDiff(before: string, after: string): DiffLine[] | null {
  if (before.length > DIFF_CHARS_MAX || after.length > DIFF_CHARS_MAX) return null;
  const parts = diffLines(before, after, { maxEditLength: DIFF_EDIT_LENGTH_MAX });
  if (parts === undefined) return null;
  const lines: DiffLine[] = [];
  for (const p of parts) {
    const op = p.added ? '+' : p.removed ? '-' : ' ';
    const body = p.value.endsWith('\n') ? p.value.slice(0, -1) : p.value;
    for (const text of body.split('\n')) lines.push({ op, text });
  }
  return fold(lines);
}

/** Keeps DIFF_CONTEXT_LINES unchanged lines around changes; longer unchanged runs become one '…' line. */
function fold(lines: readonly DiffLine[]): DiffLine[] {
  const keep = lines.map(() => false);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let j = Math.max(0, i - DIFF_CONTEXT_LINES); j <= Math.min(lines.length - 1, i + DIFF_CONTEXT_LINES); j++) keep[j] = true;
  });
  const out: DiffLine[] = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (keep[i]) {
      if (skipped > 0) out.push({ op: '…', text: `${skipped} unchanged line${skipped === 1 ? '' : 's'}` });
      skipped = 0;
      out.push(l);
    } else skipped++;
  });
  if (skipped > 0) out.push({ op: '…', text: `${skipped} unchanged line${skipped === 1 ? '' : 's'}` });
  return out;
}

export function ValueDiff(props: { readonly before: string; readonly after: string; readonly label: string }) {
  const lines = lineDiff(props.before, props.after);
  if (lines === null) {
    return <p class="muted">{props.before.length} → {props.after.length} characters (too large or too different to diff here).</p>;
  }
  if (lines.every((l) => l.op === ' ')) return <p class="muted">(same value)</p>;
  return (
    <pre class="diff mono" aria-label={props.label} data-testid="diff">
      {lines.map((l, i) => (
        <div key={i} class={l.op === '+' ? 'add' : l.op === '-' ? 'del' : l.op === '…' ? 'fold' : 'same'}>
          <span class="sign" aria-hidden="true">{l.op === '…' ? ' ' : l.op}</span>
          <span class="sr-only">{l.op === '+' ? 'added: ' : l.op === '-' ? 'removed: ' : ''}</span>
          {l.text}
        </div>
      ))}
    </pre>
  );
}
