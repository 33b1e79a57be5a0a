// Single-server membership changes.
//
// Why single-server (not joint consensus): each change adds or removes exactly one voter, so
// any majority of the old voter set and any majority of the new one share a member; no
// decision can be made by two disjoint majorities, and no joint state is needed. The price is
// that changes go one at a time: the leader refuses a change while another is not yet applied,
// and (Ongaro, raft-dev 2015) refuses any change until it has committed an entry of its own
// term, which rules out two leaders of adjacent terms building on different configurations.
// A change takes effect on a member when it applies the entry (the host calls
// RawNode.applyConfChange), as in etcd.

import type { ConfChange, ConfState } from '../types.js';

/** Why `cc` cannot apply to `cs`, or null if it can. */
export function confChangeProblem(cs: ConfState, cc: ConfChange): string | null {
  const isVoter = cs.voters.includes(cc.nodeId);
  const isLearner = cs.learners.includes(cc.nodeId);
  switch (cc.type) {
    case 'addVoter':
      return isVoter ? `${cc.nodeId} is already a voter` : null;
    case 'addLearner':
      if (isVoter) return `${cc.nodeId} is a voter; demoting a voter to learner is not supported (remove it first)`;
      return isLearner ? `${cc.nodeId} is already a learner` : null;
    case 'removeNode':
      if (!isVoter && !isLearner) return `${cc.nodeId} is not a member`;
      if (isVoter && cs.voters.length === 1) return `${cc.nodeId} is the last voter; removing it would leave no quorum`;
      return null;
  }
}

/** The configuration after `cc`. The caller checked `confChangeProblem` (or trusts the log). */
export function applyToConfState(cs: ConfState, cc: ConfChange): ConfState {
  const voters = cs.voters.filter((id) => id !== cc.nodeId);
  const learners = cs.learners.filter((id) => id !== cc.nodeId);
  if (cc.type === 'addVoter') voters.push(cc.nodeId);
  if (cc.type === 'addLearner') learners.push(cc.nodeId);
  return { voters: voters.sort(), learners: learners.sort() };
}
