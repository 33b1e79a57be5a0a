// The reference model for the store's model-based test: a deliberately naive in-memory MVCC
// (every key's full version list, linear scans) implementing etcd v3 semantics for put,
// deleteRange, txn, range, compact and leases, and recording each revision's watch events.
// Written from etcd's documented behaviour, independently of the real store.

import type {
  Compare,
  DeleteRangeArgs,
  DeleteRangeResult,
  KeyValue,
  PutArgs,
  PutResult,
  RangeArgs,
  RangeResult,
  TxnArgs,
  TxnRequestOp,
  TxnResponseOp,
  TxnResult,
} from '../src/types.js';
import type { RevisionEvents, WatchEvent } from '../src/watch-source.js';

export type ModelErrorCode = 'Compacted' | 'FutureRevision' | 'LeaseNotFound' | 'DuplicateKey';
export type Outcome<T> = { readonly ok: true; readonly revision: number; readonly result: T } | { readonly ok: false; readonly code: ModelErrorCode };

const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

interface Version {
  readonly revision: number;
  readonly kv: KeyValue | null; // null = tombstone
}

class ModelError extends Error {
  constructor(readonly code: ModelErrorCode) {
    super(code);
  }
}

function inRange(key: string, start: string, rangeEnd: Uint8Array | undefined): boolean {
  if (rangeEnd === undefined || rangeEnd.length === 0) return key === start;
  if (key < start) return false;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return true;
  return key < str(rangeEnd);
}

/** One write transaction: reads see its own earlier writes; commits as one revision. */
class WriteTxn {
  readonly events: WatchEvent[] = [];
  private readonly pending = new Map<string, KeyValue | null>();
  constructor(
    private readonly model: ReferenceModel,
    readonly revision: number,
  ) {}

  current(key: string): KeyValue | undefined {
    if (this.pending.has(key)) return this.pending.get(key) ?? undefined;
    return this.model.valueAt(key, this.revision - 1);
  }

  keysInRange(key: Uint8Array, rangeEnd: Uint8Array | undefined): string[] {
    const start = str(key);
    const all = new Set<string>([...this.model.allKeys(), ...this.pending.keys()]);
    return [...all].filter((k) => inRange(k, start, rangeEnd) && this.current(k) !== undefined).sort();
  }

  put(args: PutArgs): PutResult {
    const key = str(args.key);
    const prev = this.current(key);
    const lease = args.lease ?? 0;
    if (lease !== 0 && !this.model.leases.has(lease)) throw new ModelError('LeaseNotFound');
    const kv: KeyValue = {
      key: bytes(key),
      value: new Uint8Array(args.value),
      createRevision: prev?.createRevision ?? this.revision,
      modRevision: this.revision,
      version: (prev?.version ?? 0) + 1,
      lease,
    };
    this.pending.set(key, kv);
    this.events.push(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev });
    return args.prevKv === true && prev !== undefined ? { prevKv: prev } : {};
  }

  deleteRange(args: DeleteRangeArgs): DeleteRangeResult {
    const keys = this.keysInRange(args.key, args.rangeEnd);
    const prevKvs: KeyValue[] = [];
    for (const key of keys) {
      const prev = this.current(key) as KeyValue;
      prevKvs.push(prev);
      this.pending.set(key, null);
      const kv: KeyValue = { key: bytes(key), value: new Uint8Array(0), createRevision: 0, modRevision: this.revision, version: 0, lease: 0 };
      this.events.push({ type: 'delete', kv, prevKv: prev });
    }
    return args.prevKv === true ? { deleted: keys.length, prevKvs } : { deleted: keys.length };
  }

  range(args: RangeArgs): RangeResult {
    const kvs = this.keysInRange(args.key, args.rangeEnd).map((k) => this.current(k) as KeyValue);
    return limitKvs(kvs, args);
  }

  writes(): ReadonlyMap<string, KeyValue | null> {
    return this.pending;
  }
}

function limitKvs(all: KeyValue[], args: RangeArgs): RangeResult {
  const limit = args.limit ?? 0;
  const kvs = limit > 0 ? all.slice(0, limit) : all;
  const shaped = args.keysOnly === true ? kvs.map((kv) => ({ ...kv, value: new Uint8Array(0) })) : kvs;
  // etcd: countOnly returns no kvs, so `more` (kvs cut by limit) is false.
  if (args.countOnly === true) return { kvs: [], more: false, count: all.length };
  return { kvs: shaped, more: limit > 0 && all.length > limit, count: all.length };
}

export class ReferenceModel {
  /** etcd's store starts at revision 1 with no keys; the first write is revision 2. */
  revision = 1;
  compactRevision = 0;
  readonly history: RevisionEvents[] = [];
  readonly leases = new Map<number, { readonly ttl: number }>();
  private readonly versions = new Map<string, Version[]>();

  allKeys(): IterableIterator<string> {
    return this.versions.keys();
  }

