// Expected errors of the Raft core. Each has a stable string `code` that the server maps onto
// the wire (NotLeader is forwarded to clients as-is). Broken invariants are not errors: see
// assert.ts.

import type { LogIndex, NodeId } from './types.js';

export abstract class RaftError extends Error {
  abstract readonly code: string;
}

/** A proposal or read reached a member that is not the leader. `leader` is the known leader. */
export class NotLeaderError extends RaftError {
  readonly code = 'NotLeader';
  override readonly name = 'NotLeaderError';
  constructor(readonly leader: NodeId | null) {
    super(leader === null ? 'not the leader; no leader is known' : `not the leader; the leader is ${leader}`);
  }
}

export type ProposalDroppedReason =
  | 'transferInProgress'
  | 'uncommittedLimit'
  | 'notMember'
  | 'readQueueFull';

/** The leader refused a proposal (or read) for now; retrying later may succeed. */
export class ProposalDroppedError extends RaftError {
  readonly code = 'ProposalDropped';
  override readonly name = 'ProposalDroppedError';
  constructor(readonly reason: ProposalDroppedReason, detail: string) {
    super(`proposal dropped (${reason}): ${detail}`);
  }
}

export type ConfChangeBlockedReason = 'pending' | 'noCommitInTerm';

/**
 * A configuration change cannot be proposed yet: another one is not yet applied, or the leader
 * has not yet committed an entry of its own term (see raft.ts, proposeConfChange).
 */
export class ConfChangeInProgressError extends RaftError {
  readonly code = 'ConfChangeInProgress';
  override readonly name = 'ConfChangeInProgressError';
  constructor(readonly reason: ConfChangeBlockedReason, detail: string) {
    super(detail);
  }
}

/** A configuration change that makes no sense against the current configuration. */
export class InvalidConfChangeError extends RaftError {
  readonly code = 'InvalidConfChange';
  override readonly name = 'InvalidConfChangeError';
}

/** A leadership transfer to a member that cannot lead (unknown or a learner). */
export class InvalidTransferError extends RaftError {
  readonly code = 'InvalidTransfer';
  override readonly name = 'InvalidTransferError';
}

/** Storage: the requested index is at or below the snapshot (compacted away). */
export class CompactedError extends RaftError {
  readonly code = 'Compacted';
  override readonly name = 'CompactedError';
  constructor(readonly index: LogIndex, readonly firstIndex: LogIndex) {
    super(`log index ${index} is compacted (first available index ${firstIndex})`);
  }
}

/** Storage: the requested index is beyond the last entry. */
export class UnavailableError extends RaftError {
  readonly code = 'Unavailable';
  override readonly name = 'UnavailableError';
  constructor(readonly index: LogIndex, readonly lastIndex: LogIndex) {
    super(`log index ${index} is unavailable (last index ${lastIndex})`);
  }
}

/** Storage: a snapshot older than the one already held. */
export class SnapshotOutOfDateError extends RaftError {
  readonly code = 'SnapshotOutOfDate';
  override readonly name = 'SnapshotOutOfDateError';
}

/** RaftConfig is unusable (e.g. electionTicks <= heartbeatTicks). */
export class ConfigError extends RaftError {
  readonly code = 'InvalidConfig';
  override readonly name = 'ConfigError';
}
