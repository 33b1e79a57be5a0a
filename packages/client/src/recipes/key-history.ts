// A key's history and its guarded rollback, shared by `kite history` / `kite rollback` and the
// web console (both are clients; neither redefines the other's logic).
// History comes from a watch replay from the oldest retained revision up to "now" (a get's
// revision): the watch sees every put and delete, across delete/re-create generations, which
// point reads at older revisions cannot. "Up to now" ends at an event at/after now or at a
// progress bookmark at/after now (requested right after the watch is created).
// A rollback is one txn that restores the value the key had at a revision only if the key's
// modRevision is still the one the caller looked at, so a concurrent writer is never
// overwritten silently.
import { isKiteError, type AuditResult, type KeyValue } from '@kite/protocol';
import type { KiteClient } from '../client.js';
import { RecipeError } from './errors.js';

/** Most events one history may collect (a very hot key's history is cut, and says so). */
export const HISTORY_EVENTS_MAX = 100_000;
/** Compaction can race the replay; retry from the new compact revision this many times. */
const HISTORY_COMPACT_RETRIES = 3;
/** Bound on waiting for the replay to reach "now". */
export const HISTORY_WAIT_MS = 15_000;
/** Audit pages read for one key's authors at most (the trail is bounded by its retention anyway). */
const AUTHOR_PAGES_MAX = 100;

export interface KeyHistoryEntry {
  readonly revision: number;
  readonly type: 'put' | 'delete';
  /** The value after this revision (empty for a delete). */
  readonly value: Uint8Array;
  readonly version: number;
  readonly createRevision: number;
  readonly lease?: number;
  /** The key's state at the compaction point (its real change is older than the retained history). */
  readonly baseline?: boolean;
}

export interface KeyHistory {
  /** Oldest first. */
  readonly entries: readonly KeyHistoryEntry[];
  readonly oldestRevision: number;
  readonly currentRevision: number;
  readonly truncated: boolean;
}

/** Who made a revision and when, from the audit trail. */
export interface RevisionAuthor {
  /** `user@address`, or the address alone without a login. */
  readonly by: string;
  /** Wall-clock milliseconds at the member that took the write (display only). */
  readonly timeMs: number;
}

type HistoryClient = Pick<KiteClient, 'get' | 'watch' | 'request'>;

export async function keyHistory(c: HistoryClient, key: Uint8Array): Promise<KeyHistory> {
  const now = await c.get(key);
  const currentRevision = now.header.revision;
  let start = 1;
  for (let attempt = 0; attempt <= HISTORY_COMPACT_RETRIES; attempt++) {
    try {
      return await withBaseline(c, key, await replay(c, key, start, currentRevision));
    } catch (err) {
      const compactRevision = isKiteError(err, 'Compacted') ? err.details.compactRevision : undefined;
      if (typeof compactRevision !== 'number' || compactRevision <= start) throw err;
      start = compactRevision;
    }
  }
  throw new RecipeError('HistoryRace', `history of ${keyText(key)} kept being compacted while reading it; try again`);
}

/**
 * When the first retained change is not a create, the value before it is still readable at
 * the oldest retained revision: add it as a baseline so the first diff is a real diff.
 */
async function withBaseline(c: HistoryClient, key: Uint8Array, h: KeyHistory): Promise<KeyHistory> {
  const first = h.entries[0];
  if (first === undefined || first.version <= 1 || first.revision - 1 < h.oldestRevision) return h;
  try {
    const r = await c.get(key, { revision: first.revision - 1 });
    const kv = r.kvs[0];
    if (kv === undefined) return h;
    return { ...h, entries: [{ ...toEntry('put', kv), baseline: true }, ...h.entries] };
  } catch (err) {
    if (isKiteError(err, 'Compacted')) return h;
    throw err;
  }
}

async function replay(c: HistoryClient, key: Uint8Array, start: number, until: number): Promise<KeyHistory> {
  const entries: KeyHistoryEntry[] = [];
  const w = c.watch(key, { startRevision: start });
  const timer = setTimeout(() => void w.cancel(), HISTORY_WAIT_MS);
  let done = until < start;
  let truncated = false;
  try {
    await w.ready;
    await w.requestProgress();
    if (!done) {
      for await (const batch of w) {
        for (const ev of batch.events) {
          if (ev.kv.modRevision > until) {
            done = true;
            break;
          }
          if (entries.length >= HISTORY_EVENTS_MAX) {
            truncated = true;
            done = true;
            break;
          }
          entries.push(toEntry(ev.type, ev.kv));
          if (ev.kv.modRevision >= until) done = true;
        }
        if (done || (batch.progress === true && batch.header.revision >= until)) {
          done = true;
          break;
        }
      }
    }
  } finally {
    clearTimeout(timer);
    w.cancel();
  }
  if (!done) throw new RecipeError('HistoryTimeout', `reading the history of ${keyText(key)} did not finish within ${HISTORY_WAIT_MS / 1000} s`);
  return { entries, oldestRevision: start, currentRevision: until, truncated };
}

