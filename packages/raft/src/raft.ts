// The Raft state machine of one member: term, vote, role, log, configuration and (while
// leading) per-follower progress. Input is a tick or a message; output is messages queued in
// `#msgs` and state the RawNode turns into a Ready. No I/O, no clocks, no randomness but `rng`.
// The state is private: read-only views for RawNode, status.ts and tests; the step-*.ts role
// functions change it through named methods (heardFromLeader, receiveReadState,
// beginLeaderTransfer, ...); tests and mutants change decisions only through cfg.testHooks.
//
// Roles swap two functions: `stepRole` (role-specific message handling, step-*.ts) and
// `tickRole` (tickElection for followers/candidates, tickHeartbeat for leaders).
//
// Invariants:
// - term never decreases; vote is set at most once per term;
// - a leader's own progress.match counts only persisted entries (updated in onPersisted), so
//   nothing is committed before the leader itself persisted it (a single voter commits only in
//   advance());
// - msgs is drained by every Ready (its size is bounded by members x inflight window).

import { assert } from './assert.js';
import type { ResolvedRaftConfig, RaftConfig } from './config.js';
import { resolveConfig } from './config-resolve.js';
import { applyToConfState, confChangeProblem } from './confchange/conf-change.js';
import {
  ConfChangeInProgressError,
  InvalidConfChangeError,
  NotLeaderError,
  ProposalDroppedError,
} from './errors.js';
import type { AppendEntries, Message, RequestVote } from './message.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly, type ReadRequest } from './read-only.js';
import { stepCandidate } from './step-candidate.js';
import { stepFollower } from './step-follower.js';
import { stepLeader } from './step-leader.js';
import { entryBytes } from './storage.js';
import { hasMajority } from './quorum/majority.js';
import { ProgressTracker } from './tracker/tracker.js';
import type { Progress } from './tracker/progress.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  EntryType,
  HardState,
  LogIndex,
  NodeId,
  ReadState,
  Role,
  SoftState,
  Term,
} from './types.js';
import { decodeConfChange, encodeConfChange } from './confchange/codec.js';

export type StepFn = (r: Raft, m: Message) => void;
type CampaignKind = 'preElection' | 'election';

const emptyData = new Uint8Array(0);

