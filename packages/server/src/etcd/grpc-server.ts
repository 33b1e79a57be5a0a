// A lean gRPC server on node:http2 for the etcd door: routes each HTTP/2 stream by its `:path`
// to a method (proto-loader's serializers, so message shapes are exactly as before), decodes
// the request messages (grpc-messages.ts) and answers: a unary reply is `respond`, `end(message)`
// and the trailers on `wantTrailers`. What grpc-js's Server did per call and the door does not
// need (channelz, an interceptor chain, a Metadata object, an EventEmitter call object, a
// status filter stack) is gone: the transport alone costs about a fifth less CPU per call
// (test/bench/grpc-transport-cost.ts). The trailers still leave in the socket write after the
// message's (Node's Writable runs `_final` only once the message's write has completed).
//
// Served: plain or TLS (a certificate, key and CA swapped in by `setSecureContext` when the
// files change; client certificates required and verified when asked), `grpc-timeout`
// deadlines (DEADLINE_EXCEEDED), a bound on request message bytes (RESOURCE_EXHAUSTED from the
// prefix, before the body is read), unknown methods (UNIMPLEMENTED), bodies that do not decode
// (INTERNAL "Error deserializing request"), a content type that is not gRPC (HTTP 415), as
// grpc-js answered them.
//
// Invariants: every call ends exactly once (`finish`), with a status; after it nothing more is
// sent and the listener hears nothing more. A call whose stream closes before it finished
// (client cancel, reset, connection lost, deadline) tells its listener `cancel` once. Errors
// on sockets, sessions and streams are absorbed (their `close` follows), never thrown.

import {
  constants as h2,
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type SecureServerOptions,
  type ServerHttp2Stream,
} from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { status } from '@grpc/grpc-js';
import type { TlsFiles } from '../tls-files.js';
import { TLS_MIN_VERSION } from '../tls-files.js';
import type { EtcdStatus } from './etcd-errors.js';
import type { EtcdMessage } from './handlers.js';
import { GrpcMessageDecoder, grpcFrame } from './grpc-messages.js';

/** A method as proto-loader defines it (the fields this server reads). */
export interface GrpcMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestDeserialize: (bytes: Buffer) => EtcdMessage;
  readonly responseSerialize: (message: EtcdMessage) => Buffer;
}

/** What a call tells the code serving it. */
export interface GrpcCallListener {
  /** One decoded request message. */
  message(req: EtcdMessage): void;
  /** The client sends no more messages. */
  halfClose(): void;
  /** The call ended before it finished: client cancel or reset, connection lost, deadline. */
  cancel(): void;
  /** The stream's write buffer drained after `send` returned false. */
  drain(): void;
}

export interface GrpcServerOptions {
  /** Calls routed by `:path`; a path not here gets UNIMPLEMENTED. */
  readonly routes: ReadonlyMap<string, GrpcRoute>;
  /** Request message bytes accepted (the prefix's length; refused before the body is read). */
  readonly messageBytesMax: number;
  /** Concurrent streams (calls) on one HTTP/2 connection (the SETTINGS the client must respect). */
  readonly streamsPerConnectionMax: number;
  /** Null: plaintext (h2c). */
  readonly tls: TlsFiles | null;
  /** A listening socket's error after it was bound (e.g. accept failing with EMFILE): reported, never thrown. */
  readonly onListenError?: (err: Error) => void;
}

export interface GrpcRoute {
  readonly method: GrpcMethod;
  /** Called once per call, synchronously, before any of its messages arrive. */
  start(call: GrpcServerCall): void;
}

