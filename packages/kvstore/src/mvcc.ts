// The in-memory half of the MVCC store: the key index, the bounded cache of current values,
// the lessor, the revision counters, and reading change records (from the in-flight batch or
// the backend). Everything that mutates this state runs inside KvStore's apply lock; readers
// run between mutations.

import { AuditLog } from './audit.js';
import { AuthState } from './auth-state.js';
import { assert } from './assert.js';
import type { Backend, BackendReader } from './backend/backend.js';
import { EMPTY_BYTES, keyBytes, keyString } from './bytes.js';
import { CorruptError } from './corrupt-error.js';
import type { KeyAt, KeyIndex } from './key-index.js';
import type { ChangeRecord } from './layout.js';
import { decodeRecord, revKey } from './layout.js';
import { Lessor } from './lessor.js';
import type { RecordTally } from './record-tally.js';
import { emptyTally } from './record-tally.js';
import type { Revision } from './revision.js';
import { TreeIndex } from './tree-index.js';
import type { KeyValue } from './types.js';
import { ValueCache } from './value-cache.js';

/** Records read from the backend at once when pinning values (a delete of a large range). */
const PIN_READ_KEYS_MAX = 1024;

export function pendingKey(rev: Revision): string {
  return `${rev.main}:${rev.sub}`;
}

export class MvccState {
  readonly tree = new TreeIndex();
  /** Current values in memory, bounded (value-cache.ts); the rest are read by revision. */
  readonly values: ValueCache;
  readonly lessor = new Lessor();
  readonly auth = new AuthState();
  readonly audit = new AuditLog();
  /** Revision of the last applied change (in memory; may be ahead of the published one). */
  currentRevision = 1;
  /** Reads below it fail with Compacted. 0 = never compacted. */
  compactRevision = 0;
  appliedIndex = 0;
  /** Records of the batch being applied/written, not yet readable from the backend. */
  readonly pending = new Map<string, ChangeRecord>();
  /** The change records the backend holds (see record-tally.ts), as of the last write. */
  tally: RecordTally = emptyTally();

  constructor(
    public backend: Backend,
    /** Told about damage found while reading (the owner stops serving). */
    private readonly reportCorrupt: (err: CorruptError) => void = () => {},
    valueCacheBytesMax?: number,
  ) {
    this.values = new ValueCache(valueCacheBytesMax);
  }

  /** A CorruptError about `what` in the backend, reported to the owner. */
  corrupt(what: string): CorruptError {
    const err = new CorruptError(this.backend.location, what);
    this.reportCorrupt(err);
    return err;
  }

  reset(): void {
    this.tree.clear();
    this.values.clear();
    this.lessor.clear();
    this.auth.reset();
    this.audit.reset();
    this.currentRevision = 1;
    this.compactRevision = 0;
    this.appliedIndex = 0;
    this.pending.clear();
    this.tally = emptyTally();
  }

  /**
   * Change records by revision; undefined where the backend no longer has one (compacted).
   * Compaction never deletes a record above the compact revision, so one missing there is
   * damage (a lost table block), not history: it throws CorruptError rather than answer as if
   * the record had been compacted.
   */
  async readRecords(revs: readonly Revision[], reader: BackendReader = this.backend): Promise<(ChangeRecord | undefined)[]> {
    const out: (ChangeRecord | undefined)[] = new Array<ChangeRecord | undefined>(revs.length);
    const missing: number[] = [];
    for (let i = 0; i < revs.length; i++) {
      const rev = revs[i] as Revision;
      const p = this.pending.get(pendingKey(rev));
      if (p !== undefined) out[i] = p;
      else missing.push(i);
    }
    if (missing.length > 0) {
      const raw = await reader.getMany(missing.map((i) => revKey(revs[i] as Revision)));
      missing.forEach((i, j) => {
        const bytes = raw[j];
        const rev = revs[i] as Revision;
        if (bytes === undefined && rev.main > this.compactRevision) {
          throw this.corrupt(`change record at revision ${rev.main}.${rev.sub} is missing (above the compact revision ${this.compactRevision})`);
        }
        out[i] = bytes === undefined ? undefined : decodeRecord(bytes);
      });
    }
    return out;
  }

