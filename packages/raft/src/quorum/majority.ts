// Majority quorum arithmetic over one voter set (Kite uses single-server membership changes,
// so there is never a joint configuration to combine).

import type { LogIndex, NodeId } from '../types.js';

export type VoteResult = 'won' | 'lost' | 'pending';

/**
 * The largest index that a majority of `voters` has acknowledged (`acked(id)`, missing = 0).
 * With no voters nothing can commit: 0.
 */
export function majorityCommittedIndex(voters: Iterable<NodeId>, acked: (id: NodeId) => LogIndex | undefined): LogIndex {
  const indexes: LogIndex[] = [];
  for (const id of voters) indexes.push(acked(id) ?? 0);
  if (indexes.length === 0) return 0;
  indexes.sort((a, b) => b - a);
  // The (n/2 + 1)-th largest value is held by a majority.
  return indexes[Math.floor(indexes.length / 2)] as LogIndex;
}

/** Tallies granted/rejected votes; absent voters have not answered yet. */
export function majorityVoteResult(voters: Iterable<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let total = 0;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    total++;
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  if (total === 0) return 'lost';
  const q = Math.floor(total / 2) + 1;
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}

/** Whether a majority of `voters` satisfies `pred`. */
export function hasMajority(voters: Iterable<NodeId>, pred: (id: NodeId) => boolean): boolean {
  let total = 0;
  let yes = 0;
  for (const id of voters) {
    total++;
    if (pred(id)) yes++;
  }
  return total > 0 && yes >= Math.floor(total / 2) + 1;
}
