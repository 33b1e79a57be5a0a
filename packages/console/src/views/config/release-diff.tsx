// A release's diff (from @kite/config's record: key → added / removed / changed, against the
// record's base) rendered key by key, each value as the console's bounded line diff (the one
// the key history view uses).
import type { DiffEntry } from '@kite/config';
import { ValueDiff } from '../../history/value-diff.js';

export function ReleaseDiff({ diff, base, headingLevel }: { diff: readonly DiffEntry[]; base: number; headingLevel: 3 | 4 }) {
  const H = headingLevel === 3 ? 'h3' : 'h4';
  if (diff.length === 0) return <p>No change against {base === 0 ? 'the empty app' : `release ${base}`}.</p>;
  return (
    <div class="release-diff" role="group" aria-label={`Changes against ${base === 0 ? 'the empty app' : `release ${base}`}`}>
      {diff.map((d) => (
        <section key={d.key} class={`diff-entry diff-${d.change}`} data-key={d.key}>
          <H>
            <code>{d.key}</code> <span class="badge">{d.change}</span>
            {d.before !== undefined && d.after !== undefined && d.before.type !== d.after.type ? ` (type ${d.before.type} → ${d.after.type})` : ` (${(d.after ?? d.before)?.type ?? ''})`}
          </H>
          <ValueDiff before={d.before?.text ?? ''} after={d.after?.text ?? ''} label={`${d.key}: ${d.change}`} />
        </section>
      ))}
    </div>
  );
}
