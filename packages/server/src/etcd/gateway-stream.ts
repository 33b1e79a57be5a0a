// One streaming call on the JSON gateway (/v3/watch, /v3/lease/keepalive,
// /v3/maintenance/snapshot), framed as etcd's grpc-gateway frames it: every response is one
// line {"result": {...}}, a failure one last line {"error": {...}}, and the HTTP response ends
// with the stream. Requests are the JSON objects of the request body, read as they arrive
// (JsonObjectSplitter). What the end of the body means is the route's StreamEnd.
//
// Invariants: the handler's stream is closed exactly once, whichever comes first: its own end,
// the HTTP client going away, bad input in the body, a client too slow to read, or the member
// stopping; nothing is written after that. Flow control is the handler's (`send` returns false
// past the socket's high-water mark, `drained` follows); as a backstop for a handler that keeps
// sending, the bytes waiting for a slow client stay within unsentBytesMax (past it the
// stream ends with RESOURCE_EXHAUSTED: the client resumes by revision, as after any broken watch).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { status } from '@grpc/grpc-js';
import type { EtcdCallContext } from './etcd-context.js';
import type { EtcdStatus } from './etcd-errors.js';
import { gatewayStatus, streamErrorLine } from './gateway-http.js';
import { requestFromJson, responseToJson } from './gateway-json.js';
import type { StreamEnd } from './gateway-routes.js';
import type { MethodTypes } from './gateway-types.js';
import type { EtcdMessage, EtcdStream, StreamHandler } from './handlers.js';
import { JsonObjectSplitter } from './json-object-splitter.js';

/** Response bytes a stream may leave unsent at a slow client before it is ended (the default of unsentBytesMax). */
export const STREAM_UNSENT_BYTES_MAX = 16 * 1024 * 1024;

export interface GatewayStreamDeps {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly types: MethodTypes;
  readonly end: StreamEnd;
  readonly objectBytesMax: number;
  /** Response bytes left unsent at a slow client before the stream is ended. */
  readonly unsentBytesMax: number;
  /** Called once when the call is over. */
  readonly onDone: () => void;
}

export class GatewayStream {
  private stream: EtcdStream | null = null;
  private done = false;
  private requestsWritten = 0;
  private repliesSent = 0;
  private bodyEnded = false;

  constructor(private readonly deps: GatewayStreamDeps) {}

  /** Opens the handler's stream; `only` is a server-streaming call's one request. */
  open(handler: StreamHandler, ctx: EtcdCallContext, only: EtcdMessage | null): void {
    const { req, res } = this.deps;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    res.on('close', () => this.finish(null));
    res.on('drain', () => this.stream?.drained?.());
    const stream = handler(ctx, (resp) => this.send(resp), (err) => this.onHandlerEnd(err));
    if (this.done) return; // ended while opening
    this.stream = stream;
    if (only !== null) {
      this.stream.write(only);
      return;
    }
    const splitter = new JsonObjectSplitter(this.deps.objectBytesMax);
    req.on('data', (chunk: Buffer) => {
      if (this.done) return;
      try {
        for (const text of splitter.push(chunk)) this.write(requestFromJson(this.deps.types.request, JSON.parse(text) as unknown));
      } catch (err) {
        this.finish(gatewayStatus(err));
      }
    });
    req.on('end', () => {
      if (this.done) return;
      if (splitter.midObject) return this.finish({ code: status.INVALID_ARGUMENT, message: 'request stream: the body ended inside a JSON object' });
      this.bodyEnded = true;
      this.maybeFinishAfterReplies();
    });
  }

  /** The member is stopping. */
  close(): void {
    this.finish({ code: status.UNAVAILABLE, message: 'etcdserver: server stopped' });
  }

  private write(request: EtcdMessage): void {
    this.requestsWritten++;
    this.stream?.write(request);
  }

  /** False asks the handler to wait for `drained` (the socket's buffer is past its high-water mark). */
  private send(resp: EtcdMessage): boolean {
    if (this.done) return false;
    const { res } = this.deps;
    const more = res.write(JSON.stringify({ result: responseToJson(this.deps.types.response, resp) }) + '\n');
    this.repliesSent++;
    if (res.writableLength > this.deps.unsentBytesMax) {
      this.finish({ code: status.RESOURCE_EXHAUSTED, message: `gateway: the client reads too slowly (${res.writableLength} response bytes unsent)` });
      return false;
    }
    this.maybeFinishAfterReplies();
    return more && !this.done;
  }

  /** LeaseKeepAlive: once the body ended and every request was answered, the call is over. */
  private maybeFinishAfterReplies(): void {
    if (this.deps.end === 'after-replies' && this.bodyEnded && this.repliesSent >= this.requestsWritten) this.finish(null);
  }

  private onHandlerEnd(err: unknown): void {
    if (this.done) return;
    // The handler's stream is over by its own word: it must not be closed again.
    this.stream = null;
    this.finish(err === undefined ? null : gatewayStatus(err));
  }

  /** Ends the call once: closes the handler's stream (unless it ended itself) and the response. */
  private finish(failure: EtcdStatus | null): void {
    if (this.done) return;
    this.done = true;
    const stream = this.stream;
    this.stream = null;
    stream?.close();
    const { req, res } = this.deps;
    if (!res.writableEnded && !res.destroyed) {
      if (failure !== null) res.write(streamErrorLine(failure));
      res.end();
    }
    // Nothing more of the body is read; Node discards the rest.
    req.removeAllListeners('data');
    this.deps.onDone();
  }
}
