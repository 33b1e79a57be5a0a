// The client port: HTTP (GET /health, /metrics, /status) and the WebSocket upgrade at /v1 on
// the same listener. Each accepted WebSocket becomes a ClientLink. Frames larger than the
// hard cap are cut off by ws itself (close 1009); everything smaller is judged by ClientLink.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientLink, hardFrameBytes, type ClientBackend, type ClientLinkLimits } from './client-handler.js';
import { RateLimitedWarn } from './log-rate-limit.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { listen } from './peer-transport.js';
import { remoteAddress } from './remote-address.js';

/** Open client links at once; more are refused at the upgrade (503). */
const CLIENT_LINKS_MAX = 10_000;
/** Links closed for bad frames: lines logged per window, the rest counted in one summary. */
const CLOSING_LOG_LINES_MAX = 10;
const CLOSING_LOG_WINDOW_MS = 10_000;

export interface ClientServerDeps {
  readonly listenUrl: URL;
  readonly backend: ClientBackend;
  readonly limits: ClientLinkLimits;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  health(): { healthy: boolean; reason: string };
  status(): Promise<Record<string, unknown>>;
}

export class ClientServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly links = new Set<ClientLink>();
  private accepting = true;
  private readonly log: Logger;
  private readonly closingLog: RateLimitedWarn;

  constructor(private readonly deps: ClientServerDeps) {
    this.log = deps.logger.child({ component: 'client' });
    this.closingLog = new RateLimitedWarn(this.log, 'closing client link', {
      linesMax: CLOSING_LOG_LINES_MAX,
      windowMs: CLOSING_LOG_WINDOW_MS,
      nowMs: () => performance.now(),
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: hardFrameBytes(deps.limits), perMessageDeflate: false });
    this.http = createServer((req, res) => {
      this.onHttp(req, res).catch((err: unknown) => {
        this.log.error({ err, remote: remoteAddress(req) }, 'http handler failed');
        if (!res.headersSent) res.writeHead(500).end('internal error\n');
      });
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  start(): Promise<void> {
    return listen(this.http, this.deps.listenUrl);
  }

  /** Stops accepting; open links are closed with "member stopping". */
  async close(): Promise<void> {
    this.accepting = false;
    for (const link of [...this.links]) link.shutdown('member stopping');
    this.links.clear();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!this.accepting || this.links.size >= CLIENT_LINKS_MAX) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const link = new ClientLink(ws, this.deps.backend, this.deps.limits, this.log.child({ remote: remoteAddress(req) }), this.closingLog);
      this.links.add(link);
      this.deps.metrics.clientConnections.set(this.links.size);
      ws.on('close', () => {
        this.links.delete(link);
        this.deps.metrics.clientConnections.set(this.links.size);
      });
    });
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
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
        const body = await this.deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType }).end(body);
        return;
      }
      case '/status': {
        const body = await this.deps.status();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }
}