  /** Whether `at` is the latest live state of `ki` (its value is the current one). */
  isCurrent(ki: KeyIndex, at: KeyAt): boolean {
    const latest = ki.latest();
    return latest !== undefined && latest.modified === at.modified;
  }

  /** The key's current KeyValue with an empty value, from the index alone (keys-only reads). */
  currentKvWithoutValue(ki: KeyIndex, at: KeyAt): KeyValue {
    return { key: keyBytes(ki.key), value: EMPTY_BYTES, createRevision: at.createRevision, modRevision: at.modified.main, version: at.version, lease: ki.lease };
  }

  /** The key's current KeyValue from the value cache, when `at` is its latest live state and cached. */
  cachedKv(ki: KeyIndex, at: KeyAt): KeyValue | undefined {
    if (!this.isCurrent(ki, at)) return undefined;
    const value = this.values.get(ki);
    if (value === undefined) return undefined;
    return {
      key: keyBytes(ki.key),
      value: keyBytes(value),
      createRevision: at.createRevision,
      modRevision: at.modified.main,
      version: at.version,
      lease: ki.lease,
    };
  }

  /**
   * KeyValues for (key, state) pairs: from the cache where current, else from records. With
   * `fillCache`, current values read back go into the value cache (point reads: a scan of
   * many keys, a hash or a history read would only push the recently written values out).
   */
  async materialize(items: readonly { ki: KeyIndex; at: KeyAt }[], reader?: BackendReader, fillCache = false): Promise<(KeyValue | undefined)[]> {
    const out: (KeyValue | undefined)[] = items.map(({ ki, at }) => this.cachedKv(ki, at));
    const need: number[] = [];
    out.forEach((kv, i) => {
      if (kv === undefined) need.push(i);
    });
    if (need.length === 0) return out;
    const records = await this.readRecords(need.map((i) => (items[i] as { at: KeyAt }).at.modified), reader);
    need.forEach((i, j) => {
      const rec = records[j];
      const item = items[i] as { ki: KeyIndex; at: KeyAt };
      if (rec === undefined) return; // compacted under us; the caller decides
      assert(!rec.tombstone, `index points at a tombstone for ${item.ki.key}`);
      // Still current after the await: then it is the value to cache.
      if (fillCache && this.isCurrent(item.ki, item.at)) this.values.set(item.ki, keyString(rec.value));
      out[i] = {
        key: rec.key,
        value: rec.value,
        createRevision: item.at.createRevision,
        modRevision: item.at.modified.main,
        version: item.at.version,
        lease: rec.lease,
      };
    });
    return out;
  }

  /**
   * Loads and pins the current values of the live `keys` (value-cache.ts: apply reads them
   * synchronously), reading the uncached ones from their change records in one batch.
   */
  async pinCurrentValues(keys: readonly KeyIndex[]): Promise<void> {
    const missing: KeyIndex[] = [];
    for (const ki of keys) {
      const v = this.values.get(ki);
      if (v !== undefined) this.values.pin(ki, v);
      else if (ki.alive) missing.push(ki);
    }
    if (missing.length === 0) return;
    const revs = missing.map((ki) => {
      const at = ki.latest();
      assert(at !== undefined, `pinning the value of deleted key ${ki.key}`);
      return at.modified;
    });
    for (let from = 0; from < missing.length; from += PIN_READ_KEYS_MAX) {
      const records = await this.readRecords(revs.slice(from, from + PIN_READ_KEYS_MAX));
      records.forEach((rec, j) => {
        const ki = missing[from + j] as KeyIndex;
        if (rec === undefined || rec.tombstone) throw this.corrupt(`the current value of ${ki.key} (revision ${revs[from + j]?.main}) is not in the store`);
        this.values.pin(ki, keyString(rec.value));
      });
    }
  }
}
