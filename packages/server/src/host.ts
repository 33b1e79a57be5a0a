// The host loop: drives the Raft core (RawNode) with time, peer messages and proposals, and
// carries out what each Ready asks. THE ORDERING CONTRACT, for every Ready, in this order
// (steps 2-9 are also code: ready-plan.ts plans them per Ready and states their rules, a test
// checks every plan against the rules, and handleReady only executes the plan):
//
//  1. Ticks come from one timer; milliseconds become ticks only here (tickMs per tick).
//     Input (tick, step, propose, readIndex) only calls into the core and schedules a loop
//     turn with setImmediate, so proposals of one event-loop turn land in one Ready (batched).
//  2. softState: leader changes update metrics, start/stop the lessor's expiry clocks, and
//     re-issue reads that were waiting on the old leader.
//  3. Apply starts: committed entries go on the APPLY CHAIN, which applies them in index
//     order, one store batch per Ready (the store records the applied index in the same
//     batch), and settles the waiting requests. The loop does not wait for it, so the apply
//     overlaps this Ready's sends and fsync and the next Ready. Safe because committedEntries
//     only hold entries persisted by an EARLIER Ready (the core guarantees it). Not here but
//     at step 8 when the Ready installs a snapshot (step 7 comes first) or commits a conf
//     change (applying it may drop a removed peer's link before step 4/6 tell that peer).
//  4. A leader sends its messages while its own persist (step 5, started first so its write
//     reaches the disk thread first) runs: Raft allows it, the leader counts its own ack only
//     after advance, so its appends and its fsync run in parallel. When its write is inline
//     (step 5), it sends and flushes them just BEFORE the write, for the same overlap.
//  5. Persist: snapshot metadata, entries and HardState in ONE write to the WAL, with ONE
//     fdatasync (group commit) when the Ready says mustSync (entries, snapshot, term or vote
//     changed); then mirror them into the core's MemoryStorage. While synced writes average
//     at most WAL_INLINE_SYNC_MS_MAX, the write is inline (blocking the loop, no thread-pool
//     trip each way): always on a follower (it acks only after the write anyway), on a leader
//     for a Ready of at most LEADER_INLINE_ENTRIES_MAX entries, whose messages are then sent
//     AND flushed first (step 4 before 5), so its appends' round trip still overlaps the
//     write. A HardState whose commit alone moved is not written by itself: the commit index
//     is volatile in Raft; it rides along with the next write.
//  6. Everyone else sends only now (a follower acks only what it has durably).
//     installSnapshot messages become snapshot streams, taken on the apply chain so the
//     streamed state, its index and its configuration agree.
//  7. An installed snapshot waits for the apply chain to drain, then replaces the state
//     machine (from the staged file) before anything after it is applied.
//  8. The deferred applies of step 3 go on the chain. The loop waits for the chain to drain
//     when the Ready holds a conf change (the core must see it applied before the next
//     Ready), and when more than APPLY_ENTRIES_PENDING_MAX entries wait (back-pressure).
//  9. readStates: each read batch is released once applied >= its read index (re-checked
//     after every apply).
// 10. advance(rd). Then, past --snapshot-entries applied entries: drain the chain, make the
//     store durable up to the applied index X (ONE flush, not a sync per apply), snapshot at
//     X, and only then compact the Raft log below X.
//
// Durability of the store: it writes apply batches without fsync, its applied index riding
// in each batch. kill -9 loses nothing (LevelDB's log is in the OS cache). An OS crash or
// power loss may lose store batches, never Raft entries (those are fsynced before they are
// acked or applied). At start, recover() brings the store forward from the durable Raft log:
// entries after the last snapshot are re-applied by the core, and (snapshot tail, snapshot]
// from the catch-up tail the log keeps below the snapshot. Step 10 guarantees the store had
// everything up to the snapshot on disk before the log could drop it, so the log always
// holds what the store may have lost. The flush (KvStore.flush) writes LevelDB's memtables to
// fsynced table files: a synced write would fsync only the current log, not one LevelDB closed
// without fsync when a memtable filled.
//
// Invariants: one Ready outstanding at a time (the loop is serialized); applies happen in
// index order on one chain; nothing is applied that is not persisted locally; a pending
// request is settled exactly once (result, error or timeout); broken invariants throw and
// stop the process.

import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import {
  MemoryStorage,
  NotLeaderError,
  entryBytes,
  ProposalDroppedError,
  RawNode,
  ConfChangeInProgressError,
  InvalidConfChangeError,
  InvalidTransferError,
  decodeConfChange,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type Ready,
  type Snapshot,
  type Status,
} from '@kite/raft';
import { KiteError, createRng } from '@kite/protocol';
import { monotonicMs, type MonotonicClock } from './clock.js';
import type { ServerConfig } from './config.js';
import {
  decodeAlarmChange, decodeAttrs, decodeConfContext, decodeHostEntry, decodeMemberPeerUrls, encodeAlarmChange, encodeAttrs, encodeConfContext, encodeHostEntry, encodeMemberPeerUrls,
  type AlarmChange, type MemberAttributes, type MemberPeerUrls,
} from './entry-codec.js';
import type { KvApplyItem, KvApplyOutcome, KvPort } from './kv-port.js';
import type { Logger } from './logger.js';
import { MemberRegistry } from './member-registry.js';
import type { ServerMetrics } from './metrics.js';
import { DEADLINE_RESOLUTION_MS, Deadlines } from './deadlines.js';
import { failpoint } from './failpoints.js';
import { traceHop } from './latency-trace.js';
import type { MutantName } from './mutants.js';
import { DataDirError, type LoadedRaftState, type RaftLogStore } from './raft-log-store.js';
import { checkRaftMessage } from './raft-message-check.js';
import { planReady } from './ready-plan.js';
import { ReadIndexQueue } from './read-queue.js';
import type { SnapshotFiles } from './snapshot-files.js';
import { SnapshotInstall } from './snapshot-install.js';
import { nodeTimers, type TimerHandle, type Timers } from './timers.js';

/** Proposals awaiting their apply at once; more are refused (back-pressure). */
const PROPOSALS_PENDING_MAX = 20_000;
/** Reads waiting for a read index or for apply at once. */
const READS_PENDING_MAX = 50_000;
/**
 * The leader checkpoints remaining lease TTLs through Raft every max(this, one election
 * timeout). A new leader restarts leases from the last checkpoint plus one election timeout,
 * so a leader change stretches a lease by at most that interval plus an election timeout.
 */
