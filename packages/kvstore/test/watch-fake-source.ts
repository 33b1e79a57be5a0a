// An in-memory WatchSource for the hub's unit tests: a tiny MVCC history (puts, deletes,
// multi-key txns as one revision, compaction) that publishes batches like the real store and
// answers eventsBetween from its history. Reads can be held (`holdReads`) so tests can commit
// revisions while a catch-up read is in flight.

import type { KeyValue } from '../src/types.js';
import type {
  CommittedBatch,
  HistoryPage,
  RestoredState,
  RevisionEvents,
  Unsubscribe,
  WatchEvent,
  WatchSource,
} from '../src/watch-source.js';
import { deletedKv } from '../src/watch-source.js';
import { CompactedError } from '../src/errors.js';
import { dec, enc } from './helpers.js';

export { dec, enc };

export type FakeOp = { readonly type: 'put'; readonly key: string; readonly value: string } | { readonly type: 'delete'; readonly key: string };

export class FakeSource implements WatchSource {
  currentRevision = 0;
  compactRevision = 0;
  readonly history: RevisionEvents[] = [];
  readReads = 0;
  private readonly live = new Map<string, KeyValue>();
  private readonly committed = new Set<(b: CommittedBatch) => void>();
  private readonly restored = new Set<(s: RestoredState) => void>();
  private held: (() => void)[] | undefined = undefined;

  onCommitted(listener: (batch: CommittedBatch) => void): Unsubscribe {
    this.committed.add(listener);
    return () => this.committed.delete(listener);
  }

  onRestored(listener: (state: RestoredState) => void): Unsubscribe {
    this.restored.add(listener);
    return () => this.restored.delete(listener);
  }

  put(key: string, value: string): number {
    return this.txn([{ type: 'put', key, value }]);
  }

  del(key: string): number {
    return this.txn([{ type: 'delete', key }]);
  }

  /** Applies ops as one revision (ops on absent keys that change nothing are skipped). */
  txn(ops: readonly FakeOp[]): number {
    const revision = this.currentRevision + 1;
    const events: WatchEvent[] = [];
    for (const op of ops) {
      const prev = this.live.get(op.key);
      if (op.type === 'put') {
        const kv: KeyValue = {
          key: enc(op.key),
          value: enc(op.value),
          createRevision: prev?.createRevision ?? revision,
          modRevision: revision,
          version: (prev?.version ?? 0) + 1,
          lease: 0,
        };
        this.live.set(op.key, kv);
        events.push(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev });
      } else if (prev !== undefined) {
        this.live.delete(op.key);
        events.push({ type: 'delete', kv: deletedKv(enc(op.key), revision), prevKv: prev });
      }
    }
    if (events.length === 0) return this.currentRevision;
    this.currentRevision = revision;
    const change: RevisionEvents = { revision, events };
    this.history.push(change);
    for (const l of this.committed) l({ appliedIndex: revision, currentRevision: revision, changes: [change] });
    return revision;
  }

  compact(revision: number): void {
    this.compactRevision = revision;
  }

  /** Jumps to a later state without publishing batches (a snapshot install). */
  restoreJump(ops: readonly FakeOp[][]): void {
    const listeners = [...this.committed];
    this.committed.clear();
    for (const o of ops) this.txn(o);
    for (const l of listeners) this.committed.add(l);
    for (const l of this.restored) {
      l({ appliedIndex: this.currentRevision, currentRevision: this.currentRevision, compactRevision: this.compactRevision });
    }
  }

  holdReads(): void {
    this.held ??= [];
  }

  releaseReads(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  async eventsBetween(
    key: Uint8Array,
    rangeEnd: Uint8Array | undefined,
    fromRevision: number,
    toRevision: number,
    limitRevisions: number,
  ): Promise<HistoryPage> {
    this.readReads++;
    if (fromRevision < this.compactRevision) throw new CompactedError(fromRevision, this.compactRevision);
    const held = this.held;
    if (held !== undefined) await new Promise<void>((resolve) => held.push(resolve));
    const k = dec(key);
    const end = rangeEnd === undefined || rangeEnd.length === 0 ? undefined : rangeEnd;
    const inRange = (kv: KeyValue): boolean => {
      if (end === undefined) return dec(kv.key) === k;
      const c1 = Buffer.compare(Buffer.from(kv.key), Buffer.from(key));
      if (c1 < 0) return false;
      if (end.length === 1 && end[0] === 0) return true;
      return Buffer.compare(Buffer.from(kv.key), Buffer.from(end)) < 0;
    };
    const out: RevisionEvents[] = [];
    const to = Math.min(toRevision, this.currentRevision);
    for (const change of this.history) {
      if (change.revision < fromRevision || change.revision > to) continue;
      const events = change.events
        .filter((e) => inRange(e.kv))
        .map((e) => (e.kv.modRevision === this.compactRevision ? { type: e.type, kv: e.kv } : e));
      if (events.length === 0) continue;
      out.push({ revision: change.revision, events });
      if (out.length >= limitRevisions) return { changes: out, nextRevision: change.revision + 1 };
    }
    return { changes: out, nextRevision: to + 1 };
  }
}
