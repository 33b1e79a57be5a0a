// Serving client ops on one member (the ClientBackend of every client link): writes are
// proposed on the leader (a follower forwards them over the peer link, retrying a bounded
// number of times when the leader moved), linearizable reads go through ReadIndex unless
// serializable, watches come from the local watch hub, cluster ops become conf changes.
//
// Invariants: every op gets exactly one reply; a follower never proposes a kv command; a
// forwarded op is served or refused (NotLeader) by its receiver, never forwarded again; the
// reply header names the member the client talks to.
//
// Apply before reply: a forwarded op is answered only once this member applied up to the
// leader's applied index at the leader's reply (which covers the op's own entry), so a
// serializable read or a watch on this member right after the reply sees the op.
//
// No leader: an op that needs one (writes, lease and member ops, linearizable reads) waits for
// one at most until the member has had no leader for one election timeout (--election-ticks
// x --tick-ms, checked every tick), then gets `Unavailable` with `leader: null` at once, so
// a client moves on to another member instead of holding until its deadline. A forward in
// flight when that happens fails likewise (marked indeterminate: the old leader may apply it).

import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  AUTH_WRITE_OP_NAMES,
  WRITE_OPS,
  KiteError,
  errorReply,
  okReply,
  toWireError,
  validateRequest,
  type OpName,
  type Reply,
  type Request,
  type ResponseHeader,
  type AuthWriteOp,
  type WatchCreateArgs,
} from '@kite/protocol';
import { AUDIT_APPEND_RECORDS_MAX, ReadBudget, type AuditContext, type AuditEntryInput, type ReadCharge } from '@kite/kvstore';
import type { AuthService } from './auth/auth-service.js';
import type { Authorizer } from './auth/authorize.js';
import { INTERNAL_CALLER, callerFromPeer, type Caller } from './auth/caller.js';
import type { AuthSession } from './auth/session.js';
import type { AuditQueue } from './audit/audit-queue.js';
import { encodeBackup } from './backup-file.js';
import { asKiteError, type ClientBackend, type LinkWatcher, type SnapshotStream } from './client-handler.js';
import { monotonicMs } from './clock.js';
import { minLeaseTtlSeconds, type ServerConfig } from './config.js';
import { dirSizeBytes } from './dir-size.js';
import type { Host } from './host.js';
import type { KvApplyOutcome, KvPort } from './kv-port.js';
import type { ServerMetrics } from './metrics.js';
import { traceHop } from './latency-trace.js';
import type { ForwardOutcome, PeerTransport } from './peer-transport.js';
import { isReadOnlyTxn } from './read-txn.js';

export const KITE_VERSION = '0.1.0';

/** Forwarding a write to a leader that moved: bounded retries. */
const FORWARD_ATTEMPTS_MAX = 3;
/** A learner may be promoted once it has this share of the leader's log. */
const LEARNER_IN_SYNC_RATIO = 0.9;

/** Ops only the leader serves (replicated writes and leader-local lease state). */
const LEADER_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'leaseKeepAlive', 'leaseTimeToLive', 'leaseLeases',
  'memberAdd', 'memberRemove', 'memberUpdate', 'memberPromote', 'moveLeader', 'alarm', ...AUTH_WRITE_OP_NAMES,
]);
const AUTH_WRITE_OPS: ReadonlySet<OpName> = new Set<OpName>(AUTH_WRITE_OP_NAMES);
/**
 * Leader-local lease state, not replicated: the leader's answer needs no apply here (and a
 * keepalive must not wait behind a follower's apply backlog while its lease runs down).
 */
const LEADER_LOCAL_OPS: ReadonlySet<OpName> = new Set<OpName>(['leaseKeepAlive', 'leaseTimeToLive', 'leaseLeases']);
/** Internal forwarded op: a member publishing its attributes through the leader. */
export const PUBLISH_OP = 'publishAttributes';
/** Internal forwarded op: a follower whose own store passed its quota raises NOSPACE through the leader. */
export const RAISE_NOSPACE_OP = 'raiseNoSpace';
/** Write ops that add data: refused by an armed NOSPACE alarm and charged against the quota. */
const ADDS_DATA_OPS: ReadonlySet<OpName> = new Set<OpName>(['put', 'txn', 'leaseGrant']);
/** Internal forwarded op: a follower's queued audit records, proposed by the leader. */
export const AUDIT_APPEND_OP = 'auditAppend';
const CLUSTER_CHANGE_OPS: ReadonlySet<OpName> = new Set<OpName>(['memberAdd', 'memberRemove', 'memberUpdate', 'memberPromote', 'moveLeader', 'alarm', 'defrag']);
/** Ops whose refusals and outcomes go to the audit trail. */
const AUDITED_OPS: ReadonlySet<OpName> = new Set<OpName>([...WRITE_OPS, 'defrag']);

