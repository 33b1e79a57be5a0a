// Public surface of @kite/protocol: wire types, error codes, limits, byte helpers and the
// msgpackr frame codec shared by server, client and CLI. Browser-safe (no node:* imports).
export * from './limits.js';
export * from './errors.js';
export * from './types.js';
export * from './ops.js';
export * from './frames.js';
export * from './codec.js';
export * from './bytes.js';
export * from './peer.js';
export * from './rng.js';
