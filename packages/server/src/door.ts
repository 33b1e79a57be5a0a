// A listening door (the client port or the peer port): plain HTTP, or HTTPS from TlsFiles.
// Both carry the same request handler and WebSocket upgrades; the owner binds those on `http`.
//
// With TLS, a front TCP listener reads the first byte of every connection: a TLS handshake
// starts with 0x16 and is handed to the HTTPS server; anything else (a plaintext client, a
// member configured without TLS) gets `426 Upgrade Required` with a one-line reason and is
// logged with its address, instead of a handshake error the other side cannot read.
//
// Invariants: TLS 1.2 is the floor; when the door asks for client certificates it refuses a
// handshake without a valid one (rejectUnauthorized); rotated files swap the secure context
// for new connections only. Every refused handshake is logged with the remote address.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from './logger.js';
import { TLS_MIN_VERSION, type TlsFiles } from './tls-files.js';

const TLS_HANDSHAKE_RECORD = 0x16;
/** A connection that sends nothing for this long before its first byte is dropped. */
const FIRST_BYTE_TIMEOUT_MS = 10_000;

export interface DoorOptions {
  /** 'client' or 'peer': names the door in logs and in the plaintext refusal. */
  readonly name: string;
  readonly tls: TlsFiles | null;
  readonly log: Logger;
}

export class Door {
  readonly http: Server;
  /** The TLS door's first-byte sniffer (the listening socket); null for a plaintext door. */
  private readonly front: NetServer | null = null;

  constructor(
    private readonly opts: DoorOptions,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ) {
    const tls = opts.tls;
    if (tls === null) {
      this.http = createHttpServer(handler);
      return;
    }
    const requestCert = tls.config.clientCertAuth;
    const https: HttpsServer = createHttpsServer({ ...tls.pem, minVersion: TLS_MIN_VERSION, requestCert, rejectUnauthorized: requestCert }, handler);
    tls.onChange((pem) => https.setSecureContext({ ...pem, minVersion: TLS_MIN_VERSION }));
    https.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      opts.log.warn({ door: opts.name, remote: socket.remoteAddress ?? '?', err: err.message }, 'TLS handshake refused');
    });
    this.http = https;
    this.front = createNetServer((socket) => this.sniff(socket));
  }

  get secure(): boolean {
    return this.front !== null;
  }

  /** Listens on the URL's host and port; rejects (EADDRINUSE…) instead of crashing. */
  listen(url: URL): Promise<void> {
    const server = this.front ?? this.http;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(Number(url.port), url.hostname.replace(/^\[|\]$/g, ''), () => {
        server.off('error', onError);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    const listening = this.front ?? this.http;
    const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
    this.opts.tls?.close();
    this.http.closeAllConnections();
    await closed;
  }

  private sniff(socket: Socket): void {
    const remote = socket.remoteAddress ?? '?';
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      if (first[0] === TLS_HANDSHAKE_RECORD) {
        socket.unshift(first);
        this.http.emit('connection', socket);
        return;
      }
      this.opts.log.warn({ door: this.opts.name, remote }, 'plaintext connection on a TLS port refused');
      const body = `this Kite ${this.opts.name} port requires TLS: use https:// or wss:// and the cluster's CA\n`;
      socket.end(`HTTP/1.1 426 Upgrade Required\r\nUpgrade: TLS/1.2\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }
}