export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedRaftConfig;
  readonly log: RaftLog;
  readonly trk: ProgressTracker;
  readonly readOnly: ReadOnly;

  // The protocol state: private (ES private, so no cast reaches it either). Read through the
  // views below; changed only by the methods of this class, which keep the invariants above.
  // Tests and mutants change decisions through cfg.testHooks (test-hooks.ts), never the state.
  #term: Term = 0;
  #vote: NodeId | null = null;
  #lead: NodeId | null = null;
  #role: Role = 'follower';
  /** Outgoing messages; drained into each Ready (takeMessages). */
  #msgs: Message[] = [];
  /** Answers to local readIndex calls; drained into each Ready (takeReadStates). */
  #readStates: ReadState[] = [];
  /** Votes received in the current (pre)election. */
  readonly #votes = new Map<NodeId, boolean>();

  #electionElapsed = 0;
  #heartbeatElapsed = 0;
  #randomizedElectionTimeout = 0;
  /** Ticks since this member started: the clock lease reads are measured on. */
  #tickCount = 0;
  /**
   * Until `tickCount` reaches this, the member treats itself as inside some leader's lease and
   * grants no (pre)vote except for a leadership transfer (see `inLease`). A RawNode is built on
   * every (re)start and forgets the leader it was acknowledging; without this quiet period a
   * restarted member could vote a new leader in while the old leader still serves lease reads
   * counted on this member's earlier acks (Raft thesis §6.4; Paxos Made Live likewise has a
   * restarted replica wait out a lease). Tests that model members up for a while skip it
   * (testHooks.skipQuietPeriod).
   */
  #quietUntilTick: number;

  #leadTransferee: NodeId | null = null;
  /** Index of the last conf change appended by this leader (0 if none); see proposeConfChange. */
  #pendingConfIndex: LogIndex = 0;
  /** Bytes of entries appended by this leader and not yet applied (maxUncommittedBytes). */
  #uncommittedBytes = 0;
  /** Proposals appended since the last Ready: broadcast once, as one batch, at the next Ready. */
  private broadcastPending = false;

  private stepRole: StepFn = stepFollower;
  private tickRole: () => void = () => this.tickElection();

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.log = new RaftLog(this.cfg.storage, this.cfg.maxCommittedBytesPerReady);
    this.trk = new ProgressTracker(this.cfg.maxInflightMsgs);
    this.readOnly = new ReadOnly(this.cfg.maxPendingReadIndex);
    this.#quietUntilTick = this.cfg.checkQuorum && this.cfg.testHooks.skipQuietPeriod !== true ? this.cfg.electionTicks : 0;
    const { hardState, confState } = this.cfg.storage.initialState();
    this.trk.applyConf(confState, this.log.lastIndex() + 1);
    this.#term = hardState.term;
    this.#vote = hardState.vote;
    // A stored commit below the snapshot is harmless (the snapshot is committed); above the
    // last index it means the host lost entries it acknowledged, and commitTo asserts.
    this.log.commitTo(hardState.commit);
    if (this.cfg.applied > this.log.applied) {
      this.replayConfChanges(this.log.applied + 1, this.cfg.applied);
      this.log.appliedTo(this.cfg.applied);
    }
    this.becomeFollower(this.#term, null);
  }

  /**
   * The configuration in Storage is the snapshot's; conf changes in (snapshot, applied] will
   * not be handed to the host again, so they are re-applied here from the log.
   */
  private replayConfChanges(lo: LogIndex, hi: LogIndex): void {
    const entries = this.log.slice(lo, hi + 1, undefined);
    assert(entries !== null, `applied entries [${lo}, ${hi}] are compacted but newer than the snapshot`);
    let cs = this.trk.confState();
    for (const e of entries) {
      if (e.type !== 'confChange') continue;
      const cc = decodeConfChange(e.data);
      if (confChangeProblem(cs, cc) === null) cs = applyToConfState(cs, cc);
    }
    this.trk.applyConf(cs, this.log.lastIndex() + 1);
  }

  // ---- state views -------------------------------------------------------------------------

  get term(): Term {
    return this.#term;
  }

  get vote(): NodeId | null {
    return this.#vote;
  }

  get lead(): NodeId | null {
    return this.#lead;
  }

  get role(): Role {
    return this.#role;
  }

  get leadTransferee(): NodeId | null {
    return this.#leadTransferee;
  }

  get tickCount(): number {
    return this.#tickCount;
  }

  /** Whether messages or read states wait for the next Ready. */
  hasOutput(): boolean {
    return this.#msgs.length > 0 || this.#readStates.length > 0;
  }

  /** The messages queued since the last Ready, handed over (the queue starts empty again). */
  takeMessages(): Message[] {
    const out = this.#msgs;
    this.#msgs = [];
    return out;
  }

  /** The local read answers since the last Ready, handed over. */
  takeReadStates(): ReadState[] {
    const out = this.#readStates;
    this.#readStates = [];
    return out;
  }

  softState(): SoftState {
    return { lead: this.#lead, role: this.#role };
  }

  hardState(): HardState {
    return { term: this.#term, vote: this.#vote, commit: this.log.committed };
  }

  /** A voter may campaign and vote; learners and removed members may not campaign. */
  promotable(): boolean {
    return this.trk.voters.has(this.id);
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.#term;
  }

  // ---- role transitions --------------------------------------------------------------------

  private reset(term: Term): void {
    if (this.#term !== term) {
      assert(term > this.#term, `term going back from ${this.#term} to ${term}`);
      this.#term = term;
      this.#vote = null;
    }
    this.#lead = null;
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.#leadTransferee = null;
    this.#votes.clear();
    this.trk.resetProgress(this.log.lastIndex() + 1);
    const self = this.trk.progress.get(this.id);
    if (self !== undefined) self.match = Math.min(this.log.persistedLastIndex(), this.log.lastIndex());
    this.#pendingConfIndex = 0;
    this.#uncommittedBytes = 0;
    this.broadcastPending = false;
    this.readOnly.reset();
  }

  private resetRandomizedElectionTimeout(): void {
    this.#randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.rng.int(this.cfg.electionTicks);
  }

  becomeFollower(term: Term, lead: NodeId | null): void {
    this.reset(term);
    this.#lead = lead;
    this.#role = 'follower';
    this.stepRole = stepFollower;
    this.tickRole = () => this.tickElection();
  }

  becomePreCandidate(): void {
    assert(this.#role !== 'leader', 'leader cannot become pre-candidate');
    // A pre-candidate keeps its term and vote: a pre-election changes nothing durable.
    this.#votes.clear();
    this.#lead = null;
    this.#electionElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.#role = 'preCandidate';
    this.stepRole = stepCandidate;
    this.tickRole = () => this.tickElection();
  }

  becomeCandidate(): void {
    assert(this.#role !== 'leader', 'leader cannot become candidate');
    this.reset(this.#term + 1);
    this.#vote = this.id;
    this.#role = 'candidate';
    this.stepRole = stepCandidate;
    this.tickRole = () => this.tickElection();
  }

  becomeLeader(): void {
    assert(this.#role === 'candidate', `${this.#role} cannot become leader`);
    this.reset(this.#term);
    this.#lead = this.id;
    this.#role = 'leader';
    this.stepRole = stepLeader;
    this.tickRole = () => this.tickHeartbeat();
    const self = this.trk.progress.get(this.id);
    assert(self !== undefined, 'leader is not a member');
    self.becomeReplicate();
    self.recentActive = true;
    // Entries before our own term may hide a conf change: allow none until they are applied.
    this.#pendingConfIndex = this.log.lastIndex();
    // The no-op: committing an entry of our term commits everything before it (Figure 8) and
    // lets ReadIndex and conf changes proceed.
    this.appendEntries([{ type: 'normal', data: emptyData }], true);
  }

  // ---- ticks -------------------------------------------------------------------------------

  tick(): void {
    this.#tickCount++;
    this.tickRole();
  }

  private tickElection(): void {
    this.#electionElapsed++;
    if (this.promotable() && this.#electionElapsed >= this.#randomizedElectionTimeout) {
      this.#electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.#heartbeatElapsed++;
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.cfg.electionTicks) {
      this.#electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        if (!this.trk.quorumActive(this.id)) {
          // CheckQuorum: we have not heard from a majority for an election timeout; another
          // leader may exist. Stepping down stops us serving stale reads.
          this.becomeFollower(this.#term, null);
          return;
        }
        for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.#leadTransferee !== null) this.abortLeaderTransfer();
    }
    if (this.#heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastContext());
    }
  }

  // ---- elections ---------------------------------------------------------------------------

  /** Starts an election (a pre-election first when PreVote is on and this is no transfer). */
  hup(transfer: boolean): void {
    if (this.#role === 'leader' || !this.promotable()) return;
    // A committed but unapplied conf change may remove us or change the quorum: wait for it.
    const unapplied = this.log.slice(this.log.applied + 1, this.log.committed + 1, undefined);
    if (unapplied !== null && unapplied.some((e) => e.type === 'confChange')) return;
    this.campaign(this.cfg.preVote && !transfer ? 'preElection' : 'election', transfer);
  }

  campaign(kind: CampaignKind, transfer: boolean): void {
    let voteTerm: Term;
    if (kind === 'preElection') {
      this.becomePreCandidate();
      voteTerm = this.#term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.#term;
    }
    this.#votes.set(this.id, true);
    if (this.trk.voteResult(this.#votes) === 'won') {
      // A single voter wins at once.
      if (kind === 'preElection') this.campaign('election', transfer);
      else this.becomeLeader();
      return;
    }
    const lastLogIndex = this.log.lastIndex();
    const lastLogTerm = this.log.lastTerm();
    for (const id of [...this.trk.voters].sort()) {
      if (id === this.id) continue;
      this.send({
        type: 'requestVote', from: this.id, to: id, term: voteTerm,
        preVote: kind === 'preElection', lastLogIndex, lastLogTerm, transfer,
      });
    }
  }

  /** Records a (pre)vote response; returns the tally. */
  recordVote(from: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.#votes.has(from)) this.#votes.set(from, granted);
    return this.trk.voteResult(this.#votes);
  }

  private handleVoteRequest(m: RequestVote): void {
    // We may vote for the one we already voted for, or anyone if we have no vote and know no
    // leader this term; a pre-vote for a future term changes nothing, so it is free to give.
    const canVote =
      this.#vote === m.from ||
      (this.#vote === null && this.#lead === null) ||
      (m.preVote && m.term > this.#term);
    const hook = this.cfg.testHooks.isUpToDate;
    const upToDate = hook === undefined ? this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm) : hook(m.lastLogIndex, m.lastLogTerm);
    if (canVote && upToDate) {
      // Answer at the request's term so the (pre)candidate counts it.
      this.send({ type: 'requestVoteResponse', from: this.id, to: m.from, term: m.term, preVote: m.preVote, reject: false });
      if (!m.preVote) {
        this.#electionElapsed = 0;
        this.#vote = m.from;
      }
    } else {
      this.send({ type: 'requestVoteResponse', from: this.id, to: m.from, term: this.#term, preVote: m.preVote, reject: true });
    }
  }

  // ---- message dispatch --------------------------------------------------------------------

  step(m: Message): void {
    if (m.term > this.#term) {
      if (m.type === 'requestVote') {
        // Vote stickiness (leader lease): while we hear from a live leader, or may have
        // acknowledged one before we (re)started, a disruptive candidate (e.g. a rejoining
        // partitioned node) is ignored. A transfer overrides it.
        if (this.inLease() && !m.transfer) return;
        // A pre-vote request does not move our term.
        if (!m.preVote) this.becomeFollower(m.term, null);
      } else if (m.type === 'requestVoteResponse' && m.preVote && !m.reject) {
        // A granted pre-vote carries the term we would campaign at; not a newer term.
      } else if (m.type === 'appendEntries' || m.type === 'heartbeat' || m.type === 'installSnapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.#term) {
      this.stepStale(m);
      return;
    }
    if (m.type === 'requestVote') {
      this.handleVoteRequest(m);
      return;
    }
    this.stepRole(this, m);
  }

  /**
   * Whether a leader may be counting on this member's recent acks for its lease, so that a
   * (pre)vote for someone else would break the lease promise: we heard from a leader within an
   * election timeout, or we started less than an election timeout ago (a restarted member
   * cannot know whom it acknowledged). Only with CheckQuorum, as in etcd: without it there
   * are no lease reads and a deposed leader is not forced out.
   */
  inLease(): boolean {
    if (!this.cfg.checkQuorum) return false;
    const heardFromLeader = this.#lead !== null && this.#electionElapsed < this.cfg.electionTicks;
    return heardFromLeader || this.#tickCount < this.#quietUntilTick;
  }

  /** A message from an older term. */
  private stepStale(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'appendEntries' || m.type === 'heartbeat')) {
      // A stale leader (e.g. one healed from a partition while we moved on) learns our term
      // from this answer and steps down; without it, with PreVote/CheckQuorum, it could keep
      // a follower that ignores its messages from ever being replaced.
      this.send({
        type: 'appendEntriesResponse', from: this.id, to: m.from, term: this.#term,
        index: 0, reject: false, rejectHint: 0, logTerm: 0,
      });
    } else if (m.type === 'requestVote' && m.preVote) {
      this.send({ type: 'requestVoteResponse', from: this.id, to: m.from, term: this.#term, preVote: true, reject: true });
    }
    // Anything else from an older term is simply ignored.
  }

  send(m: Message): void {
    this.#msgs.push(m);
  }

  /** A message from the leader of our term (append, heartbeat, snapshot): it is alive. */
  heardFromLeader(from: NodeId): void {
    this.#electionElapsed = 0;
    this.#lead = from;
  }

  /** A follower's answer to a read it forwarded to the leader. */
  receiveReadState(rs: ReadState): void {
    this.#readStates.push(rs);
  }

  // ---- follower side of replication --------------------------------------------------------

  handleAppendEntries(m: AppendEntries): void {
    if (m.index < this.log.committed) {
      // Everything up to our commit index matches the leader already.
      this.respondAppend(m.from, this.log.committed, false, 0, 0);
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== null) {
      // A commit notice the leader asked not to answer: the answer would repeat its match.
      if (m.noAck !== true || m.entries.length > 0) this.respondAppend(m.from, lastNew, false, 0, 0);
      return;
    }
    // Fast back-off: tell the leader the last index that may match, with our term there, so
    // it can skip a whole term of conflicting entries per round trip.
    const hintIndex = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    const hintTerm = this.log.term(hintIndex) ?? 0;
    this.respondAppend(m.from, m.index, true, hintIndex, hintTerm);
  }

  private respondAppend(to: NodeId, index: LogIndex, reject: boolean, rejectHint: LogIndex, logTerm: Term): void {
    this.send({ type: 'appendEntriesResponse', from: this.id, to, term: this.#term, index, reject, rejectHint, logTerm });
  }

  handleHeartbeat(m: Message & { type: 'heartbeat' }): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: 'heartbeatResponse', from: this.id, to: m.from, term: this.#term, context: m.context, leaseTick: m.leaseTick });
  }

  handleInstallSnapshot(m: Message & { type: 'installSnapshot' }): void {
    const meta = m.snapshot.metadata;
    if (meta.index <= this.log.committed) {
      this.respondAppend(m.from, this.log.committed, false, 0, 0);
      return;
    }
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We already have the snapshot's last entry: just fast-forward the commit index.
      this.log.commitTo(meta.index);
    } else {
      this.log.restore(m.snapshot);
      this.trk.applyConf(meta.confState, this.log.lastIndex() + 1);
    }
    this.respondAppend(m.from, this.log.lastIndex(), false, 0, 0);
  }

  // ---- leader side of replication ----------------------------------------------------------

  /**
   * Appends entries at the leader (assigning term and index). Throws ProposalDroppedError when
   * the uncommitted bytes limit is hit (unless `force`, for the no-op and conf changes).
   */
  appendEntries(proposals: readonly { type: EntryType; data: Uint8Array }[], force = false): void {
    let bytes = 0;
    for (const p of proposals) bytes += p.data.byteLength;
    if (!force && this.#uncommittedBytes > 0 && this.#uncommittedBytes + bytes > this.cfg.maxUncommittedBytes) {
      throw new ProposalDroppedError(
        'uncommittedLimit',
        `${this.#uncommittedBytes} bytes are uncommitted (limit ${this.cfg.maxUncommittedBytes})`,
      );
    }
    let index = this.log.lastIndex();
    const entries: Entry[] = proposals.map((p) => ({ term: this.#term, index: ++index, type: p.type, data: p.data }));
    this.log.append(entries);
    this.#uncommittedBytes += bytes;
    this.broadcastPending = true;
  }

  /** The host persisted the log up to its current stable point: count the leader's own ack. */
  onPersisted(): void {
    if (this.#role !== 'leader') return;
    const self = this.trk.progress.get(this.id);
    if (self === undefined) return;
    if (self.maybeUpdate(this.log.persistedLastIndex())) this.maybeCommitAndBroadcast();
  }

  /** Commits what a quorum has persisted (if of our term) and tells followers. */
  maybeCommitAndBroadcast(): boolean {
    const hook = this.cfg.testHooks.maybeCommit;
    const quorumIndex = this.trk.committedIndex();
    if (!(hook === undefined ? this.log.maybeCommit(quorumIndex, this.#term) : hook(this.log, quorumIndex, this.#term))) return false;
    this.bcastAppend(true);
    // The first commit in our term releases reads held since the election.
    if (this.committedEntryInCurrentTerm()) {
      for (const req of this.readOnly.takeHeldForTermCommit()) this.serveRead(req);
    }
    return true;
  }

  /** Work deferred to the next Ready (batched broadcast of proposals, read rounds). */
  hasPendingFlush(): boolean {
    return this.broadcastPending || this.readOnly.hasUnsent();
  }

  flush(): void {
    if (this.broadcastPending) {
      this.broadcastPending = false;
      if (this.#role === 'leader') this.bcastAppend();
    }
    if (this.readOnly.hasUnsent() && this.#role === 'leader') {
      // The read index is the commit index now, after every read in the round arrived.
      const context = this.readOnly.startRound(this.#term, this.log.committed, this.id);
      this.bcastHeartbeat(context);
      // Our own ack may already be a quorum (the voter set shrank to us since the reads came).
      this.answerConfirmedReads(this.readOnly.recheck((acks) => this.readQuorum(acks)));
    }
  }

  /** `commitNotice`: sent because the commit index moved (see maybeSendAppend). */
  bcastAppend(commitNotice = false): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, true, commitNotice);
  }

  /**
   * Sends `to` the entries it needs (or a snapshot when they are compacted). With
   * `sendIfEmpty` false, sends nothing when there is nothing new. Returns whether it sent.
   * An empty append to a follower in replicate state is flagged noAck when the follower is
   * known to hold prevIndex, or when it is a commit notice: then every entry up to prevIndex
   * was sent on the same ordered link and the follower's answer to those carries the same
   * match. If that answer is lost, the heartbeat answer's re-probe (not flagged) recovers.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean, commitNotice = false): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const entries = prevTerm === null ? null : this.log.entriesFrom(pr.next, this.cfg.maxMsgBytes);
    if (prevTerm === null || entries === null) return this.maybeSendSnapshot(to, pr);
    if (entries.length === 0 && !sendIfEmpty) return false;
    // Nothing to send but the commit index: the answer would repeat a match the leader has or
    // is about to get (recentActive comes from heartbeat answers too).
    const noAck = entries.length === 0 && pr.state === 'replicate' && (pr.match === prevIndex || commitNotice);
    this.send({
      type: 'appendEntries', from: this.id, to, term: this.#term,
      index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed,
      ...(noAck ? { noAck: true as const } : {}),
    });
    pr.sentEntries(entries.length, prevIndex + entries.length);
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // Snapshots are expensive: only for followers we have heard from recently.
    if (!pr.recentActive) return false;
    const snapshot = this.log.snapshot();
    assert(snapshot.metadata.index > 0, 'need a snapshot for a follower behind the log, but there is none');
    pr.becomeSnapshot(snapshot.metadata.index);
    pr.snapshotSentTick = this.#tickCount;
    this.send({ type: 'installSnapshot', from: this.id, to, term: this.#term, snapshot });
    return true;
  }

  bcastHeartbeat(context: string | null): void {
    for (const [id, pr] of this.trk.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit beyond what it is known to have.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.#term, commit, context, leaseTick: this.#tickCount });
    }
  }

  sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.#term });
  }

  abortLeaderTransfer(): void {
    this.#leadTransferee = null;
  }

  /** Leadership goes to `target` (startTransfer in step-leader.ts); abandoned after an election timeout. */
  beginLeaderTransfer(target: NodeId): void {
    this.#leadTransferee = target;
    this.#electionElapsed = 0;
  }

  // ---- proposals (called through RawNode) --------------------------------------------------

  propose(data: Uint8Array): void {
    this.checkCanPropose();
    this.appendEntries([{ type: 'normal', data }]);
  }

  private checkCanPropose(): void {
    if (this.#role !== 'leader') throw new NotLeaderError(this.#lead);
    if (this.#leadTransferee !== null) {
      throw new ProposalDroppedError('transferInProgress', `leadership is being transferred to ${this.#leadTransferee}`);
    }
    if (!this.trk.progress.has(this.id)) throw new ProposalDroppedError('notMember', 'this leader was removed from the cluster');
  }

  /**
   * Appends a single-server conf change (see confchange/conf-change.ts for why single-server).
   * Refused while another change is not yet applied, and until the leader has committed an
   * entry of its own term: otherwise a new leader could append a change on top of an
   * uncommitted change of a deposed leader, and the two configurations could have disjoint
   * majorities (the bug Ongaro reported on raft-dev in 2015).
   */
  proposeConfChange(cc: ConfChange): void {
    this.checkCanPropose();
    if (this.#pendingConfIndex > this.log.applied) {
      throw new ConfChangeInProgressError(
        'pending',
        `a configuration change (log index <= ${this.#pendingConfIndex}) is not yet applied (applied ${this.log.applied}); ` +
          'only one change at a time is allowed: retry after it is applied',
      );
    }
    if (!this.committedEntryInCurrentTerm()) {
      throw new ConfChangeInProgressError(
        'noCommitInTerm',
        `the leader has not yet committed an entry of its term ${this.#term}; retry once it has`,
      );
    }
    const problem = confChangeProblem(this.trk.confState(), cc);
    if (problem !== null) throw new InvalidConfChangeError(problem);
    this.appendEntries([{ type: 'confChange', data: encodeConfChange(cc) }], true);
    this.#pendingConfIndex = this.log.lastIndex();
  }

  /** The host applied a conf change entry: switch to the new configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    const current = this.trk.confState();
    if (current.voters.length === 0 && current.learners.length === 0) this.assertBootstrapChange(cc);
    if (confChangeProblem(current, cc) !== null) return current; // invalid in the log: a no-op
    const next = applyToConfState(current, cc);
    this.trk.applyConf(next, this.log.lastIndex() + 1);
    if (this.#role !== 'leader') return next;
    if (!this.trk.voters.has(this.id)) {
      // We removed ourselves: make sure followers learn the commit, then step down so the
      // remaining voters elect a leader among themselves (we no longer campaign).
      this.bcastAppend();
      this.becomeFollower(this.#term, null);
      return next;
    }
    if (this.#leadTransferee !== null && !this.trk.voters.has(this.#leadTransferee)) this.abortLeaderTransfer();
    // A smaller quorum may commit more, and new members need entries.
    if (!this.maybeCommitAndBroadcast()) this.bcastAppend();
    this.answerConfirmedReads(this.readOnly.recheck((acks) => this.readQuorum(acks)));
    return next;
  }

  /**
   * Only the first bootstrap entry (log index 1) may apply to an empty configuration (see
   * bootstrap.ts). Anything else means this member started empty while the cluster's log does
   * not begin with its configuration (initial members started with a configuration but no
   * bootstrap entries): it would make itself the only voter of its own configuration.
   */
  private assertBootstrapChange(cc: ConfChange): void {
    const first = this.log.lastIndex() >= 1 ? this.log.slice(1, 2, undefined)?.[0] : undefined;
    const bootstrapped =
      first !== undefined && first.type === 'confChange' && sameChange(decodeConfChange(first.data), cc);
    assert(
      bootstrapped,
      `${cc.type} ${cc.nodeId} applied to an empty configuration, but the log does not begin with the bootstrap ` +
        'configuration: start initial members with bootstrap() and joining members with an empty storage (storage.ts)',
    );
  }

  // ---- reads -------------------------------------------------------------------------------

  /** A read request at the leader, local or forwarded by a follower. */
  leaderReadIndex(req: ReadRequest): void {
    if (this.readOnly.isFull()) {
      if (req.from === this.id) {
        throw new ProposalDroppedError('readQueueFull', `${this.readOnly.maxPending} reads are pending`);
      }
      return; // the follower's host times the read out
    }
    if (!this.committedEntryInCurrentTerm()) {
      // Until an entry of our term commits, our commit index may lag the true one.
      this.readOnly.holdUntilTermCommit(req);
      return;
    }
    this.serveRead(req);
  }

  private serveRead(req: ReadRequest): void {
    const hook = this.cfg.testHooks.serveRead;
    if (hook !== undefined) {
      hook((index) => this.answerRead(req, index), this.log.committed);
    } else if (this.trk.voters.size === 1 && this.trk.voters.has(this.id)) {
      this.answerRead(req, this.log.committed);
    } else if (this.cfg.readOnly === 'leaseBased' && this.leaseValid()) {
      this.answerRead(req, this.log.committed);
    } else {
      this.readOnly.addUnsent(req);
    }
  }

  /**
   * The lease holds while a quorum acknowledged heartbeats sent within the last
   * `electionTicks - leaseDriftTicks` ticks: each of them resets its election timer on receipt
   * and will not vote for anyone else (stickiness) for `electionTicks`, so no other leader can
   * exist yet. Not during a transfer: TimeoutNow overrides stickiness.
   */
  leaseValid(): boolean {
    if (this.#role !== 'leader' || !this.cfg.checkQuorum || this.#leadTransferee !== null) return false;
    const since = this.trk.quorumLeaseTick(this.id, this.#tickCount);
    return this.#tickCount - since < this.cfg.electionTicks - this.cfg.leaseDriftTicks;
  }

  readQuorum(acks: ReadonlySet<NodeId>): boolean {
    return hasMajority(this.trk.voters, (id) => acks.has(id));
  }

  answerConfirmedReads(done: readonly { index: LogIndex; requests: readonly ReadRequest[] }[]): void {
    for (const round of done) for (const req of round.requests) this.answerRead(req, round.index);
  }

  private answerRead(req: ReadRequest, index: LogIndex): void {
    if (req.from === this.id) {
      this.#readStates.push({ index, context: req.context });
    } else {
      this.send({ type: 'readIndexResponse', from: this.id, to: req.from, term: this.#term, context: req.context, index });
    }
  }

  /** Applied entries leave the uncommitted budget. */
  reduceUncommittedBytes(applied: readonly Entry[]): void {
    if (this.#role !== 'leader') return;
    let bytes = 0;
    for (const e of applied) bytes += entryBytes(e);
    this.#uncommittedBytes = Math.max(0, this.#uncommittedBytes - bytes);
  }
}

function sameChange(a: ConfChange, b: ConfChange): boolean {
  return a.type === b.type && a.nodeId === b.nodeId;
}