const LEASE_CHECKPOINT_INTERVAL_MS_MIN = 500;
/** Snapshot streams to followers at once (never two to one follower: see streamSnapshot). */
const SNAPSHOT_SENDS_MAX = 2;
/** /health reports unhealthy while applied lags commit by more than this many entries. */
const HEALTH_APPLY_LAG_MAX = 100;
/** Idle watchers that asked for progress notifications get one this often. */
const WATCH_PROGRESS_INTERVAL_MS = 10_000;
/** Committed entries waiting on the apply chain before the loop waits for it (back-pressure). */
const APPLY_ENTRIES_PENDING_MAX = 4096;
/** Entries per store batch when replaying the log tail at start. */
const REPLAY_BATCH_ENTRIES_MAX = 1024;
/**
 * A member writes its WAL inline (blocking the event loop for the write and its sync, no
 * thread-pool trip each way) while its synced writes take at most this long on average; on a
 * slower disk the loop would stall too long, and every write goes through the pool.
 */
export const WAL_INLINE_SYNC_MS_MAX = 2;
/**
 * A leader writes inline only a Ready of at most this many entries (a lightly loaded leader:
 * lone writes), after flushing its appends. A bigger batch means clients keep it busy, and its
 * CPU work for the next batch should run while the thread pool syncs this one.
 */
export const LEADER_INLINE_ENTRIES_MAX = 4;
/** Weight of the newest synced write in the running average (1/8: a few slow writes switch). */
const SYNC_MS_AVG_WEIGHT = 1 / 8;
/** A new cluster's synthetic first snapshot (the initial configuration; an empty store). */
export const BOOTSTRAP_INDEX = 1;

export interface HostDeps {
  readonly config: ServerConfig;
  readonly selfId: string;
  readonly clusterId: string;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly logStore: RaftLogStore;
  readonly loaded: LoadedRaftState;
  readonly kv: KvPort;
  readonly registry: MemberRegistry;
  readonly snapFiles: SnapshotFiles;
  /** Sends a batch of raft messages to a peer; false when dropped. */
  readonly send: (to: string, messages: readonly Message[]) => boolean;
  readonly sendSnapshot: (to: string, message: Message, chunks: AsyncIterable<Uint8Array>) => Promise<void>;
  /** Writes the messages sent so far now, not at the end of the turn (before an inline write). */
  readonly flushSends?: () => void;
  readonly onPeersChanged: (peers: ReadonlyMap<string, string>) => void;
  /** This member was removed from the cluster: the process must stop. */
  readonly onRemoved: () => void;
  /** A fatal error in the loop (I/O failure): the process must stop without acking more. */
  readonly onFatal: (err: unknown) => void;
  /** Time for ticks, intervals and deadlines (default: monotonicMs). Never the wall clock. */
  readonly clock?: MonotonicClock;
  /** The timers the loop, its ticks and deadlines run on (default: Node's). */
  readonly timers?: Timers;
  /**
   * Tells this process's proposals from an earlier incarnation's (default: random bytes). The
   * host simulation passes a seeded one, so a run replays exactly.
   */
  readonly incarnationTag?: string;
  /** A deliberately broken build (mutants.ts; KITE_MUTANT), for proving the tests catch it. */
  readonly mutant?: MutantName | null;
}

interface Pending<T> {
  readonly resolve: (v: T) => void;
  readonly reject: (e: Error) => void;
  readonly timer: TimerHandle;
}

/** A kv proposal awaiting its apply; its deadline is in `proposalDeadlines` (no timer of its own). */
interface PendingProposal {
  readonly resolve: (v: KvApplyOutcome) => void;
  readonly reject: (e: Error) => void;
  readonly timeoutMs: number;
  /** Its bucket in proposalDeadlines. */
  readonly deadlineAt: number;
}

export interface HostStatus {
  readonly memberId: string;
  readonly name: string;
  readonly leader: string | null;
  readonly role: string;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly revision: number;
  readonly raftLogEntries: number;
  readonly snapshotIndex: number;
  readonly isLearner: boolean;
}

export class Host {
  readonly node: RawNode;
  readonly storage: MemoryStorage;
  readonly registry: MemberRegistry;
  private readonly log: Logger;
  private readonly proposerTag: string;
  private nextSeq = 1;
  private readonly proposals = new Map<number, PendingProposal>();
  /** The deadlines of `proposals`, by seq: one timer for all of them. */
  private readonly proposalDeadlines: Deadlines<number>;
  private readonly confProposals = new Map<number, Pending<ConfState>>();
  private readonly reads: ReadIndexQueue;
  private readonly leaderWaiters = new Set<() => void>();
  /**
   * Aborted once this member has had no leader for a whole election timeout (checked every
   * tick): what waits on a leader gives up then with Unavailable instead of holding the client
   * to its deadline. Replaced by a fresh one when a leader is known again.
   */
  private leaderless = leaderlessController();
  /** When the member last lost its leader (monotonic ms). */
  private leaderlessSinceMs: number;
  private readonly revoking = new Set<number>();
  /** One election timeout (config; fixed for the process). */
  private readonly electionTimeoutMs: number;
  /** How often the leader checkpoints lease TTLs (see LEASE_CHECKPOINT_INTERVAL_MS_MIN). */
  private readonly leaseCheckpointIntervalMs: number;
  private confState: ConfState;
  private snapshotIndex: number;
  private appliedIndex: number;
  private lead: string | null = null;
  private currentTerm: number;
  private role: string = 'follower';
  private tickTimer: TimerHandle | null = null;
  private lastTickMs = 0;
  private lastCheckpointMs = 0;
  private lastProgressMs: number;
  private loopRunning = false;
  private loopScheduled = false;
  private loopIdle: (() => void)[] = [];
  /** Applies run one after another on this chain (contract steps 3 and 8). */
  private applyChain: Promise<void> = Promise.resolve();
  /** Committed entries handed to the chain and not yet applied. */
  private applyPendingEntries = 0;
  /** Running average of synced WAL writes (ms, monotonic clock): inline while it is small. */
  private syncMsAvg = 0;
  /** The latest commit-only HardState, not yet written (see persist()). */
  private unpersistedHardState: HardState | null = null;
  /** Set when an apply failed: nothing more is applied and the process stops. */
  private applyFailed = false;
  private stopping = false;
  /** Followers a snapshot is streaming to now. */
  private readonly snapshotSendsTo = new Set<string>();
  /**
   * Payload bytes appended to the core's log since the last local snapshot: past half of
   * --max-raft-log-bytes a snapshot is due, whatever the entry count (maybeSnapshot).
   */
  private logBytesSinceSnapshot = 0;
  /** Snapshot installs from the leader: staged -> recorded -> restored -> pruned (snapshot-install.ts). */
  private readonly installs: SnapshotInstall;
  private readonly nowMs: MonotonicClock;
  private readonly timers: Timers;

