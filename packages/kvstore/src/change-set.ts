// The changes of one write request (put, deleteRange, txn, lease revoke): they share one main
// revision and get increasing sub-revisions. Each change updates the key index and lessor at
// once (later ops of a txn see earlier ones), queues its backend record in the apply batch,
// and records its watch event. The revision is consumed only if something changed.

import { assert } from './assert.js';
import type { BackendOp } from './backend/backend.js';
import { copyBytes, keyInterval, keyString, plainBytes } from './bytes.js';
import type { KeyIndex } from './key-index.js';
import type { ChangeRecord } from './layout.js';
import { encodeRecord, revKey } from './layout.js';
import type { MvccState } from './mvcc.js';
import { pendingKey } from './mvcc.js';
import type { Revision } from './revision.js';
import type { DeleteRangeArgs, DeleteRangeResult, KeyValue, PutArgs, PutResult } from './types.js';
import type { RevisionEvents, WatchEvent } from './watch-source.js';
import { deletedKv } from './watch-source.js';

export class ChangeSet {
  readonly main: number;
  private sub = 0;
  private readonly events: WatchEvent[] = [];

  constructor(
    private readonly state: MvccState,
    private readonly ops: BackendOp[],
  ) {
    this.main = state.currentRevision + 1;
  }

  get changed(): boolean {
    return this.sub > 0;
  }

  /** The revision reads inside this request observe (etcd: begin revision, +1 once changed). */
  get visibleRevision(): number {
    return this.changed ? this.main : this.state.currentRevision;
  }

  private nextRevision(): Revision {
    return { main: this.main, sub: this.sub++ };
  }

  private record(rev: Revision, rec: ChangeRecord): void {
    this.ops.push({ type: 'put', key: revKey(rev), value: encodeRecord(rec) });
    this.state.pending.set(pendingKey(rev), rec);
  }

  /** The live KeyValue of a key index (caller checked it is alive; the store pinned its value). */
  private currentKv(ki: KeyIndex): KeyValue {
    const at = ki.latest();
    const kv = at === undefined ? undefined : this.state.cachedKv(ki, at);
    assert(kv !== undefined, `current value of deleted key ${ki.key}`);
    return kv;
  }

  /** Preconditions (lease exists, key exists for ignore flags) were checked by the caller. */
  put(args: PutArgs): PutResult {
    const k = keyString(args.key);
    const ki = this.state.tree.getOrCreate(k);
    const prev = ki.alive ? this.currentKv(ki) : undefined;
    const value = args.ignoreValue === true ? prev?.value : copyBytes(args.value);
    const lease = args.ignoreLease === true ? prev?.lease : (args.lease ?? 0);
    assert(value !== undefined && lease !== undefined, 'ignoreValue/ignoreLease on a missing key');
    const rev = this.nextRevision();
    const createRevision = prev?.createRevision ?? rev.main;
    const version = (prev?.version ?? 0) + 1;
    ki.put(rev, value.byteLength, lease);
    this.state.values.set(ki, keyString(value));
    if (prev !== undefined && prev.lease !== 0 && prev.lease !== lease) this.state.lessor.detach(prev.lease, k);
    if (lease !== 0) this.state.lessor.attach(lease, k);
    // The request's own key bytes: records are encoded at once and events are short-lived,
    // so nothing long-lived pins the (possibly larger) buffer they view.
    const key = plainBytes(args.key);
    this.record(rev, { tombstone: false, key, value, createRevision, version, lease });
    const kv: KeyValue = { key, value, createRevision, modRevision: rev.main, version, lease };
    this.events.push(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev });
    return args.prevKv === true && prev !== undefined ? { prevKv: prev } : {};
  }

  /** Deletes one live key; returns its value before the delete. */
  deleteKey(ki: KeyIndex): KeyValue {
    const prev = this.currentKv(ki);
    const rev = this.nextRevision();
    ki.tombstone(rev);
    this.state.values.delete(ki);
    if (prev.lease !== 0) this.state.lessor.detach(prev.lease, ki.key);
    this.record(rev, { tombstone: true, key: prev.key });
    this.events.push({ type: 'delete', kv: deletedKv(prev.key, rev.main), prevKv: prev });
    return prev;
  }

  deleteRange(args: DeleteRangeArgs): DeleteRangeResult {
    const live: KeyIndex[] = [];
    for (const ki of this.state.tree.range(keyInterval(args.key, args.rangeEnd))) if (ki.alive) live.push(ki);
    const prevKvs = live.map((ki) => this.deleteKey(ki));
    return args.prevKv === true ? { deleted: live.length, prevKvs } : { deleted: live.length };
  }

  /** Ends the request: bumps the store revision iff something changed. */
  finish(): RevisionEvents | undefined {
    if (!this.changed) return undefined;
    this.state.currentRevision = this.main;
    return { revision: this.main, events: this.events };
  }
}
