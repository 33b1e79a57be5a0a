// The history of one key (#/history/<key>): every retained revision, newest first, with who
// made it and when (from the audit trail, when this login may read it), and a line diff against
// the revision before. Live: new revisions are appended as they are written (a watch from the
// history's end). Any older revision can be restored with the guarded txn `kite rollback` uses
// (@kite/client planRollback/applyRollback): the dialog shows the change from the current value
// and nothing is written if the key changed in between.
import { useEffect, useState } from 'preact/hooks';
import {
  applyRollback, keyAuthors, keyHistory, planRollback, toBytes,
  type KeyHistoryEntry, type KiteClient, type RevisionAuthor, type RollbackPlan,
} from '@kite/client/browser';
import { errorText } from '../error-text.js';
import { ValueDiff } from '../history/value-diff.js';
import { decodeValue } from '../keys/value-format.js';
import { href } from '../router.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import type { ViewProps } from './registry.js';

interface HistoryState {
  readonly loading: boolean;
  readonly entries: readonly KeyHistoryEntry[];
  readonly authors: ReadonlyMap<number, RevisionAuthor>;
  readonly oldestRevision: number;
  readonly truncated: boolean;
  readonly error: string | null;
}

const EMPTY: HistoryState = { loading: true, entries: [], authors: new Map(), oldestRevision: 1, truncated: false, error: null };

function useHistory(client: KiteClient, key: string): HistoryState {
  const [state, setState] = useState<HistoryState>(EMPTY);
  useEffect(() => {
    setState(EMPTY);
    const controller = new AbortController();
    const k = toBytes(key);
    const readAuthors = (): void => {
      keyAuthors(client, k).then((authors) => !controller.signal.aborted && setState((s) => ({ ...s, authors })), () => undefined);
    };
    void (async () => {
      try {
        const h = await keyHistory(client, k);
        if (controller.signal.aborted) return;
        setState({ loading: false, entries: h.entries, authors: new Map(), oldestRevision: h.oldestRevision, truncated: h.truncated, error: null });
        readAuthors();
        const w = client.watch(key, { startRevision: h.currentRevision + 1, signal: controller.signal });
        for await (const batch of w) {
          const added = batch.events.map((ev): KeyHistoryEntry => ({
            revision: ev.kv.modRevision, type: ev.type, value: ev.kv.value, version: ev.kv.version, createRevision: ev.kv.createRevision, lease: ev.kv.lease,
          }));
          if (added.length === 0) continue;
          setState((s) => ({ ...s, entries: [...s.entries, ...added] }));
          readAuthors();
        }
      } catch (err) {
        if (!controller.signal.aborted) setState((s) => ({ ...s, loading: false, error: errorText(err) }));
      }
    })();
    return () => controller.abort();
  }, [client, key]);
  return state;
}

export function HistoryView({ session, param }: ViewProps) {
  const key = param;
  const h = useHistory(session.client, key);
  const [plan, setPlan] = useState<RollbackPlan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  if (key === '') return <p role="alert">No key given. Open a key in the <a href={href('keys')}>keys view</a> and choose History.</p>;

  const askRollback = (revision: number): void => {
    setPlanError(null);
    setDone(null);
    planRollback(session.client, toBytes(key), revision).then(setPlan, (err: unknown) => setPlanError(errorText(err)));
  };
  const latest = h.entries[h.entries.length - 1];
  const newestFirst = h.entries.map((e, i) => ({ e, prev: h.entries[i - 1] })).reverse();

  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">History of <span class="mono">{key}</span></h1>
      <p><a href={href('keys', key)}>Back to the key</a></p>
      {h.loading && <p role="status">Reading the history…</p>}
      {h.error !== null && <p class="error" role="alert">{h.error}</p>}
      {planError !== null && <p class="error" role="alert">{planError}</p>}
      {done !== null && <p role="status" data-testid="rollback-done">{done}</p>}
      {!h.loading && h.oldestRevision > 1 && <p class="muted">History before revision {h.oldestRevision} was compacted.</p>}
      {h.truncated && <p class="muted">Only the oldest revisions are shown (limit reached).</p>}
      {!h.loading && h.entries.length === 0 && h.error === null && <p>No retained history for this key.</p>}
      <ol class="history" reversed>
        {newestFirst.map(({ e, prev }) => {
          const author = h.authors.get(e.revision);
          const text = decodeValue(e.value).text;
          const before = prev === undefined || prev.type === 'delete' ? '' : decodeValue(prev.value).text;
          return (
            <li key={e.revision} class="revision" data-revision={e.revision} data-type={e.type}>
              <div class="rev-head">
                <strong>Revision {e.revision}</strong>
                <span>{e.baseline === true ? 'value at the compaction point' : e.type === 'delete' ? 'deleted' : e.version === 1 ? 'created' : `put (version ${e.version})`}</span>
                <span class="muted" data-testid="author">by {author?.by ?? 'unknown'}</span>
                <span class="muted" data-testid="time">{author !== undefined ? new Date(author.timeMs).toLocaleString() : 'time unknown'}</span>
                {e !== latest && (
                  <button type="button" onClick={() => askRollback(e.revision)} aria-label={`Roll back to revision ${e.revision}`}>Roll back to this</button>
                )}
              </div>
              {e.baseline === true || prev === undefined
                ? (e.type === 'put' && <pre class="value mono">{text}</pre>)
                : <ValueDiff before={before} after={e.type === 'delete' ? '' : text} label={`Changes in revision ${e.revision}`} />}
            </li>
          );
        })}
      </ol>
      {plan !== null && (
        <ConfirmDialog
          title={`Roll ${key} back to revision ${plan.to}?`}
          confirmLabel={plan.target === undefined ? 'Delete the key' : 'Roll back'}
          danger={plan.target === undefined}
          onClose={() => setPlan(null)}
          onConfirm={async () => {
            if (plan.unchanged) return;
            const r = await applyRollback(session.client, plan);
            if (!r.applied) {
              throw new Error(`Nothing was written: ${key} changed since this dialog opened (its revision is now ${r.current?.modRevision ?? 'deleted'}). Close and try again.`);
            }
            setDone(r.deleted ? `Deleted ${key} (revision ${r.revision}).` : `Restored the value of revision ${plan.to} (now revision ${r.revision}).`);
          }}
        >
          <RollbackPreview plan={plan} />
        </ConfirmDialog>
      )}
    </section>
  );
}

function RollbackPreview({ plan }: { readonly plan: RollbackPlan }) {
  if (plan.unchanged) return <p>The key already has the value it had at revision {plan.to}; nothing will be written.</p>;
  if (plan.target === undefined) return <p>The key did not exist at revision {plan.to}: rolling back <strong>deletes it</strong>.</p>;
  const now = plan.current === undefined ? '' : decodeValue(plan.current.value).text;
  return (
    <>
      <p>
        {plan.current === undefined ? 'The key is absent now and will be created' : `The value now (revision ${plan.current.modRevision}) becomes`} the value of revision {plan.to}.
        The write happens only if nobody changes the key first.
      </p>
      <ValueDiff before={now} after={decodeValue(plan.target.value).text} label="Change the rollback makes" />
    </>
  );
}
