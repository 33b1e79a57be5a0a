// Public surface of @kite/raft: the pure Raft core (no I/O, no timers, no randomness of its own).
export type * from './types.js';
export type * from './message.js';
export type * from './ready.js';
export type * from './storage.js';
export type * from './config.js';
export type { RaftTestHooks } from './test-hooks.js';
export type { Status, ProgressStatus } from './status.js';
export type { ProgressState } from './tracker/progress.js';
export { emptyHardState } from './types.js';
export { RawNode } from './raw-node.js';
export { MemoryStorage, entryBytes } from './storage.js';
export { bootstrap, bootstrapState, bootstrapTerm, bootstrapVotersMax } from './bootstrap.js';
export type { BootstrapState } from './bootstrap.js';
export { encodeConfChange, decodeConfChange, ConfChangeDecodeError } from './confchange/codec.js';
export {
  RaftError,
  NotLeaderError,
  ProposalDroppedError,
  ConfChangeInProgressError,
  InvalidConfChangeError,
  InvalidTransferError,
  CompactedError,
  UnavailableError,
  SnapshotOutOfDateError,
  ConfigError,
} from './errors.js';
export type { ProposalDroppedReason, ConfChangeBlockedReason } from './errors.js';
export { AssertionError } from './assert.js';
