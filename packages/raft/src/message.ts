// The messages Raft members exchange, as a union keyed on `type`. Every message carries the
// sender's term; `to`/`from` are member ids. Hosts encode them as plain objects.

import type { Entry, LogIndex, NodeId, Snapshot, Term } from './types.js';

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

export interface AppendEntries extends Envelope {
  readonly type: 'appendEntries';
  /** Index and term of the entry just before `entries`. */
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
  /**
   * Set by the leader on an append with no entries (a commit notice) to a follower it knows
   * holds everything up to `index`: a successful answer would tell it nothing, so the
   * follower sends none (a rejection is still sent). Saves a message each way per commit per
   * follower. Absent from (and ignored by) members that predate it: they answer as before.
   */
  readonly noAck?: true;
}

export interface AppendEntriesResponse extends Envelope {
  readonly type: 'appendEntriesResponse';
  /** On success: the last index now matching the leader. On reject: the probed index. */
  readonly index: LogIndex;
  readonly reject: boolean;
  /** On reject: the follower's hint for fast back-off (an index and the term it has there). */
  readonly rejectHint: LogIndex;
  readonly logTerm: Term;
}

export interface RequestVote extends Envelope {
  readonly type: 'requestVote';
  readonly preVote: boolean;
  readonly lastLogIndex: LogIndex;
  readonly lastLogTerm: Term;
  /** Set when campaigning because of TimeoutNow: bypasses leader stickiness. */
  readonly transfer: boolean;
}

export interface RequestVoteResponse extends Envelope {
  readonly type: 'requestVoteResponse';
  readonly preVote: boolean;
  readonly reject: boolean;
}

export interface Heartbeat extends Envelope {
  readonly type: 'heartbeat';
  readonly commit: LogIndex;
  /** Set when the heartbeat confirms leadership for pending ReadIndex requests. */
  readonly context: string | null;
  /** The leader's tick when sending; echoed back so the leader can time its read lease. */
  readonly leaseTick: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeatResponse';
  readonly context: string | null;
  /** Echo of the heartbeat's `leaseTick`. */
  readonly leaseTick: number;
}

export interface InstallSnapshot extends Envelope {
  readonly type: 'installSnapshot';
  readonly snapshot: Snapshot;
}

export interface TimeoutNow extends Envelope {
  readonly type: 'timeoutNow';
}

/** A follower (or learner) asking the leader for a read index on behalf of its clients. */
export interface ReadIndexRequest extends Envelope {
  readonly type: 'readIndex';
  readonly context: string;
}

export interface ReadIndexResponse extends Envelope {
  readonly type: 'readIndexResponse';
  readonly context: string;
  readonly index: LogIndex;
}

/** A follower forwarding a leadership-transfer request to the leader. */
export interface TransferLeader extends Envelope {
  readonly type: 'transferLeader';
  readonly target: NodeId;
}

export type Message =
  | AppendEntries
  | AppendEntriesResponse
  | RequestVote
  | RequestVoteResponse
  | Heartbeat
  | HeartbeatResponse
  | InstallSnapshot
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexResponse
  | TransferLeader;

export type MessageType = Message['type'];
