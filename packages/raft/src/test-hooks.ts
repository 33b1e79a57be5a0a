// Test hooks of the Raft core: the ONLY way tests and the simulator's mutants change what the
// core decides. The core's state is private (raft.ts); a hook replaces one named decision,
// given what that decision needs. Production hosts never set `RaftConfig.testHooks` (the
// server's host.ts builds its RawNode without them), so every hook is off and costs one
// undefined check at its decision point.
//
// Each hook exists for a mutant that must be caught (test/sim/mutants.ts) or a test that models
// something the real world cannot quickly reach; a new one needs the same reason.

import type { RaftLog } from './raft-log.js';
import type { LogIndex, Term } from './types.js';

export interface RaftTestHooks {
  /**
   * Vote granting (§5.4.1): instead of "the candidate's log is at least as up to date as ours"
   * (RaftLog.isUpToDate). Mutant: voteWithoutUpToDateCheck.
   */
  readonly isUpToDate?: (candidateLastIndex: LogIndex, candidateLastTerm: Term) => boolean;
  /**
   * The leader's commit rule (§5.4.2, Figure 8): instead of RaftLog.maybeCommit, which commits
   * `quorumIndex` only when its entry is of the leader's `term`. Returns whether the commit
   * index moved. Mutant: commitOldTermByCount.
   */
  readonly maybeCommit?: (log: RaftLog, quorumIndex: LogIndex, term: Term) => boolean;
  /**
   * The leader's read path, once an entry of its term is committed: instead of a lease check
   * or a heartbeat round, answers the read with `answer(index)`. Mutant: readWithoutQuorumCheck.
   */
  readonly serveRead?: (answer: (readIndex: LogIndex) => void, committed: LogIndex) => void;
  /**
   * Start without the post-(re)start quiet period (raft.ts `inLease`): for tests whose members
   * model processes that have been up for a while and may campaign or vote at once.
   */
  readonly skipQuietPeriod?: boolean;
}

/** No hooks: the production core. */
export const NO_TEST_HOOKS: RaftTestHooks = Object.freeze({});
