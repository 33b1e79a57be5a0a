// The client port: HTTP (GET /health, /metrics, /status) and the WebSocket upgrade at /v1 on
// the same listener, plain or TLS (door.ts: --cert-file, --client-cert-auth). Each accepted WebSocket becomes a ClientLink. Frames larger than the
// hard cap are cut off by ws itself (close 1009); everything smaller is judged by ClientLink.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientLink, hardFrameBytes, type ClientBackend, type ClientLinkLimits } from './client-handler.js';
import { Door } from './door.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import type { TlsFiles } from './tls-files.js';

/** Open client links at once; more are refused at the upgrade (503). */
const CLIENT_LINKS_MAX = 10_000;

export interface ClientServerDeps {
  readonly listenUrl: URL;
  readonly tls: TlsFiles | null;
  readonly backend: ClientBackend;
  readonly limits: ClientLinkLimits;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  health(): { healthy: boolean; reason: string };
  status(): Promise<Record<string, unknown>>;
}

export class ClientServer {
  private readonly door: Door;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly links = new Set<ClientLink>();
  private accepting = true;
  private readonly log: Logger;

  constructor(private readonly deps: ClientServerDeps) {
    this.log = deps.logger.child({ component: 'client' });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: hardFrameBytes(deps.limits), perMessageDeflate: false });
    this.door = new Door({ name: 'client', tls: deps.tls, log: this.log }, {
      request: (req, res) => {
        this.onHttp(req, res).catch((err: unknown) => {
          this.log.error({ err }, 'http handler failed');
          if (!res.headersSent) res.writeHead(500).end('internal error\n');
        });
      },
      upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head),
    });
    this.http = this.door.http;
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  start(): Promise<void> {
    return this.door.listen(this.deps.listenUrl);
  }

  /** Stops accepting; open links are closed with "member stopping". */
  async close(): Promise<void> {
    this.accepting = false;
    for (const link of [...this.links]) link.shutdown('member stopping');
    this.links.clear();
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
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const link = new ClientLink(ws, this.deps.backend, this.deps.limits, this.log);
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
