// The one capability the API groups (lease, members) need from the client: send an op with
// the client's retry/deadline rules. Kept as an interface so those modules do not import the
// client class (no import cycle) and can be driven by a fake in tests.

import type { OkReply, OpArgs, OpName } from '@kite/protocol';
import type { CallOptions } from './invoker.js';

export interface Requester {
  request<O extends OpName>(op: O, args: OpArgs<O>, opts?: CallOptions): Promise<OkReply<O>>;
  readonly isClosed: boolean;
}

/** A reply without its envelope fields (what the convenience methods return). */
export type Result<T> = Omit<T, 'id' | 'ok'>;

export function strip<T extends { readonly id: number; readonly ok: true }>(reply: T): Result<T> {
  const { id: _id, ok: _ok, ...rest } = reply;
  return rest;
}
