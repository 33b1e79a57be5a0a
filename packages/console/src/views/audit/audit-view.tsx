// The audit trail (root only when auth is on): who did what to which key, when, from where,
// with which result, filtered by user, op, key prefix and time range; the filter is in the URL.
// Live where the store can say something happened: a watch on the filtered prefix (the whole
// keyspace without one) reads the records after the last one shown whenever a key changes.
// Records with no key change (refused requests, user and role changes) show up with the next
// change or on "Read new records"; a filter whose end time has passed is not watched at all.
import { useEffect, useState } from 'preact/hooks';
import { bytesToString, type AuditRecord } from '@kite/client/browser';
import { href } from '../../router.js';
import type { ViewProps } from '../registry.js';
import { errorText } from '../../error-text.js';
import { Coalescer, watchPrefix } from '../config/live.js';
import './audit.css';
import { describeConfigChange } from './audit-describe.js';
import { filterFromQuery, filterToQuery, type AuditFilter } from './audit-filter.js';
import { AUDIT_ROWS_MAX, AuditTrail } from './audit-trail.js';

const COMMON_OPS = ['put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'memberAdd', 'memberRemove', 'alarm', 'userAdd', 'roleGrantPermission', 'authEnable'];

/** ms → the `datetime-local` input's local-time text. */
function localInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function keysText(r: AuditRecord): string {
  const first = r.keys[0];
  if (first === undefined) return '';
  if (r.rangeEnd !== undefined) return `[${bytesToString(first)}, ${bytesToString(r.rangeEnd)})`;
  return r.keys.map((k) => bytesToString(k)).join(', ');
}

function FilterForm({ filter }: { filter: AuditFilter }) {
  const [user, setUser] = useState(filter.user ?? '');
  const [op, setOp] = useState(filter.op ?? '');
  const [prefix, setPrefix] = useState(filter.prefix ?? '');
  const [since, setSince] = useState(localInput(filter.sinceMs));
  const [until, setUntil] = useState(localInput(filter.untilMs));
  const apply = (e: Event): void => {
    e.preventDefault();
    const t = (s: string): number | undefined => (s === '' || Number.isNaN(new Date(s).getTime()) ? undefined : new Date(s).getTime());
    const sinceMs = t(since);
    const untilMs = t(until);
    const f: AuditFilter = {
      ...(user.trim() !== '' ? { user: user.trim() } : {}), ...(op.trim() !== '' ? { op: op.trim() } : {}), ...(prefix !== '' ? { prefix } : {}),
      ...(sinceMs !== undefined ? { sinceMs } : {}), ...(untilMs !== undefined ? { untilMs } : {}),
    };
    location.hash = href('audit', filterToQuery(f));
  };
  return (
    <form class="audit-filter" onSubmit={apply} aria-label="Audit filters">
      <label for="audit-user">User</label>
      <input id="audit-user" value={user} autoComplete="off" onInput={(e) => setUser(e.currentTarget.value)} />
      <label for="audit-op">Op</label>
      <input id="audit-op" value={op} list="audit-ops" autoComplete="off" onInput={(e) => setOp(e.currentTarget.value)} />
      <datalist id="audit-ops">{COMMON_OPS.map((o) => <option key={o} value={o} />)}</datalist>
      <label for="audit-prefix">Key prefix</label>
      <input id="audit-prefix" value={prefix} autoComplete="off" onInput={(e) => setPrefix(e.currentTarget.value)} />
      <label for="audit-since">From</label>
      <input id="audit-since" type="datetime-local" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
      <label for="audit-until">To</label>
      <input id="audit-until" type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
      <button type="submit">Filter</button>
    </form>
  );
}

export function AuditView({ session, param: query }: ViewProps) {
  const { client } = session;
  const filter = filterFromQuery(query);
  const [rows, setRows] = useState<readonly AuditRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reader, setReader] = useState<Coalescer<true> | null>(null);
  useEffect(() => {
    const t = new AuditTrail(client, filter);
    setRows(null);
    const fail = (err: unknown): void => setError(errorText(err));
    const read = new Coalescer<true>(async () => {
      await t.more();
      setRows([...t.rows]);
      setError(null);
    }, fail);
    setReader(read);
    const ended = filter.untilMs !== undefined && filter.untilMs < Date.now();
    if (ended) {
      read.request([true]);
      return () => read.stop();
    }
    const stop = watchPrefix(client, filter.prefix ?? '', {
      onReady: () => read.request([true]),
      onChanged: () => read.request([true]),
      onError: fail,
    });
    return () => {
      stop();
      read.stop();
    };
  }, [client, query]);

  const newestFirst = rows === null ? [] : [...rows].reverse();
  return (
    <article aria-labelledby="audit-heading" class="audit">
      <h1 id="audit-heading">Audit trail</h1>
      <FilterForm key={query} filter={filter} />
      {error !== null && <p role="alert" class="error">{error}</p>}
      <p>
        <button type="button" disabled={reader === null} onClick={() => reader?.request([true])}>
          Read new records
        </button>
      </p>
      {rows === null ? <p role="status">Reading the audit trail…</p> : (
        <>
          <p role="status">{rows.length} record{rows.length === 1 ? '' : 's'}{rows.length === AUDIT_ROWS_MAX ? ` (the newest ${AUDIT_ROWS_MAX})` : ''}, newest first.</p>
          <table class="audit-records">
            <thead>
              <tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">User</th><th scope="col">Address</th><th scope="col">Via</th><th scope="col">Op</th><th scope="col">Keys</th><th scope="col">What</th><th scope="col">Revision</th><th scope="col">Result</th></tr>
            </thead>
            <tbody>
              {newestFirst.map((r) => (
                <tr key={r.seq} data-seq={r.seq} data-op={r.op} class={r.result === 'ok' ? '' : 'refused'}>
                  <th scope="row">{r.seq}</th>
                  <td><time dateTime={new Date(r.timeMs).toISOString()}>{new Date(r.timeMs).toLocaleString()}</time></td>
                  <td data-col="user">{r.user ?? '—'}</td>
                  <td>{r.address}</td>
                  <td>{r.via}</td>
                  <td>{r.op}</td>
                  <td class="keys"><code>{keysText(r)}</code></td>
                  <td data-col="what">{describeConfigChange(r) ?? r.message ?? ''}</td>
                  <td>{r.revision === 0 ? '' : r.revision}</td>
                  <td>{r.result}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </article>
  );
}
