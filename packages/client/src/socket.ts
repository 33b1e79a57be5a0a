// The transport seam: the client core talks to a KiteSocket and never to a WebSocket
// implementation directly. Node uses socket-node.ts (the `ws` package); a browser build
// passes socket-browser.ts (the global WebSocket). Nothing else in the client opens sockets.

export interface KiteSocketHandlers {
  /** The socket is open and may send. Called at most once. */
  onOpen(): void;
  /** One binary message (text messages are dropped by the adapter: the protocol has none). */
  onMessage(data: Uint8Array): void;
  /** The socket is closed (or failed to open). Called exactly once; no callback follows it. */
  onClose(reason: string): void;
}

export interface KiteSocket {
  send(data: Uint8Array): void;
  /** Idempotent; onClose follows (asynchronously) if it has not been called yet. */
  close(): void;
  /** Bytes queued by send() but not yet written; used as back-pressure signal. */
  readonly bufferedAmount: number;
}

export interface SocketOptions {
  /** Refuse to buffer incoming messages larger than this (the frame codec checks again). */
  readonly maxPayloadBytes: number;
  /** Give up on the opening handshake after this long. */
  readonly handshakeTimeoutMs: number;
}

export type SocketFactory = (url: string, options: SocketOptions, handlers: KiteSocketHandlers) => KiteSocket;
