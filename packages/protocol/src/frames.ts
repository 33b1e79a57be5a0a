// Client-link frame envelopes and their structural checks. A request is `{id, op, ...args}`;
// a reply `{id, ok: true, header, ...result}` or `{id, ok: false, error}`; a watch push
// `{watchId, header, events, ...}` (no `id`). The parse functions check the envelope only
// (the server validates each op's arguments); they throw KiteError, never anything else.

import { KiteError, type WireError } from './errors.js';
import { isOpName, type OpArgs, type OpName, type OpResult } from './ops.js';
import type { ResponseHeader, Revision, WatchEvent } from './types.js';

type Distribute<O extends OpName> = O extends OpName ? { readonly id: number; readonly op: O } & OpArgs<O> : never;

/** Any request frame; narrow on `op`. */
export type Request<O extends OpName = OpName> = Distribute<O>;

export type OkReply<O extends OpName = OpName> = {
  readonly id: number;
  readonly ok: true;
  readonly header: ResponseHeader;
} & OpResult<O>;

export interface ErrorReply {
  readonly id: number;
  readonly ok: false;
  readonly error: WireError;
}

export type Reply<O extends OpName = OpName> = OkReply<O> | ErrorReply;

/**
 * A server-initiated push for one watch. Invariants the server keeps:
 * - the events of one revision are never split across pushes, and revisions only increase;
 *   except for a watch created with `fragment`: a revision too large for one push comes in
 *   several, every one but the last marked `fragment: true` (the client joins them before it
 *   counts the revision as delivered);
 * - `progress: true` pushes carry no events and mean every matching event with revision
 *   <= header.revision has been delivered;
 * - `canceled: true` is the last push for the watch; with `compactRevision` it means the
 *   requested history is compacted (resume is impossible below compactRevision).
 */
export interface WatchPush {
  readonly watchId: number;
  readonly header: ResponseHeader;
  readonly events: readonly WatchEvent[];
  readonly compactRevision?: Revision;
  readonly canceled?: boolean;
  readonly cancelReason?: string;
  readonly progress?: boolean;
  /** More events of this push's revision follow in the next push (watches created with `fragment`). */
  readonly fragment?: boolean;
}

/** What a client can receive. */
export type ServerFrame = Reply | WatchPush;

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function isRequestId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Checks a decoded value is a request envelope. On failure the error says which; the
 * `id` (when one could be read) lets the server still address its error reply.
 */
export function parseRequest(value: unknown): Request {
  if (!isPlainObject(value)) throw new KiteError('MalformedFrame', 'request is not an object');
  const { id, op } = value;
  if (!isRequestId(id)) throw new KiteError('MalformedFrame', 'request id must be a non-negative integer');
  if (!isOpName(op)) {
    throw new KiteError('UnknownOp', `unknown op ${typeof op === 'string' ? JSON.stringify(op.slice(0, 64)) : typeof op}`, { id });
  }
  // Argument shapes are op-specific; the server checks them (InvalidArgument) before use.
  return value as unknown as Request;
}

function isHeader(x: unknown): x is ResponseHeader {
  return (
    isPlainObject(x) &&
    typeof x['clusterId'] === 'string' &&
    typeof x['memberId'] === 'string' &&
    typeof x['revision'] === 'number' &&
    typeof x['raftTerm'] === 'number'
  );
}

/**
 * Checks a decoded value is a reply or a watch push (for clients). Only the envelope is
 * checked (the casts below rest on it); result fields are op-specific and read by the caller.
 */
export function parseServerFrame(value: unknown): ServerFrame {
  if (!isPlainObject(value)) throw new KiteError('MalformedFrame', 'server frame is not an object');
  if ('id' in value) {
    if (!isRequestId(value['id'])) throw new KiteError('MalformedFrame', 'reply id must be a non-negative integer');
    if (value['ok'] === true) {
      if (!isHeader(value['header'])) throw new KiteError('MalformedFrame', 'ok reply without a valid header');
      return value as unknown as OkReply;
    }
    if (value['ok'] === false) {
      if (!isPlainObject(value['error'])) throw new KiteError('MalformedFrame', 'error reply without an error object');
      return value as unknown as ErrorReply;
    }
    throw new KiteError('MalformedFrame', 'reply without a boolean ok');
  }
  if (typeof value['watchId'] === 'number') {
    if (!isHeader(value['header'])) throw new KiteError('MalformedFrame', 'watch push without a valid header');
    if (!Array.isArray(value['events'])) throw new KiteError('MalformedFrame', 'watch push without events');
    return value as unknown as WatchPush;
  }
  throw new KiteError('MalformedFrame', 'server frame is neither a reply nor a watch push');
}

export function isWatchPush(f: ServerFrame): f is WatchPush {
  return !('id' in f);
}

export function okReply<O extends OpName>(id: number, header: ResponseHeader, result: OpResult<O>): OkReply<O> {
  return { ...result, id, ok: true, header } as OkReply<O>;
}

export function errorReply(id: number, error: WireError): ErrorReply {
  return { id, ok: false, error };
}
