// The environment-neutral part of the public surface, shared by index.ts (Node) and
// browser.ts. Protocol types and errors are re-exported so users need one import; so is the
// seeded generator (reproducible back-off jitter: `random: createRng(seed).next`).
export {
  KiteClient, CLIENT_DEFAULTS,
  type ClientOptions, type ClientEvents, type GetResult, type PutReply, type DeleteReply, type TxnReply,
  type WatchOptions, type RequestOptions,
} from './client.js';
export { LeaseApi, type GrantOptions } from './lease-api.js';
export { MembersApi } from './members-api.js';
export { AlarmsApi, type DisarmSelector } from './alarms-api.js';
export { AuthApi } from './auth-api.js';
export type { ClientAuth } from './pool.js';
export type { Result } from './requester.js';
export { SERVER_CANCEL_RESUMES_MAX, Watch, type WatchBatch, type WatchState } from './watch.js';
export { Lease, type LeaseLostEvent, type LeaseLostReason, type LeaseRenewedEvent, type LeaseState } from './lease.js';
export { Cmp, Op, type Bytes, type GetOptions, type PutOptions, type DeleteOptions, type TxnSpec, type CompareOperator, type RangeSelector } from './kv.js';
export type { CallOptions } from './invoker.js';
export type { SocketFactory, KiteSocket, KiteSocketHandlers, SocketOptions } from './socket.js';
export { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { normalizeEndpoint } from './endpoints.js';
export { CLIENT_MUTANT_NAMES, parseClientMutant, type ClientMutantName } from './client-mutants.js';
export {
  KiteError, isKiteError, toBytes, bytesToString, prefixRangeEnd, createRng, type SeededRng,
  type ErrorCode, type KeyValue, type WatchEvent, type ResponseHeader, type Member, type MemberId, type LeaseId,
  type Permission, type PermissionType, type AuditRecord, type AuditArgs, type AuditResult,
  type Compare, type TxnRequestOp, type TxnResponseOp, type StatusResult, type AlarmMember, type AlarmType,
} from '@kite/protocol';
export * from './recipes/index.js';
