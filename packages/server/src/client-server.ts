// The client port: HTTP (GET /health, /metrics, /status, the web console at /ui, etcd's JSON gateway under /v3 when the
// etcd door is on) and the WebSocket upgrade at /v1 on the same listener, plain or TLS (door.ts: --cert-file, --client-cert-auth). Each accepted WebSocket becomes a ClientLink. Frames larger than the
// hard cap are cut off by ws itself (close 1009); everything smaller is judged by ClientLink.
// Bounds: at most CLIENT_LINKS_MAX links, at most maxClientConnectionsPerAddress from one
// remote address (refused at the upgrade with 429 and counted by reason), and a sweep closes
// links idle for clientIdleTimeoutMs (see ClientLink for what idle means).

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { AuthSession } from './auth/session.js';
import { ConsoleFiles } from './console-files.js';
import { ClientLink, hardFrameBytes, type ClientBackend, type ClientLinkLimits } from './client-handler.js';
import { Door } from './door.js';
import type { EtcdGateway } from './etcd/gateway.js';
import { isGatewayPath } from './etcd/gateway-routes.js';
import { RateLimitedWarn } from './log-rate-limit.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { remoteAddress } from './remote-address.js';
import type { TlsFiles } from './tls-files.js';

/** Open client links at once; more are refused at the upgrade (503). */
const CLIENT_LINKS_MAX = 10_000;
/** Links closed for bad frames: lines logged per window, the rest counted in one summary. */
const CLOSING_LOG_LINES_MAX = 10;
const CLOSING_LOG_WINDOW_MS = 10_000;

/** Idle sweeps run this often relative to the timeout, within [IDLE_SWEEP_MS_MIN, IDLE_SWEEP_MS_MAX]. */
const IDLE_SWEEPS_PER_TIMEOUT = 4;
const IDLE_SWEEP_MS_MIN = 20;
const IDLE_SWEEP_MS_MAX = 5_000;

export interface ClientConnectionLimits {
  /** 0 = links never time out. */
  readonly clientIdleTimeoutMs: number;
  readonly maxClientConnectionsPerAddress: number;
}

export interface ClientServerDeps {
  readonly listenUrl: URL;
  readonly connections: ClientConnectionLimits;
  readonly tls: TlsFiles | null;
  readonly backend: ClientBackend;
  readonly limits: ClientLinkLimits;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** The console's static files (default: the workspace build of @kite/console). */
  readonly consoleFiles?: ConsoleFiles;
  health(): { healthy: boolean; reason: string };
  status(): Promise<Record<string, unknown>>;
}

/**
 * The CN of a verified client certificate (etcd's mTLS identity: the CN is the user when the
 * link does not log in). Only a certificate the door verified against the client CA counts.
 */
function certificateUser(req: IncomingMessage): string | null {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return null;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : null;
}

export class ClientServer {
  private readonly door: Door;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly links = new Set<ClientLink>();
  /** Open links per remote address; an address leaves the map with its last link. */
  private readonly linksByAddress = new Map<string, number>();
  private idleSweep: NodeJS.Timeout | undefined;
  private accepting = true;
  private etcdGateway: EtcdGateway | null = null;
  private readonly log: Logger;
  private readonly closingLog: RateLimitedWarn;
  private readonly consoleFiles: ConsoleFiles;

  constructor(private readonly deps: ClientServerDeps) {
    this.log = deps.logger.child({ component: 'client' });
    this.consoleFiles = deps.consoleFiles ?? new ConsoleFiles();
    this.closingLog = new RateLimitedWarn(this.log, 'closing client link', {
      linesMax: CLOSING_LOG_LINES_MAX,
      windowMs: CLOSING_LOG_WINDOW_MS,
      nowMs: () => performance.now(),
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: hardFrameBytes(deps.limits), perMessageDeflate: false });
    this.door = new Door({ name: 'client', tls: deps.tls, log: this.log }, {
      request: (req, res) => {
        this.onHttp(req, res).catch((err: unknown) => {
          this.log.error({ err, remote: remoteAddress(req) }, 'http handler failed');
          if (!res.headersSent) res.writeHead(500).end('internal error\n');
        });
      },
      upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head),
    });
    this.http = this.door.http;
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Serves etcd's JSON gateway under /v3 (null: those paths are 404 like any other). */
  serveEtcdGateway(gateway: EtcdGateway | null): void {
    this.etcdGateway = gateway;
  }

  start(): Promise<void> {
    const idleMs = this.deps.connections.clientIdleTimeoutMs;
    if (idleMs > 0) {
      const everyMs = Math.min(IDLE_SWEEP_MS_MAX, Math.max(IDLE_SWEEP_MS_MIN, Math.floor(idleMs / IDLE_SWEEPS_PER_TIMEOUT)));
      this.idleSweep = setInterval(() => this.closeIdle(idleMs), everyMs);
      this.idleSweep.unref();
    }
    return this.door.listen(this.deps.listenUrl);
  }

  private closeIdle(idleMs: number): void {
    for (const link of this.links) if (link.closeIfIdle(idleMs)) this.deps.metrics.clientIdleClosed.inc();
  }

  /** Stops accepting; open links are closed with "member stopping". */
  async close(): Promise<void> {
    this.accepting = false;
    clearInterval(this.idleSweep);
    for (const link of [...this.links]) link.shutdown('member stopping');
    this.links.clear();
    this.etcdGateway?.close();
    this.wss.close();
    await this.door.close();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!this.accepting || this.links.size >= CLIENT_LINKS_MAX) {
      this.deps.metrics.clientConnectionsRefused.inc({ reason: this.accepting ? 'links_max' : 'stopping' });
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    const fromAddress = this.linksByAddress.get(address) ?? 0;
    const perAddressMax = this.deps.connections.maxClientConnectionsPerAddress;
    if (fromAddress >= perAddressMax) {
      this.deps.metrics.clientConnectionsRefused.inc({ reason: 'per_address' });
      this.log.warn({ address, limit: perAddressMax }, 'refused a client connection: too many from this address');
      const body = `too many client connections from ${address} (limit ${perAddressMax}); reuse a connection or raise --max-client-connections-per-address\n`;
      socket.end(`HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    // Counted before the handshake completes, so a burst of upgrades cannot pass the cap.
    this.linksByAddress.set(address, fromAddress + 1);
    const forget = (): void => {
      const n = (this.linksByAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.linksByAddress.delete(address);
      else this.linksByAddress.set(address, n);
    };
    let accepted = false;
    socket.once('close', () => {
      if (!accepted) forget();
    });
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      accepted = true;
      const session = new AuthSession(address, 'ws', certificateUser(req));
      const link = new ClientLink(ws, this.deps.backend, this.deps.limits, this.log.child({ remote: remoteAddress(req) }), this.closingLog, undefined, session);
      this.links.add(link);
      this.deps.metrics.clientConnections.set(this.links.size);
      ws.on('close', () => {
        this.links.delete(link);
        forget();
        this.deps.metrics.clientConnections.set(this.links.size);
      });
    });
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (this.etcdGateway !== null && isGatewayPath(path)) return this.etcdGateway.serve(req, res, path);
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/health': {
        const h = this.deps.health();
        res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ health: h.healthy, reason: h.reason }) + '\n');
        return;
      }
      case '/metrics': {
        const { body, contentType } = await this.deps.metrics.exposition();
        res.writeHead(200, { 'content-type': contentType }).end(body);
        return;
      }
      case '/status': {
        const body = await this.deps.status();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
        return;
      }
      default:
        if (await this.consoleFiles.serve(path ?? '', res)) return;
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }
}
