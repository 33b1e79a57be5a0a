// Public surface of @kite/protocol: wire types, the op schema (argument types, checks and
// limits), error codes, byte helpers and the msgpackr frame codec shared by server, kvstore,
// client and CLI. Browser-safe (no node:* imports).
export * from './limits.js';
export * from './errors.js';
export * from './types.js';
export * from './ops.js';
export * from './schema.js';
export * from './kv-args.js';
export * from './op-args.js';
export * from './frames.js';
export * from './codec.js';
export * from './bytes.js';
export * from './peer.js';
export * from './rng.js';
