// Configuration of one Raft member. Time is in ticks; the host maps milliseconds to ticks.

import type { LogIndex, NodeId } from './types.js';
import type { Storage } from './storage.js';
import type { RaftTestHooks } from './test-hooks.js';

/** A seeded source of randomness (the core never calls Math.random). */
export interface Rng {
  /** An integer uniformly in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

export type ReadOnlyOption = 'safe' | 'leaseBased';

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  readonly rng: Rng;
  /** Randomized per term in [electionTicks, 2 * electionTicks). Must be > heartbeatTicks. */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** The last applied index when restarting (the host's state machine applied index). */
  readonly applied?: LogIndex;
  readonly preVote?: boolean; // default true
  readonly checkQuorum?: boolean; // default true
  /** 'leaseBased' requires checkQuorum. Default 'safe' (ReadIndex with a heartbeat round). */
  readonly readOnly?: ReadOnlyOption;
  /** Max bytes of entries in one appendEntries message. */
  readonly maxMsgBytes?: number;
  /** Max appendEntries messages in flight to one follower in replicate state. */
  readonly maxInflightMsgs?: number;
  /** Max bytes of uncommitted entries the leader accepts before refusing proposals. */
  readonly maxUncommittedBytes?: number;
  /** Max bytes of committed entries handed out in one Ready. */
  readonly maxCommittedBytesPerReady?: number;
  /** Max ReadIndex requests the leader holds at once (more are refused). Default 4096. */
  readonly maxPendingReadIndex?: number;
  /**
   * Lease reads: the leader serves reads locally for `electionTicks - leaseDriftTicks` ticks
   * after sending a heartbeat that a quorum acknowledged. The margin covers clock drift
   * between members and tick granularity. Default max(2, electionTicks / 5).
   */
  readonly leaseDriftTicks?: number;
  /**
   * A follower in snapshot state that has not confirmed the snapshot this many ticks after it
   * was sent is probed again (the snapshot is re-sent if still needed). Hosts should call
   * reportSnapshot; this only heals lost snapshots. Default 10 * electionTicks.
   */
  readonly snapshotRetryTicks?: number;
  /** Tests and the simulator's mutants only (test-hooks.ts); never set by a production host. */
  readonly testHooks?: RaftTestHooks;
}

/** RaftConfig with every default filled in. */
export interface ResolvedRaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  readonly rng: Rng;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly applied: LogIndex;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly readOnly: ReadOnlyOption;
  readonly maxMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly maxUncommittedBytes: number;
  readonly maxCommittedBytesPerReady: number;
  readonly maxPendingReadIndex: number;
  readonly leaseDriftTicks: number;
  readonly snapshotRetryTicks: number;
  readonly testHooks: RaftTestHooks;
}
