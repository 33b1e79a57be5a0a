// An in-memory model of the store's semantics that the recipes rely on (etcd v3 MVCC, one
// revision per write, txn, leases deleting their keys in one revision, watches that replay
// from a start revision and then follow, compaction cancelling old watches). It is a test
// model for recipe logic, not a server: no network, no raft, deterministic.
import { KiteError, type Compare, type KeyValue, type RangeArgs, type ResponseHeader, type TxnArgs, type TxnRequestOp, type TxnResponseOp, type WatchEvent } from '@kite/protocol';
import type { RecipeClient, RecipeLease, RecipeWatch, RecipeWatchBatch, RecipeWatchOptions } from '../src/recipes/client-surface.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const cmp = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function inRange(k: Uint8Array, key: Uint8Array, rangeEnd: Uint8Array | undefined): boolean {
  if (rangeEnd === undefined) return cmp(k, key) === 0;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return cmp(k, key) >= 0;
  return cmp(k, key) >= 0 && cmp(k, rangeEnd) < 0;
}

interface LogEntry {
  readonly revision: number;
  readonly events: WatchEvent[];
}

class ModelWatch implements RecipeWatch {
  private readonly queue: RecipeWatchBatch[] = [];
  private waiter: ((r: IteratorResult<RecipeWatchBatch>) => void) | null = null;
  private failWaiter: ((e: unknown) => void) | null = null;
  private done = false;
  private failure: unknown = null;

  constructor(
    private readonly model: KvModel,
    readonly key: Uint8Array,
    readonly rangeEnd: Uint8Array | undefined,
    public next: number,
  ) {}

  matches(ev: WatchEvent): boolean {
    return inRange(ev.kv.key, this.key, this.rangeEnd);
  }

  deliver(entry: LogEntry): void {
    if (this.done || entry.revision < this.next) return;
    const events = entry.events.filter((e) => this.matches(e));
    this.next = entry.revision + 1;
    if (events.length === 0) return;
    this.push({ header: this.model.header(), events, progress: false, revision: entry.revision });
  }

