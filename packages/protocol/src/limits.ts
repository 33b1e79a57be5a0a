// Named limits shared by server, client and CLI. Both ends enforce them: the sender refuses
// to build an oversized frame (a typed error before anything goes on the wire), the receiver
// refuses to decode one (a typed error, never a crash).

/** Largest client request frame, like etcd's --max-request-bytes default (1.5 MiB). */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/**
 * Largest reply or watch push the client will decode. Replies are not bounded by the request
 * limit (a range may return many keys); the server should split or refuse beyond this.
 */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** Most operations in one txn (both branches counted separately), like etcd's --max-txn-ops. */
export const MAX_TXN_OPS = 128;

/** Most live watches on one client connection; the next watchCreate gets TooManyWatches. */
export const MAX_WATCHES_PER_CONNECTION = 1024;

/** Most requests a connection may have awaiting replies; the server may refuse past it. */
export const MAX_INFLIGHT_REQUESTS_PER_CONNECTION = 4096;

/** Largest peer-link frame (raft batches, forwarded requests, snapshot chunks). */
export const MAX_PEER_FRAME_BYTES = 16 * 1024 * 1024;

/** Size of one snapshot chunk on the peer link. */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

/** The same limits as one object, for code that wants to pass them around or override in tests. */
export const limits = {
  maxRequestBytes: MAX_REQUEST_BYTES,
  maxReplyBytes: MAX_REPLY_BYTES,
  maxTxnOps: MAX_TXN_OPS,
  maxWatchesPerConnection: MAX_WATCHES_PER_CONNECTION,
  maxInflightRequestsPerConnection: MAX_INFLIGHT_REQUESTS_PER_CONNECTION,
  maxPeerFrameBytes: MAX_PEER_FRAME_BYTES,
  snapshotChunkBytes: SNAPSHOT_CHUNK_BYTES,
} as const;

export type Limits = typeof limits;
