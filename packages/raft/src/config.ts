// Configuration of one Raft member. Time is in ticks; the host maps milliseconds to ticks.

import type { LogIndex, NodeId } from './types.js';
import type { Storage } from './storage.js';

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
}
