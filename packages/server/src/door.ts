// A listening door (the client port or the peer port): plain HTTP, or HTTPS from TlsFiles.
// Both carry the same request handler and WebSocket upgrades; the owner binds those on `http`.
//
// With TLS, a front TCP listener reads the first byte of every connection: a TLS handshake
// starts with 0x16 and is handed to the HTTPS server; anything else (a plaintext client, a
// member configured without TLS) gets `426 Upgrade Required` with a one-line reason and is
// logged with its address, instead of a handshake error the other side cannot read.
//
// With --client-cert-auth (or --peer-client-cert-auth) the door asks every connection for a
// certificate and lets no request or upgrade through unless it chains to the trusted CA. The
// check is made here on each request rather than by failing the handshake: a failed TLS 1.3
// handshake reaches the other side as a bare reset and the member's log as "socket hang up"
// without an address, while a `401` names the problem on both sides.
//
// Invariants: TLS 1.2 is the floor; with client-cert auth no request or upgrade reaches the
// owner's handlers from a connection without a verified certificate; rotated files swap the
// secure context for new connections only. Every refusal is logged with the remote address.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from './logger.js';
import { TLS_MIN_VERSION, type TlsFiles } from './tls-files.js';
import { socketRemote } from './remote-address.js';

const TLS_HANDSHAKE_RECORD = 0x16;
/** A connection that sends nothing for this long before its first byte is dropped. */
const FIRST_BYTE_TIMEOUT_MS = 10_000;

export interface DoorOptions {
  /** 'client' or 'peer': names the door in logs and in the plaintext refusal. */
  readonly name: string;
  readonly tls: TlsFiles | null;
  readonly log: Logger;
}

export interface DoorHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export class Door {
  readonly http: Server;
  /** The TLS door's first-byte sniffer (the listening socket); null for a plaintext door. */
  private readonly front: NetServer | null = null;

  constructor(
    private readonly opts: DoorOptions,
    handlers: DoorHandlers,
  ) {
    const tls = opts.tls;
    if (tls === null) {
      this.http = createHttpServer(handlers.request);
      this.http.on('upgrade', handlers.upgrade);
      return;
    }
    const requestCert = tls.config.clientCertAuth;
    const https: HttpsServer = createHttpsServer({ ...tls.pem, minVersion: TLS_MIN_VERSION, requestCert, rejectUnauthorized: false }, (req, res) => {
      const refused = this.certificateRefusal(req);
      if (refused === null) return handlers.request(req, res);
      res.writeHead(401, { 'content-type': 'text/plain', connection: 'close' }).end(`${refused}\n`);
    });
    https.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const refused = this.certificateRefusal(req);
      if (refused === null) return handlers.upgrade(req, socket, head);
      socket.end(`HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(refused) + 1}\r\n\r\n${refused}\n`);
    });
    tls.onChange((pem) => https.setSecureContext({ ...pem, minVersion: TLS_MIN_VERSION }));
    https.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      opts.log.warn({ door: opts.name, remote: socketRemote(socket), err: err.message }, 'TLS handshake refused');
    });
    this.http = https;
    this.front = createNetServer((socket) => this.sniff(socket));
  }

  /** Null when the connection may pass; otherwise the refusal (logged with the address). */
  private certificateRefusal(req: IncomingMessage): string | null {
    const socket = req.socket as TLSSocket;
    if (this.opts.tls?.config.clientCertAuth !== true || socket.authorized) return null;
    const why = socket.authorizationError?.toString() ?? 'unknown';
    const cert = socket.getPeerCertificate();
    const presented = cert !== null && Object.keys(cert).length > 0;
    const reason = presented
      ? `certificate refused: not signed by the ${this.opts.name} port's trusted CA (${why})`
      : `a client certificate signed by the ${this.opts.name} port's trusted CA is required`;
    this.opts.log.warn({ door: this.opts.name, remote: socketRemote(socket), subject: presented ? cert.subject?.CN : undefined, err: why }, `TLS ${reason}`);
    return `this Kite ${this.opts.name} port refused the connection: ${reason}`;
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
    const remote = socketRemote(socket);
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