  private push(b: RecipeWatchBatch): void {
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      this.failWaiter = null;
      w({ done: false, value: b });
    } else {
      this.queue.push(b);
    }
  }

  fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.failure = err;
    this.model.watches.delete(this);
    if (this.failWaiter !== null) {
      const f = this.failWaiter;
      this.waiter = null;
      this.failWaiter = null;
      f(err);
    }
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.model.watches.delete(this);
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      this.failWaiter = null;
      w({ done: true, value: undefined });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<RecipeWatchBatch> {
    return {
      next: () => {
        const b = this.queue.shift();
        if (b !== undefined) return Promise.resolve({ done: false, value: b });
        if (this.done) {
          if (this.failure !== null) {
            const f = this.failure;
            this.failure = null;
            return Promise.reject(f);
          }
          return Promise.resolve({ done: true, value: undefined });
        }
        return new Promise((resolve, reject) => {
          this.waiter = resolve;
          this.failWaiter = reject;
        });
      },
      return: () => {
        this.cancel();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

export class ModelLease implements RecipeLease {
  private readonly lostListeners = new Set<(r: unknown) => void>();
  alive = true;

  constructor(
    private readonly model: KvModel,
    readonly id: number,
    readonly ttl: number,
  ) {}

  on(_event: 'lost', listener: (reason: unknown) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async revoke(): Promise<void> {
    this.model.revokeLease(this.id);
  }

  /** Test hook: the lease expires (keys deleted in one revision, 'lost' emitted). */
  expire(): void {
    this.model.revokeLease(this.id);
    for (const l of [...this.lostListeners]) l(new KiteError('LeaseNotFound', 'expired'));
  }
}

export class KvModel implements RecipeClient {
  revision = 1;
  compactRevision = 0;
  private readonly current = new Map<string, KeyValue>();
  private readonly log: LogEntry[] = [];
  readonly watches = new Set<ModelWatch>();
  private readonly leases = new Map<number, ModelLease>();
  private nextLeaseId = 0x1000;
  /** Calls made, by op name (tests assert work is bounded). */
  readonly calls = new Map<string, number>();

  header(): ResponseHeader {
    return { clusterId: 'c1', memberId: 'm1', revision: this.revision, raftTerm: 1 };
  }

  private count(op: string): void {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
  }

  /** The state at `revision` (replaying the log), or the current state. */
  private stateAt(revision: number): Map<string, KeyValue> {
    if (revision === 0 || revision >= this.revision) return this.current;
    if (revision < this.compactRevision) throw new KiteError('Compacted', 'compacted', { compactRevision: this.compactRevision });
    const s = new Map<string, KeyValue>();
    for (const e of this.log) {
      if (e.revision > revision) break;
      for (const ev of e.events) {
        if (ev.type === 'put') s.set(hex(ev.kv.key), ev.kv);
        else s.delete(hex(ev.kv.key));
      }
    }
    return s;
  }

  private rangeNow(a: RangeArgs): { kvs: KeyValue[]; more: boolean; count: number } {
    let kvs = [...this.stateAt(a.revision ?? 0).values()].filter((kv) => inRange(kv.key, a.key, a.rangeEnd));
    if (a.maxCreateRevision !== undefined && a.maxCreateRevision > 0) kvs = kvs.filter((kv) => kv.createRevision <= a.maxCreateRevision!);
    if (a.minCreateRevision !== undefined && a.minCreateRevision > 0) kvs = kvs.filter((kv) => kv.createRevision >= a.minCreateRevision!);
    kvs.sort((x, y) => cmp(x.key, y.key));
    if (a.sortTarget === 'createRevision') kvs.sort((x, y) => x.createRevision - y.createRevision);
    if (a.sortOrder === 'descend') kvs.reverse();
    const count = kvs.length;
    const limited = a.limit !== undefined && a.limit > 0 ? kvs.slice(0, a.limit) : kvs;
    return { kvs: limited, more: limited.length < count, count };
  }

  async get(key: Uint8Array, opts: Omit<RangeArgs, 'key'> = {}): Promise<{ header: ResponseHeader; kvs: KeyValue[]; more: boolean; count: number }> {
    this.count('get');
    return { header: this.header(), ...this.rangeNow({ key, ...opts }) };
  }

  async delete(key: Uint8Array, opts: { rangeEnd?: Uint8Array } = {}): Promise<{ header: ResponseHeader; deleted: number }> {
    this.count('delete');
    const r = await this.txn({ compare: [], success: [{ type: 'deleteRange', key, ...opts }], failure: [] });
    const d = r.responses[0];
    return { header: r.header, deleted: d !== undefined && d.type === 'deleteRange' ? d.deleted : 0 };
  }

  private holds(c: Compare): boolean {
    const kv = this.current.get(hex(c.key));
    const actual: number | Uint8Array = c.target === 'value'
      ? kv?.value ?? new Uint8Array()
      : kv === undefined ? 0 : c.target === 'version' ? kv.version : c.target === 'createRevision' ? kv.createRevision : c.target === 'modRevision' ? kv.modRevision : kv.lease;
    if (c.target === 'value' && kv === undefined) return false;
    const d = typeof actual === 'number' ? actual - (c.value as number) : cmp(actual, c.value as Uint8Array);
    switch (c.result) {
      case 'equal': return d === 0;
      case 'notEqual': return d !== 0;
      case 'less': return d < 0;
      case 'greater': return d > 0;
    }
  }

  async txn(args: TxnArgs): Promise<{ header: ResponseHeader; succeeded: boolean; responses: TxnResponseOp[] }> {
    this.count('txn');
    const succeeded = args.compare.every((c) => this.holds(c));
    const ops = succeeded ? args.success : args.failure;
    const rev = this.revision + 1;
    const events: WatchEvent[] = [];
    const responses = ops.map((op) => this.applyOp(op, rev, events));
    if (events.length > 0) this.commit(rev, events);
    return { header: this.header(), succeeded, responses };
  }

  private applyOp(op: TxnRequestOp, rev: number, events: WatchEvent[]): TxnResponseOp {
    switch (op.type) {
      case 'range': return { type: 'range', ...this.rangeNow(op) };
      case 'put': {
        if (op.lease !== undefined && op.lease !== 0 && this.leases.get(op.lease)?.alive !== true) {
          throw new KiteError('LeaseNotFound', 'no such lease', { lease: op.lease });
        }
        const prev = this.current.get(hex(op.key));
        const kv: KeyValue = {
          key: op.key, value: op.value, createRevision: prev?.createRevision ?? rev, modRevision: rev,
          version: (prev?.version ?? 0) + 1, lease: op.lease ?? 0,
        };
        this.current.set(hex(op.key), kv);
        events.push(prev !== undefined ? { type: 'put', kv, prevKv: prev } : { type: 'put', kv });
        return { type: 'put' };
      }
      case 'deleteRange': {
        const doomed = [...this.current.values()].filter((kv) => inRange(kv.key, op.key, op.rangeEnd));
        for (const prev of doomed) {
          this.current.delete(hex(prev.key));
          events.push({ type: 'delete', kv: { key: prev.key, value: new Uint8Array(), createRevision: 0, modRevision: rev, version: 0, lease: 0 }, prevKv: prev });
        }
        return { type: 'deleteRange', deleted: doomed.length };
      }
      case 'txn': throw new Error('nested txn not modelled');
    }
  }

  private commit(rev: number, events: WatchEvent[]): void {
    this.revision = rev;
    const entry = { revision: rev, events };
    this.log.push(entry);
    for (const w of [...this.watches]) w.deliver(entry);
  }

  watch(key: Uint8Array, opts: RecipeWatchOptions = {}): RecipeWatch {
    this.count('watch');
    const start = opts.startRevision !== undefined && opts.startRevision > 0 ? opts.startRevision : this.revision + 1;
    const w = new ModelWatch(this, key, opts.rangeEnd, start);
    if (start < this.compactRevision) {
      w.fail(new KiteError('Compacted', 'compacted', { compactRevision: this.compactRevision }));
      return w;
    }
    this.watches.add(w);
    for (const e of this.log) w.deliver(e);
    return w;
  }

  readonly lease = {
    grant: async (ttl: number): Promise<ModelLease> => {
      this.count('leaseGrant');
      const l = new ModelLease(this, this.nextLeaseId++, ttl);
      this.leases.set(l.id, l);
      return l;
    },
  };

  leaseById(id: number): ModelLease | undefined {
    return this.leases.get(id);
  }

  revokeLease(id: number): void {
    const l = this.leases.get(id);
    if (l === undefined || !l.alive) return;
    l.alive = false;
    const rev = this.revision + 1;
    const events: WatchEvent[] = [];
    for (const kv of [...this.current.values()].filter((x) => x.lease === id)) {
      this.applyOp({ type: 'deleteRange', key: kv.key }, rev, events);
    }
    if (events.length > 0) this.commit(rev, events);
  }

  /** Compacts history below `revision`; live watches behind it fail with Compacted. */
  compact(revision: number): void {
    this.compactRevision = revision;
  }

  /** Test hook: every live watch fails with `err` (e.g. Compacted after falling behind). */
  failWatches(err: unknown): void {
    for (const w of [...this.watches]) w.fail(err);
  }

  /** Plain string put, for tests. */
  async put(key: string, value: string, lease = 0): Promise<number> {
    const enc = new TextEncoder();
    const r = await this.txn({ compare: [], success: [{ type: 'put', key: enc.encode(key), value: enc.encode(value), ...(lease !== 0 ? { lease } : {}) }], failure: [] });
    return r.header.revision;
  }
}
