// Test-only mutants of the Raft core, used to prove the simulator can fail. Each one replaces
// one safety decision through the core's documented test hooks (RaftConfig.testHooks,
// packages/raft/src/test-hooks.ts), which every core a SimHost constructs gets: the vote's
// up-to-date check, the leader's commit rule, and the leader's read path. The core's source and
// state are untouched; production hosts never set the hooks.

import type { CoreMutator } from './host.js';

/** Grants (pre)votes without the §5.4.1 "candidate's log is at least as up to date" check. */
export const voteWithoutUpToDateCheck: CoreMutator = {
  isUpToDate: () => true,
};

/** Commits whatever a quorum has replicated, even an entry of an earlier term (Figure 8). */
export const commitOldTermByCount: CoreMutator = {
  maybeCommit: (log, quorumIndex) => {
    if (quorumIndex <= log.committed) return false;
    log.commitTo(quorumIndex);
    return true;
  },
};

/** Answers ReadIndex at once with the local commit index, skipping the leadership check. */
export const readWithoutQuorumCheck: CoreMutator = {
  serveRead: (answer, committed) => answer(committed),
};

export const mutants = {
  voteWithoutUpToDateCheck,
  commitOldTermByCount,
  readWithoutQuorumCheck,
} as const satisfies Record<string, CoreMutator>;

export type MutantName = keyof typeof mutants;

export function isMutantName(name: string): name is MutantName {
  return Object.hasOwn(mutants, name);
}
