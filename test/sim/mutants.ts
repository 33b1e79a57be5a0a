// Test-only mutants of the Raft core, used to prove the simulator can fail. Each patches one
// safety decision on one RawNode instance: the two the core keeps on its log object
// (`rawNode.raft.log`, see packages/raft/src/raft-log.ts) and the leader's read path
// (`rawNode.raft.serveRead`, raft.ts). The core's source is untouched.

import type { RawNode } from './core.js';
import type { CoreMutator } from './host.js';
import type { RaftLog } from '../../packages/raft/src/raft-log.js';

/** The core's Raft state as far as the mutants need it (private members included). */
interface RaftInternals {
  readonly log: RaftLog;
  serveRead(req: unknown): void;
  answerRead(req: unknown, index: number): void;
}

function raftOf(node: RawNode): RaftInternals {
  // Why the cast: `serveRead`/`answerRead` are private to the core; mutants reach in on purpose.
  const raft = (node as unknown as { raft?: Partial<RaftInternals> }).raft;
  if (raft?.log === undefined || typeof raft.serveRead !== 'function' || typeof raft.answerRead !== 'function') {
    throw new Error('mutants: rawNode.raft internals not found (core layout changed?)');
  }
  return raft as RaftInternals;
}

function logOf(node: RawNode): RaftLog {
  return raftOf(node).log;
}

/** Grants (pre)votes without the §5.4.1 "candidate's log is at least as up to date" check. */
export const voteWithoutUpToDateCheck: CoreMutator = (node) => {
  logOf(node).isUpToDate = () => true;
};

/** Commits whatever a quorum has replicated, even an entry of an earlier term (Figure 8). */
export const commitOldTermByCount: CoreMutator = (node) => {
  const log = logOf(node);
  log.maybeCommit = (maxIndex) => {
    if (maxIndex <= log.committed) return false;
    log.commitTo(maxIndex);
    return true;
  };
};

/** Answers ReadIndex at once with the local commit index, skipping the leadership check. */
export const readWithoutQuorumCheck: CoreMutator = (node) => {
  const raft = raftOf(node);
  raft.serveRead = (req) => raft.answerRead(req, raft.log.committed);
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
