// Named limits shared by server, client and CLI. Both ends enforce them: the sender refuses
// to build an oversized frame (a typed error before anything goes on the wire), the receiver
// refuses to decode one (a typed error, never a crash).

/** Largest client request frame, like etcd's --max-request-bytes default (1.5 MiB). */
export const REQUEST_BYTES_MAX = 1.5 * 1024 * 1024;

/**
 * Largest reply or watch push the client will decode. Replies are not bounded by the request
 * limit (a range may return many keys); the server should split or refuse beyond this.
 */
export const REPLY_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Default reply budget of one read request (a range, or all reads of one txn together), in
 * estimated wire bytes, charged while the reply is built: the read stops at the limit with
 * ResponseTooLarge. Well under REPLY_BYTES_MAX so an answer always fits the client's frame.
 */
export const RESPONSE_BYTES_MAX = 16 * 1024 * 1024;

/**
 * Default bound on index entries one read request may visit (counting included), so a
 * count-only or filtered txn of many ranges cannot hold the event loop for seconds.
 */
export const KEYS_SCANNED_MAX = 4_000_000;

/**
 * Default bound on reply bytes one client connection may have in flight at once (being built
 * plus waiting in its socket buffer); past it new reads on the link get Unavailable.
 */
export const CONNECTION_RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

/** Most operations in one txn (both branches counted separately), like etcd's --max-txn-ops. */
export const TXN_OPS_MAX = 128;

/** Most live watches on one client connection; the next watchCreate gets TooManyWatches. */
export const WATCHES_PER_CONNECTION_MAX = 1024;

/** Most requests a connection may have awaiting replies; the server may refuse past it. */
export const INFLIGHT_REQUESTS_PER_CONNECTION_MAX = 4096;

/** Largest peer-link frame (raft batches, forwarded requests, snapshot chunks). */
export const PEER_FRAME_BYTES_MAX = 16 * 1024 * 1024;

/** Size of one snapshot chunk on the peer link. */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

/** The same limits as one object, for code that wants to pass them around or override in tests. */
export const limits = {
  maxRequestBytes: REQUEST_BYTES_MAX,
  maxReplyBytes: REPLY_BYTES_MAX,
  maxResponseBytes: RESPONSE_BYTES_MAX,
  maxKeysScanned: KEYS_SCANNED_MAX,
  maxConnectionResponseBytes: CONNECTION_RESPONSE_BYTES_MAX,
  maxTxnOps: TXN_OPS_MAX,
  maxWatchesPerConnection: WATCHES_PER_CONNECTION_MAX,
  maxInflightRequestsPerConnection: INFLIGHT_REQUESTS_PER_CONNECTION_MAX,
  maxPeerFrameBytes: PEER_FRAME_BYTES_MAX,
  snapshotChunkBytes: SNAPSHOT_CHUNK_BYTES,
} as const;

export type Limits = typeof limits;
