// The etcd v3 gRPC door: a grpc-js server on --grpc-listen (plain, or TLS with the client
// port's certificate, key and CA, re-read when they change (tls-provider.ts), and
// client-certificate auth when --client-cert-auth is set)
// serving every etcd service registered below through the transport-neutral handlers
// (handlers.ts). Started after, and stopped before, the rest of the member's serving side by
// kite-server.ts.
//
// Invariants: every call gets its context (etcd-context.ts) before its handler runs; every
// unary call is answered once, with etcd's status for a failure (etcd-errors.ts); a handler
// that throws never takes the member down; an open stream is closed exactly once (client gone,
// handler end, or member stop), and a stopping member ends every stream so clients reconnect
// to another member. Requests over the request limit are refused by grpc-js itself with
// RESOURCE_EXHAUSTED before they are decoded. Unary calls start in batches, one per
// event-loop turn (call-turn.ts), so the calls one read delivered forward, propose and read
// together.

import {
  Server,
  ServerCredentials,
  status,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { KiteError } from '@kite/protocol';
import type { AuthService } from '../auth/auth-service.js';
import type { Logger } from '../logger.js';
import type { TlsFiles } from '../tls-files.js';
import { EtcdContexts, grpcIdentity, type EtcdCallContext, type EtcdCallIdentity } from './etcd-context.js';
import { EtcdGateway, gatewayBodyBytesMax } from './gateway.js';
import { toServiceError } from './etcd-errors.js';
import { etcdServices, type EtcdServiceName } from './etcd-proto.js';
import type { EtcdMessage, EtcdServiceDeps, EtcdStream, ServiceHandlers, StreamHandler, UnaryHandler } from './handlers.js';
import { kvService } from './kv-service.js';
import { PeerReplyBudgets, type ReplyBudget } from './reply-budget.js';
import { CallTurn } from './call-turn.js';
import { tlsServerCredentials } from './tls-provider.js';
import { watchService } from './watch-service.js';
import { authService } from './auth-service.js';
import { clusterService } from './cluster-service.js';
import { leaseService } from './lease-service.js';
import { maintenanceService } from './maintenance-service.js';
import { etcdOps } from './service-call.js';

/** Bytes grpc-js accepts above --max-request-bytes for the envelope of a request (etcd allows 512 KiB). */
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
  private readonly server: Server;
  private readonly contexts: EtcdContexts;
  /** Every open stream's `end`, so a stopping member ends them all. */
  private readonly streams = new Set<(err?: unknown) => void>();
  private readonly log: Logger;
  /** The JSON gateway over the same handlers, served on the client HTTP port (client-server.ts). */
  readonly gateway: EtcdGateway;
  private readonly replyBudgets: PeerReplyBudgets;
  /** Unary calls start in batches, one per event-loop turn (call-turn.ts). */
  private readonly turn: CallTurn;

  constructor(private readonly deps: EtcdDoorDeps) {
    this.log = deps.log.child({ component: 'etcd-door' });
    this.replyBudgets = new PeerReplyBudgets(deps.config.maxConnectionResponseBytes);
    this.contexts = new EtcdContexts(deps.auth);
    this.turn = new CallTurn((err) => this.log.error({ err }, 'an etcd call failed to start'));
    this.server = new Server({
      'grpc.max_receive_message_length': deps.config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      'grpc.max_concurrent_streams': GRPC_STREAMS_PER_CONNECTION_MAX,
    });
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
    for (const [name, handlers] of Object.entries(services) as [EtcdServiceName, ServiceHandlers][]) {
      this.server.addService(definitions[name], this.implementation(definitions[name], handlers));
    }
  }

  /** Binds `url` (host:port); rejects (EADDRINUSE...) instead of crashing. */
  async listen(url: URL): Promise<number> {
    const creds = this.deps.tls === null ? ServerCredentials.createInsecure() : tlsServerCredentials(this.deps.tls);
    const host = url.hostname.startsWith('[') ? url.hostname : url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname;
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`${host}:${url.port}`, creds, (err, bound) => (err === null ? resolve(bound) : reject(new Error(`etcd door on --grpc-listen ${url.href}: ${err.message}`))));
    });
    // TLS credentials arrive on the next turn (tls-provider.ts): serve once they are in.
    await new Promise((resolve) => setImmediate(resolve));
    return port;
  }

  /** Ends every open stream (clients reconnect elsewhere), then stops the server. */
  async close(): Promise<void> {
    const stopping = new KiteError('Unavailable', 'member is stopping');
    for (const end of [...this.streams]) end(stopping);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private implementation(def: ServiceDefinition, handlers: ServiceHandlers): UntypedServiceImplementation {
    const impl: UntypedServiceImplementation = {};
    for (const [method, attrs] of Object.entries(def)) {
      const unary = handlers.unary[method];
      const stream = handlers.streams?.[method];
      if (unary !== undefined && !attrs.requestStream && !attrs.responseStream) impl[method] = this.unary(unary);
      else if (stream !== undefined && attrs.requestStream && attrs.responseStream) impl[method] = this.bidi(stream);
      else if (stream !== undefined && !attrs.requestStream && attrs.responseStream) impl[method] = this.serverStream(stream);
    }
    return impl;
  }

  private unary(handler: UnaryHandler) {
    return (call: ServerUnaryCall<EtcdMessage, EtcdMessage>, callback: sendUnaryData<EtcdMessage>): void => {
      this.turn.defer(() => this.startUnary(handler, call, callback));
    };
  }

  /** Serves one unary call; answered exactly once, whatever throws where. */
  private startUnary(handler: UnaryHandler, call: ServerUnaryCall<EtcdMessage, EtcdMessage>, callback: sendUnaryData<EtcdMessage>): void {
    let budget: ReplyBudget;
    let identity: EtcdCallIdentity;
    try {
      budget = this.replyBudgets.open(call.getPeer());
      identity = grpcIdentity(call);
    } catch (err) {
      return callback(this.failure(err));
    }
    this.contexts
      .contextOf(identity)
      .then((ctx) => handler(call.request, { ...ctx, charge: budget.charge }))
      .then(
        (resp) => callback(null, resp),
        (err: unknown) => callback(this.failure(err)),
      )
      .finally(() => budget.release());
  }

  private failure(err: unknown): ReturnType<typeof toServiceError> {
    const e = toServiceError(err);
    if (e.code === status.INTERNAL) this.log.error({ err }, 'internal error serving an etcd request');
    return e;
  }

  private bidi(handler: StreamHandler) {
    return (call: ServerDuplexStream<EtcdMessage, EtcdMessage>): void => {
      const early: EtcdMessage[] = [];
      let stream: EtcdStream | null = null;
      let clientDone = false;
      const halfClose = (opened: EtcdStream): void => (opened.halfClosed === undefined ? s.end() : opened.halfClosed());
      const s = this.openStream(call, handler, (opened) => {
        stream = opened;
        for (const req of early.splice(0)) opened.write(req);
        if (clientDone) halfClose(opened);
      });
      call.on('data', (req: EtcdMessage) => {
        if (stream !== null) return stream.write(req);
        if (early.length >= STREAM_EARLY_REQUESTS_MAX) return s.end(new KiteError('Unavailable', `too many requests before the stream was ready (limit ${STREAM_EARLY_REQUESTS_MAX})`));
        early.push(req);
      });
      call.on('end', () => {
        clientDone = true;
        if (stream !== null) halfClose(stream);
      });
    };
  }

  private serverStream(handler: StreamHandler) {
    return (call: ServerWritableStream<EtcdMessage, EtcdMessage>): void => {
      this.openStream(call, handler, (opened) => opened.write(call.request));
    };
  }

  /**
   * Builds the call's context, opens the handler's stream and ties both ends: the handler's
   * `end` finishes the call, the call's cancel or error closes the handler's stream.
   */
  private openStream(
    call: ServerDuplexStream<EtcdMessage, EtcdMessage> | ServerWritableStream<EtcdMessage, EtcdMessage>,
    handler: StreamHandler,
    onOpen: (stream: EtcdStream) => void,
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
      if (err === undefined) call.end();
      else call.emit('error', this.failure(err));
    };
    const send = (resp: EtcdMessage): boolean => (finished ? false : call.write(resp));
    call.on('cancelled', () => finish());
    call.on('error', () => finish());
    call.on('close', () => finish());
    call.on('drain', () => stream?.drained?.());
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
