// The transport-neutral shape of an etcd service, shared by the gRPC door (etcd-door.ts) and
// the JSON gateway: handlers take and return plain objects in the proto loader's
// representation (snake_case fields, int64/uint64 as decimal strings, bytes as Buffer or
// Uint8Array, enums as names, oneofs named by their virtual field), so either transport can
// drive them. Unary handlers reject with anything; the transport turns it into etcd's status
// (etcd-errors.ts). A stream (Watch, LeaseKeepAlive, Snapshot) is opened per call and fed
// requests; it answers through `send` and ends once through `end`.

import type { Logger } from '../logger.js';
import type { OpServer } from '../op-server.js';
import type { ServerConfig } from '../config.js';
import type { EtcdCallContext } from './etcd-context.js';

export type EtcdMessage = Record<string, unknown>;

export type UnaryHandler = (req: EtcdMessage, ctx: EtcdCallContext) => Promise<EtcdMessage>;

/**
 * One open stream. `send` hands a response to the transport and says whether the transport
 * wants more now (false: its buffer is past its high-water mark; a stream that produces on
 * its own, like Watch, should wait for `drained` before sending more). `end` finishes the
 * stream, with an error for a failed one (sent as etcd's status). The transport calls `write`
 * per client request (for a server-streaming call such as Snapshot: once, with the request)
 * and `close` when the client went away or the member stops; after `close` the stream must
 * not call `send` or `end`.
 */
export type StreamHandler = (
  ctx: EtcdCallContext,
  send: (resp: EtcdMessage) => boolean,
  end: (err?: unknown) => void,
) => EtcdStream;

export interface EtcdStream {
  write(req: EtcdMessage): void;
  close(): void;
  /** The transport's buffer drained after a `send` returned false. */
  drained?(): void;
  /**
   * The client half-closed (it sends no more requests). A stream with this method keeps
   * answering (Watch: etcd keeps sending events); one without it is ended (LeaseKeepAlive, as
   * etcd returns on the client's EOF).
   */
  halfClosed?(): void;
}

export interface ServiceHandlers {
  /** Keyed by method name as in rpc.proto (e.g. `Range`). */
  readonly unary: Readonly<Record<string, UnaryHandler>>;
  readonly streams?: Readonly<Record<string, StreamHandler>>;
}

/** What every service is built from. */
export interface EtcdServiceDeps {
  /** The one path into the member: serve (authorized), header, watch, openSnapshot. */
  readonly ops: OpServer;
  readonly config: ServerConfig;
  readonly log: Logger;
}