  constructor(private readonly deps: HostDeps) {
    this.nowMs = deps.clock ?? monotonicMs;
    this.timers = deps.timers ?? nodeTimers;
    this.proposalDeadlines = new Deadlines(this.nowMs, (seq) => this.expireProposal(seq), DEADLINE_RESOLUTION_MS, this.timers);
    this.reads = new ReadIndexQueue(READS_PENDING_MAX, this.nowMs, this.timers);
    this.lastProgressMs = this.nowMs();
    this.leaderlessSinceMs = this.nowMs();
    this.log = deps.logger.child({ component: 'host' });
    this.registry = deps.registry;
    this.installs = new SnapshotInstall({ files: deps.snapFiles, kv: deps.kv, log: this.log, mutant: deps.mutant ?? null });
    this.proposerTag = `${deps.selfId}/${deps.incarnationTag ?? randomBytes(6).toString('hex')}`;
    const { loaded, config } = deps;
    const snap = loaded.snapshot;
    this.storage = new MemoryStorage(snap === null ? {} : { confState: snap.metadata.confState });
    if (snap !== null && snap.metadata.index > 0) this.storage.applySnapshot(snap);
    if (loaded.entries.length > 0) this.storage.append(loaded.entries);
    if (loaded.hardState !== null) this.storage.setHardState(raiseCommit(loaded.hardState, deps.kv.appliedIndex, this.storage.lastIndex()));
    this.confState = this.storage.initialState().confState;
    this.snapshotIndex = snap?.metadata.index ?? 0;
    this.appliedIndex = this.snapshotIndex;
    this.currentTerm = loaded.hardState?.term ?? 0;
    this.electionTimeoutMs = config.electionTicks * config.tickMs;
    this.leaseCheckpointIntervalMs = Math.max(LEASE_CHECKPOINT_INTERVAL_MS_MIN, this.electionTimeoutMs);
    // The core re-delivers committed entries after the snapshot: conf changes and member
    // attributes are re-applied (idempotent); the store skips what it already applied.
    this.node = new RawNode({
      id: deps.selfId,
      storage: this.storage,
      rng: createRng(seedFrom(this.proposerTag)),
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      applied: this.snapshotIndex,
      preVote: true,
      checkQuorum: deps.mutant !== 'leader-reads-without-quorum',
      readOnly: config.leaseReads ? 'leaseBased' : 'safe',
      maxMsgBytes: 1024 * 1024,
      maxInflightMsgs: 256,
      maxUncommittedBytes: 64 * 1024 * 1024,
      maxCommittedBytesPerReady: 8 * 1024 * 1024,
    });
  }

  // ---- lifecycle

  start(): void {
    this.lastTickMs = this.nowMs();
    this.tickTimer = this.timers.setInterval(() => this.onTimer(), Math.max(1, Math.floor(this.deps.config.tickMs / 2)));
    // A lone voter need not wait an election timeout to lead.
    if (this.confState.voters.length === 1 && this.confState.voters[0] === this.deps.selfId) this.node.campaign();
    this.schedule();
  }

  /** Stops input, lets the current loop turn finish its persist/apply, fails what is pending. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.tickTimer) this.timers.clearInterval(this.tickTimer);
    if (this.loopRunning) await new Promise<void>((r) => this.loopIdle.push(r));
    await this.applyIdle();
    const stopped = new KiteError('Unavailable', 'member is stopping');
    this.failProposals(stopped);
    for (const p of this.confProposals.values()) this.settle(p, stopped);
    this.confProposals.clear();
    this.reads.failAll(stopped);
    for (const wake of this.leaderWaiters) wake();
  }

  /**
   * Brings the store up to the Raft snapshot: from the log tail kept below it (an OS crash
   * lost store batches the store had not synced), or by resuming an interrupted snapshot
   * install from the state its files are in (snapshot-install.ts: a crash fell between
   * recording an installed snapshot and pruning its file). Refuses a store ahead of the
   * durable log. Entries after the snapshot are re-applied by the core.
   */
  async recover(): Promise<void> {
    const kvApplied = this.deps.kv.appliedIndex;
    const lastIndex = this.storage.lastIndex();
    if (kvApplied > lastIndex) {
      throw new DataDirError('CorruptDataDir', `the store applied index ${kvApplied} is beyond the raft log's last index ${lastIndex}: the raft log lost entries`);
    }
    // The bootstrap snapshot holds an empty store: nothing to restore.
    const emptyBootstrap = this.snapshotIndex === BOOTSTRAP_INDEX && kvApplied === 0;
    const storeMatches = emptyBootstrap || (kvApplied < this.snapshotIndex && (await this.replayTail(kvApplied)));
    await this.installs.resume(storeMatches ? 0 : this.snapshotIndex);
  }

  /** Re-applies (kvApplied, snapshotIndex] from the log tail kept below the snapshot, if it has them. */
  private async replayTail(kvApplied: number): Promise<boolean> {
    const tail = this.deps.loaded.tail.filter((e) => e.index > kvApplied && e.index <= this.snapshotIndex);
    if (tail[0]?.index !== kvApplied + 1 || tail.length !== this.snapshotIndex - kvApplied) return false;
    this.log.warn({ from: kvApplied + 1, to: this.snapshotIndex }, 'the store lost unsynced batches (OS crash?): replaying them from the raft log');
    const items = tail.map((e) => ({ index: e.index, command: kvCommandOf(e) }));
    for (let i = 0; i < items.length; i += REPLAY_BATCH_ENTRIES_MAX) await this.deps.kv.apply(items.slice(i, i + REPLAY_BATCH_ENTRIES_MAX));
    if (this.deps.kv.appliedIndex < this.snapshotIndex) throw new Error(`assertion: store at ${this.deps.kv.appliedIndex} after replaying to ${this.snapshotIndex}`);
    return true;
  }

  // ---- time

  private onTimer(): void {
    const now = this.nowMs();
    // Milliseconds become ticks here and nowhere else; a stalled event loop catches up
    // (bounded) instead of silently stretching the election timeout.
    const due = Math.min(Math.floor((now - this.lastTickMs) / this.deps.config.tickMs), this.deps.config.electionTicks);
    if (due <= 0) return;
    this.lastTickMs += due * this.deps.config.tickMs;
    if (now - this.lastTickMs > this.deps.config.tickMs * 2) this.lastTickMs = now;
    for (let i = 0; i < due; i++) this.node.tick();
    if (this.role === 'leader') this.leaderHousekeeping(now);
    if (now - this.lastProgressMs >= WATCH_PROGRESS_INTERVAL_MS) {
      this.lastProgressMs = now;
      this.deps.kv.tickProgress();
    }
    this.checkLeaderless();
    this.schedule();
  }

