// The JSON gateway: etcd's grpc-gateway routes (POST /v3/...) on the client HTTP port, served by
// the same ServiceHandlers as the gRPC door, so a request means the same thing and passes the
// same authorization (the caller comes from the `Authorization` header, as etcd's gateway
// takes the token) whichever door it came through.
//
// Answers: 200 with the response as JSON (gateway-json.ts); an unknown /v3 path 404 and a
// method other than POST 405, both as grpc-gateway's JSON error; a body that is not JSON or
// does not fit the message type 400 (INVALID_ARGUMENT); handler errors by etcd's status
// (etcd-errors.ts) mapped to HTTP as grpc-gateway maps them (gateway-http.ts). Streaming
// routes are driven by gateway-stream.ts.
//
// Bounds: at most GATEWAY_STREAMS_MAX streams are open at once (more get RESOURCE_EXHAUSTED,
// HTTP 429, at once); a body is read up to bodyBytesMax (the member's request limit as JSON: base64 is
// 4/3 of the bytes, names and escapes the rest) and refused past it with etcd's "request is
// too large" before more is buffered; the request limit itself is checked by the handlers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { status } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import type { EtcdContexts } from './etcd-context.js';
import { httpIdentity } from './etcd-context.js';
import type { EtcdStatus } from './etcd-errors.js';
import type { EtcdServiceName } from './etcd-proto.js';
import { requestFromJson, responseToJson } from './gateway-json.js';
import { BodyTooLargeError, gatewayStatus, writeError, writeJson } from './gateway-http.js';
import { GATEWAY_ROUTES, type GatewayRoute, type StreamEnd } from './gateway-routes.js';
import { GatewayStream, STREAM_UNSENT_BYTES_MAX } from './gateway-stream.js';
import { methodTypes } from './gateway-types.js';
import type { ServiceHandlers } from './handlers.js';

/** Slack for JSON names, quoting and escapes on top of the base64 of a largest request. */
const BODY_JSON_OVERHEAD_BYTES = 64 * 1024;

/** The body bound for a member whose request limit is `maxRequestBytes`. */
export function gatewayBodyBytesMax(maxRequestBytes: number): number {
  return Math.ceil((maxRequestBytes * 4) / 3) + BODY_JSON_OVERHEAD_BYTES;
}

/** Streaming calls (watch, keepalive, snapshot) open at once on one member's gateway. */
export const GATEWAY_STREAMS_MAX = 10_000;

export interface GatewayDeps {
  /** The handlers registered on the gRPC door, per service. */
  readonly services: Readonly<Partial<Record<EtcdServiceName, ServiceHandlers>>>;
  readonly contexts: Pick<EtcdContexts, 'contextOf'>;
  readonly bodyBytesMax: number;
  readonly log: Logger;
  /** GATEWAY_STREAMS_MAX unless a test says otherwise. */
  readonly streamsMax?: number;
  /** STREAM_UNSENT_BYTES_MAX unless a test says otherwise. */
  readonly streamUnsentBytesMax?: number;
}

const NOT_FOUND: EtcdStatus = { code: status.NOT_FOUND, message: 'Not Found' };
const METHOD_NOT_ALLOWED: EtcdStatus = { code: status.UNIMPLEMENTED, message: 'Method Not Allowed' };
const TOO_MANY_STREAMS: EtcdStatus = { code: status.RESOURCE_EXHAUSTED, message: 'etcdserver: too many requests' };

export class EtcdGateway {
  private readonly streams = new Set<GatewayStream>();
  private readonly log: Logger;

  constructor(private readonly deps: GatewayDeps) {
    this.log = deps.log.child({ component: 'etcd-gateway' });
  }

  /** Serves one request on a /v3 path; never rejects (every failure is an HTTP answer). */
  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const route = GATEWAY_ROUTES.get(path);
    if (route === undefined) return writeError(res, NOT_FOUND, 404);
    if (req.method !== 'POST') return writeError(res, METHOD_NOT_ALLOWED, 405, { allow: 'POST' });
    try {
      if (route.stream !== undefined) await this.openStream(req, res, route, route.stream);
      else await this.serveUnary(req, res, route);
    } catch (err) {
      if (req.destroyed && res.destroyed) return; // the client went away mid-request
      const s = gatewayStatus(err);
      if (s.code === status.INTERNAL) this.log.error({ err, path }, 'gateway request failed');
      if (!res.headersSent) writeError(res, s);
      else res.destroy();
    }
  }

  /** Ends every open stream (the member is stopping). */
  close(): void {
    for (const s of [...this.streams]) s.close();
  }

  private async serveUnary(req: IncomingMessage, res: ServerResponse, route: GatewayRoute): Promise<void> {
    const handler = this.deps.services[route.service as EtcdServiceName]?.unary[route.method];
    if (handler === undefined) return writeError(res, unimplemented(route));
    const types = methodTypes(route.service, route.method);
    const body = await readBody(req, this.deps.bodyBytesMax);
    const request = requestFromJson(types.request, parseBody(body));
    const ctx = await this.deps.contexts.contextOf(httpIdentity(req));
    const response = await handler(request, ctx);
    writeJson(res, 200, responseToJson(types.response, response));
  }

  private async openStream(req: IncomingMessage, res: ServerResponse, route: GatewayRoute, end: StreamEnd): Promise<void> {
    const handler = this.deps.services[route.service as EtcdServiceName]?.streams?.[route.method];
    if (handler === undefined) return writeError(res, unimplemented(route));
    if (this.streams.size >= (this.deps.streamsMax ?? GATEWAY_STREAMS_MAX)) return writeError(res, TOO_MANY_STREAMS);
    const types = methodTypes(route.service, route.method);
    // A server-streaming call's one request is read before the stream opens.
    const only = end === 'no-requests' ? requestFromJson(types.request, parseBody(await readBody(req, this.deps.bodyBytesMax))) : null;
    const ctx = await this.deps.contexts.contextOf(httpIdentity(req));
    const stream = new GatewayStream({
      req,
      res,
      types,
      end,
      objectBytesMax: this.deps.bodyBytesMax,
      unsentBytesMax: this.deps.streamUnsentBytesMax ?? STREAM_UNSENT_BYTES_MAX,
      onDone: () => this.streams.delete(stream),
    });
    this.streams.add(stream);
    stream.open(handler, ctx, only);
  }
}

function unimplemented(route: GatewayRoute): EtcdStatus {
  return { code: status.UNIMPLEMENTED, message: `unknown method ${route.method} for service etcdserverpb.${route.service}` };
}

/** An empty body is the empty message, as grpc-gateway reads it. */
function parseBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
}

/** The whole body, refused (BodyTooLargeError) as soon as it passes bytesMax. */
function readBody(req: IncomingMessage, bytesMax: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > bytesMax) {
        cleanup();
        // The rest of the body is discarded by Node once the response is written.
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
