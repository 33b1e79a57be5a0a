// The Kite client: kv, watch, lease and cluster calls over a pool of member links, with
// bounded retries, deadlines and typed errors. Environment-neutral: the socket factory is
// injected (index.ts passes the `ws` one under Node, browser.ts the global WebSocket).

import {
  KiteError, REPLY_BYTES_MAX, REQUEST_BYTES_MAX,
  type DeleteRangeResult, type KeyValue, type MemberId, type OkReply, type OpArgs, type OpName,
  type PutResult, type RangeResult, type ResponseHeader, type StatusResult, type TxnResult, type HashResult, type DefragResult,
} from '@kite/protocol';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { Connection } from './connection.js';
import { Emitter } from './emitter.js';
import { normalizeEndpoint } from './endpoints.js';
import { Invoker, type CallOptions } from './invoker.js';
import {
  deleteArgs, keyRange, putArgs, rangeArgs, txnArgs, txnIsReadOnly,
  type Bytes, type DeleteOptions, type GetOptions, type PutOptions, type RangeSelector, type TxnSpec,
} from './kv.js';
import type { Lease } from './lease.js';
import { LeaseApi } from './lease-api.js';
import { AlarmsApi } from './alarms-api.js';
import { MembersApi } from './members-api.js';
import { strip, type Requester, type Result } from './requester.js';
import { ConnectionPool, type ClientAuth } from './pool.js';
import { AuthApi } from './auth-api.js';
import { election, lock, mirror, type Election, type ElectionOptions, type LockHandle, type LockOptions, type Mirror, type MirrorOptions } from './recipes/index.js';
import type { SocketFactory } from './socket.js';
import { Watch } from './watch.js';
import { WatchHub } from './watch-hub.js';
import { parseClientMutant, type ClientMutantName } from './client-mutants.js';

export interface ClientOptions {
  readonly endpoints: readonly string[];
  readonly socketFactory: SocketFactory;
  /** Default deadline of one call, retries included (ms). */
  readonly timeoutMs?: number;
  /** Default retries after the first attempt. */
  readonly retries?: number;
  /** WebSocket opening handshake deadline (ms). */
  readonly dialTimeoutMs?: number;
  /** Send a ping when no frame arrived for this long (ms). */
  readonly heartbeatIntervalMs?: number;
  /** Close a link after this many silent heartbeat intervals. */
  readonly heartbeatMissesMax?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** Move to the leader's link when known (default true). */
  readonly preferLeader?: boolean;
  /** Buffered events per watch before it is suspended until the consumer catches up. */
  readonly watchBufferEventsMax?: number;
  /** Consecutive failed (re)registrations before a watch fails with Unavailable. */
  readonly watchResumeAttemptsMax?: number;
  readonly maxRequestBytes?: number;
  readonly maxReplyBytes?: number;
  readonly maxInflightRequests?: number;
  /** Randomness for back-off jitter (tests pass a seeded one). */
  readonly random?: () => number;
  /** Log in with these on every link (the cluster has auth enabled); renewed when a token expires. */
  readonly auth?: ClientAuth;
  /** A deliberately broken behaviour, for testing test harnesses only (client-mutants.ts); default none. */
  readonly mutant?: ClientMutantName | null;
}

export const CLIENT_DEFAULTS = {
  timeoutMs: 10_000,
  retries: 8,
  dialTimeoutMs: 5_000,
  heartbeatIntervalMs: 2_000,
  heartbeatMissesMax: 3,
  watchBufferEventsMax: 10_000,
  watchResumeAttemptsMax: 1_000,
  maxInflightRequests: 4_096,
  drainTimeoutMs: 10_000,
  leaderCheckIntervalMs: 1_000,
} as const;

export type RequestOptions = CallOptions;

export interface GetResult extends RangeResult {
  readonly header: ResponseHeader;
}
export interface PutReply extends PutResult {
  readonly header: ResponseHeader;
}
export interface DeleteReply {
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}
export interface TxnReply extends TxnResult {
  readonly header: ResponseHeader;
}

export interface WatchOptions extends RangeSelector {
  /** 0/absent = from now; otherwise the first revision to deliver. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
  readonly progressNotify?: boolean;
  /**
   * Let the member split a revision too large for one push (over its --max-request-bytes)
   * into several; the watch joins them, so batches still hold whole revisions (etcd's fragment).
   */
  readonly fragment?: boolean;
  /** Overrides the client's watchBufferEventsMax. */
  readonly bufferEventsMax?: number;
  /** Aborting cancels the watch. */
  readonly signal?: AbortSignal;
}

export interface ClientEvents {
  connect: { readonly endpoint: string };
  disconnect: { readonly endpoint: string; readonly reason: string };
}

export class KiteClient extends Emitter<ClientEvents> implements Requester {
  readonly lease: LeaseApi;
  readonly members: MembersApi;
  readonly alarms: AlarmsApi;
  readonly auth: AuthApi;
  private readonly pool: ConnectionPool;
  private readonly invoker: Invoker;
  private readonly hub: WatchHub;
  private readonly mutant: ClientMutantName | null;
  private readonly leases = new Set<Lease>();
  private closed = false;

