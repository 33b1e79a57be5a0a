// The current configuration (voters, learners) and the leader's Progress for every member.
// Every member keeps the configuration (it decides who may vote and whether it may campaign);
// Progress matters only while leading and is reset on every role change.

import type { ConfState, LogIndex, NodeId } from '../types.js';
import { hasMajority, majorityCommittedIndex, majorityVoteResult, type VoteResult } from '../quorum/majority.js';
import { Progress } from './progress.js';

export class ProgressTracker {
  voters = new Set<NodeId>();
  learners = new Set<NodeId>();
  readonly progress = new Map<NodeId, Progress>();

  constructor(readonly maxInflight: number) {}

  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() };
  }

  isMember(id: NodeId): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  /**
   * Switches to `cs`, keeping the Progress of members that stay (a promoted learner keeps its
   * match) and starting new members in probe state at `nextIndex`.
   */
  applyConf(cs: ConfState, nextIndex: LogIndex): void {
    this.voters = new Set(cs.voters);
    this.learners = new Set(cs.learners);
    for (const id of [...this.progress.keys()]) {
      if (!this.isMember(id)) this.progress.delete(id);
    }
    for (const id of [...this.voters, ...this.learners]) {
      const isLearner = this.learners.has(id);
      const pr = this.progress.get(id);
      if (pr === undefined) {
        const fresh = new Progress(nextIndex, this.maxInflight, isLearner);
        // A member just added counts as active so CheckQuorum gives it a round to answer.
        fresh.recentActive = true;
        this.progress.set(id, fresh);
      } else {
        pr.isLearner = isLearner;
      }
    }
  }

  /** Fresh progress for every member (on each role change). */
  resetProgress(nextIndex: LogIndex): void {
    this.progress.clear();
    this.applyConf({ voters: [...this.voters], learners: [...this.learners] }, nextIndex);
  }

  committedIndex(): LogIndex {
    return majorityCommittedIndex(this.voters, (id) => this.progress.get(id)?.match);
  }

  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    return majorityVoteResult(this.voters, votes);
  }

  /** CheckQuorum: whether a majority of voters was heard from since the last round. */
  quorumActive(self: NodeId): boolean {
    return hasMajority(this.voters, (id) => id === self || this.progress.get(id)?.recentActive === true);
  }

  /** The leader tick from which a majority's leases are known to run (self counts as `now`). */
  quorumLeaseTick(self: NodeId, now: number): number {
    return majorityCommittedIndex(this.voters, (id) =>
      id === self ? now : (this.progress.get(id)?.leaseAckTick ?? Number.NEGATIVE_INFINITY),
    );
  }
}
