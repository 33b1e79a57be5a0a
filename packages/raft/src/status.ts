// An operator's view of one member (served by the host's /status and `kite status`).

import type { Raft } from './raft.js';
import type { ProgressState } from './tracker/progress.js';
import type { ConfState, LogIndex, NodeId, Role, Term } from './types.js';

export interface ProgressStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  /** appendEntries messages in flight (replicate state). */
  readonly inflight: number;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
  readonly pendingSnapshot: LogIndex;
}

export interface Status {
  readonly id: NodeId;
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly role: Role;
  readonly lead: NodeId | null;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  readonly config: ConfState;
  readonly leadTransferee: NodeId | null;
  /** Per member, only while leading (empty otherwise). */
  readonly progress: Readonly<Record<NodeId, ProgressStatus>>;
}

export function getStatus(r: Raft): Status {
  const progress: Record<NodeId, ProgressStatus> = {};
  if (r.role === 'leader') {
    for (const [id, pr] of r.trk.progress) {
      progress[id] = {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        inflight: pr.inflights.count(),
        recentActive: pr.recentActive,
        isLearner: pr.isLearner,
        pendingSnapshot: pr.pendingSnapshot,
      };
    }
  }
  return {
    id: r.id,
    term: r.term,
    vote: r.vote,
    role: r.role,
    lead: r.lead,
    commit: r.log.committed,
    applied: r.log.applied,
    lastIndex: r.log.lastIndex(),
    config: r.trk.confState(),
    leadTransferee: r.leadTransferee,
    progress,
  };
}
