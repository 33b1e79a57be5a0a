// Named limits shared by server, kvstore, client and CLI: the one place each is defined.
// Both ends enforce the frame limits: the sender refuses to build an oversized frame (a typed
// error before anything goes on the wire), the receiver refuses to decode one (a typed error,
// never a crash). The argument limits below are part of the op schema (op-args.ts): the store
// checks them at apply time, so they are constants, never flags (every replica must agree).

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

/**
 * Most compares, and most ops per branch, of one txn (each nested level too), like etcd's
 * --max-txn-ops. The store applies this constant; a member's --max-txn-ops flag only
 * tightens what it admits (the whole tree's ops, see validateRequest).
 */
export const TXN_OPS_MAX = 128;

/** Deepest txn nesting (etcd has none; this keeps recursion far from the stack limit). */
export const TXN_DEPTH_MAX = 32;

/** Largest key (and rangeEnd). etcd has no separate key limit; huge keys only bloat the in-memory index. */
export const KEY_BYTES_MAX = 32 * 1024;

/** Longest lease TTL in seconds (about 285 years: far beyond any use, far below overflow of ms). */
export const LEASE_TTL_SECONDS_MAX = 9_000_000_000;

/** Longest user or role name. */
export const AUTH_NAME_BYTES_MAX = 128;

/** Longest plaintext password a member hashes (scrypt cost grows with it). */
export const PASSWORD_BYTES_MAX = 1024;

/** Longest stored password hash (the scrypt hash string: parameters, salt, key). */
export const PASSWORD_HASH_BYTES_MAX = 512;

/** Longest token presented on login (a JWT is a few hundred bytes). */
export const TOKEN_BYTES_MAX = 8192;

/** Longest member id in a request (ids are 16 hex digits; this only bounds junk). */
export const MEMBER_ID_BYTES_MAX = 256;

/** Most peer URLs of one member. */
export const MEMBER_URLS_MAX = 64;

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