  /** Signals "no leader for an election timeout" (see `leaderless`), once per episode. */
  private checkLeaderless(): void {
    if (this.lead !== null || this.leaderless.signal.aborted) return;
    if (this.nowMs() - this.leaderlessSinceMs < this.electionTimeoutMs) return;
    const err = new KiteError('Unavailable', `no leader for ${this.electionTimeoutMs} ms (one election timeout)`, { leader: null });
    this.log.warn({ electionTimeoutMs: this.electionTimeoutMs }, 'no leader for an election timeout: refusing requests that need one');
    this.leaderless.abort(err);
    // Reads not yet given a read index have no leader to ask: the client may try another member.
    this.reads.failUnindexed(err);
    // Proposals of a leader that stepped down (CheckQuorum) may still be committed by the next
    // leader: failed as indeterminate rather than held to their deadline.
    const lost = new KiteError('Unavailable', `${err.message}; this member's proposal may or may not be applied`, { leader: null, indeterminate: true });
    this.failProposals(lost);
    for (const p of this.confProposals.values()) this.settle(p, lost);
    this.confProposals.clear();
    this.updatePendingGauge();
    for (const wake of [...this.leaderWaiters]) wake();
  }

  private leaderHousekeeping(now: number): void {
    for (const id of this.deps.kv.expiredLeases()) {
      if (this.revoking.has(id)) continue;
      this.revoking.add(id);
      void this.proposeInternal(this.deps.kv.encodeInternal({ op: 'leaseRevoke', id })).finally(() => this.revoking.delete(id));
    }
    if (now - this.lastCheckpointMs >= this.leaseCheckpointIntervalMs) {
      this.lastCheckpointMs = now;
      const checkpoints = this.deps.kv.leaseCheckpoints();
      if (checkpoints.length > 0) void this.proposeInternal(this.deps.kv.encodeInternal({ op: 'leaseCheckpoint', checkpoints }));
    }
  }