const OK_TRAILERS = { 'grpc-status': String(status.OK) };
/** Sent on every reply: the door never compresses, and accepts no compressed request. */
const RESPONSE_HEADERS = { [h2.HTTP2_HEADER_STATUS]: h2.HTTP_STATUS_OK, [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto', 'grpc-accept-encoding': 'identity' };
const WANT_TRAILERS = { waitForTrailers: true };
const END_STREAM = { endStream: true };
/** grpc-timeout units (the gRPC spec: H, M, S, m, u, n) in milliseconds. */
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };
/** The longest timer Node keeps (2^31 - 1 ms); a longer deadline is none in practice. */
const TIMER_MS_MAX = 2 ** 31 - 1;

/** What every call of one connection shares: who is on the other end. */
interface Peer {
  /** address:port, as grpc-js's getPeer gave it (the reply budget's key). */
  readonly address: string;
  /** The CN of the client certificate the TLS layer verified; null when none. */
  readonly certUser: string | null;
}

const NO_LISTENER: GrpcCallListener = { message: () => undefined, halfClose: () => undefined, cancel: () => undefined, drain: () => undefined };

export class GrpcServerCall {
  private listener: GrpcCallListener = NO_LISTENER;
  private headersSent = false;
  private finished = false;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private readonly decoder: GrpcMessageDecoder;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    readonly method: GrpcMethod,
    private readonly peer: Peer,
    private readonly messageBytesMax: number,
  ) {
    this.decoder = new GrpcMessageDecoder(messageBytesMax);
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => {
      if (!this.finished) this.listener.halfClose();
    });
    stream.on('close', () => this.onClose());
    stream.on('drain', () => {
      if (!this.finished) this.listener.drain();
    });
    const timeout = headers['grpc-timeout'];
    if (typeof timeout === 'string') this.startDeadline(timeout);
  }

  /** Sets who hears this call's messages; call it in the route's `start`. */
  listen(listener: GrpcCallListener): void {
    this.listener = listener;
  }

  /** The first value of a request header (gRPC metadata keys are lower-case header names). */
  metadata(key: string): string | null {
    const v = this.headers[key];
    const first = Array.isArray(v) ? v[0] : v;
    return first === undefined || first === '' ? null : first;
  }

  get peerAddress(): string {
    return this.peer.address;
  }

  get certUser(): string | null {
    return this.peer.certUser;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Sends one message of a streaming reply; false: the buffer is past its mark (wait for `drain`). */
  send(message: EtcdMessage): boolean {
    // A reset stream is destroyed before its 'close' event arrives; respond() would throw.
    if (this.finished || this.stream.destroyed || this.stream.closed) return false;
    const frame = this.serialize(message);
    if (frame === null) return false;
    this.sendHeaders();
    return this.stream.write(frame);
  }

  /** Ends the call with `reply` (a unary answer, or none) and `st` (OK when absent). */
  finish(st: EtcdStatus | null, reply?: EtcdMessage): void {
    if (this.finished) return;
    let frame: Buffer | null = null;
    if (reply !== undefined) {
      frame = this.serialize(reply);
      if (frame === null) return;
    }
    this.finished = true;
    this.clearDeadline();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    const trailers = st === null || st.code === status.OK ? OK_TRAILERS : { 'grpc-status': String(st.code), 'grpc-message': encodeURI(st.message) };
    if (!this.headersSent && frame === null) {
      // Trailers-only: one HEADERS frame that ends the stream.
      stream.respond({ ...RESPONSE_HEADERS, ...trailers }, END_STREAM);
    } else {
      this.sendHeaders();
      stream.once('wantTrailers', () => stream.sendTrailers(trailers));
      if (frame === null) stream.end();
      else stream.end(frame);
    }
    // The client may still be sending (a stream ended by the server): read and drop the rest,
    // so flow control never holds the connection.
    stream.resume();
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, WANT_TRAILERS);
  }

  /** The framed message, or null after ending the call with INTERNAL (a handler built a bad message). */
  private serialize(message: EtcdMessage): Buffer | null {
    try {
      return grpcFrame(this.method.responseSerialize(message));
    } catch {
      this.finishUnheard({ code: status.INTERNAL, message: 'Error serializing response' });
      return null;
    }
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    const messages = this.decoder.push(chunk);
    if (!Array.isArray(messages)) {
      if (messages.kind === 'compressed') return this.finishUnheard({ code: status.UNIMPLEMENTED, message: 'compressed request messages are not supported (grpc-accept-encoding: identity)' });
      return this.finishUnheard({ code: status.RESOURCE_EXHAUSTED, message: `Received message larger than max (${messages.messageBytes} vs. ${this.messageBytesMax})` });
    }
    for (const bytes of messages) {
      let req: EtcdMessage;
      try {
        req = this.method.requestDeserialize(bytes);
      } catch {
        return this.finishUnheard({ code: status.INTERNAL, message: 'Error deserializing request' });
      }
      this.listener.message(req);
      if (this.finished) return;
    }
  }

  /** Ends the call on the transport's own refusal; the listener hears `cancel` (its work is void). */
  private finishUnheard(st: EtcdStatus): void {
    if (this.finished) return;
    this.finish(st);
    this.listener.cancel();
  }

  private onClose(): void {
    this.clearDeadline();
    if (this.finished) return;
    this.finished = true;
    this.listener.cancel();
  }

  private startDeadline(header: string): void {
    const m = /^(\d{1,8})([HMSmun])$/.exec(header);
    if (m === null) {
      // grpc-js's answer to a timeout it cannot read; after the route's start set a listener.
      process.nextTick(() => this.finishUnheard({ code: status.INTERNAL, message: `Invalid grpc-timeout value "${header}"` }));
      return;
    }
    const ms = Number(m[1]) * (TIMEOUT_UNIT_MS[m[2] as string] as number);
    if (ms >= TIMER_MS_MAX) return;
    this.deadlineTimer = setTimeout(() => this.finishUnheard({ code: status.DEADLINE_EXCEEDED, message: 'Deadline exceeded' }), Math.ceil(ms));
  }

  private clearDeadline(): void {
    if (this.deadlineTimer === null) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
  }
}