export interface OpServerDeps {
  readonly config: ServerConfig;
  readonly selfId: string;
  readonly clusterId: string;
  readonly host: Host;
  readonly kv: KvPort;
  readonly transport: PeerTransport;
  readonly metrics: ServerMetrics;
  readonly auth: AuthService;
  readonly authorizer: Authorizer;
  /** Refused writes and member/alarm changes, proposed in the background (never blocking). */
  readonly auditQueue: AuditQueue;
  /** The space alarm as last measured. */
  quota(): { readonly noSpace: boolean; readonly dbSizeBytes: number };
  /**
   * Charges a write of `costBytes` against the quota; false (refuse with NoSpace) when the last
   * measured size plus what was charged since would pass it. Checking per request, as etcd
   * does, keeps a fast writer from filling the disk between two measurements.
   */
  chargeQuota(costBytes: number): boolean;
}

export class OpServer implements ClientBackend {
  /** The NOSPACE alarm proposal in flight, so a burst of refused writes proposes it once. */
  private raisingNoSpace: Promise<void> | null = null;

  constructor(private readonly deps: OpServerDeps) {}

  header(revision?: number): ResponseHeader {
    return {
      clusterId: this.deps.clusterId,
      memberId: this.deps.selfId,
      revision: revision ?? this.deps.kv.currentRevision,
      raftTerm: this.deps.host.term,
      authRevision: this.deps.kv.auth.revision,
    };
  }

  /** Checked against the caller's read permission now, and again at every auth change. */
  watch(args: WatchCreateArgs, session: AuthSession): LinkWatcher {
    return this.deps.auth.guardWatch(this.deps.auth.callerOf(session), args, () => this.deps.kv.watch(args));
  }

  onWatchCountChange(): void {
    this.deps.metrics.watchers.set(this.deps.kv.watcherCount);
  }

  onErrorReply(code: string): void {
    this.deps.metrics.clientErrors.inc({ code });
  }

  /**
   * A backup file of this member's store at its applied index now (backup-file.ts). Passes the
   * one authorization point like every op (root only: it is every key).
   */
  openSnapshot(req: Request<'snapshot'>, session: AuthSession): SnapshotStream {
    this.deps.authorizer.authorize(this.deps.auth.callerOf(session), req);
    const snap = this.deps.kv.snapshot();
    const origin = { appliedIndex: snap.appliedIndex, clusterId: this.deps.clusterId, memberId: this.deps.selfId };
    async function* file(): AsyncGenerator<Uint8Array> {
      const r = await snap.revisions;
      // Wall time for display only (the header's createdAt).
      yield* encodeBackup({ ...origin, revision: r.currentRevision, compactRevision: r.compactRevision, createdAt: new Date().toISOString() }, snap.chunks);
    }
    return { chunks: file(), cancel: () => snap.cancel() };
  }

  async serve(req: Request, session: AuthSession, charge?: ReadCharge): Promise<Reply> {
    const startedMs = monotonicMs();
    traceHop('serve');
    const reply = await this.serveOrForward(req, session, charge);
    traceHop('served');
    this.deps.metrics.observeRequest(req.op, reply.ok ? 'ok' : reply.error.code, (monotonicMs() - startedMs) / 1000);
    return reply;
  }

  private async serveOrForward(original: Request, session: AuthSession, charge?: ReadCharge): Promise<Reply> {
    let req = original;
    let caller: Caller = { user: null, address: session.address, via: session.via };
    /** Once proposed or forwarded, the outcome is audited at apply (or by the leader). */
    const decided = { atRaft: false };
    try {
      // The one authorization point: every door's requests pass here with the door's caller.
      caller = this.deps.auth.callerOf(session);
      caller = await this.authorized(session, caller, req);
      if (req.op === 'authenticate') return okReply(req.id, this.header(), await this.deps.auth.authenticate(session, req));
      req = await this.deps.auth.withHashedPassword(req);
      if (needsLeader(req) && (await this.deps.host.waitForLeader(this.deps.config.requestTimeoutMs)) === null) throw this.noLeaderError();
      if (LEADER_OPS.has(req.op) && !isReadOnlyRequest(req) && !this.deps.host.isLeader) {
        // Every member's quota counts (etcd checks each member's backend): a follower past its
        // own refuses the write itself and raises its alarm through the leader.
        if (ADDS_DATA_OPS.has(req.op) && !isReadOnlyRequest(req) && this.deps.quota().noSpace) {
          await this.raiseNoSpace(this.deps.config.requestTimeoutMs);
          throw new KiteError('NoSpace', `database space exceeded on member ${this.deps.selfId} (${this.deps.quota().dbSizeBytes} bytes, quota ${this.deps.config.quotaBytes})`);
        }
        return await this.forwardToLeader(req, caller, decided);
      }
      return await this.serveHere(req, caller, charge, decided);
    } catch (err) {
      const kite = this.toKite(err);
      if (!decided.atRaft) this.auditRefusal(caller, req, kite);
      return errorReply(req.id, toWireError(kite));
    }
  }

