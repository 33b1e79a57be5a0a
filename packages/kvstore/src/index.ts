// Public surface of @kite/kvstore: the MVCC state machine (KvStore), its command encoding,
// validation, typed errors, backends, and the WatchSource contract used by the watch hub.

export { KvStore } from './kv-store.js';
export { VALUE_CACHE_BYTES_MAX } from './value-cache.js';
export type { KvStoreOptions, ApplyEntry, ApplyResult, CommandResponse, FormatConversion, ReadTxnReply, StoreSnapshot } from './kv-store.js';
export { isReadOnlyTxn } from './txn.js';
export { encodeCommand, decodeCommand, COMMAND_VERSION } from './command.js';
export type { Command, CommandOp } from './command.js';
export { validateCommand, validateRange, DEFAULT_LIMITS } from './validate.js';
export type { Limits } from './validate.js';
export {
  KvError,
  isKvError,
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  LeaseExistsError,
  RequestTooLargeError,
  ResponseTooLargeError,
  InvalidArgumentError,
  DuplicateKeyError,
  TooManyOpsError,
  MalformedCommandError,
} from './errors.js';
export type { KvErrorCode, KvErrorDetails } from './errors.js';
export { AssertionError } from './assert.js';
export { CorruptError, isCorruptError } from './corrupt-error.js';
export { MemoryBackend } from './backend/memory-backend.js';
export { LevelBackend } from './backend/level-backend.js';
// The record seal (value + CRC of key and value): tools and tests that rewrite a record validly.
export { sealValue, unsealValue } from './backend/checksum-backend.js';
export { StoreDirError } from './backend/store-dir-error.js';
export type { Backend, BackendOp, BackendEntry, BackendSnapshot } from './backend/backend.js';
export { LEASE_TTL_SECONDS_MIN_DEFAULT, EXPIRED_LEASES_MAX, CHECKPOINTS_PER_COMMAND_MAX } from './lessor.js';
export { SNAPSHOT_CHUNK_BYTES, SNAPSHOT_VERSION } from './snapshot.js';
export type { SnapshotHeader } from './snapshot.js';
export { HISTORY_SCAN_RECORDS_MAX, HISTORY_PAGE_BYTES_MAX } from './history.js';
export { ReadBudget, KV_OVERHEAD_BYTES, kvWireBytes } from './read-budget.js';
export type { ReadBudgetLimits, ReadCharge } from './read-budget.js';
export type * from './types.js';
export type * from './watch-source.js';
export * from './watch/index.js';
export { AUTH_ENTITIES_MAX, ROLE_PERMISSIONS_MAX, ROOT } from './auth-state.js';
export type { AuthAction, AuthActionName, AuthPermission, AuthRole, AuthUser, AuthView, PermissionType } from './auth-state.js';
export { AUDIT_APPEND_RECORDS_MAX, AUDIT_KEYS_MAX, AUDIT_PAGE_RECORDS_MAX, AUDIT_SCAN_RECORDS_MAX } from './audit.js';
export type { AuditAppendArgs, AuditContext, AuditEntryInput, AuditPage, AuditQuery, AuditRecord } from './audit.js';
