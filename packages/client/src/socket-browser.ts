// The browser WebSocket adapter (globalThis.WebSocket). Typed structurally because the
// workspace compiles without the DOM lib. Not used under Node; a browser bundle passes
// `browserSocketFactory` as `connect({socketFactory})`.

import type { KiteSocket, KiteSocketHandlers, SocketFactory, SocketOptions } from './socket.js';

interface BrowserWebSocket {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: (() => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
}
type BrowserWebSocketCtor = new (url: string) => BrowserWebSocket;

const OPEN = 1;

export const browserSocketFactory: SocketFactory = (url: string, options: SocketOptions, handlers: KiteSocketHandlers): KiteSocket => {
  const Ctor = (globalThis as { WebSocket?: BrowserWebSocketCtor }).WebSocket;
  if (Ctor === undefined) throw new Error('no global WebSocket in this environment');
  const ws = new Ctor(url);
  ws.binaryType = 'arraybuffer';
  let closed = false;
  const finish = (reason: string): void => {
    if (closed) return;
    closed = true;
    clearTimeout(handshakeTimer);
    handlers.onClose(reason);
  };
  // The browser API has no handshake timeout of its own.
  const handshakeTimer = setTimeout(() => {
    if (ws.readyState !== OPEN) {
      ws.close();
      finish('handshake timeout');
    }
  }, options.handshakeTimeoutMs);
  ws.onopen = () => {
    clearTimeout(handshakeTimer);
    if (!closed) handlers.onOpen();
  };
  ws.onmessage = (ev) => {
    if (closed || !(ev.data instanceof ArrayBuffer)) return;
    if (ev.data.byteLength > options.maxPayloadBytes) {
      ws.close();
      finish('message exceeds maxPayloadBytes');
      return;
    }
    handlers.onMessage(new Uint8Array(ev.data));
  };
  ws.onerror = () => finish('socket error');
  ws.onclose = (ev) => finish(`socket closed (${ev.code})`);
  return {
    send(data: Uint8Array): void {
      if (ws.readyState === OPEN) ws.send(data);
    },
    close(): void {
      ws.close();
      finish('closed by client');
    },
    get bufferedAmount(): number {
      return ws.bufferedAmount;
    },
  };
};
