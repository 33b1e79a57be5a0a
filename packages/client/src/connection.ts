// One client link to one member: request/reply matching by id, watch push dispatch, and a
// heartbeat. It never retries: the invoker decides what to do with a failure. Invariants:
// - every request settles exactly once (reply, abort, or the link closing);
// - a request that was written to the socket and then lost rejects with LinkLostError
//   {sent: true}: the caller must treat a write as indeterminate;
// - the link is closed after heartbeatMissesMax intervals without any incoming frame, so a
//   silent (hung, partitioned) member is noticed within seconds, not at TCP timeout.

import {
  decodeFrame, encodeFrame, fromWireError, isWatchPush, KiteError, parseServerFrame,
  type OkReply, type OpArgs, type OpName, type ResponseHeader, type WatchPush,
} from '@kite/protocol';
import { abortError } from './abort.js';
import type { KiteSocket, SocketFactory } from './socket.js';

export interface ConnectionOptions {
  readonly url: string;
  readonly socketFactory: SocketFactory;
  readonly maxRequestBytes: number;
  readonly maxReplyBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMissesMax: number;
  /** Requests awaiting a reply on this link; past it, request() fails at once (not sent). */
  readonly maxInflightRequests: number;
}

export interface ConnectionEvents {
  onPush(push: WatchPush, conn: Connection): void;
  onHeader(header: ResponseHeader, conn: Connection): void;
  onClose(reason: string, conn: Connection): void;
}

/** The link failed; `sent` says whether the request may have reached the member. */
export class LinkLostError extends KiteError {
  readonly sent: boolean;
  constructor(message: string, sent: boolean) {
    super('Unavailable', message);
    this.sent = sent;
  }
}

interface Pending {
  readonly resolve: (reply: OkReply) => void;
  readonly reject: (err: KiteError) => void;
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** Bytes queued on the socket beyond which new requests are refused until it drains. */
export const SEND_BUFFERED_BYTES_MAX = 64 * 1024 * 1024;

let nextConnectionSerial = 1;

export class Connection {
  readonly url: string;
  /** Distinguishes links in logs and tests. */
  readonly serial = nextConnectionSerial++;
  /** The member behind the link, from the last reply header (null before the first). */
  memberId: string | null = null;
  /** Resolves once open; rejects with LinkLostError{sent:false} if it never opens. */
  readonly opened: Promise<void>;
  private stateValue: ConnectionState = 'connecting';
  private closeReasonValue = '';
  private readonly socket: KiteSocket;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;
  private framesSinceTick = 0;
  private missedTicks = 0;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.url = options.url;
    let resolveOpened!: () => void;
    let rejectOpened!: (err: KiteError) => void;
    this.opened = new Promise<void>((res, rej) => {
      resolveOpened = res;
      rejectOpened = rej;
    });
    // A caller that never awaits `opened` must not produce an unhandled rejection.
    this.opened.catch(() => undefined);
    this.socket = options.socketFactory(
      options.url,
      { maxPayloadBytes: options.maxReplyBytes, handshakeTimeoutMs: options.handshakeTimeoutMs },
      {
        onOpen: () => {
          if (this.stateValue !== 'connecting') return;
          this.stateValue = 'open';
          this.startHeartbeat();
          resolveOpened();
        },
        onMessage: (data) => this.handleMessage(data),
        onClose: (reason) => {
          const wasConnecting = this.stateValue === 'connecting';
          this.shutdown(reason);
          if (wasConnecting) rejectOpened(new LinkLostError(`cannot connect to ${this.url}: ${reason}`, false));
        },
      },
    );
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get closeReason(): string {
    return this.closeReasonValue;
  }

  get inflight(): number {
    return this.pending.size;
  }

  /**
   * Sends one request. Rejects with RequestTooLarge / InvalidArgument (never sent),
   * LinkLostError (see `sent`), the reply's KiteError, or the signal's abort error.
   */
  request<O extends OpName>(op: O, args: OpArgs<O>, signal?: AbortSignal): Promise<OkReply<O>> {
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    if (this.stateValue !== 'open') {
      return Promise.reject(new LinkLostError(`link to ${this.url} is ${this.stateValue}`, false));
    }
    if (this.pending.size >= this.options.maxInflightRequests) {
      return Promise.reject(new LinkLostError(`too many in-flight requests on ${this.url}`, false));
    }
    if (this.socket.bufferedAmount > SEND_BUFFERED_BYTES_MAX) {
      // Back-pressure: the invoker backs off and retries (nothing was sent).
      return Promise.reject(new LinkLostError(`send buffer to ${this.url} is full`, false));
    }
    const id = this.nextRequestId++;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame({ ...args, id, op }, this.options.maxRequestBytes);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<OkReply<O>>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.pending.delete(id)) reject(abortError(signal as AbortSignal));
      };
      const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (reply) => {
          cleanup();
          resolve(reply as OkReply<O>);
        },
        reject: (err) => {
          cleanup();
          reject(err);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.socket.send(bytes);
    });
  }

  /** Closes the link; pending requests reject with LinkLostError{sent:true}. Idempotent. */
  close(reason = 'closed by client'): void {
    if (this.stateValue === 'closed') return;
    this.shutdown(reason);
    this.socket.close();
  }

  private handleMessage(data: Uint8Array): void {
    if (this.stateValue !== 'open') return;
    this.framesSinceTick++;
    let frame;
    try {
      frame = parseServerFrame(decodeFrame(data, this.options.maxReplyBytes));
    } catch (err) {
      // A member that speaks garbage cannot be trusted with the rest of the stream either.
      this.close(`protocol violation: ${err instanceof Error ? err.message : 'bad frame'}`);
      return;
    }
    if (isWatchPush(frame)) {
      this.events.onHeader(frame.header, this);
      this.events.onPush(frame, this);
      return;
    }
    const pending = this.pending.get(frame.id);
    if (pending === undefined) return; // aborted or a heartbeat ping: nobody waits for it
    this.pending.delete(frame.id);
    if (frame.ok) {
      this.events.onHeader(frame.header, this);
      pending.resolve(frame);
    } else {
      pending.reject(fromWireError(frame.error));
    }
  }

  private startHeartbeat(): void {
    this.heartbeatTimer = setInterval(() => this.heartbeatTick(), this.options.heartbeatIntervalMs);
  }

  private heartbeatTick(): void {
    if (this.framesSinceTick > 0) {
      this.framesSinceTick = 0;
      this.missedTicks = 0;
      return;
    }
    this.missedTicks++;
    if (this.missedTicks >= this.options.heartbeatMissesMax) {
      this.close(`heartbeat: no frame for ${this.missedTicks} intervals`);
      return;
    }
    // Any frame proves liveness, so the reply itself (even an UnknownOp error) is dropped.
    this.request('ping', {}).catch(() => undefined);
  }

  private shutdown(reason: string): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.closeReasonValue = reason;
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new LinkLostError(`link to ${this.url} lost: ${reason}`, true));
    this.events.onClose(reason, this);
  }
}
