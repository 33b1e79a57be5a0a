// RawNode: the driver a host uses. Thread-free and synchronous; see ready.ts for the host's
// loop (persist -> send -> apply -> advance). One Ready may be outstanding at a time:
// ready() must be followed by advance(rd) before the next ready(); hasReady() is false while
// one is outstanding.
//
// Starting a member (details in storage.ts and bootstrap.ts): an initial member of a new
// cluster starts on a storage holding the bootstrap log (`bootstrap(storage, voters)`); a
// joining member on an EMPTY storage (it learns the configuration from the leader's log or
// snapshot, and campaigns only once it is a voter of it); a restarting member on what it
// persisted, with `applied` = its state machine's applied index. Every (re)started member with
// CheckQuorum grants no (pre)vote, except for a leadership transfer, until an election timeout
// has passed since it started (it may have acknowledged a leader's lease before the restart),
// so the first election of a brand-new cluster whose members start at different times can be
// delayed by up to one election timeout.

import { assert } from './assert.js';
import type { RaftConfig } from './config.js';
import { InvalidTransferError, NotLeaderError } from './errors.js';
import type { Message } from './message.js';
import { Raft } from './raft.js';
import type { Ready } from './ready.js';
import { getStatus, type Status } from './status.js';
import { startTransfer, transferProblem } from './step-leader.js';
import type { ConfChange, ConfState, HardState, NodeId, SoftState } from './types.js';

export class RawNode {
  /**
   * The protocol object, for tests to look at (`raft.log`, `raft.leaseValid()`): its state is
   * private with read-only views; tests and mutants change decisions only through
   * `RaftConfig.testHooks` (test-hooks.ts). Hosts use the methods below.
   */
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private outstanding: Ready | null = null;

  /** Restores from `config.storage` (see the header for what it must hold on a first start). */
  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** A message from a peer. Messages addressed to another member are ignored. */
  step(m: Message): void {
    if (m.to !== this.raft.id) return;
    this.raft.step(m);
  }

  /**
   * Starts an election now (with a pre-vote first when PreVote is on). Does nothing while this
   * member is not a voter of its configuration or a committed conf change is not yet applied:
   * a bootstrapped member must first apply its bootstrap entries (its first Ready).
   */
  campaign(): void {
    this.raft.hup(false);
  }

  /** Proposes a command; throws NotLeaderError or ProposalDroppedError. Batched per Ready. */
  propose(data: Uint8Array): void {
    this.raft.propose(data);
  }

  /** Throws NotLeaderError, ConfChangeInProgressError or InvalidConfChangeError. */
  proposeConfChange(cc: ConfChange): void {
    this.raft.proposeConfChange(cc);
  }

  /** The host calls this when it applies a confChange entry; returns the new configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Requests a linearizable read point; the answer is a ReadState with this `context` in a
   * later Ready. On a follower the request goes to the leader. Throws NotLeaderError when no
   * leader is known, ProposalDroppedError when the leader's read queue is full.
   */
  readIndex(context: string): void {
    const r = this.raft;
    if (r.role === 'leader') {
      r.leaderReadIndex({ from: r.id, context });
    } else if (r.lead !== null) {
      r.send({ type: 'readIndex', from: r.id, to: r.lead, term: r.term, context });
    } else {
      throw new NotLeaderError(null);
    }
  }

  /** Moves leadership to `to` (forwarded to the leader from a follower). */
  transferLeadership(to: NodeId): void {
    const r = this.raft;
    if (r.role === 'leader') {
      const problem = transferProblem(r, to);
      if (problem !== null) throw new InvalidTransferError(problem);
      startTransfer(r, to);
    } else if (r.lead !== null) {
      r.send({ type: 'transferLeader', from: r.id, to: r.lead, term: r.term, target: to });
    } else {
      throw new NotLeaderError(null);
    }
  }

  /** The host could not reach `id`: stop pipelining to it and probe instead. */
  reportUnreachable(id: NodeId): void {
    const pr = this.raft.role === 'leader' ? this.raft.trk.progress.get(id) : undefined;
    if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  /** The host finished (or failed) sending the snapshot to `id`. */
  reportSnapshot(id: NodeId, status: 'finish' | 'failure'): void {
    const pr = this.raft.role === 'leader' ? this.raft.trk.progress.get(id) : undefined;
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (status === 'failure') pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the next heartbeat response before probing: the follower may still be busy.
    pr.msgAppFlowPaused = true;
  }

  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    const r = this.raft;
    return (
      !softStateEqual(r.softState(), this.prevSoftState) ||
      !hardStateEqual(r.hardState(), this.prevHardState) ||
      r.log.unstable.snapshot !== null ||
      r.log.unstable.entries.length > 0 ||
      r.hasOutput() ||
      r.log.hasNextCommittedEntries() ||
      r.hasPendingFlush()
    );
  }

  ready(): Ready {
    assert(this.outstanding === null, 'ready() called again before advance()');
    const r = this.raft;
    r.flush();
    const soft = r.softState();
    const hard = r.hardState();
    const softChanged = !softStateEqual(soft, this.prevSoftState);
    const hardChanged = !hardStateEqual(hard, this.prevHardState);
    const entries = r.log.unstableEntries();
    const snapshot = r.log.unstable.snapshot;
    const rd: Ready = {
      ...(softChanged ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      ...(snapshot !== null ? { snapshot } : {}),
      entries,
      committedEntries: r.log.nextCommittedEntries(),
      messages: r.takeMessages(),
      readStates: r.takeReadStates(),
      mustSync:
        entries.length > 0 || snapshot !== null || hard.term !== this.prevHardState.term || hard.vote !== this.prevHardState.vote,
    };
    this.prevSoftState = soft;
    this.prevHardState = hard;
    this.outstanding = rd;
    return rd;
  }

  /** The host persisted, sent and applied what `rd` asked. */
  advance(rd: Ready): void {
    assert(this.outstanding === rd, 'advance() with a Ready that is not the outstanding one');
    this.outstanding = null;
    const log = this.raft.log;
    if (rd.snapshot !== undefined) {
      log.stableSnapTo(rd.snapshot.metadata.index);
      // The host restored its state machine from the snapshot.
      if (rd.snapshot.metadata.index > log.applied) log.appliedTo(rd.snapshot.metadata.index);
    }
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) log.stableTo(lastEntry.index, lastEntry.term);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) {
      log.appliedTo(lastApplied.index);
      this.raft.reduceUncommittedBytes(rd.committedEntries);
    }
    // The leader's own ack counts only now, after the host persisted (see raft.ts).
    this.raft.onPersisted();
  }

  status(): Status {
    return getStatus(this.raft);
  }
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.role === b.role;
}

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