export class GrpcServer {
  private readonly server: Http2Server | Http2SecureServer;
  private readonly sessions = new Set<Http2Session>();
  private readonly peers = new WeakMap<Http2Session, Peer>();

  constructor(private readonly opts: GrpcServerOptions) {
    const common = {
      settings: { maxConcurrentStreams: opts.streamsPerConnectionMax },
      // Node's per-session memory cap answers a busy connection with ENHANCE_YOUR_CALM and
      // kills every call on it (grpc-js turns it off for that reason); the bound here is the
      // stream count above and HTTP/2 flow control per stream.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
    };
    const tls = opts.tls;
    if (tls === null) {
      this.server = createServer(common);
    } else {
      const requestCert = tls.config.clientCertAuth;
      const secure: SecureServerOptions = { ...common, ...tls.pem, minVersion: TLS_MIN_VERSION, requestCert, rejectUnauthorized: requestCert, ALPNProtocols: ['h2'] };
      const server = createSecureServer(secure);
      tls.onChange((pem) => server.setSecureContext({ ...pem, minVersion: TLS_MIN_VERSION }));
      // A refused handshake is the client's problem; it must not reach 'error'.
      server.on('tlsClientError', () => undefined);
      server.on('secureConnection', (socket: TLSSocket) => socket.on('error', () => undefined));
      this.server = server;
    }
    this.server.on('session', (session: Http2Session) => this.onSession(session));
    this.server.on('sessionError', () => undefined);
    this.server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => this.onStream(stream, headers));
  }

  /** Binds host:port; rejects (EADDRINUSE...) instead of crashing. The bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        this.server.on('error', (err: Error) => this.opts.onListenError?.(err));
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** Stops listening and asks every connection to go (GOAWAY); after `graceMs`, cuts them. */
  close(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.sessions) s.destroy();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const s of this.sessions) s.close();
    });
  }

  private onSession(session: Http2Session): void {
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', () => undefined);
    const socket = session.socket as TLSSocket;
    const address = socket.remoteAddress === undefined ? 'unknown' : socket.remotePort === undefined ? socket.remoteAddress : `${socket.remoteAddress}:${socket.remotePort}`;
    let certUser: string | null = null;
    // Only a certificate the TLS layer verified against the CA names a user.
    if (typeof socket.getPeerCertificate === 'function' && socket.authorized) {
      const cn = socket.getPeerCertificate().subject?.CN;
      certUser = typeof cn === 'string' && cn !== '' ? cn : null;
    }
    this.peers.set(session, { address, certUser });
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    // Every stream error is followed by its 'close', where the call learns of it.
    stream.on('error', () => undefined);
    const contentType = headers[h2.HTTP2_HEADER_CONTENT_TYPE];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond({ [h2.HTTP2_HEADER_STATUS]: h2.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE }, END_STREAM);
      stream.resume();
      return;
    }
    const path = String(headers[h2.HTTP2_HEADER_PATH] ?? '');
    const route = this.opts.routes.get(path);
    if (route === undefined) {
      stream.respond({ ...RESPONSE_HEADERS, 'grpc-status': String(status.UNIMPLEMENTED), 'grpc-message': encodeURI(`The server does not implement the method ${path}`) }, END_STREAM);
      stream.resume();
      return;
    }
    const peer = this.peers.get(stream.session as Http2Session) ?? { address: 'unknown', certUser: null };
    route.start(new GrpcServerCall(stream, headers, route.method, peer, this.opts.messageBytesMax));
  }
}
