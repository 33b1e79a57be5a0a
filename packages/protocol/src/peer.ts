// Peer-link frame envelopes (ws://host:peerPort/raft). The server owns their evolution; they
// live here so every member decodes them the same way. Payloads the protocol package cannot
// type without importing @kite/raft (which clients must not pull in) are `unknown` here and
// narrowed by the server. Every frame is checked against the hello's cluster id and member id.

import type { OpName } from './ops.js';
import type { Request, Reply } from './frames.js';
import type { ClusterId, MemberId } from './types.js';

/** First frame in each direction; a wrong cluster id closes the link (WrongCluster). */
export interface PeerHello {
  readonly type: 'hello';
  readonly clusterId: ClusterId;
  readonly memberId: MemberId;
  /** The protocol version of the sender; incompatible peers refuse the link. */
  readonly version: number;
  /**
   * The sender handles batch frames (PeerBatch). A feature flag rather than a new version, so
   * members from before batching (which omit it, and ignore it in our hello) still link: they
   * get one frame per message and send us the same.
   */
  readonly acceptsBatch?: boolean;
}

/** A batch of raft messages (a @kite/raft Message[] as plain data). */
export interface PeerRaft {
  readonly type: 'raft';
  readonly messages: readonly unknown[];
}

/** A client request a follower forwards to the leader; `fwdId` is unique per link. */
export interface PeerForward {
  readonly type: 'forward';
  readonly fwdId: number;
  readonly request: Request<OpName>;
  /**
   * Who sent the request to the forwarding member, as that member authenticated it. Trusted
   * only because it arrives on a peer link (with peer TLS, one whose certificate names a member).
   */
  readonly caller?: PeerCaller;
}

/** A client's identity carried with a forwarded request (server's Caller). */
export interface PeerCaller {
  /** Null: not authenticated. */
  readonly user: string | null;
  readonly address: string;
  readonly via: string;
  /**
   * The auth revision of the user's last password or role change as the forwarding member saw
   * it when the caller logged in; the leader refuses the request (reauthenticate) when its own
   * record differs, so a follower that has not yet applied a password change cannot act for
   * an invalidated login. Absent for certificate identities.
   */
  readonly changedAt?: number;
}

export interface PeerForwardReply {
  readonly type: 'forwardReply';
  readonly fwdId: number;
  readonly reply: Reply<OpName>;
  /**
   * The replying member's applied raft index when it answered (>= the index of the entry the
   * request became): the forwarding member answers its client only once it applied that far
   * too (apply before reply). Absent from older members: treated as 0.
   */
  readonly appliedIndex?: number;
}

/** One chunk of a state machine snapshot stream; `last` closes it. */
export interface PeerSnapshotChunk {
  readonly type: 'snapshotChunk';
  readonly snapshotId: string;
  readonly seq: number;
  /** The raft snapshot metadata (on the first chunk only). */
  readonly metadata?: unknown;
  readonly data: Uint8Array;
  readonly last: boolean;
}

/** A frame that may travel inside a batch. */
export type PeerBatchable = PeerRaft | PeerForward | PeerForwardReply;

/**
 * Every frame for one peer produced in one event-loop turn, in one WebSocket message (one
 * encode, one socket write); the receiver handles them in order. Sent only to a peer whose
 * hello said `acceptsBatch`. Never nested, never a hello or a snapshot chunk.
 */
export interface PeerBatch {
  readonly type: 'batch';
  readonly frames: readonly PeerBatchable[];
}

export type PeerFrame = PeerHello | PeerRaft | PeerForward | PeerForwardReply | PeerSnapshotChunk | PeerBatch;

export const PEER_PROTOCOL_VERSION = 1;