  /** A proposal the leader makes for itself (lease revoke/checkpoint); failures are logged. */
  private async proposeInternal(command: Uint8Array): Promise<void> {
    try {
      const out = await this.proposeKv(command, this.deps.config.requestTimeoutMs);
      if (!out.ok && out.error.code !== 'LeaseNotFound') this.log.warn({ err: out.error.message }, 'internal proposal failed');
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'internal proposal not applied');
    }
  }

  // ---- input

  /** Raft messages from a peer link (shapes checked loosely; the link is authenticated). */
  stepMessages(from: string, messages: readonly unknown[]): void {
    if (this.stopping) return;
    traceHop('step');
    for (const raw of messages) {
      const m = checkRaftMessage(raw, from, this.deps.selfId);
      if (m === null) {
        this.log.warn({ from, type: String((raw as { type?: unknown } | null)?.type).slice(0, 40) }, 'dropping malformed raft message');
        continue;
      }
      if (m.type === 'installSnapshot') {
        this.log.warn({ from }, 'dropping installSnapshot outside a snapshot stream');
        continue;
      }
      this.node.step(m);
    }
    this.schedule();
  }

  /** A streamed snapshot is staged on disk: hand the raft message to the core. */
  snapshotStaged(from: string, message: unknown, file: string): void {
    const m = checkRaftMessage(message, from, this.deps.selfId);
    if (this.stopping || m === null || m.type !== 'installSnapshot') {
      this.log.warn({ from }, 'snapshot stream without a valid installSnapshot message');
      return;
    }
    this.installs.staged(m.snapshot.metadata.index, file);
    this.log.info({ from, index: m.snapshot.metadata.index }, 'snapshot received');
    this.node.step(m as Message);
    this.schedule();
  }

  reportUnreachable(peer: string): void {
    this.node.reportUnreachable(peer);
  }

  /** Proposes a kv command and waits until it is applied here (leader only). */
  proposeKv(command: Uint8Array, timeoutMs: number, kind: 'kv' | 'alarm' | 'peerUrls' = 'kv'): Promise<KvApplyOutcome> {
    return new Promise((resolve, reject) => {
      if (this.stopping) return reject(new KiteError('Unavailable', 'member is stopping'));
      if (this.proposals.size >= PROPOSALS_PENDING_MAX) {
        return reject(new KiteError('Unavailable', `too many proposals pending (limit ${PROPOSALS_PENDING_MAX})`));
      }
      const seq = this.nextSeq++;
      traceHop('propose');
      try {
        this.node.propose(encodeHostEntry({ kind, proposer: this.proposerTag, seq, payload: command }));
      } catch (err) {
        this.deps.metrics.proposalsFailed.inc();
        return reject(this.raftError(err));
      }
      this.proposals.set(seq, { resolve, reject, timeoutMs, deadlineAt: this.proposalDeadlines.add(seq, timeoutMs) });
      this.updatePendingGauge();
      this.schedule();
    });
  }

  /** Raises or clears an alarm on every member and waits until it is applied here (leader only). */
  async proposeAlarm(change: AlarmChange, timeoutMs: number): Promise<void> {
    const outcome = await this.proposeKv(encodeAlarmChange(change), timeoutMs, 'alarm');
    if (!outcome.ok) throw outcome.error;
  }

  /** Replaces a member's peer URLs on every member and waits until it is applied here (leader only). */
  async proposeMemberPeerUrls(update: MemberPeerUrls, timeoutMs: number): Promise<void> {
    const outcome = await this.proposeKv(encodeMemberPeerUrls(update), timeoutMs, 'peerUrls');
    if (!outcome.ok) throw outcome.error;
  }

  /** Publishes a member's name and client URLs (fire and forget; applied on every member); false when the core refused it. */
  proposeAttributes(attrs: MemberAttributes): boolean {
    try {
      this.node.propose(encodeHostEntry({ kind: 'attrs', proposer: this.proposerTag, seq: this.nextSeq++, payload: encodeAttrs(attrs) }));
      this.schedule();
      return true;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'publishing attributes failed');
      return false;
    }
  }

  /**
   * Proposes a membership change and waits until it is applied here. A change the core cannot
   * take yet (another one pending, or no entry of this leader's term committed) is retried
   * every tick until the deadline: both clear by themselves within a few rounds.
   */
  async proposeConfChange(cc: Omit<ConfChange, 'context'>, peerUrls: readonly string[], timeoutMs: number): Promise<ConfState> {
    const deadline = this.nowMs() + timeoutMs;
    for (;;) {
      try {
        return await this.proposeConfChangeOnce(cc, peerUrls, Math.max(1, deadline - this.nowMs()));
      } catch (err) {
        if (!(err instanceof ConfChangeInProgressError) || this.nowMs() + this.deps.config.tickMs >= deadline) {
          throw this.raftError(err);
        }
        await new Promise((r) => this.timers.setTimeout(() => r(undefined), this.deps.config.tickMs));
      }
    }
  }

  private proposeConfChangeOnce(cc: Omit<ConfChange, 'context'>, peerUrls: readonly string[], timeoutMs: number): Promise<ConfState> {
    return new Promise((resolve, reject) => {
      if (this.stopping) return reject(new KiteError('Unavailable', 'member is stopping'));
      const seq = this.nextSeq++;
      try {
        this.node.proposeConfChange({ ...cc, context: encodeConfContext({ proposer: this.proposerTag, seq, peerUrls }) });
      } catch (err) {
        return reject(err instanceof ConfChangeInProgressError ? err : this.raftError(err));
      }
      const timer = this.timers.setTimeout(() => {
        if (this.confProposals.delete(seq)) reject(new KiteError('Timeout', `member change not applied within ${timeoutMs} ms`, { indeterminate: true }));
      }, timeoutMs);
      this.confProposals.set(seq, { resolve, reject, timer });
      this.schedule();
    });
  }

  /**
   * Resolves once a read served from the local store is linearizable: a read index confirmed
   * by the leader (batched with every read of this loop turn) and applied >= that index.
   */
  linearizableRead(timeoutMs: number): Promise<void> {
    if (this.stopping) return Promise.reject(new KiteError('Unavailable', 'member is stopping'));
    if (this.deps.mutant === 'leader-reads-without-quorum' && this.lead === this.deps.selfId) return Promise.resolve();
    if (this.deps.mutant === 'follower-local-reads' && this.lead !== null && this.lead !== this.deps.selfId) return Promise.resolve();
    const read = this.reads.add(timeoutMs);
    this.schedule();
    return read;
  }

  transferLeadership(target: string): void {
    try {
      this.node.transferLeadership(target);
    } catch (err) {
      throw this.raftError(err);
    }
    this.schedule();
  }

  /**
   * Resolves with the leader id once one is known; null after timeoutMs, or at once when the
   * member has had no leader for an election timeout (see `noLeaderSignal`).
   */
  async waitForLeader(timeoutMs: number): Promise<string | null> {
    const deadline = this.nowMs() + timeoutMs;
    while (this.lead === null && !this.stopping && !this.leaderless.signal.aborted) {
      const leftMs = deadline - this.nowMs();
      if (leftMs <= 0) break;
      await this.nextLeaderWake(leftMs);
    }
    return this.lead;
  }

  /** Aborted (reason: an Unavailable KiteError) once the member has had no leader for an election timeout. */
  get noLeaderSignal(): AbortSignal {
    return this.leaderless.signal;
  }

  /**
   * Resolves once this member applied `index` (apply before reply: a forwarded request is
   * answered only when the forwarding member's state shows it); Timeout after timeoutMs.
   */
  waitApplied(index: number, timeoutMs: number): Promise<void> {
    if (index <= this.appliedIndex) return Promise.resolve();
    if (this.stopping) return Promise.reject(new KiteError('Unavailable', 'member is stopping'));
    return this.reads.addApplied(index, timeoutMs, () =>
      new KiteError('Timeout', `applied by the leader (index ${index}) but not on this member within ${timeoutMs} ms (applied ${this.appliedIndex})`, { indeterminate: true }),
    );
  }

  /** Resolves when the leader is `target` (or the timeout passes: false). */
  async waitForLeaderToBe(target: string, timeoutMs: number): Promise<boolean> {
    const deadline = this.nowMs() + timeoutMs;
    while (this.lead !== target && this.nowMs() < deadline && !this.stopping) {
      await this.nextLeaderWake(Math.max(1, deadline - this.nowMs()));
    }
    return this.lead === target;
  }

  /** Resolves with the leader as of the next leader news (or stop), or after timeoutMs. */
  private nextLeaderWake(timeoutMs: number): Promise<string | null> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.timers.clearTimeout(timer);
        this.leaderWaiters.delete(wake);
        resolve(this.lead);
      };
      const timer = this.timers.setTimeout(wake, timeoutMs);
      this.leaderWaiters.add(wake);
    });
  }

  // ---- views

  get leader(): string | null {
    return this.lead;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** The term as last persisted (cheap: read on every reply header). */
  get term(): number {
    return this.currentTerm;
  }

  get applied(): number {
    return this.appliedIndex;
  }

  raftStatus(): Status {
    return this.node.status();
  }

  status(): HostStatus {
    const st = this.node.status();
    return {
      memberId: this.deps.selfId,
      name: this.deps.config.name,
      leader: st.lead,
      role: st.role,
      term: st.term,
      commit: st.commit,
      applied: this.appliedIndex,
      lastIndex: st.lastIndex,
      revision: this.deps.kv.currentRevision,
      raftLogEntries: this.deps.logStore.entryCount(),
      snapshotIndex: this.snapshotIndex,
      isLearner: this.confState.learners.includes(this.deps.selfId),
    };
  }

  healthy(): boolean {
    const st = this.node.status();
    return st.lead !== null && this.appliedIndex >= st.commit - HEALTH_APPLY_LAG_MAX;
  }

  // ---- the loop

  private schedule(): void {
    if (this.loopScheduled || this.stopping) return;
    this.loopScheduled = true;
    this.timers.setImmediate(() => {
      this.loopScheduled = false;
      void this.runLoop();
    });
  }

  private async runLoop(): Promise<void> {
    if (this.loopRunning || this.stopping) return;
    this.loopRunning = true;
    traceHop('loop');
    try {
      this.flushReads();
      while (this.node.hasReady()) {
        const rd = this.node.ready();
        await this.handleReady(rd);
        this.node.advance(rd);
        await this.maybeSnapshot();
        if (this.stopping) break;
        this.flushReads();
      }
    } catch (err) {
      this.loopRunning = false;
      this.fail(err);
      return;
    }
    this.loopRunning = false;
    for (const r of this.loopIdle.splice(0)) r();
  }

  /** A failure in the loop or the apply chain (I/O, broken invariant): stop acking anything. */
  private fail(err: unknown): void {
    if (this.applyFailed && this.stopping) return;
    this.applyFailed = true;
    this.stopping = true;
    if (this.tickTimer) this.timers.clearInterval(this.tickTimer);
    for (const r of this.loopIdle.splice(0)) r();
    this.deps.onFatal(err);
  }

  /** Carries out one Ready: the steps planReady (ready-plan.ts) lists, in its order. */
  private async handleReady(rd: Ready): Promise<void> {
    if (rd.entries.length > 0) traceHop('readyEntries');
    if (rd.committedEntries.length > 0) traceHop('readyCommit');
    if (rd.hardState !== undefined) {
      this.currentTerm = rd.hardState.term;
      this.deps.metrics.term.set(rd.hardState.term);
    }
    // The role as of this Ready: its soft state (applied first) may change it.
    const isLeader = (rd.softState?.role ?? this.role) === 'leader';
    const inline = this.syncMsAvg <= WAL_INLINE_SYNC_MS_MAX && (!isLeader || rd.entries.length <= LEADER_INLINE_ENTRIES_MAX);
    // Only a write of entries is worth flushing the sends for. A commit-only Ready's notices
    // leave at the end of the turn, after its apply's store batch was handed to the pool:
    // flushed at once, they wake the followers, who take the cores from that apply.
    const leaderWritesInline = isLeader && inline && rd.entries.length > 0;
    const plan = planReady({
      isLeader,
      hasSoftState: rd.softState !== undefined,
      hasSnapshot: rd.snapshot !== undefined,
      committedEntries: rd.committedEntries.length,
      hasConfChange: rd.committedEntries.some((e) => e.type === 'confChange'),
      leaderWritesInline,
    });
    let persisted: Promise<void> = Promise.resolve();
    for (const step of plan) {
      switch (step) {
        case 'softState':
          if (rd.softState !== undefined) this.onSoftState(rd.softState.lead, rd.softState.role);
          break;
        case 'applyEarly':
        case 'applyDeferred':
          this.enqueueApply(rd.committedEntries);
          break;
        case 'persistStart':
          persisted = this.persist(rd, inline);
          break;
        case 'send':
          this.sendMessages(rd.messages);
          // Out of the process before the loop blocks on an inline write.
          if (leaderWritesInline) this.deps.flushSends?.();
          break;
        case 'persistWait':
          await persisted;
          break;
        case 'installSnapshot':
          if (rd.snapshot === undefined) throw new Error('assertion: a snapshot install planned without a snapshot');
          await this.applyIdle();
          await this.installSnapshot(rd.snapshot);
          break;
        case 'applyWait':
          await this.applyIdle();
          break;
        case 'applyBackpressure':
          if (this.applyPendingEntries > APPLY_ENTRIES_PENDING_MAX) await this.applyIdle();
          break;
        case 'reads':
          for (const rs of rd.readStates) this.reads.onReadState(rs.context, rs.index);
          this.reads.release(this.appliedIndex);
          if (this.reads.hasUnsent && this.lead !== null) this.schedule();
          break;
      }
    }
  }

  /**
   * Contract step 5. A HardState whose commit index alone moved is not written on its own: the
   * commit index is volatile in Raft (a restarted member learns it again, and recover() raises
   * it to what the store applied); it rides along with the next write instead.
   */
  private async persist(rd: Ready, inline: boolean): Promise<void> {
    if (rd.snapshot !== undefined) await this.installs.beforeRecord(rd.snapshot.metadata.index);
    const hardState = rd.hardState ?? this.unpersistedHardState ?? undefined;
    if (rd.entries.length === 0 && rd.snapshot === undefined && !rd.mustSync) {
      if (rd.hardState !== undefined) this.storage.setHardState(rd.hardState);
      this.unpersistedHardState = hardState ?? null;
      return;
    }
    const startedMs = this.nowMs();
    failpoint('before-log-append');
    traceHop('persistStart');
    await this.deps.logStore.persist({ entries: rd.entries, hardState, snapshot: rd.snapshot, sync: rd.mustSync && this.deps.mutant !== 'ack-before-fsync', inline });
    traceHop('persistDone');
    failpoint('after-log-append');
    if (rd.snapshot !== undefined) this.installs.recorded(rd.snapshot.metadata.index);
    if (rd.mustSync) {
      const syncMs = this.nowMs() - startedMs;
      this.syncMsAvg += (syncMs - this.syncMsAvg) * SYNC_MS_AVG_WEIGHT;
      this.deps.metrics.fsyncLatency.observe(syncMs / 1000);
    }
    this.unpersistedHardState = null;
    if (rd.snapshot !== undefined) this.storage.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) {
      this.storage.append(rd.entries);
      for (const e of rd.entries) this.logBytesSinceSnapshot += entryBytes(e);
    }
    if (rd.hardState !== undefined) this.storage.setHardState(rd.hardState);
  }

  /** Puts a Ready's committed entries on the apply chain. */
  private enqueueApply(entries: readonly Entry[]): void {
    this.applyPendingEntries += entries.length;
    this.onApplyChain(async () => {
      await this.apply(entries);
      this.applyPendingEntries -= entries.length;
      this.reads.release(this.appliedIndex);
    });
  }

  /** Runs `step` on the apply chain, after every apply queued before it; a failure is fatal. */
  private onApplyChain(step: () => Promise<void> | void): void {
    this.applyChain = this.applyChain.then(async () => {
      if (this.applyFailed) return;
      try {
        await step();
      } catch (err) {
        this.fail(err);
      }
    });
  }

  /** Resolves once everything queued on the apply chain so far is done. */
  private applyIdle(): Promise<void> {
    return this.applyChain;
  }

  private onSoftState(lead: string | null, role: string): void {
    const wasLeader = this.role === 'leader';
    const leaderChanged = lead !== this.lead;
    this.lead = lead;
    this.role = role;
    this.deps.metrics.hasLeader.set(lead === null ? 0 : 1);
    this.deps.metrics.isLeader.set(role === 'leader' ? 1 : 0);
    if (leaderChanged) {
      this.deps.metrics.leaderChanges.inc();
      this.log.info({ leader: lead, role }, 'leader changed');
      // Read requests sent to the old leader may never be answered: send them again.
      this.reads.resendAll();
      if (lead === null) this.leaderlessSinceMs = this.nowMs();
      else if (this.leaderless.signal.aborted) this.leaderless = leaderlessController();
      if (lead !== null) for (const wake of [...this.leaderWaiters]) wake();
    }
    if (role === 'leader' && !wasLeader) {
      this.deps.kv.promote(this.electionTimeoutMs);
      this.lastCheckpointMs = this.nowMs();
    } else if (role !== 'leader' && wasLeader) {
      this.deps.kv.demote();
    }
  }

  private sendMessages(messages: readonly Message[]): void {
    if (messages.length > 0) traceHop('send');
    const byPeer = new Map<string, Message[]>();
    for (const m of messages) {
      if (m.type === 'installSnapshot') {
        this.streamSnapshot(m);
        continue;
      }
      let list = byPeer.get(m.to);
      if (list === undefined) byPeer.set(m.to, (list = []));
      list.push(m);
    }
    for (const [to, list] of byPeer) {
      if (!this.deps.send(to, list)) this.node.reportUnreachable(to);
    }
  }

  /**
   * The core wants `m.to` to install a snapshot. The store is streamed as it is at that point
   * of the apply chain (a consistent view at our applied index), so the metadata is rewritten
   * to that index, its term and the configuration and members as of it (like etcd's merged
   * snapshot). On the chain, the store's applied index, confState and the registry agree.
   */
  private streamSnapshot(m: Message & { type: 'installSnapshot' }): void {
    const to = m.to;
    // One stream per follower: its receiver stages one stream per sender, so a second stream
    // would restart the staging under the first one's chunks (both then fail, out of order,
    // and a large snapshot never arrives). The core asks again after the failure report.
    if (this.snapshotSendsTo.size >= SNAPSHOT_SENDS_MAX || this.snapshotSendsTo.has(to)) {
      this.node.reportSnapshot(to, 'failure');
      return;
    }
    this.snapshotSendsTo.add(to);
    this.onApplyChain(() => {
      const { appliedIndex: index, chunks, cancel } = this.deps.kv.snapshot();
      let term: number;
      try {
        term = this.storage.term(index);
      } catch (err) {
        // The log no longer holds that index (compacted meanwhile): the core asks again.
        this.log.warn({ to, index, err: (err as Error).message }, 'cannot stream a snapshot now');
        cancel();
        this.snapshotSendsTo.delete(to);
        this.node.reportSnapshot(to, 'failure');
        this.schedule();
        return;
      }
      const snapshot: Snapshot = { metadata: { index, term, confState: this.confState }, data: this.registry.encode() };
      this.log.info({ to, index }, 'streaming snapshot');
      this.sendSnapshotStream(to, { ...m, snapshot }, chunks);
    });
  }

  private sendSnapshotStream(to: string, message: Message, chunks: AsyncIterable<Uint8Array>): void {
    const index = message.type === 'installSnapshot' ? message.snapshot.metadata.index : 0;
    this.deps
      .sendSnapshot(to, message, chunks)
      .then(
        () => {
          // No reportSnapshot('finish'): the follower's answer after installing moves its
          // progress on (reporting now would probe it while it is still restoring, and a
          // rejected probe would start another stream); the core retries if that is lost.
          this.deps.metrics.snapshotsSent.inc();
          this.log.info({ to, index }, 'snapshot sent');
        },
        (err: unknown) => {
          this.deps.metrics.snapshotsSendFailed.inc();
          this.log.warn({ to, index, err: (err as Error).message }, 'snapshot send failed');
          this.node.reportSnapshot(to, 'failure');
        },
      )
      .finally(() => {
        this.snapshotSendsTo.delete(to);
        this.schedule();
      });
  }

  /**
   * Contract step 7: the install of a snapshot the Raft log just recorded goes on from
   * recorded to restored and pruned (snapshot-install.ts says why each step is restart-safe),
   * then the host's own view follows: configuration, snapshot index, member registry.
   */
  private async installSnapshot(snap: Snapshot): Promise<void> {
    const index = snap.metadata.index;
    await this.installs.complete(index);
    this.deps.metrics.snapshotsReceived.inc();
    this.confState = snap.metadata.confState;
    this.snapshotIndex = index;
    this.appliedIndex = Math.max(this.appliedIndex, index);
    const registry = MemberRegistry.decode(snap.data);
    this.replaceRegistry(registry);
    this.log.info({ index, revision: this.deps.kv.currentRevision }, 'snapshot installed');
  }

  private replaceRegistry(next: MemberRegistry): void {
    for (const m of this.registry.list()) {
      if (!next.has(m.id)) this.registry.applyConfChange({ type: 'removeNode', nodeId: m.id }, []);
    }
    for (const m of next.list()) {
      this.registry.applyConfChange({ type: m.isLearner ? 'addLearner' : 'addVoter', nodeId: m.id }, m.peerUrls);
      this.registry.applyAttributes({ memberId: m.id, name: m.name, clientUrls: m.clientUrls, ...(m.grpcUrls !== undefined ? { grpcUrls: m.grpcUrls } : {}) });
    }
    this.registry.replaceAlarms(next);
    this.deps.onPeersChanged(this.registry.peerUrls());
  }

  private async apply(entries: readonly Entry[]): Promise<void> {
    const startedMs = this.nowMs();
    const items: KvApplyItem[] = [];
    /** Per item: the seq of our own proposal awaiting it, or null. */
    const owners: (number | null)[] = [];
    const confSettles: (() => void)[] = [];
    for (const e of entries) {
      let command: Uint8Array | null = null;
      let owner: number | null = null;
      if (e.type === 'normal' && e.data.length > 0) {
        const he = decodeHostEntry(e.data);
        if (he.kind === 'kv') {
          command = he.payload;
          if (he.proposer === this.proposerTag) owner = he.seq;
        } else if (he.kind === 'alarm') {
          // No store command: the store applies only the index; the proposer is answered.
          const alarm = decodeAlarmChange(he.payload);
          this.registry.applyAlarm(alarm);
          this.log.warn({ memberId: alarm.memberId, alarm: alarm.alarm, index: e.index }, alarm.action === 'activate' ? 'alarm raised' : 'alarm disarmed');
          if (he.proposer === this.proposerTag) owner = he.seq;
        } else if (he.kind === 'peerUrls') {
          // Like an alarm: no store command. The transport dials the member at its new URL.
          const update = decodeMemberPeerUrls(he.payload);
          this.registry.applyPeerUrls(update);
          this.deps.onPeersChanged(this.registry.peerUrls());
          this.log.info({ changedMemberId: update.memberId, peerUrls: update.peerUrls, index: e.index }, 'member peer URLs updated');
          if (he.proposer === this.proposerTag) owner = he.seq;
        } else {
          this.registry.applyAttributes(decodeAttrs(he.payload));
        }
      } else if (e.type === 'confChange') {
        const settle = this.applyConfChange(e);
        if (settle !== null) confSettles.push(settle);
      }
      items.push({ index: e.index, command });
      owners.push(owner);
    }
    const lastItem = items[items.length - 1];
    if (this.deps.mutant === 'applied-index-before-apply' && lastItem !== undefined) await this.deps.kv.mutantRecordAppliedIndex?.(lastItem.index);
    failpoint('before-apply');
    traceHop('applyStart');
    const outcomes = await this.deps.kv.apply(items);
    traceHop('applyDone');
    failpoint('after-apply');
    const last = entries[entries.length - 1];
    if (last !== undefined) this.appliedIndex = Math.max(this.appliedIndex, last.index);
    this.deps.metrics.proposalsApplied.set(this.appliedIndex);
    // Answered only now: a forwarding member waits for the applied index read at the answer.
    for (const settle of confSettles) settle();
    for (let i = 0; i < items.length; i++) {
      const owner = owners[i];
      const out = outcomes[i];
      if (items[i]?.command != null) this.deps.metrics.proposalsCommitted.inc();
      if (owner == null || out === undefined) continue;
      const p = this.proposals.get(owner);
      if (p === undefined) continue;
      this.proposals.delete(owner);
      this.proposalDeadlines.delete(owner, p.deadlineAt);
      p.resolve(out);
    }
    this.updatePendingGauge();
    this.deps.metrics.applyLatency.observe((this.nowMs() - startedMs) / 1000);
  }

  /** Applies a committed conf change; returns how to answer its proposer here (after the batch's applied index is recorded), if any. */
  private applyConfChange(e: Entry): (() => void) | null {
    const cc = decodeConfChange(e.data);
    const ctx = decodeConfContext(cc.context);
    this.confState = this.node.applyConfChange(cc);
    this.registry.applyConfChange(cc, ctx?.peerUrls ?? []);
    this.deps.onPeersChanged(this.registry.peerUrls());
    // `member` is every line's own name (logger.ts); the member the change is about gets its own key.
    this.log.info({ type: cc.type, changedMemberId: cc.nodeId, index: e.index }, 'membership changed');
    let settle: (() => void) | null = null;
    if (ctx !== null && ctx.proposer === this.proposerTag) {
      const p = this.confProposals.get(ctx.seq);
      if (p !== undefined) {
        this.confProposals.delete(ctx.seq);
        this.timers.clearTimeout(p.timer);
        const confState = this.confState;
        settle = () => p.resolve(confState);
      }
    }
    if (cc.type === 'removeNode' && cc.nodeId === this.deps.selfId) {
      this.log.warn('this member was removed from the cluster; stopping');
      this.timers.setImmediate(() => this.deps.onRemoved());
    }
    return settle;
  }

  // ---- reads

  /** Sends the reads of this loop turn as one readIndex request. */
  private flushReads(): void {
    const batch = this.reads.takeUnsent();
    if (batch === null) return;
    const ctx = `${this.proposerTag}#${this.nextSeq++}`;
    try {
      this.node.readIndex(ctx);
    } catch (err) {
      // No leader yet: keep the reads until one is known (or they time out).
      if (err instanceof NotLeaderError && err.leader === null) this.reads.requeue(batch);
      else this.reads.fail(batch, this.raftError(err));
      return;
    }
    this.reads.sentAs(ctx, batch);
  }

  // ---- snapshots of the state machine

  private async maybeSnapshot(): Promise<void> {
    const sinceSnapshot = this.deps.kv.appliedIndex - this.snapshotIndex;
    const overBytes = this.logBytesSinceSnapshot > this.deps.config.raftLogBytesMax / 2;
    if (sinceSnapshot < this.deps.config.snapshotEntries && !(overBytes && sinceSnapshot > 0)) return;
    // Contract step 10: the store's state up to the snapshot is durable before the log loses
    // the entries that could rebuild it.
    await this.applyIdle();
    const applied = this.deps.kv.appliedIndex;
    if (applied > this.storage.lastIndex()) return;
    if (this.deps.mutant !== 'compact-before-store-sync') await this.deps.kv.sync();
    const snap = this.storage.createSnapshot(applied, this.confState, this.registry.encode());
    const compactIndex = Math.max(0, applied - this.deps.config.snapshotCatchupEntries, this.catchupStart(applied, this.deps.config.raftLogBytesMax / 2) - 1);
    this.logBytesSinceSnapshot = 0;
    const firstIndex = this.storage.firstIndex();
    if (compactIndex >= firstIndex) this.storage.compact(compactIndex);
    await this.deps.logStore.saveSnapshotAndCompact(snap, Math.max(0, Math.min(compactIndex, applied)));
    this.snapshotIndex = applied;
    this.deps.metrics.snapshotsTaken.inc();
    this.deps.metrics.raftLogEntries.set(this.deps.logStore.entryCount());
    this.log.info({ index: applied, compactIndex }, 'snapshot taken, raft log compacted');
  }

  /**
   * The first index of the catch-up tail below `applied` whose payload fits `bytesMax`
   * (walking down from `applied`); the log's first index when all of it fits.
   */
  private catchupStart(applied: number, bytesMax: number): number {
    const first = this.storage.firstIndex();
    if (applied < first) return first;
    const held = this.storage.entries(first, applied + 1);
    let bytes = 0;
    for (let i = held.length - 1; i >= 0; i--) {
      bytes += entryBytes(held[i] as Entry);
      if (bytes > bytesMax) return (held[i] as Entry).index + 1;
    }
    return first;
  }

  // ---- helpers

  /** A proposal's deadline passed before its apply. */
  private expireProposal(seq: number): void {
    const p = this.proposals.get(seq);
    if (p === undefined) return;
    this.proposals.delete(seq);
    this.deps.metrics.proposalsFailed.inc();
    this.updatePendingGauge();
    p.reject(new KiteError('Timeout', `not applied within ${p.timeoutMs} ms`, { indeterminate: true }));
  }

  /** Fails every pending kv proposal with `err`. */
  private failProposals(err: Error): void {
    const all = [...this.proposals.values()];
    this.proposals.clear();
    this.proposalDeadlines.clear();
    for (const p of all) p.reject(err);
  }

  private settle<T>(p: Pending<T>, err: Error): void {
    this.timers.clearTimeout(p.timer);
    p.reject(err);
  }

  private updatePendingGauge(): void {
    this.deps.metrics.proposalsPending.set(this.proposals.size);
  }

  /** Maps core errors onto protocol errors. */
  raftError(err: unknown): KiteError {
    if (err instanceof KiteError) return err;
    if (err instanceof NotLeaderError) {
      return err.leader === null
        ? new KiteError('Unavailable', 'no leader is known', { leader: null })
        : new KiteError('NotLeader', err.message, { leader: err.leader, leaderClientUrls: this.registry.get(err.leader)?.clientUrls ?? [] });
    }
    if (err instanceof ProposalDroppedError) return new KiteError('Unavailable', err.message);
    if (err instanceof ConfChangeInProgressError) return new KiteError('Unavailable', err.message);
    if (err instanceof InvalidConfChangeError || err instanceof InvalidTransferError) return new KiteError('InvalidArgument', err.message);
    throw err;
  }
}

function seedFrom(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** One per leaderless episode; every forward in flight listens on it (bounded by the transport's FORWARDS_PENDING_MAX), so no listener-count warning. */
function leaderlessController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/** The kv command an entry carries for the store (null: a no-op, conf change or attributes). */
function kvCommandOf(e: Entry): Uint8Array | null {
  if (e.type !== 'normal' || e.data.length === 0) return null;
  const he = decodeHostEntry(e.data);
  return he.kind === 'kv' ? he.payload : null;
}

/**
 * The persisted commit index is a hint (written without fsync when it alone moves), so after
 * an OS crash the store may have applied beyond it. Everything the store applied was
 * committed and is in the durable log, so the commit index is raised to it (never past the
 * log: a store ahead of the log is refused by recover()).
 */
export function raiseCommit(hs: HardState, kvApplied: number, lastIndex: number): HardState {
  const commit = Math.max(hs.commit, Math.min(kvApplied, lastIndex));
  return commit === hs.commit ? hs : { ...hs, commit };
}

