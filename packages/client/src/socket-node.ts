// The Node WebSocket adapter (`ws`). The only client module that imports `ws`; a browser
// build swaps in socket-browser.ts instead.

import WebSocket from 'ws';
import type { KiteSocket, KiteSocketHandlers, SocketFactory, SocketOptions } from './socket.js';

export const nodeSocketFactory: SocketFactory = (url: string, options: SocketOptions, handlers: KiteSocketHandlers): KiteSocket => {
  const ws = new WebSocket(url, {
    maxPayload: options.maxPayloadBytes,
    handshakeTimeout: options.handshakeTimeoutMs,
    perMessageDeflate: false,
  });
  ws.binaryType = 'nodebuffer';
  let closed = false;
  const finish = (reason: string): void => {
    if (closed) return;
    closed = true;
    handlers.onClose(reason);
  };
  ws.on('open', () => {
    if (!closed) handlers.onOpen();
  });
  ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
    if (closed || !isBinary) return;
    // binaryType 'nodebuffer' gives a Buffer (a Uint8Array); fragments arrive as an array.
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    handlers.onMessage(bytes);
  });
  ws.on('error', (err: Error) => finish(`socket error: ${err.message}`));
  ws.on('close', (code: number) => finish(`socket closed (${code})`));
  return {
    send(data: Uint8Array): void {
      if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: true });
    },
    close(): void {
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
        // terminate() (not close()) so a dead peer cannot hold us in the closing handshake.
        ws.terminate();
      }
      finish('closed by client');
    },
    get bufferedAmount(): number {
      return ws.bufferedAmount;
    },
  };
};
