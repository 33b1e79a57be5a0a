// A minimal raw client for integration tests: one WebSocket to one member, request frames by
// id, watch pushes collected per watch id. Raw on purpose: the tests check the server's wire
// behaviour (bad frames included) without the SDK's retries in between.

import {
  REPLY_BYTES_MAX,
  bytesToString,
  decodeFrame,
  encodeFrame,
  toBytes,
  type OpArgs,
  type OpName,
  type Reply,
  type WatchPush,
} from '@kite/protocol';
import { nodeSocketFactory } from '../../../packages/client/src/socket-node.js';
import type { KiteSocket } from '../../../packages/client/src/socket.js';

export class WireClient {
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();
  readonly pushes = new Map<number, WatchPush[]>();
  private pushWaiters: (() => void)[] = [];
  closedReason: string | null = null;
  private closeWaiters: (() => void)[] = [];

  private constructor(private socket: KiteSocket | null) {}

  static connect(url: string, timeoutMs = 5000): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const client = new WireClient(null);
      const timer = setTimeout(() => reject(new Error(`connect to ${url} timed out`)), timeoutMs);
      client.socket = nodeSocketFactory(`${url}/v1`, { maxPayloadBytes: REPLY_BYTES_MAX, handshakeTimeoutMs: timeoutMs }, {
        onOpen: () => {
          clearTimeout(timer);
          resolve(client);
        },
        onMessage: (data) => client.onMessage(data),
        onClose: (reason) => {
          clearTimeout(timer);
          client.closedReason = reason;
          for (const p of client.pending.values()) p({ id: -1, ok: false, error: { code: 'Unavailable', message: `closed: ${reason}` } });
          client.pending.clear();
          for (const w of client.closeWaiters.splice(0)) w();
          reject(new Error(`connect to ${url} failed: ${reason}`));
        },
      });
    });
  }

  private onMessage(data: Uint8Array): void {
    const frame = decodeFrame(data, REPLY_BYTES_MAX) as Reply | WatchPush;
    if ('id' in frame) {
      const p = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      p?.(frame);
      return;
    }
    let list = this.pushes.get(frame.watchId);
    if (list === undefined) this.pushes.set(frame.watchId, (list = []));
    list.push(frame);
    for (const w of this.pushWaiters.splice(0)) w();
  }

  /** Sends raw bytes (bad-input tests). */
  sendRaw(bytes: Uint8Array): void {
    this.socket?.send(bytes);
  }

  /** Sends one request and waits (bounded) for its reply. */
  request<O extends OpName>(op: O, args: OpArgs<O>, timeoutMs = 10_000): Promise<Reply<O>> {
    const id = this.nextId++;
    return this.requestWithId(id, { id, op, ...args }, timeoutMs) as Promise<Reply<O>>;
  }

  requestWithId(id: number, frame: Record<string, unknown>, timeoutMs = 10_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to request ${id} (${String(frame['op'])}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.socket?.send(encodeFrame(frame, 64 * 1024 * 1024));
    });
  }

  /** Waits (bounded) until `check` holds over the pushes received so far. */
  async waitPushes(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!check()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.pushWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  waitClosed(timeoutMs: number): Promise<string> {
    if (this.closedReason !== null) return Promise.resolve(this.closedReason);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('link did not close')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve(this.closedReason ?? '');
      });
    });
  }

  close(): void {
    this.socket?.close();
  }
}

export const b = (s: string): Uint8Array => toBytes(s);
export const str = (u: Uint8Array): string => bytesToString(u);

/** Throws with the error when a reply is not ok; returns the ok reply. */
export function ok<R extends Reply>(r: R): Extract<R, { ok: true }> {
  if (!r.ok) throw new Error(`request failed: ${r.error.code}: ${r.error.message}`);
  return r as Extract<R, { ok: true }>;
}
