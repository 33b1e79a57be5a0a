// The Node WebSocket adapter (`ws`). The only client module that imports `ws`; a browser
// build swaps in socket-browser.ts instead (a browser does TLS with its own trust store).
// With `tls` (wss:// endpoints): the CA that signed the members' certificates, and this
// client's certificate and key when the members require one (--client-cert-auth).

import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import type { KiteSocket, KiteSocketHandlers, SocketFactory, SocketOptions } from './socket.js';

/** PEM contents (not file names): the CA bundle to trust, and this client's certificate and key. */
export interface ClientTls {
  readonly ca?: string | Uint8Array;
  readonly cert?: string | Uint8Array;
  readonly key?: string | Uint8Array;
}

/** Bytes of a refusal's body kept for the error message (the server sends one line). */
const REFUSAL_BODY_BYTES_MAX = 512;

/** A TLS failure's message, with what to do about it. */
function describeError(err: Error, url: string): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/.test(code)) {
    return `TLS: the member's certificate is not trusted (${err.message}); pass the CA that signed it (tls.ca / --cacert)`;
  }
  if (/alert (unknown ca|bad certificate|certificate required|handshake failure)/i.test(err.message)) {
    return `TLS: the member refused this client's certificate (${err.message}); use one signed by the cluster's CA (tls.cert/key, --cert/--key)`;
  }
  if (url.startsWith('wss:') && /EPROTO|wrong version number|packet length too long/i.test(`${code} ${err.message}`)) {
    return `TLS: ${err.message}; the member may not serve TLS (use ws://)`;
  }
  return err.message;
}

export function nodeSocketFactoryWith(tls: ClientTls): SocketFactory {
  return (url, options, handlers) => openNodeSocket(url, options, handlers, tls);
}

export const nodeSocketFactory: SocketFactory = nodeSocketFactoryWith({});

function openNodeSocket(url: string, options: SocketOptions, handlers: KiteSocketHandlers, tls: ClientTls): KiteSocket {
  const ws = new WebSocket(url, {
    maxPayload: options.maxPayloadBytes,
    handshakeTimeout: options.handshakeTimeoutMs,
    perMessageDeflate: false,
    minVersion: 'TLSv1.2',
    ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert as string | Buffer }),
    ...(tls.key === undefined ? {} : { key: tls.key as string | Buffer }),
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
  // A member refusing the upgrade says why in one line (e.g. 426: its port requires TLS).
  ws.on('unexpected-response', (req, res: IncomingMessage) => {
    let body = '';
    res.on('data', (c: Buffer) => {
      if (body.length < REFUSAL_BODY_BYTES_MAX) body += c.toString('utf8');
    });
    res.on('end', () => {
      req.destroy();
      finish(`member refused the connection: HTTP ${res.statusCode ?? '?'}${body.trim() === '' ? '' : `: ${body.trim().slice(0, REFUSAL_BODY_BYTES_MAX)}`}`);
    });
    res.on('error', () => finish(`member refused the connection: HTTP ${res.statusCode ?? '?'}`));
  });
  ws.on('error', (err: Error) => finish(`socket error: ${describeError(err, url)}`));
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
}