  constructor(private readonly options: ClientOptions) {
    super();
    const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...definedOnly(options.backoff ?? {}) };
    const random = options.random ?? Math.random;
    this.pool = new ConnectionPool({
      endpoints: options.endpoints,
      connection: this.connectionOptions(),
      preferLeader: options.preferLeader ?? true,
      drainTimeoutMs: CLIENT_DEFAULTS.drainTimeoutMs,
      leaderCheckIntervalMs: CLIENT_DEFAULTS.leaderCheckIntervalMs,
      ...(options.auth !== undefined ? { auth: options.auth } : {}),
    });
    this.pool.addListener({
      onConnect: (conn) => this.emit('connect', { endpoint: conn.url }),
      onDisconnect: (conn, reason) => this.emit('disconnect', { endpoint: conn.url, reason }),
    });
    const timeoutMs = options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    this.mutant = parseClientMutant(options.mutant);
    this.invoker = new Invoker(this.pool, { timeoutMs, retries: options.retries ?? CLIENT_DEFAULTS.retries, backoff, random, lostAnswerAsFailure: this.mutant === 'lost-answer-as-failure' });
    this.hub = new WatchHub(this.pool, {
      backoff,
      random,
      resumeAttemptsMax: options.watchResumeAttemptsMax ?? CLIENT_DEFAULTS.watchResumeAttemptsMax,
      requestTimeoutMs: timeoutMs,
    });
    this.lease = new LeaseApi(this, this.leases);
    this.members = new MembersApi(this);
    this.alarms = new AlarmsApi(this);
    this.auth = new AuthApi(this);
  }

  /** Opens the first link (the call `connect()` makes); rejects with Unavailable if none opens. */
  async ready(opts: CallOptions = {}): Promise<void> {
    await this.request('status', {}, opts);
  }

  /** Live watches and kept-alive leases, and the current member link (for metrics and tests). */
  stats(): { readonly watches: number; readonly leases: number; readonly endpoint: string | null } {
    return { watches: this.hub.size, leases: this.leases.size, endpoint: this.endpoint };
  }

  /** The URL of the member currently talked to, if a link is open. */
  get endpoint(): string | null {
    return this.pool.currentConnection?.url ?? null;
  }

  /** Any op, raw (for tools that need the wire shapes). */
  request<O extends OpName>(op: O, args: OpArgs<O>, opts: CallOptions = {}): Promise<OkReply<O>> {
    if (this.closed) return Promise.reject(new KiteError('Canceled', 'client closed'));
    return this.invoker.call(op, args, opts);
  }

  // ---- kv

  async get(key: Bytes, opts: GetOptions & CallOptions = {}): Promise<GetResult> {
    const r = await this.request('range', rangeArgs(key, opts), opts);
    return { header: r.header, kvs: r.kvs, more: r.more, count: r.count };
  }

  async put(key: Bytes, value: Bytes, opts: PutOptions & CallOptions = {}): Promise<PutReply> {
    const r = await this.request('put', putArgs(key, value, opts), opts);
    return r.prevKv !== undefined ? { header: r.header, prevKv: r.prevKv } : { header: r.header };
  }

  async delete(key: Bytes, opts: DeleteOptions & CallOptions = {}): Promise<DeleteReply> {
    const r: DeleteRangeResult & { header: ResponseHeader } = await this.request('deleteRange', deleteArgs(key, opts), opts);
    return { header: r.header, deleted: r.deleted, prevKvs: r.prevKvs ?? [] };
  }

  async txn(spec: TxnSpec, opts: CallOptions = {}): Promise<TxnReply> {
    const args = txnArgs(spec);
    const r = await this.request('txn', args, { ...opts, idempotent: opts.idempotent ?? txnIsReadOnly(args) });
    return { header: r.header, succeeded: r.succeeded, responses: r.responses };
  }

  async compact(revision: number, opts: CallOptions & { physical?: boolean } = {}): Promise<{ header: ResponseHeader }> {
    const r = await this.request('compact', opts.physical === true ? { revision, physical: true } : { revision }, opts);
    return { header: r.header };
  }

  // ---- watch

  /**
   * Watches a key (or range). The returned Watch is an async iterator of batches; it resumes
   * across reconnects at the next undelivered revision and throws Compacted (with
   * details.compactRevision) when the history it needs is gone.
   */
  watch(key: Bytes, opts: WatchOptions = {}): Watch {
    const watch = new Watch(
      {
        ...keyRange(key, opts),
        startRevision: opts.startRevision ?? 0,
        prevKv: opts.prevKv ?? false,
        noPut: opts.noPut ?? false,
        noDelete: opts.noDelete ?? false,
        progressNotify: opts.progressNotify ?? false,
        fragment: opts.fragment ?? false,
        bufferEventsMax: opts.bufferEventsMax ?? this.options.watchBufferEventsMax ?? CLIENT_DEFAULTS.watchBufferEventsMax,
        ...(this.mutant === 'watch-resume-from-now' ? { resumeFromNow: true } : {}),
      },
      this.hub,
    );
    if (opts.signal !== undefined) {
      if (opts.signal.aborted) watch.cancel();
      else opts.signal.addEventListener('abort', () => watch.cancel(), { once: true });
    }
    return this.hub.add(watch);
  }

  // ---- recipes (packages/client/src/recipes)

  /** Acquires the distributed lock `name` (waits first-come first-served). */
  lock(name: string, opts?: LockOptions): Promise<LockHandle> {
    return lock(this, name, opts);
  }

  /** A leader election on `name`: campaign, observe, resign. */
  election(name: string, opts?: ElectionOptions): Election {
    return election(this, name, opts);
  }

  /** A live local cache of a prefix (list at R, then watch from R+1). */
  mirror(prefix: Bytes, opts?: MirrorOptions): Promise<Mirror> {
    return mirror(this, prefix, opts);
  }

  // ---- cluster

  async status(endpoint?: string, opts: CallOptions = {}): Promise<StatusResult & { header: ResponseHeader }> {
    if (endpoint === undefined) return strip(await this.request('status', {}, opts));
    return this.requestAt(normalizeEndpoint(endpoint), 'status', {}, opts);
  }

  async moveLeader(targetId: MemberId, opts: CallOptions = {}): Promise<{ header: ResponseHeader }> {
    const r = await this.request('moveLeader', { targetId }, opts);
    return { header: r.header };
  }

  async hash(revision = 0, opts: CallOptions = {}): Promise<HashResult & { header: ResponseHeader }> {
    return strip(await this.request('hash', revision > 0 ? { revision } : {}, opts));
  }

  /**
   * Defragments one member's store (per member, like etcdctl defrag): the member at `endpoint`
   * through a dedicated link, or the one the client is linked to now.
   */
  async defrag(endpoint?: string, opts: CallOptions = {}): Promise<DefragResult & { header: ResponseHeader }> {
    if (endpoint === undefined) return strip(await this.request('defrag', {}, opts));
    return this.requestAt(normalizeEndpoint(endpoint), 'defrag', {}, opts);
  }

  /**
   * A backup of one member's store (etcd's Maintenance.Snapshot): the bytes of a
   * `kite snapshot save` file, streamed chunk by chunk over a dedicated link to `endpoint`
   * (default: the first configured endpoint). The next chunk is asked for only when the
   * consumer takes the previous one, so a slow writer slows the member's stream, no more.
   * `timeoutMs` bounds each chunk. A dropped link ends the iteration with an error: start again.
   */
  async *snapshot(endpoint?: string, opts: CallOptions = {}): AsyncGenerator<Uint8Array> {
    const url = normalizeEndpoint(endpoint ?? this.options.endpoints[0] ?? '');
    const conn = new Connection({ ...this.connectionOptions(), url }, { onPush: () => undefined, onHeader: () => undefined, onClose: () => undefined });
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    try {
      await conn.opened;
      await this.pool.authenticate(conn, opts.signal);
      let sessionId: number | undefined;
      for (;;) {
        const timer = setTimeout(() => conn.close('snapshot chunk deadline exceeded'), timeoutMs);
        let reply;
        try {
          reply = strip(await conn.request('snapshot', sessionId === undefined ? {} : { sessionId }, opts.signal));
        } finally {
          clearTimeout(timer);
        }
        sessionId = reply.sessionId;
        if (reply.chunk.byteLength > 0) yield reply.chunk;
        if (reply.done) return;
      }
    } finally {
      conn.close('done');
    }
  }

  /** Stops keepalives (leases then expire on the server), ends watches, closes links. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of [...this.leases]) l.close();
    this.hub.close();
    this.pool.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private connectionOptions(): Omit<ConstructorParameters<typeof Connection>[0], 'url'> {
    const o = this.options;
    return {
      socketFactory: o.socketFactory,
      maxRequestBytes: o.maxRequestBytes ?? REQUEST_BYTES_MAX,
      maxReplyBytes: o.maxReplyBytes ?? REPLY_BYTES_MAX,
      handshakeTimeoutMs: o.dialTimeoutMs ?? CLIENT_DEFAULTS.dialTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs ?? CLIENT_DEFAULTS.heartbeatIntervalMs,
      heartbeatMissesMax: o.heartbeatMissesMax ?? CLIENT_DEFAULTS.heartbeatMissesMax,
      maxInflightRequests: o.maxInflightRequests ?? CLIENT_DEFAULTS.maxInflightRequests,
    };
  }

  /** One call on a dedicated link to `url` (not the pool's: the caller chose the member). */
  private async requestAt<O extends 'status' | 'defrag'>(url: string, op: O, args: OpArgs<O>, opts: CallOptions): Promise<Result<OkReply<O>>> {
    const conn = new Connection({ ...this.connectionOptions(), url }, { onPush: () => undefined, onHeader: () => undefined, onClose: () => undefined });
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    const timer = setTimeout(() => conn.close(`${op} deadline exceeded`), timeoutMs);
    try {
      await conn.opened;
      await this.pool.authenticate(conn, opts.signal);
      return strip(await conn.request(op, args, opts.signal));
    } finally {
      clearTimeout(timer);
      conn.close('done');
    }
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}
