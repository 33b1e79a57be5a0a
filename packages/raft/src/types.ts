// Core value types of the Raft protocol. Plain, readonly data: the host encodes them
// (msgpackr) and persists them; nothing here holds behaviour.

/** A member id, stable for the life of the member (never reused after removal). */
export type NodeId = string;
export type Term = number;
export type LogIndex = number;

export type EntryType = 'normal' | 'confChange';

/**
 * One log entry. `data` is opaque to the core: for `normal` entries it is the host's command
 * (an empty `data` is the leader's no-op); for `confChange` entries it is `encodeConfChange`.
 */
export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it is acted upon. */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly commit: LogIndex;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state, reported in Ready when it changes; never persisted. */
export interface SoftState {
  readonly lead: NodeId | null;
  readonly role: Role;
}

export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMetadata {
  readonly index: LogIndex;
  readonly term: Term;
  readonly confState: ConfState;
}

/** A state machine snapshot. `data` is opaque to the core (the host may stream it separately). */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export type ConfChangeType = 'addVoter' | 'addLearner' | 'removeNode';

/** A single-member change. Promoting a learner is `addVoter` of an existing learner. */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Host data carried along (e.g. the new member's peer URL); opaque to the core. */
  readonly context?: Uint8Array;
}

/** The answer to a `readIndex(context)` call: safe to serve once applied >= index. */
export interface ReadState {
  readonly index: LogIndex;
  readonly context: string;
}

export const emptyHardState: HardState = { term: 0, vote: null, commit: 0 };
