// The etcd v3 gRPC door: a lean gRPC server on node:http2 (grpc-server.ts) on --grpc-listen
// (plain, or TLS with the client port's certificate, key and CA, swapped in when the files
// change, and client-certificate auth when --client-cert-auth is set) serving every etcd
// service registered below through the transport-neutral handlers (handlers.ts). Started
// after, and stopped before, the rest of the member's serving side by kite-server.ts.
//
// Invariants: every call gets its context (etcd-context.ts) before its handler runs; every
// unary call is answered once, with etcd's status for a failure (etcd-errors.ts); a handler
// that throws never takes the member down; an open stream is closed exactly once (client gone,
// handler end, or member stop), and a stopping member ends every stream so clients reconnect
// to another member. Requests over the request limit are refused by the transport with
// RESOURCE_EXHAUSTED before they are decoded. Unary calls start in batches, one per
// event-loop turn (call-turn.ts), so the calls one read delivered forward, propose and read
// together.

import { status } from '@grpc/grpc-js';
import { KiteError } from '@kite/protocol';
import type { AuthService } from '../auth/auth-service.js';
import type { Logger } from '../logger.js';
import type { TlsFiles } from '../tls-files.js';
import { EtcdContexts, grpcIdentity, type EtcdCallContext, type EtcdCallIdentity } from './etcd-context.js';
import { EtcdGateway, gatewayBodyBytesMax } from './gateway.js';
import { etcdStatus, type EtcdStatus } from './etcd-errors.js';
import { EtcdError } from './etcd-status-error.js';
import { etcdServices, type EtcdServiceName } from './etcd-proto.js';
import type { EtcdMessage, EtcdServiceDeps, EtcdStream, ServiceHandlers, StreamHandler, UnaryHandler } from './handlers.js';
import { kvService } from './kv-service.js';
import { PeerReplyBudgets, type ReplyBudget } from './reply-budget.js';
import { CallTurn } from './call-turn.js';
import { GrpcServer, type GrpcMethod, type GrpcRoute, type GrpcServerCall } from './grpc-server.js';
import { watchService } from './watch-service.js';
import { authService } from './auth-service.js';
import { clusterService } from './cluster-service.js';
import { leaseService } from './lease-service.js';
import { maintenanceService } from './maintenance-service.js';
import { etcdOps } from './service-call.js';

/** Bytes accepted above --max-request-bytes for the envelope of a request (etcd allows 512 KiB). */
const GRPC_OVERHEAD_BYTES = 512 * 1024;
/** Concurrent streams (calls) on one HTTP/2 connection. */
export const GRPC_STREAMS_PER_CONNECTION_MAX = 20_000;
/** Requests a stream buffers while its context (token check) is being built. */
const STREAM_EARLY_REQUESTS_MAX = 64;
/** A stopping member waits this long for calls in flight before cutting every connection. */
const SHUTDOWN_GRACE_MS = 1_000;

export interface EtcdDoorDeps extends EtcdServiceDeps {
  readonly auth: AuthService;
  /** The client port's TLS files (null: plaintext); their --client-cert-auth applies here too. */
  readonly tls: TlsFiles | null;
}

export class EtcdDoor {
  private readonly server: GrpcServer;
  private readonly contexts: EtcdContexts;
  /** Every open stream's `end`, so a stopping member ends them all. */
  private readonly streams = new Set<(err?: unknown) => void>();
  private readonly log: Logger;
  /** The JSON gateway over the same handlers, served on the client HTTP port (client-server.ts). */
  readonly gateway: EtcdGateway;
  private readonly replyBudgets: PeerReplyBudgets;
  /** Unary calls start in batches, one per event-loop turn (call-turn.ts). */
  private readonly turn: CallTurn;

  constructor(deps: EtcdDoorDeps) {
    this.log = deps.log.child({ component: 'etcd-door' });
    this.replyBudgets = new PeerReplyBudgets(deps.config.maxConnectionResponseBytes);
    this.contexts = new EtcdContexts(deps.auth);
    this.turn = new CallTurn((err) => this.log.error({ err }, 'an etcd call failed to start'));
    const services: Partial<Record<EtcdServiceName, ServiceHandlers>> = {
      KV: kvService(deps),
      Watch: watchService(deps),
      Lease: leaseService(etcdOps(deps)),
      Cluster: clusterService(etcdOps(deps)),
      Maintenance: maintenanceService(etcdOps(deps)),
      Auth: authService(etcdOps(deps)),
    };
    this.gateway = new EtcdGateway({ services, contexts: this.contexts, bodyBytesMax: gatewayBodyBytesMax(deps.config.maxRequestBytes), log: deps.log });
    const definitions = etcdServices();
    const routes = new Map<string, GrpcRoute>();
    for (const [name, handlers] of Object.entries(services) as [EtcdServiceName, ServiceHandlers][]) {
      for (const [method, attrs] of Object.entries(definitions[name])) {
        const route = this.route(attrs as GrpcMethod, handlers, method);
        if (route !== null) routes.set(route.method.path, route);
      }
    }
    this.server = new GrpcServer({
      routes,
      messageBytesMax: deps.config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      streamsPerConnectionMax: GRPC_STREAMS_PER_CONNECTION_MAX,
      tls: deps.tls,
      onListenError: (err) => this.log.warn({ err }, 'etcd door listener error'),
    });
  }

