// Public surface of @kite/raft: the pure Raft core.
export type * from './types.js';
export type * from './message.js';
export type * from './ready.js';
export type * from './storage.js';
export type * from './config.js';