  valueAt(key: string, revision: number): KeyValue | undefined {
    const vs = this.versions.get(key);
    if (vs === undefined) return undefined;
    for (let i = vs.length - 1; i >= 0; i--) {
      const v = vs[i] as Version;
      if (v.revision <= revision) return v.kv ?? undefined;
    }
    return undefined;
  }

  /** Keys (sorted) holding a lease now. */
  leaseKeys(id: number): string[] {
    return [...this.versions.keys()].filter((k) => this.valueAt(k, this.revision)?.lease === id).sort();
  }

  range(args: RangeArgs): Outcome<RangeResult> {
    const at = args.revision ?? 0;
    if (at > this.revision) return { ok: false, code: 'FutureRevision' };
    if (at !== 0 && at < this.compactRevision) return { ok: false, code: 'Compacted' };
    const rev = at === 0 ? this.revision : at;
    const start = str(args.key);
    const kvs = [...this.versions.keys()]
      .filter((k) => inRange(k, start, args.rangeEnd))
      .sort()
      .map((k) => this.valueAt(k, rev))
      .filter((kv): kv is KeyValue => kv !== undefined);
    return { ok: true, revision: this.revision, result: limitKvs(kvs, args) };
  }

  put(args: PutArgs): Outcome<PutResult> {
    return this.write((t) => t.put(args));
  }

  deleteRange(args: DeleteRangeArgs): Outcome<DeleteRangeResult> {
    return this.write((t) => t.deleteRange(args));
  }

  txn(args: TxnArgs): Outcome<TxnResult> {
    return this.write((t) => this.runTxn(t, args));
  }

  compact(revision: number): Outcome<Record<never, never>> {
    if (revision > this.revision) return { ok: false, code: 'FutureRevision' };
    if (revision <= this.compactRevision) return { ok: false, code: 'Compacted' };
    this.compactRevision = revision;
    return { ok: true, revision: this.revision, result: {} };
  }

  leaseGrant(id: number, ttl: number): Outcome<{ id: number; ttl: number }> {
    if (this.leases.has(id)) return { ok: false, code: 'DuplicateKey' };
    this.leases.set(id, { ttl });
    return { ok: true, revision: this.revision, result: { id, ttl } };
  }

  /** Deletes the lease's keys (sorted) in one revision, then the lease. */
  leaseRevoke(id: number): Outcome<Record<never, never>> {
    if (!this.leases.has(id)) return { ok: false, code: 'LeaseNotFound' };
    const keys = this.leaseKeys(id);
    const out = this.write((t) => {
      for (const k of keys) t.deleteRange({ key: bytes(k) });
      return {};
    });
    this.leases.delete(id);
    return out;
  }

  private runTxn(t: WriteTxn, args: TxnArgs): TxnResult {
    const succeeded = args.compare.every((c) => this.compareHolds(t, c));
    const ops = succeeded ? args.success : args.failure;
    const responses: TxnResponseOp[] = ops.map((op) => this.runOp(t, op));
    return { succeeded, responses };
  }

  private runOp(t: WriteTxn, op: TxnRequestOp): TxnResponseOp {
    switch (op.type) {
      case 'put':
        return { type: 'put', ...t.put(op) };
      case 'deleteRange':
        return { type: 'deleteRange', ...t.deleteRange(op) };
      case 'range':
        return { type: 'range', ...t.range(op) };
      case 'txn':
        return { type: 'txn', ...this.runTxn(t, op) };
    }
  }

  private compareHolds(t: WriteTxn, c: Compare): boolean {
    const keys = t.keysInRange(c.key, c.rangeEnd);
    if (keys.length === 0) {
      if (c.target === 'value') return false;
      return cmpResult(0, c.value as number, c.result);
    }
    return keys.every((k) => {
      const kv = t.current(k) as KeyValue;
      if (c.target === 'value') return cmpResult(Buffer.compare(Buffer.from(kv.value), Buffer.from(c.value)), 0, c.result);
      const field = c.target === 'version' ? kv.version : c.target === 'createRevision' ? kv.createRevision : c.target === 'modRevision' ? kv.modRevision : kv.lease;
      return cmpResult(field, c.value, c.result);
    });
  }

  private write<T>(body: (t: WriteTxn) => T): Outcome<T> {
    const t = new WriteTxn(this, this.revision + 1);
    let result: T;
    try {
      result = body(t);
    } catch (err) {
      if (err instanceof ModelError) return { ok: false, code: err.code };
      throw err;
    }
    if (t.events.length > 0) {
      this.revision = t.revision;
      for (const [key, kv] of t.writes()) {
        let vs = this.versions.get(key);
        if (vs === undefined) this.versions.set(key, (vs = []));
        vs.push({ revision: t.revision, kv });
      }
      this.history.push({ revision: t.revision, events: t.events });
    }
    return { ok: true, revision: this.revision, result };
  }
}

function cmpResult(a: number, b: number, r: Compare['result']): boolean {
  switch (r) {
    case 'equal':
      return a === b;
    case 'notEqual':
      return a !== b;
    case 'greater':
      return a > b;
    case 'less':
      return a < b;
  }
}