  /** Binds `url` (host:port); rejects (EADDRINUSE...) instead of crashing. */
  async listen(url: URL): Promise<number> {
    try {
      return await this.server.listen(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port));
    } catch (err) {
      throw new Error(`etcd door on --grpc-listen ${url.href}: ${(err as Error).message}`);
    }
  }

  /** Ends every open stream (clients reconnect elsewhere), then stops the server. */
  async close(): Promise<void> {
    const stopping = new KiteError('Unavailable', 'member is stopping');
    for (const end of [...this.streams]) end(stopping);
    await this.server.close(SHUTDOWN_GRACE_MS);
  }

  /** The method's route, or null when no handler of its kind serves it (UNIMPLEMENTED). */
  private route(method: GrpcMethod, handlers: ServiceHandlers, name: string): GrpcRoute | null {
    const unary = handlers.unary[name];
    const stream = handlers.streams?.[name];
    if (unary !== undefined && !method.requestStream && !method.responseStream) return { method, start: (call) => this.unary(unary, call) };
    if (stream !== undefined && method.requestStream && method.responseStream) return { method, start: (call) => this.bidi(stream, call) };
    if (stream !== undefined && !method.requestStream && method.responseStream) return { method, start: (call) => this.serverStream(stream, call) };
    return null;
  }

  /** A unary call: its one request, then (at half-close) its start on the next turn. */
  private unary(handler: UnaryHandler, call: GrpcServerCall): void {
    let request: EtcdMessage | null = null;
    call.listen({
      message: (req) => {
        if (request === null) request = req;
        else call.finish({ code: status.UNIMPLEMENTED, message: `Received a second request message for unary method ${call.method.path}` });
      },
      halfClose: () => {
        const req = request;
        if (req === null) return call.finish({ code: status.UNIMPLEMENTED, message: `Received no request message for unary method ${call.method.path}` });
        this.turn.defer(() => this.startUnary(handler, call, req));
      },
      cancel: () => undefined,
      drain: () => undefined,
    });
  }

  /** Serves one unary call; answered exactly once, whatever throws where. */
  private startUnary(handler: UnaryHandler, call: GrpcServerCall, request: EtcdMessage): void {
    if (call.isFinished) return;
    let budget: ReplyBudget;
    let identity: EtcdCallIdentity;
    try {
      budget = this.replyBudgets.open(call.peerAddress);
      identity = grpcIdentity(call);
    } catch (err) {
      return call.finish(this.failure(err));
    }
    this.contexts
      .contextOf(identity)
      .then((ctx) => handler(request, { ...ctx, charge: budget.charge }))
      .then(
        (resp) => call.finish(null, resp),
        (err: unknown) => call.finish(this.failure(err)),
      )
      .finally(() => budget.release());
  }

  private failure(err: unknown): EtcdStatus {
    const e = etcdStatus(err);
    if (e.code === status.INTERNAL) this.log.error({ err }, 'internal error serving an etcd request');
    return e;
  }

  private bidi(handler: StreamHandler, call: GrpcServerCall): void {
    const early: EtcdMessage[] = [];
    let stream: EtcdStream | null = null;
    let clientDone = false;
    const halfClose = (opened: EtcdStream): void => (opened.halfClosed === undefined ? s.end() : opened.halfClosed());
    const s = this.openStream(call, handler, (opened) => {
      stream = opened;
      for (const req of early.splice(0)) opened.write(req);
      if (clientDone) halfClose(opened);
    }, {
      message: (req) => {
        if (stream !== null) return stream.write(req);
        if (early.length >= STREAM_EARLY_REQUESTS_MAX) return s.end(new KiteError('Unavailable', `too many requests before the stream was ready (limit ${STREAM_EARLY_REQUESTS_MAX})`));
        early.push(req);
      },
      halfClose: () => {
        clientDone = true;
        if (stream !== null) halfClose(stream);
      },
    });
  }

  /** A server-streaming call (Snapshot): its one request opens the stream's work. */
  private serverStream(handler: StreamHandler, call: GrpcServerCall): void {
    let request: EtcdMessage | null = null;
    let stream: EtcdStream | null = null;
    const s = this.openStream(call, handler, (opened) => {
      stream = opened;
      if (request !== null) opened.write(request);
    }, {
      message: (req) => {
        if (request !== null) return s.end(new EtcdError('UNIMPLEMENTED', `Received a second request message for server streaming method ${call.method.path}`));
        request = req;
        stream?.write(req);
      },
      halfClose: () => {
        if (request === null) s.end(new EtcdError('UNIMPLEMENTED', `Received no request message for server streaming method ${call.method.path}`));
      },
    });
  }

  /**
   * Builds the call's context, opens the handler's stream and ties both ends: the handler's
   * `end` finishes the call, the call's cancel closes the handler's stream.
   */
  private openStream(
    call: GrpcServerCall,
    handler: StreamHandler,
    onOpen: (stream: EtcdStream) => void,
    requests: { message(req: EtcdMessage): void; halfClose(): void },
  ): { end(err?: unknown): void } {
    let stream: EtcdStream | null = null;
    let finished = false;
    const finish = (): boolean => {
      if (finished) return false;
      finished = true;
      this.streams.delete(end);
      stream?.close();
      return true;
    };
    const end = (err?: unknown): void => {
      if (!finish()) return;
      call.finish(err === undefined ? null : this.failure(err));
    };
    const send = (resp: EtcdMessage): boolean => (finished ? false : call.send(resp));
    call.listen({
      message: (req) => requests.message(req),
      halfClose: () => requests.halfClose(),
      cancel: () => void finish(),
      drain: () => stream?.drained?.(),
    });
    this.contexts.contextOf(grpcIdentity(call)).then(
      (ctx: EtcdCallContext) => {
        if (finished) return;
        try {
          stream = handler(ctx, send, end);
        } catch (err) {
          return end(err);
        }
        this.streams.add(end);
        onOpen(stream);
      },
      (err: unknown) => end(err),
    );
    return { end };
  }
}