  /**
   * The caller, once allowed to run `req`. A refusal is decided on current auth state: this
   * member may not have applied a grant another member already answered for, so before it
   * refuses it catches up once (a ReadIndex round, on the refusal path only) and checks again.
   */
  private async authorized(session: AuthSession, caller: Caller, req: Request): Promise<Caller> {
    try {
      this.deps.authorizer.authorize(caller, req);
      return caller;
    } catch (err) {
      if (!(err instanceof KiteError) || err.code !== 'PermissionDenied') throw err;
      await this.deps.host.linearizableRead(this.deps.config.requestTimeoutMs);
      const fresh = this.deps.auth.callerOf(session);
      this.deps.authorizer.authorize(fresh, req);
      return fresh;
    }
  }

  /** Wall time for the record (display and age retention), and the leader's retention. */
  private auditContext(caller: Caller, op?: string, message?: string): AuditContext {
    return {
      user: caller.user,
      address: caller.address,
      via: caller.via,
      timeMs: Date.now(),
      retainCount: this.deps.config.auditRetentionCount,
      retainMs: this.deps.config.auditRetentionMs,
      ...(op !== undefined ? { op } : {}),
      ...(message !== undefined ? { message } : {}),
    };
  }

  /**
   * A write refused before it reached Raft. Only decisions are recorded (permission, login,
   * space, bad arguments); NotLeader, Unavailable and Timeout say nothing was decided.
   */
  private auditRefusal(caller: Caller, req: Request, err: KiteError): void {
    if (!AUDITED_OPS.has(req.op) || ['NotLeader', 'Unavailable', 'Timeout', 'Canceled', 'Internal'].includes(err.code)) return;
    this.auditOutcome(caller, req, err.code, err.message);
  }

  /** Queues a record of `req` (refused, or a member/alarm change that is not a kv command). */
  private auditOutcome(caller: Caller, req: Request, result: string, message?: string): void {
    const r = req as unknown as { key?: unknown; rangeEnd?: unknown; name?: unknown; memberId?: unknown; targetId?: unknown };
    const keys = r.key instanceof Uint8Array ? [r.key] : [];
    const subject = typeof r.name === 'string' ? r.name : typeof r.memberId === 'string' ? r.memberId : typeof r.targetId === 'string' ? r.targetId : undefined;
    const text = [subject, message].filter((x) => x !== undefined).join(': ');
    this.deps.auditQueue.add({
      user: caller.user,
      address: caller.address,
      via: caller.via,
      timeMs: Date.now(),
      op: req.op,
      keys,
      ...(r.rangeEnd instanceof Uint8Array && r.rangeEnd.length > 0 ? { rangeEnd: r.rangeEnd } : {}),
      result,
      ...(text !== '' ? { message: text } : {}),
      revision: this.deps.kv.currentRevision,
    });
  }

  /** The leader proposes a follower's queued audit records (an internal forwarded op). */
  async proposeAuditAppend(records: readonly AuditEntryInput[]): Promise<void> {
    const command = this.deps.kv.encodeAuditAppend(records, { retainCount: this.deps.config.auditRetentionCount, retainMs: this.deps.config.auditRetentionMs, timeMs: Date.now() });
    const outcome = await this.deps.host.proposeKv(command, this.deps.config.requestTimeoutMs);
    if (!outcome.ok) throw outcome.error;
  }

  /** On a follower: send to the leader, retrying (bounded) when the leader moved; answered once applied here. */
  private async forwardToLeader(req: Request, caller: Caller, decided: { atRaft: boolean }): Promise<Reply> {
    const deadline = monotonicMs() + this.deps.config.requestTimeoutMs;
    const leftMs = (): number => Math.max(1, deadline - monotonicMs());
    let last: Reply | null = null;
    for (let attempt = 0; attempt < FORWARD_ATTEMPTS_MAX; attempt++) {
      const leader = await this.deps.host.waitForLeader(leftMs());
      if (leader === null) break;
      if (leader === this.deps.selfId) return this.serveHere(req, caller, undefined, decided);
      // The leader records what it decides (its own refusals included).
      decided.atRaft = true;
      traceHop('forwardSend');
      const { reply, appliedIndex } = await this.deps.transport.forward(leader, req, caller, leftMs(), this.deps.host.noLeaderSignal);
      traceHop('forwardReplyRecv');
      if (reply.ok || reply.error.code !== 'NotLeader') return this.replyOnceApplied(req, reply, LEADER_LOCAL_OPS.has(req.op) ? 0 : appliedIndex, leftMs());
      last = reply;
      if (monotonicMs() >= deadline) return reply;
      await this.deps.host.waitForLeaderToBe(String(reply.error.leader ?? ''), Math.min(200, leftMs()));
    }
    return last ?? errorReply(req.id, toWireError(this.noLeaderError()));
  }

