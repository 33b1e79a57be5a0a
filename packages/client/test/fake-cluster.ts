// A small in-process fake of a Kite cluster for client tests: one shared in-memory MVCC store
// (revisions, history, compaction, leases) and any number of "members", each a real `ws`
// WebSocketServer on 127.0.0.1 port 0 speaking the client protocol. Members can be told to
// drop links at chosen points, go silent, refuse or ignore ops, so the client's reconnect,
// resume and retry logic is exercised over real sockets. Not a model of Raft: every member
// sees the same store instantly.

import { WebSocketServer, type WebSocket } from 'ws';
import {
  decodeFrame, encodeFrame, errorReply, keyInRange, KiteError, okReply, parseRequest, toWireError,
  REQUEST_BYTES_MAX, REPLY_BYTES_MAX,
  type KeyValue, type OpName, type Request, type ResponseHeader, type WatchEvent, type WatchPush, type Member,
} from '@kite/protocol';

const CLUSTER_ID = 'fake-cluster';

interface HistoryEntry {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

type Listener = (entry: HistoryEntry) => void;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export class FakeStore {
  revision = 1;
  compactRevision = 0;
  readonly kvs = new Map<string, KeyValue>();
  readonly history: HistoryEntry[] = [];
  readonly leases = new Map<number, { ttl: number; keys: Set<string> }>();
  private nextLeaseId = 100;
  private readonly listeners = new Set<Listener>();
  /** Counts applied writes per op, to check a write was applied exactly once. */
  readonly applied = new Map<string, number>();

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  put(key: Uint8Array, value: Uint8Array, lease = 0): { prev: KeyValue | undefined; revision: number } {
    if (lease !== 0 && !this.leases.has(lease)) throw new KiteError('LeaseNotFound', 'lease not found', { lease });
    const k = hex(key);
    const prev = this.kvs.get(k);
    const rev = this.revision + 1;
    const kv: KeyValue = {
      key: new Uint8Array(key),
      value: new Uint8Array(value),
      createRevision: prev?.createRevision ?? rev,
      modRevision: rev,
      version: (prev?.version ?? 0) + 1,
      lease,
    };
    this.kvs.set(k, kv);
    if (lease !== 0) this.leases.get(lease)?.keys.add(k);
    this.commit([{ type: 'put', kv, ...(prev !== undefined ? { prevKv: prev } : {}) }]);
    this.count('put');
    return { prev, revision: rev };
  }

  deleteRange(key: Uint8Array, rangeEnd?: Uint8Array): KeyValue[] {
    const gone = [...this.kvs.values()].filter((kv) => keyInRange(kv.key, key, rangeEnd));
    if (gone.length === 0) return [];
    const rev = this.revision + 1;
    const events: WatchEvent[] = gone.map((prev) => {
      this.kvs.delete(hex(prev.key));
      return {
        type: 'delete',
        kv: { key: prev.key, value: new Uint8Array(), createRevision: 0, modRevision: rev, version: 0, lease: 0 },
        prevKv: prev,
      };
    });
    this.commit(events);
    this.count('deleteRange');
    return gone;
  }

  range(key: Uint8Array, rangeEnd?: Uint8Array): KeyValue[] {
    return [...this.kvs.values()]
      .filter((kv) => keyInRange(kv.key, key, rangeEnd))
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  compact(revision: number): void {
    if (revision <= this.compactRevision) throw new KiteError('Compacted', 'already compacted', { compactRevision: this.compactRevision });
    if (revision > this.revision) throw new KiteError('FutureRevision', 'future revision', { currentRevision: this.revision });
    this.compactRevision = revision;
  }

  grantLease(ttl: number): number {
    const id = this.nextLeaseId++;
    this.leases.set(id, { ttl, keys: new Set() });
    this.count('leaseGrant');
    return id;
  }

  /** Expires a lease now (deleting its keys in one revision), as the leader would. */
  expireLease(id: number): void {
    const lease = this.leases.get(id);
    if (lease === undefined) return;
    this.leases.delete(id);
    for (const k of lease.keys) {
      const kv = this.kvs.get(k);
      if (kv !== undefined) this.deleteRange(kv.key);
    }
  }

  /** Events with revision >= from, per revision. */
  historyFrom(from: number): HistoryEntry[] {
    return this.history.filter((h) => h.revision >= from);
  }

  private commit(events: WatchEvent[]): void {
    this.revision++;
    const entry = { revision: this.revision, events };
    this.history.push(entry);
    for (const l of [...this.listeners]) l(entry);
  }

  private count(op: string): void {
    this.applied.set(op, (this.applied.get(op) ?? 0) + 1);
  }
}

interface FakeWatch {
  readonly watchId: number;
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv: boolean;
}

/** Per-op behaviour overrides, consumed in order (each applies once unless `sticky`). */
export type Fault =
  | { readonly kind: 'error'; readonly op: OpName; readonly error: KiteError }
  /** Apply the op, then drop the link instead of replying. */
  | { readonly kind: 'dropAfterApply'; readonly op: OpName }
  /** Apply the op, then answer with `error` (a forward lost after the leader applied it). */
  | { readonly kind: 'errorAfterApply'; readonly op: OpName; readonly error: KiteError }
  /** Drop the link on receipt, without applying. */
  | { readonly kind: 'dropBeforeApply'; readonly op: OpName }
  /** Reply, then drop the link at once. */
  | { readonly kind: 'dropAfterReply'; readonly op: OpName }
  /** Never reply. */
  | { readonly kind: 'ignore'; readonly op: OpName; readonly sticky?: boolean }
  /**
   * Accept the watchCreate, then cancel the watch at once with a push carrying `reason` (no
   * compactRevision): a server cancel for a non-compaction reason (shutdown, limits, ...).
   */
  | { readonly kind: 'cancelWatch'; readonly op: 'watchCreate'; readonly reason: string; readonly sticky?: boolean };

export class FakeMember {
  readonly id: string;
  url = '';
  leaderId: string | null = null;
  /** Drop every link after this many event pushes (counted across links); 0 = never. */
  dropEveryNthPush = 0;
  private pushCount = 0;
  private silent = false;
  private faults: Fault[] = [];
  /** Per open link: cancels all its watches with a reason (see cancelWatches). */
  private readonly cancelers = new Set<(reason: string, compactRevision?: number) => void>();
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  /** Requests received, by op (tests assert e.g. that a write was sent once). */
  readonly received = new Map<string, number>();

  private constructor(
    readonly name: string,
    private readonly store: FakeStore,
    private readonly cluster: FakeCluster,
    wss: WebSocketServer,
  ) {
    this.id = `id-${name}`;
    this.wss = wss;
    wss.on('connection', (ws) => this.accept(ws));
  }

  static async start(name: string, store: FakeStore, cluster: FakeCluster): Promise<FakeMember> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1', maxPayload: REQUEST_BYTES_MAX });
    await new Promise<void>((res, rej) => {
      wss.once('listening', () => res());
      wss.once('error', rej);
    });
    const m = new FakeMember(name, store, cluster, wss);
    const addr = wss.address();
    if (typeof addr === 'string' || addr === null) throw new Error('no address');
    m.url = `ws://127.0.0.1:${addr.port}/v1`;
    return m;
  }

  get linkCount(): number {
    return this.sockets.size;
  }

  addFault(f: Fault): void {
    this.faults.push(f);
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Keep links open but never answer anything (a hung process or a black-holed network). */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /**
   * Cancels every watch on every link now, as a server would: a canceled push, carrying
   * compactRevision when given (a catching-up watch whose revisions were compacted).
   */
  cancelWatches(reason: string, compactRevision?: number): void {
    for (const cancel of [...this.cancelers]) cancel(reason, compactRevision);
  }

  /** Terminates every client link now (no close handshake). */
  dropLinks(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Whether memberList shows this member's client URL (a real server may not know it). */
  advertiseClientUrl = true;

  member(): Member {
    return { id: this.id, name: this.name, peerUrls: [], clientUrls: this.advertiseClientUrl ? [this.url] : [], isLearner: false };
  }

  async stop(): Promise<void> {
    this.dropLinks();
    await new Promise<void>((res) => this.wss.close(() => res()));
  }

  private header(): ResponseHeader {
    return { clusterId: CLUSTER_ID, memberId: this.id, revision: this.store.revision, raftTerm: this.cluster.term };
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    const watches = new Map<number, FakeWatch>();
    const send = (frame: unknown): void => {
      if (ws.readyState === ws.OPEN) ws.send(encodeFrame(frame, REPLY_BYTES_MAX));
    };
    const push = (p: WatchPush): void => {
      send(p);
      if (p.events.length > 0 && this.dropEveryNthPush > 0 && ++this.pushCount % this.dropEveryNthPush === 0) {
        ws.terminate();
      }
    };
    const unsubscribe = this.store.subscribe((entry) => {
      for (const w of watches.values()) this.deliver(w, entry, push);
    });
    const cancelAll = (reason: string, compactRevision?: number): void => {
      for (const id of [...watches.keys()]) {
        watches.delete(id);
        push({ watchId: id, header: this.header(), events: [], canceled: true, cancelReason: reason, ...(compactRevision !== undefined ? { compactRevision } : {}) });
      }
    };
    this.cancelers.add(cancelAll);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.cancelers.delete(cancelAll);
      unsubscribe();
    });
    ws.on('message', (data: Buffer) => {
      if (this.silent) return;
      let req: Request;
      try {
        req = parseRequest(decodeFrame(data, REQUEST_BYTES_MAX));
      } catch {
        return;
      }
      this.received.set(req.op, (this.received.get(req.op) ?? 0) + 1);
      const fault = this.takeFault(req.op);
      if (fault?.kind === 'ignore') return;
      if (fault?.kind === 'dropBeforeApply') {
        ws.terminate();
        return;
      }
      if (fault?.kind === 'error') {
        send(errorReply(req.id, toWireError(fault.error)));
        return;
      }
      let reply: unknown;
      try {
        reply = this.handle(req, watches, push);
      } catch (err) {
        reply = errorReply(req.id, toWireError(err));
      }
      if (fault?.kind === 'dropAfterApply') {
        ws.terminate();
        return;
      }
      if (fault?.kind === 'errorAfterApply') {
        send(errorReply(req.id, toWireError(fault.error)));
        return;
      }
      send(reply);
      if (fault?.kind === 'dropAfterReply') {
        ws.terminate();
        return;
      }
      if (req.op === 'watchCreate') {
        this.afterCreate(req, watches, push);
        if (fault?.kind === 'cancelWatch' && watches.delete(req.watchId)) {
          push({ watchId: req.watchId, header: this.header(), events: [], canceled: true, cancelReason: fault.reason });
        }
      }
    });
  }

  private takeFault(op: OpName): Fault | undefined {
    const i = this.faults.findIndex((f) => f.op === op);
    if (i < 0) return undefined;
    const f = this.faults[i] as Fault;
    if (!((f.kind === 'ignore' || f.kind === 'cancelWatch') && f.sticky === true)) this.faults.splice(i, 1);
    return f;
  }

  private handle(req: Request, watches: Map<number, FakeWatch>, push: (p: WatchPush) => void): unknown {
    const s = this.store;
    switch (req.op) {
      case 'ping':
        return okReply<'ping'>(req.id, this.header(), {});
      case 'status':
        return okReply<'status'>(req.id, this.header(), {
          version: 'fake', dbSize: 0, leader: this.leaderId, raftIndex: s.revision, raftTerm: this.cluster.term,
          raftAppliedIndex: s.revision, isLearner: false, errors: [],
        });
      case 'memberList':
        return okReply<'memberList'>(req.id, this.header(), { members: this.cluster.members.map((m) => m.member()) });
      case 'range': {
        if (req.revision !== undefined && req.revision > 0 && req.revision <= s.compactRevision) {
          throw new KiteError('Compacted', 'compacted', { compactRevision: s.compactRevision });
        }
        const kvs = s.range(req.key, req.rangeEnd);
        return okReply<'range'>(req.id, this.header(), { kvs, more: false, count: kvs.length });
      }
      case 'put': {
        const { prev } = s.put(req.key, req.value, req.lease ?? 0);
        return okReply<'put'>(req.id, this.header(), req.prevKv === true && prev !== undefined ? { prevKv: prev } : {});
      }
      case 'deleteRange': {
        const gone = s.deleteRange(req.key, req.rangeEnd);
        return okReply<'deleteRange'>(req.id, this.header(), { deleted: gone.length, ...(req.prevKv === true ? { prevKvs: gone } : {}) });
      }
      case 'compact':
        s.compact(req.revision);
        return okReply<'compact'>(req.id, this.header(), {});
      case 'leaseGrant': {
        const id = s.grantLease(req.ttl);
        return okReply<'leaseGrant'>(req.id, this.header(), { leaseId: id, ttl: req.ttl });
      }
      case 'leaseKeepAlive': {
        const lease = s.leases.get(req.leaseId);
        if (lease === undefined) throw new KiteError('LeaseNotFound', 'lease not found', { lease: req.leaseId });
        return okReply<'leaseKeepAlive'>(req.id, this.header(), { leaseId: req.leaseId, ttl: lease.ttl });
      }
      case 'leaseRevoke':
        if (!s.leases.has(req.leaseId)) throw new KiteError('LeaseNotFound', 'lease not found', { lease: req.leaseId });
        s.expireLease(req.leaseId);
        return okReply<'leaseRevoke'>(req.id, this.header(), {});
      case 'watchCreate': {
        if (watches.has(req.watchId)) throw new KiteError('DuplicateKey', 'watch id in use');
        return okReply<'watchCreate'>(req.id, this.header(), {});
      }
      case 'watchCancel':
        watches.delete(req.watchId);
        return okReply<'watchCancel'>(req.id, this.header(), {});
      case 'watchProgress': {
        // As the real server (client-handler.ts): a watch this link no longer holds is an error.
        if (req.watchId !== undefined && !watches.has(req.watchId)) {
          throw new KiteError('InvalidArgument', `no watch ${req.watchId} on this link`);
        }
        for (const w of watches.values()) {
          if (req.watchId === undefined || req.watchId === w.watchId) {
            push({ watchId: w.watchId, header: this.header(), events: [], progress: true });
          }
        }
        return okReply<'watchProgress'>(req.id, this.header(), {});
      }
      default:
        throw new KiteError('UnknownOp', `fake member does not implement ${req.op}`);
    }
  }

  /** After the create reply: compaction check, history replay, then live (synchronously: no gap). */
  private afterCreate(req: Request<'watchCreate'>, watches: Map<number, FakeWatch>, push: (p: WatchPush) => void): void {
    const s = this.store;
    const start = req.startRevision ?? 0;
    if (start > 0 && start <= s.compactRevision) {
      push({ watchId: req.watchId, header: this.header(), events: [], canceled: true, compactRevision: s.compactRevision, cancelReason: 'compacted' });
      return;
    }
    const w: FakeWatch = {
      watchId: req.watchId,
      key: req.key,
      ...(req.rangeEnd !== undefined ? { rangeEnd: req.rangeEnd } : {}),
      prevKv: req.prevKv === true,
    };
    watches.set(w.watchId, w);
    if (start > 0) {
      for (const entry of s.historyFrom(start)) {
        if (!watches.has(w.watchId)) return; // dropped mid-replay
        this.deliver(w, entry, push);
      }
    }
  }

  private deliver(w: FakeWatch, entry: HistoryEntry, push: (p: WatchPush) => void): void {
    const events = entry.events
      .filter((e) => keyInRange(e.kv.key, w.key, w.rangeEnd))
      .map((e) => (w.prevKv || e.prevKv === undefined ? e : { type: e.type, kv: e.kv }));
    if (events.length === 0) return;
    push({ watchId: w.watchId, header: { ...this.header(), revision: entry.revision }, events });
  }
}

export class FakeCluster {
  readonly store = new FakeStore();
  readonly members: FakeMember[] = [];
  term = 1;

  static async start(n: number): Promise<FakeCluster> {
    const c = new FakeCluster();
    for (let i = 1; i <= n; i++) c.members.push(await FakeMember.start(`m${i}`, c.store, c));
    c.setLeader(c.members[0] as FakeMember);
    return c;
  }

  get urls(): string[] {
    return this.members.map((m) => m.url);
  }

  member(i: number): FakeMember {
    const m = this.members[i];
    if (m === undefined) throw new Error(`no member ${i}`);
    return m;
  }

  /** A new term with `leader` as leader, as every member reports it. */
  setLeader(leader: FakeMember | null): void {
    this.term++;
    for (const m of this.members) m.leaderId = leader?.id ?? null;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
  }
}