function toEntry(type: 'put' | 'delete', kv: KeyValue): KeyHistoryEntry {
  return { revision: kv.modRevision, type, value: kv.value, version: kv.version, createRevision: kv.createRevision, lease: kv.lease };
}

/**
 * Who made each revision of `key`, from the audit trail (successful writes naming the key).
 * Empty when the trail cannot be read (auth on and not root, or a member without audit).
 */
export async function keyAuthors(c: Pick<KiteClient, 'request'>, key: Uint8Array): Promise<Map<number, RevisionAuthor>> {
  const out = new Map<number, RevisionAuthor>();
  let fromSeq: number | null = 1;
  try {
    for (let page = 0; page < AUTHOR_PAGES_MAX && fromSeq !== null; page++) {
      const r: AuditResult = await c.request('audit', { key, fromSeq });
      for (const rec of r.records) {
        if (rec.result !== 'ok' || rec.revision <= 0) continue;
        out.set(rec.revision, { by: rec.user === null ? rec.address : `${rec.user}@${rec.address}`, timeMs: rec.timeMs });
      }
      fromSeq = r.nextSeq;
    }
  } catch (err) {
    if (isKiteError(err, 'PermissionDenied') || isKiteError(err, 'Unauthenticated') || isKiteError(err, 'UnknownOp')) return new Map();
    throw err;
  }
  return out;
}

/** What a rollback of `key` to `to` would do, read now (show it to a person before applying). */
export interface RollbackPlan {
  readonly key: Uint8Array;
  readonly to: number;
  /** The key now (undefined: absent). */
  readonly current: KeyValue | undefined;
  /** The key at `to` (undefined: it did not exist then, so the rollback deletes it). */
  readonly target: KeyValue | undefined;
  /** The guard: the rollback applies only while the key's modRevision is this (0: absent). */
  readonly expectModRevision: number;
  /** The key already has the value it had at `to` (nothing to do). */
  readonly unchanged: boolean;
  /** The store revision the current value was read at. */
  readonly revision: number;
}

export async function planRollback(
  c: Pick<KiteClient, 'get'>, key: Uint8Array, to: number, opts: { readonly expectModRevision?: number } = {},
): Promise<RollbackPlan> {
  const target = (await c.get(key, { revision: to })).kvs[0];
  const now = await c.get(key);
  const current = now.kvs[0];
  const expectModRevision = opts.expectModRevision ?? current?.modRevision ?? 0;
  const unchanged = opts.expectModRevision === undefined && sameValue(current, target);
  return { key, to, current, target, expectModRevision, unchanged, revision: now.header.revision };
}

export type RollbackOutcome =
  | { readonly applied: true; readonly deleted: boolean; readonly revision: number }
  /** Someone changed the key since the plan was read: nothing was written. */
  | { readonly applied: false; readonly current: KeyValue | undefined };

/** Applies a plan with its guard (the key's modRevision must still be the planned one). */
export async function applyRollback(c: Pick<KiteClient, 'txn'>, plan: RollbackPlan): Promise<RollbackOutcome> {
  const k = plan.key;
  const r = await c.txn({
    compare: [{ key: k, target: 'modRevision', result: 'equal', value: plan.expectModRevision }],
    success: [plan.target === undefined ? { type: 'deleteRange', key: k } : { type: 'put', key: k, value: plan.target.value }],
    failure: [{ type: 'range', key: k }],
  });
  if (r.succeeded) return { applied: true, deleted: plan.target === undefined, revision: r.header.revision };
  const resp = r.responses[0];
  return { applied: false, current: resp !== undefined && resp.type === 'range' ? resp.kvs[0] : undefined };
}

function sameValue(a: KeyValue | undefined, b: KeyValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.value.byteLength !== b.value.byteLength) return false;
  for (let i = 0; i < a.value.byteLength; i++) if (a.value[i] !== b.value[i]) return false;
  return true;
}

function keyText(key: Uint8Array): string {
  return new TextDecoder().decode(key);
}
