// A release's diff (from @kite/config's record: key → added / removed / changed, against the
// record's base) rendered key by key, each value as a line diff. Added and removed lines are
// <ins>/<del> so assistive technology announces them, and carry a +/- for sighted readers.
import { diffLines } from 'diff';
import type { ConfigValue, DiffEntry } from '@kite/config';

/** Lines of one value diffed at most; past it the view shows both texts' sizes instead. */
export const DIFF_LINES_MAX = 5000;

function lineCount(s: string): number {
  let n = 1;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

function splitLines(value: string): string[] {
  const lines = value.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function ValueDiff({ before, after }: { before: ConfigValue | undefined; after: ConfigValue | undefined }) {
  const b = before?.text ?? '';
  const a = after?.text ?? '';
  if (lineCount(a) + lineCount(b) > DIFF_LINES_MAX) {
    return <p>Too large to diff here ({b.length} → {a.length} characters).</p>;
  }
  const parts = diffLines(b, a);
  return (
    <pre class="value-diff">
      {parts.flatMap((p, i) => splitLines(p.value).map((line, j) => {
        const k = `${i}-${j}`;
        if (p.added) return <ins key={k} class="diff-add">{`+ ${line}\n`}</ins>;
        if (p.removed) return <del key={k} class="diff-del">{`- ${line}\n`}</del>;
        return <span key={k}>{`  ${line}\n`}</span>;
      }))}
    </pre>
  );
}

const CHANGE_LABEL: Readonly<Record<DiffEntry['change'], string>> = { added: 'added', removed: 'removed', changed: 'changed' };

export function ReleaseDiff({ diff, base, headingLevel }: { diff: readonly DiffEntry[]; base: number; headingLevel: 3 | 4 }) {
  const H = headingLevel === 3 ? 'h3' : 'h4';
  if (diff.length === 0) return <p>No change against {base === 0 ? 'the empty app' : `release ${base}`}.</p>;
  return (
    <div class="release-diff" aria-label={`Changes against ${base === 0 ? 'the empty app' : `release ${base}`}`}>
      {diff.map((d) => (
        <section key={d.key} class={`diff-entry diff-${d.change}`} data-key={d.key}>
          <H>
            <code>{d.key}</code> <span class="badge">{CHANGE_LABEL[d.change]}</span>
            {d.before !== undefined && d.after !== undefined && d.before.type !== d.after.type ? ` (type ${d.before.type} → ${d.after.type})` : ` (${(d.after ?? d.before)?.type ?? ''})`}
          </H>
          <ValueDiff before={d.before} after={d.after} />
        </section>
      ))}
    </div>
  );
}
