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

/**
 * Default reply budget of one read request (a range, or all reads of one txn together), in
 * estimated wire bytes, charged while the reply is built: the read stops at the limit with
 * ResponseTooLarge. Well under MAX_REPLY_BYTES so an answer always fits the client's frame.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * Default bound on index entries one read request may visit (counting included), so a
 * count-only or filtered txn of many ranges cannot hold the event loop for seconds.
 */
export const MAX_KEYS_SCANNED = 4_000_000;

/**
 * Default bound on reply bytes one client connection may have in flight at once (being built
 * plus waiting in its socket buffer); past it new reads on the link get Unavailable.
 */
export const MAX_CONNECTION_RESPONSE_BYTES = 64 * 1024 * 1024;

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
  maxResponseBytes: MAX_RESPONSE_BYTES,
  maxKeysScanned: MAX_KEYS_SCANNED,
  maxConnectionResponseBytes: MAX_CONNECTION_RESPONSE_BYTES,
  maxTxnOps: MAX_TXN_OPS,
  maxWatchesPerConnection: MAX_WATCHES_PER_CONNECTION,
  maxInflightRequestsPerConnection: MAX_INFLIGHT_REQUESTS_PER_CONNECTION,
  maxPeerFrameBytes: MAX_PEER_FRAME_BYTES,
  snapshotChunkBytes: SNAPSHOT_CHUNK_BYTES,
} as const;

export type Limits = typeof limits;
