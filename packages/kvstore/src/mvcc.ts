// The in-memory half of the MVCC store: the key index, the lessor, the revision counters, and
// reading change records (from the in-flight batch or the backend). Everything that mutates
// this state runs inside KvStore's apply lock; readers run between mutations.

import { AuditLog } from './audit.js';
import { AuthState } from './auth-state.js';
import { assert } from './assert.js';
import type { Backend, BackendReader } from './backend/backend.js';
import { keyBytes } from './bytes.js';
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

export function pendingKey(rev: Revision): string {
  return `${rev.main}:${rev.sub}`;
}

export class MvccState {
  readonly tree = new TreeIndex();
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
  ) {}

  /** A CorruptError about `what` in the backend, reported to the owner. */
  corrupt(what: string): CorruptError {
    const err = new CorruptError(this.backend.location, what);
    this.reportCorrupt(err);
    return err;
  }

  reset(): void {
    this.tree.clear();
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

  /** The key's current KeyValue from the cache, when `at` is its latest live state. */
  cachedKv(ki: KeyIndex, at: KeyAt): KeyValue | undefined {
    const latest = ki.latest();
    if (latest === undefined || latest.modified !== at.modified) return undefined;
    const value = ki.valueBytes();
    if (value === undefined) return undefined;
    return {
      key: keyBytes(ki.key),
      value,
      createRevision: at.createRevision,
      modRevision: at.modified.main,
      version: at.version,
      lease: ki.lease,
    };
  }

  /** KeyValues for (key, state) pairs: from the cache where current, else from records. */
  async materialize(items: readonly { ki: KeyIndex; at: KeyAt }[], reader?: BackendReader): Promise<(KeyValue | undefined)[]> {
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
}