  /** The leader's reply to a forwarded op, given to the client once this member applied as far as the leader had. */
  private async replyOnceApplied(req: Request, reply: Reply, appliedIndex: number, timeoutMs: number): Promise<Reply> {
    const started = monotonicMs();
    try {
      await this.deps.host.waitApplied(appliedIndex, timeoutMs);
      traceHop('forwardApplied');
      if (reply.ok && isPhysicalCompact(req)) await this.compactedPhysically(Math.max(1, timeoutMs - (monotonicMs() - started)));
    } catch (err) {
      return errorReply(req.id, toWireError(this.toKite(err)));
    }
    return reply.ok ? { ...reply, header: { ...reply.header, memberId: this.deps.selfId } } : reply;
  }

  /** `compact` with `physical`: answered once this member's store dropped the history too. */
  private async compactedPhysically(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KiteError('Timeout', `compaction applied but not physically done within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.deps.kv.compactionIdle(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private noLeaderError(): KiteError {
    const reason: unknown = this.deps.host.noLeaderSignal.reason;
    return reason instanceof KiteError ? reason : new KiteError('Unavailable', `no leader within ${this.deps.config.requestTimeoutMs} ms`, { leader: null });
  }

  /** A follower forwarded `request` to this member (the leader, as it believed). */
  async onForward(from: string, request: Request, rawCaller: unknown): Promise<ForwardOutcome> {
    traceHop('forwardRecv');
    const reply = await this.serveForwarded(from, request, rawCaller);
    // Read after serving: covers the entry the request became (the leader answers after applying).
    return { reply, appliedIndex: reply.ok || reply.error.code !== 'NotLeader' ? this.deps.host.applied : 0 };
  }

  private async serveForwarded(from: string, request: Request, rawCaller: unknown): Promise<Reply> {
    const r = request as unknown as { id?: unknown; op?: unknown; attrs?: unknown };
    const id = typeof r.id === 'number' ? r.id : 0;
    if (typeof r.op !== 'string' || (r.op !== PUBLISH_OP && r.op !== RAISE_NOSPACE_OP && r.op !== AUDIT_APPEND_OP && !LEADER_OPS.has(r.op as OpName))) {
      return errorReply(id, { code: 'UnknownOp', message: 'op cannot be forwarded' });
    }
    if (r.op === RAISE_NOSPACE_OP) return this.serveRaiseNoSpace(from, id);
    if (r.op === AUDIT_APPEND_OP) return this.serveForwardedAudit(id, request);
    if (r.op === PUBLISH_OP) {
      // A member publishes its own attributes only: a link proves who is on it, not who it names.
      const a = r.attrs as { memberId?: unknown } | undefined;
      if (a?.memberId !== from) return errorReply(id, { code: 'PermissionDenied', message: `member ${from} may not publish attributes of ${String(a?.memberId).slice(0, 40)}` });
    }
    if (!this.deps.host.isLeader) {
      const leader = this.deps.host.leader;
      return errorReply(id, toWireError(new KiteError('NotLeader', 'not the leader', { leader, leaderClientUrls: leader ? (this.deps.host.registry.get(leader)?.clientUrls ?? []) : [] })));
    }
    if (r.op === PUBLISH_OP) {
      const a = r.attrs as { memberId?: unknown; name?: unknown; clientUrls?: unknown; grpcUrls?: unknown } | undefined;
      if (!a || typeof a.memberId !== 'string' || typeof a.name !== 'string' || !Array.isArray(a.clientUrls)) {
        return errorReply(id, { code: 'InvalidArgument', message: 'malformed member attributes' });
      }
      const grpcUrls = Array.isArray(a.grpcUrls) ? { grpcUrls: a.grpcUrls.map(String) } : {};
      const proposed = this.deps.host.proposeAttributes({ memberId: a.memberId, name: a.name, clientUrls: a.clientUrls.map(String), ...grpcUrls });
      return proposed ? okReply(id, this.header(), {}) : errorReply(id, { code: 'Unavailable', message: 'attributes not proposed' });
    }
    try {
      // The forwarding member checked it too; a peer frame is still untrusted bytes.
      validateRequest(request, this.deps.config);
      // Checked again here with the identity the forwarding member authenticated: the leader's
      // auth state may be newer than the follower's.
      const caller = callerFromPeer(rawCaller);
      const decided = { atRaft: false };
      try {
        this.deps.auth.checkForwardedLogin(caller);
        this.deps.authorizer.authorize(caller, request);
        return await this.serveHere(request, caller, undefined, decided);
      } catch (err) {
        const kite = this.toKite(err);
        if (!decided.atRaft) this.auditRefusal(caller, request, kite);
        throw kite;
      }
    } catch (err) {
      return errorReply(id, toWireError(this.toKite(err)));
    }
  }

  /** Audit records a follower queued: proposed here (the peer link vouches for them). */
  private async serveForwardedAudit(id: number, request: Request): Promise<Reply> {
    const records = (request as unknown as { records?: unknown }).records;
    if (!Array.isArray(records) || records.length > AUDIT_APPEND_RECORDS_MAX) return errorReply(id, { code: 'InvalidArgument', message: 'malformed audit records' });
    if (!this.deps.host.isLeader) return errorReply(id, { code: 'NotLeader', message: 'not the leader' });
    try {
      await this.proposeAuditAppend(records as AuditEntryInput[]);
      return okReply(id, this.header(), {});
    } catch (err) {
      return errorReply(id, toWireError(this.toKite(err)));
    }
  }

  /** A follower raising its own NOSPACE alarm: the link proves who it is, so it names only itself. */
  private async serveRaiseNoSpace(from: string, id: number): Promise<Reply> {
    if (!this.deps.host.isLeader) return errorReply(id, toWireError(new KiteError('NotLeader', 'not the leader', { leader: this.deps.host.leader })));
    try {
      if (!this.deps.host.registry.hasAlarm('NOSPACE', from)) {
        await this.deps.host.proposeAlarm({ action: 'activate', memberId: from, alarm: 'NOSPACE' }, this.deps.config.requestTimeoutMs);
      }
      return okReply(id, this.header(), {});
    } catch (err) {
      return errorReply(id, toWireError(this.toKite(err)));
    }
  }

  /**
   * A read's budget from this member's flags (reads are local, so flags may differ between
   * members), chained to the client link's budget when the request came from one.
   */
  private readBudget(charge?: ReadCharge): ReadBudget {
    const { maxResponseBytes, maxKeysScanned } = this.deps.config;
    return new ReadBudget({ maxResponseBytes, maxKeysScanned }, charge);
  }

  private async serveHere(req: Request, caller: Caller, charge?: ReadCharge, decided: { atRaft: boolean } = { atRaft: false }): Promise<Reply> {
    const timeoutMs = this.deps.config.requestTimeoutMs;
    if (AUTH_WRITE_OPS.has(req.op)) return this.proposeAuth(req as Request<AuthWriteOp>, caller, timeoutMs, decided);
    switch (req.op) {
      case 'range': {
        const { id: _id, op: _op, ...args } = req;
        if (req.serializable !== true) await this.deps.host.linearizableRead(timeoutMs);
        const res = await this.deps.kv.range(args, this.readBudget(charge));
        const { revision, ...result } = res;
        return okReply(req.id, this.header(revision), result);
      }
      case 'txn':
        if (isReadOnlyTxn(req)) {
          // Served like a linearizable range, never proposed (see read-txn.ts).
          const { id: _id, op: _op, ...args } = req;
          await this.deps.host.linearizableRead(timeoutMs);
          const { revision, ...result } = await this.deps.kv.readTxn(args, undefined, this.readBudget(charge));
          return okReply(req.id, this.header(revision), result);
        }
        return this.propose(req, caller, timeoutMs, decided);
      case 'put':
      case 'deleteRange':
      case 'compact':
      case 'leaseGrant':
      case 'leaseRevoke':
        return this.propose(req, caller, timeoutMs, decided);
      case 'audit': {
        if (req.serializable !== true) await this.deps.host.linearizableRead(timeoutMs);
        const { id: _id, op: _op, serializable: _s, ...query } = req;
        return okReply(req.id, this.header(), await this.deps.kv.audit(query));
      }
      case 'leaseKeepAlive':
        // A new leader may not have applied the grant yet (etcd waits likewise): a read index
        // makes it apply everything committed before, and proves it still leads.
        await this.deps.host.linearizableRead(timeoutMs);
        return okReply(req.id, this.header(), this.deps.kv.leaseKeepAlive(req.leaseId));
      default: {
        const reply = await this.serveCluster(req, timeoutMs, charge);
        // Member and alarm changes are not kv commands: their records follow through the queue.
        if (reply.ok && CLUSTER_CHANGE_OPS.has(req.op) && !(req.op === 'alarm' && req.action === 'list')) this.auditOutcome(caller, req, 'ok');
        return reply;
      }
    }
  }

  /** An auth change: one replicated `auth` command, proposed on the leader. */
  private async proposeAuth(req: Request<AuthWriteOp>, caller: Caller, timeoutMs: number, decided: { atRaft: boolean }): Promise<Reply> {
    const action = this.deps.auth.action(req);
    const subject = 'role' in action ? `${action.name} role ${action.role}` : 'name' in action ? action.name : undefined;
    const command = this.deps.kv.encodeCommand('auth', action as unknown as Readonly<Record<string, unknown>>, this.auditContext(caller, req.op, subject));
    decided.atRaft = true;
    const outcome: KvApplyOutcome = await this.deps.host.proposeKv(command, timeoutMs);
    if (!outcome.ok) throw outcome.error;
    return okReply(req.id, this.header(outcome.revision), {});
  }

  /** A replicated write: proposed on the leader, answered once applied here. */
  private async propose(req: Request<'put' | 'deleteRange' | 'txn' | 'compact' | 'leaseGrant' | 'leaseRevoke'>, caller: Caller, timeoutMs: number, decided: { atRaft: boolean }): Promise<Reply> {
    const { id: _id, op, ...rest } = req;
    // The leader raises a tiny TTL before proposing, so every replica applies the same one.
    const args = op === 'leaseGrant' ? { ...rest, ttl: Math.max((req as Request<'leaseGrant'>).ttl, minLeaseTtlSeconds(this.deps.config)) } : rest;
    // An armed CORRUPT alarm refuses every write until the member is replaced and the alarm
    // disarmed (etcd's corrupt applier): replicas that differ must not drift further apart.
    const corrupt = this.deps.host.registry.alarms().filter((a) => a.alarm === 'CORRUPT');
    if (corrupt.length > 0) {
      const ids = corrupt.map((a) => a.memberId).join(', ');
      throw new KiteError('Corrupt', `cluster CORRUPT alarm: the store of member ${ids} differs from the others; writes are refused until that member is replaced (member remove, wipe its data dir, member add, start with --initial-cluster-state existing) and the alarm disarmed (kite alarm disarm --alarm CORRUPT)`);
    }
    const command = this.deps.kv.encodeCommand(op, args, this.auditContext(caller));
    if (ADDS_DATA_OPS.has(op)) {
      // An armed NOSPACE alarm (raised by any member, replicated) refuses writes that add data
      // until an operator disarms it, as etcd does; deletes and compaction still go through.
      if (this.deps.host.registry.hasAlarm('NOSPACE')) throw new KiteError('NoSpace', 'database space exceeded (NOSPACE alarm armed; free space, then `kite alarm disarm`)');
      if (!this.deps.chargeQuota(command.length)) {
        await this.raiseNoSpace(timeoutMs);
        throw new KiteError('NoSpace', `database space exceeded (${this.deps.quota().dbSizeBytes} bytes, quota ${this.deps.config.quotaBytes})`);
      }
    }
    const started = monotonicMs();
    decided.atRaft = true;
    const outcome: KvApplyOutcome = await this.deps.host.proposeKv(command, timeoutMs);
    if (!outcome.ok) throw outcome.error;
    if (isPhysicalCompact(req)) await this.compactedPhysically(Math.max(1, timeoutMs - (monotonicMs() - started)));
    return okReply(req.id, this.header(outcome.revision), outcome.result as never);
  }

  /**
   * Raises this member's NOSPACE alarm through Raft (etcd raises it on the write its quota
   * refuses). Awaited so the refusal is visible in `alarm list` once the client sees NoSpace;
   * a failed proposal is left for the next refused write to retry.
   */
  async raiseNoSpace(timeoutMs: number): Promise<void> {
    if (this.deps.host.registry.hasAlarm('NOSPACE', this.deps.selfId)) return;
    this.raisingNoSpace ??= this.proposeOwnNoSpace(timeoutMs)
      .then(() => this.deps.auditQueue.add({
        user: null, address: INTERNAL_CALLER.address, via: INTERNAL_CALLER.via, timeMs: Date.now(), op: 'alarmActivate', keys: [],
        result: 'ok', message: `NOSPACE raised by ${this.deps.selfId}`, revision: this.deps.kv.currentRevision,
      }))
      .catch(() => undefined)
      .finally(() => (this.raisingNoSpace = null));
    await this.raisingNoSpace;
  }

  /** On the leader: propose; on a follower: ask the leader (only the leader proposes). */
  private async proposeOwnNoSpace(timeoutMs: number): Promise<void> {
    if (this.deps.host.isLeader) return this.deps.host.proposeAlarm({ action: 'activate', memberId: this.deps.selfId, alarm: 'NOSPACE' }, timeoutMs);
    const leader = await this.deps.host.waitForLeader(timeoutMs);
    if (leader === null) return;
    if (leader === this.deps.selfId) return this.deps.host.proposeAlarm({ action: 'activate', memberId: this.deps.selfId, alarm: 'NOSPACE' }, timeoutMs);
    const { reply, appliedIndex } = await this.deps.transport.forward(leader, { id: 0, op: RAISE_NOSPACE_OP } as unknown as Request, INTERNAL_CALLER, timeoutMs);
    // Applied here too before the refusal reaches the client, so `alarm list` on this member shows it.
    if (reply.ok) await this.deps.host.waitApplied(appliedIndex, timeoutMs);
  }

  /** etcd's Maintenance.Alarm: list reads the replicated alarms; activate and disarm propose a change. */
  private async alarm(req: Request<'alarm'>, timeoutMs: number): Promise<Reply> {
    if (req.action === 'list') {
      await this.deps.host.linearizableRead(timeoutMs);
      return okReply(req.id, this.header(), { alarms: this.deps.host.registry.alarms() });
    }
    if (req.action === 'activate') {
      const { memberId, alarm } = req;
      if (memberId === undefined || alarm === undefined) throw new KiteError('InvalidArgument', 'activate needs a member id and an alarm');
      // Bounded like raised alarms: at most one per member of the cluster and alarm type.
      if (!this.deps.host.registry.has(memberId)) throw new KiteError('InvalidArgument', `member ${memberId} not found`);
      await this.deps.host.proposeAlarm({ action: 'activate', memberId, alarm }, timeoutMs);
      return okReply(req.id, this.header(), { alarms: [{ memberId, alarm }] });
    }
    // At most one per member and alarm type: bounded by the registry.
    const cleared = this.deps.host.registry.alarms().filter((a) => (req.memberId === undefined || a.memberId === req.memberId) && (req.alarm === undefined || a.alarm === req.alarm));
    for (const a of cleared) await this.deps.host.proposeAlarm({ action: 'deactivate', memberId: a.memberId, alarm: a.alarm }, timeoutMs);
    return okReply(req.id, this.header(), { alarms: cleared });
  }

  private async serveCluster(req: Request, timeoutMs: number, charge?: ReadCharge): Promise<Reply> {
    switch (req.op) {
      case 'alarm':
        return this.alarm(req, timeoutMs);
      case 'leaseTimeToLive':
        await this.deps.host.linearizableRead(timeoutMs);
        return okReply(req.id, this.header(), this.deps.kv.leaseTimeToLive(req.leaseId, req.keys === true, this.readBudget(charge)));
      case 'leaseLeases':
        await this.deps.host.linearizableRead(timeoutMs);
        return okReply(req.id, this.header(), this.deps.kv.leaseLeases());
      case 'authStatus':
      case 'userGet':
      case 'userList':
      case 'roleGet':
      case 'roleList':
        await this.deps.host.linearizableRead(timeoutMs);
        return okReply(req.id, this.header(), this.deps.auth.read(req) as never);
      case 'memberList':
        if (req.serializable !== true) await this.deps.host.linearizableRead(timeoutMs);
        return okReply(req.id, this.header(), { members: this.deps.host.registry.list() });
      case 'status':
        return okReply(req.id, this.header(), this.statusResult());
      case 'hash': {
        const res = await this.deps.kv.hash(req.revision ?? 0);
        return okReply(req.id, this.header(), res);
      }
      case 'defrag': {
        const kvDir = path.join(this.deps.config.dataDir, 'kv');
        const dbSizeBefore = await dirSizeBytes(kvDir);
        await this.deps.kv.defrag();
        return okReply(req.id, this.header(), { dbSizeBefore, dbSize: await dirSizeBytes(kvDir) });
      }
      case 'memberAdd':
        return this.memberAdd(req, timeoutMs);
      case 'memberRemove': {
        if (!this.deps.host.registry.has(req.memberId)) throw new KiteError('InvalidArgument', `member ${req.memberId} not found`);
        await this.deps.host.proposeConfChange({ type: 'removeNode', nodeId: req.memberId }, [], timeoutMs);
        return okReply(req.id, this.header(), { members: this.deps.host.registry.list() });
      }
      case 'memberUpdate':
        return this.memberUpdate(req, timeoutMs);
      case 'memberPromote':
        return this.memberPromote(req, timeoutMs);
      case 'moveLeader': {
        const target = this.deps.host.registry.get(req.targetId);
        if (target === undefined || target.isLearner) throw new KiteError('InvalidArgument', `${req.targetId} is not a voting member`);
        if (this.deps.host.leader === req.targetId) return okReply(req.id, this.header(), {});
        this.deps.host.transferLeadership(req.targetId);
        // Shorter than the forwarding deadline, so a forwarding follower gets this answer.
        if (!(await this.deps.host.waitForLeaderToBe(req.targetId, Math.floor(timeoutMs * 0.8)))) throw new KiteError('Timeout', `leadership did not move to ${req.targetId}`);
        return okReply(req.id, this.header(), {});
      }
      default:
        throw new KiteError('UnknownOp', `op ${req.op} is not served here`);
    }
  }

  private async memberAdd(req: Request<'memberAdd'>, timeoutMs: number): Promise<Reply> {
    const urls = req.peerUrls.map((u) => u.replace(/\/$/, ''));
    for (const m of this.deps.host.registry.list()) {
      if (m.peerUrls.some((u) => urls.includes(u))) throw new KiteError('InvalidArgument', `peer URL already used by member ${m.id}`);
    }
    const id = createHash('sha256').update(this.deps.clusterId).update(urls.join(',')).update(randomBytes(8)).digest('hex').slice(0, 16);
    await this.deps.host.proposeConfChange({ type: req.isLearner === true ? 'addLearner' : 'addVoter', nodeId: id }, urls, timeoutMs);
    const member = this.deps.host.registry.get(id) ?? { id, name: '', peerUrls: urls, clientUrls: [], isLearner: req.isLearner === true };
    return okReply(req.id, this.header(), { member, members: this.deps.host.registry.list() });
  }

  /**
   * etcd's MemberUpdate: the member keeps its id, name and Raft role; every member dials it at
   * its new peer URLs once the update is applied. The member itself must then listen there.
   */
  private async memberUpdate(req: Request<'memberUpdate'>, timeoutMs: number): Promise<Reply> {
    if (!this.deps.host.registry.has(req.memberId)) throw new KiteError('InvalidArgument', `member ${req.memberId} not found`);
    const urls = req.peerUrls.map((u) => u.replace(/\/$/, ''));
    for (const m of this.deps.host.registry.list()) {
      if (m.id !== req.memberId && m.peerUrls.some((u) => urls.includes(u))) throw new KiteError('InvalidArgument', `peer URL already used by member ${m.id}`);
    }
    await this.deps.host.proposeMemberPeerUrls({ memberId: req.memberId, peerUrls: urls }, timeoutMs);
    return okReply(req.id, this.header(), { members: this.deps.host.registry.list() });
  }

  private async memberPromote(req: Request<'memberPromote'>, timeoutMs: number): Promise<Reply> {
    const m = this.deps.host.registry.get(req.memberId);
    if (m === undefined) throw new KiteError('InvalidArgument', `member ${req.memberId} not found`);
    if (!m.isLearner) throw new KiteError('InvalidArgument', `member ${req.memberId} is not a learner`);
    const st = this.deps.host.raftStatus();
    const pr = st.progress[req.memberId];
    if (pr === undefined || pr.match < st.lastIndex * LEARNER_IN_SYNC_RATIO) {
      throw new KiteError('Unavailable', `learner ${req.memberId} is not in sync with the leader yet (match ${pr?.match ?? 0} of ${st.lastIndex})`);
    }
    await this.deps.host.proposeConfChange({ type: 'addVoter', nodeId: req.memberId }, m.peerUrls, timeoutMs);
    return okReply(req.id, this.header(), { members: this.deps.host.registry.list() });
  }

  private toKite(err: unknown): KiteError {
    if (err instanceof KiteError) return err;
    try {
      return this.deps.host.raftError(err);
    } catch {
      return asKiteError(err);
    }
  }

  private statusResult(): {
    version: string; dbSize: number; leader: string | null; raftIndex: number; raftTerm: number; raftAppliedIndex: number; isLearner: boolean; errors: string[];
  } {
    const st = this.deps.host.status();
    return {
      version: KITE_VERSION,
      dbSize: this.deps.quota().dbSizeBytes,
      leader: st.leader,
      raftIndex: st.commit,
      raftTerm: st.term,
      raftAppliedIndex: st.applied,
      isLearner: st.isLearner,
      // Armed (replicated) alarm types, plus this member's measured condition not yet raised;
      // `alarm list` says which member raised which.
      errors: [...new Set([...this.deps.host.registry.alarms().map((a) => a.alarm), ...(this.deps.quota().noSpace ? ['NOSPACE'] : [])])],
    };
  }

}

/** Ops a member cannot serve without a leader: replicated writes, leader-local lease state, linearizable reads. */
function needsLeader(req: Request): boolean {
  if (LEADER_OPS.has(req.op) || AUTH_READ_OPS.has(req.op)) return true;
  return (req.op === 'range' || req.op === 'memberList') && req.serializable !== true;
}

const AUTH_READ_OPS: ReadonlySet<OpName> = new Set<OpName>(['authStatus', 'userGet', 'userList', 'roleGet', 'roleList']);

function isPhysicalCompact(req: Request): boolean {
  return req.op === 'compact' && req.physical === true;
}

/** A txn whose branches only read (or an alarm list) is served by any member through ReadIndex, not forwarded. */
function isReadOnlyRequest(req: Request): boolean {
  if (req.op === 'alarm') return req.action === 'list';
  return req.op === 'txn' && isReadOnlyTxn(req);
}
