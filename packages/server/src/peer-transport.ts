// Peer transport: one WebSocket per pair of members (ws://peer/raft, or wss:// with peer TLS),
// msgpackr frames.
//
// Invariants:
// - Exactly one link per pair: the member with the smaller id dials, the other accepts. A new
//   accepted link from the same peer replaces the old one (the peer restarted).
// - Nothing but a hello passes before both sides checked cluster id and member id; a link
//   from another cluster or an unknown member is refused with a close reason and logged.
// - With peer TLS and --peer-client-cert-auth, the accepted hello's member must be the one its
//   certificate names, and a dialed member's certificate must name the member dialed
//   (peer-identity.ts); otherwise the link is refused and logged with the remote address.
// - Raft messages are never queued while a link is down or congested: they are dropped and
//   the core is told (reportUnreachable) so it probes again; Raft retries by itself.
// - Forwarded requests are answered or failed (Unavailable / Timeout) exactly once.
// - Snapshot chunks are written in order on one link with flow control on the socket buffer.
// - Raft messages, forwards and forward replies for a peer queued in one event-loop turn leave
//   as one message at the end of the turn (peer-outbox.ts): a batch frame to a peer whose
//   hello says acceptsBatch, else one frame each (raft messages merged). A batch's frames are
//   handled in order, as if each had come alone; anything else in a batch is dropped.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  KiteError,
  PEER_FRAME_BYTES_MAX,
  PEER_PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
  errorReply,
  isPlainObject,
  toWireError,
  type KiteErrorDetails,
  type PeerBatchable,
  type PeerFrame,
  type PeerSnapshotChunk,
  type Reply,
  type PeerCaller,
  type Request,
} from '@kite/protocol';
import { monotonicMs } from './clock.js';
import { Deadlines } from './deadlines.js';
import { Door } from './door.js';
import { RateLimitedWarn } from './log-rate-limit.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { certificateProblem, type ClaimedMember } from './peer-identity.js';
import { PeerOutbox } from './peer-outbox.js';
import { remoteAddress } from './remote-address.js';
import { TLS_MIN_VERSION, type TlsFiles } from './tls-files.js';

export type MemberIdString = string;

/** Bytes a link may hold in its socket buffer before raft frames are dropped. */
const LINK_BUFFERED_BYTES_MAX = 8 * 1024 * 1024;
/** Snapshot chunks wait while the socket buffer holds more than this. */
const SNAPSHOT_BUFFERED_BYTES_HIGH = 2 * 1024 * 1024;
const SNAPSHOT_DRAIN_POLL_MS = 5;
/** A snapshot stream that makes no progress for this long fails. */
const SNAPSHOT_STALL_MS_MAX = 30_000;
/** Forwarded requests awaiting replies, across all links. */
const FORWARDS_PENDING_MAX = 10_000;
const RECONNECT_BASE_MS = 50;
const RECONNECT_MS_MAX = 1_000;
const PING_INTERVAL_MS = 1_000;
/** A link that misses this many pings in a row is considered dead and torn down. */
const PING_MISSES_MAX = 3;
/** A ping's payload: its send time as a float64 (see encodePingStamp). */
const PING_STAMP_BYTES = 8;
/**
 * Ping intervals without a link from a peer that dials us before it is logged (once per
 * outage): a peer that is down, or of another cluster (--cluster-token) or configuration
 * (--initial-cluster), never dials us, and nothing else would say so.
 */
const SILENT_PEER_INTERVALS_WARN = 5;
const HELLO_TIMEOUT_MS = 5_000;
/** Refused links and dropped frames (anyone reaching the peer port can cause them): lines per window. */
const REFUSAL_LOG_LINES_MAX = 10;
const REFUSAL_LOG_WINDOW_MS = 10_000;

export const CLOSE_WRONG_CLUSTER = 4001;
export const CLOSE_UNKNOWN_MEMBER = 4002;
export const CLOSE_BAD_HELLO = 4003;
export const CLOSE_REPLACED = 4004;
export const CLOSE_SHUTDOWN = 4005;
export const CLOSE_WRONG_CERTIFICATE = 4006;

export interface PeerHandlers {
  /** A batch of raft messages from `from` (untrusted shapes: the host checks them). */
  onRaft(from: MemberIdString, messages: readonly unknown[]): void;
  /** A client request forwarded by a follower; the reply goes back verbatim with the applied index. */
  /** `caller`: the identity the forwarding member authenticated (untrusted shape: check it). */
  onForward(from: MemberIdString, request: Request, caller: unknown): Promise<ForwardOutcome>;
  /** A snapshot chunk (in order per link); `linkLost` tells the receiver to drop partials. */
  onSnapshotChunk(from: MemberIdString, chunk: PeerSnapshotChunk): Promise<void>;
  onLinkLost(peer: MemberIdString): void;
  /** Raft messages for `peer` were dropped unsent (too large, or the link went away): the core should probe again. */
  onRaftDropped(peer: MemberIdString): void;
  onLinkUp(peer: MemberIdString): void;
  /** Extra GET routes on the peer port (e.g. /members for joining members). */
  onHttp?(req: IncomingMessage, res: ServerResponse): boolean;
}

export interface PeerTransportOptions {
  readonly selfId: MemberIdString;
  readonly clusterId: string;
  readonly listenUrl: URL;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly handlers: PeerHandlers;
  /** Peer TLS (--peer-cert-file…); null: plaintext links, peers not authenticated. */
  readonly tls: PeerTls | null;
}

export interface PeerTls {
  readonly files: TlsFiles;
  /** The member an id names (its name and peer URL), to check certificates against. */
  member(id: MemberIdString): ClaimedMember | undefined;
}

/** A forwarded request's reply and the replying member's applied index then (0: unknown). */
export interface ForwardOutcome {
  readonly reply: Reply;
  readonly appliedIndex: number;
}

interface PendingForward {
  readonly peer: MemberIdString;
  readonly resolve: (r: ForwardOutcome) => void;
  /** Its bucket in forwardDeadlines (one timer for every forward, not one each). */
  readonly deadlineAt: number;
  readonly timeoutMs: number;
  readonly requestId: number;
}

interface PeerState {
  url: string;
  ws: WebSocket | null;
  /** True once both hellos were exchanged on `ws`. */
  ready: boolean;
  /** The peer's hello on `ws` said it handles batch frames. */
  acceptsBatch: boolean;
  dialTimer: NodeJS.Timeout | null;
  attempts: number;
  pingMisses: number;
  /** Ping intervals without a link, for a peer that dials us (SILENT_PEER_INTERVALS_WARN). */
  silentIntervals: number;
  /** The other end of `ws` for log lines: the host we dialed, or the address that dialed us. */
  remote: string;
  /** The last TLS failure dialing this peer, logged once until it changes. */
  lastTlsError: string;
}

export class PeerTransport {
  private readonly peers = new Map<MemberIdString, PeerState>();
  private readonly forwards = new Map<number, PendingForward>();
  private readonly forwardDeadlines = new Deadlines<number>(monotonicMs, (fwdId) => this.expireForward(fwdId));
  private readonly chunkChains = new Map<MemberIdString, Promise<void>>();
  private nextForwardId = 1;
  private nextSnapshotSeq = 1;
  private door: Door | null = null;
  private wss: WebSocketServer | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly log: Logger;
  private readonly refusedLog: RateLimitedWarn;
  private readonly droppedFrameLog: RateLimitedWarn;
  private readonly outbox: PeerOutbox;

  constructor(private readonly opts: PeerTransportOptions) {
    this.log = opts.logger.child({ component: 'peer' });
    const limits = { linesMax: REFUSAL_LOG_LINES_MAX, windowMs: REFUSAL_LOG_WINDOW_MS, nowMs: () => performance.now() };
    this.refusedLog = new RateLimitedWarn(this.log, 'peer link refused', limits);
    this.droppedFrameLog = new RateLimitedWarn(this.log, 'dropping peer frame', limits);
    this.outbox = new PeerOutbox({
      frameBytesMax: PEER_FRAME_BYTES_MAX,
      acceptsBatch: (peer) => this.peers.get(peer)?.acceptsBatch === true,
      write: (peer, bytes) => this.writeQueued(peer, bytes),
      dropped: (peer, frame, err) => this.onUnsendable(peer, frame, err),
    });
  }

  async start(): Promise<void> {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: PEER_FRAME_BYTES_MAX, perMessageDeflate: false });
    this.door = new Door(
      { name: 'peer', tls: this.opts.tls?.files ?? null, log: this.log },
      { request: (req, res) => this.onHttp(req, res), upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head) },
    );
    await this.door.listen(this.opts.listenUrl);
    this.warnIfUnauthenticated();
    this.pingTimer = setInterval(() => this.pingAll(), PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /** Replaces the set of peers (ids → peer URL); links to removed peers close. */
  setPeers(peers: ReadonlyMap<MemberIdString, string>): void {
    for (const [id, st] of this.peers) {
      if (!peers.has(id)) {
        // What this turn queued for it leaves first (step 6 before step 8 of the host's contract).
        this.outbox.flushPeer(id);
        this.peers.delete(id);
        if (st.dialTimer) clearTimeout(st.dialTimer);
        st.ws?.close(CLOSE_UNKNOWN_MEMBER, 'member removed');
      }
    }
    for (const [id, url] of peers) {
      if (id === this.opts.selfId) continue;
      const st = this.peers.get(id);
      if (st === undefined) {
        const fresh: PeerState = { url, ws: null, ready: false, acceptsBatch: false, dialTimer: null, attempts: 0, pingMisses: 0, silentIntervals: 0, remote: '?', lastTlsError: '' };
        this.peers.set(id, fresh);
        if (this.dialsTo(id)) this.dial(id, fresh);
      } else if (st.url !== url) {
        // A member update (etcd's MemberUpdate): the next dial goes to the new URL. A live link
        // stays up, as etcd's does: it is the member itself (its hello named it), and it closes
        // when the member restarts on its new URL; the back-off restarts so that dial is prompt.
        this.log.info({ peer: id, from: st.url, to: url }, 'peer URL changed');
        st.url = url;
        st.attempts = 0;
      }
    }
  }

  isConnected(peer: MemberIdString): boolean {
    return this.peers.get(peer)?.ready === true;
  }

  /**
   * Queues a batch of raft messages (they leave at the end of this turn, with everything else
   * for `to`); false when dropped (link down or congested).
   */
  /** Writes everything queued this turn now (before the caller blocks its loop on a write). */
  flushNow(): void {
    this.outbox.flush();
  }

  sendRaft(to: MemberIdString, messages: readonly unknown[]): boolean {
    const st = this.peers.get(to);
    if (!st?.ready || st.ws === null || st.ws.readyState !== WebSocket.OPEN || st.ws.bufferedAmount > LINK_BUFFERED_BYTES_MAX) {
      this.opts.metrics.peerDropped.inc({ peer: to });
      return false;
    }
    this.outbox.push(to, { type: 'raft', messages });
    return true;
  }

  /**
   * Forwards a client request to `to` (the leader) and waits for its reply. `abort` gives up
   * early (Unavailable, indeterminate: the leader may still apply it) with the signal's reason.
   */
  forward(to: MemberIdString, request: Request, caller: PeerCaller, timeoutMs: number, abort?: AbortSignal): Promise<ForwardOutcome> {
    return new Promise((resolve) => {
      const st = this.peers.get(to);
      const fail = (code: 'Unavailable' | 'Timeout', message: string, details: KiteErrorDetails = {}): void =>
        resolve({ reply: errorReply(request.id, toWireError(new KiteError(code, message, details))), appliedIndex: 0 });
      if (!st?.ready || st.ws === null || st.ws.readyState !== WebSocket.OPEN) return fail('Unavailable', `no link to leader ${to}`);
      if (this.forwards.size >= FORWARDS_PENDING_MAX) return fail('Unavailable', 'too many forwarded requests in flight');
      if (abort?.aborted === true) return fail('Unavailable', abortMessage(abort), abortDetails(abort));
      const fwdId = this.nextForwardId++;
      const onAbort = (): void => {
        const f = this.forwards.get(fwdId);
        if (f === undefined) return;
        this.dropForward(fwdId, f);
        fail('Unavailable', `${abortMessage(abort)} while leader ${to} had the request; outcome unknown`, { ...abortDetails(abort), indeterminate: true });
      };
      const settle = (outcome: ForwardOutcome): void => {
        abort?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      this.forwards.set(fwdId, { peer: to, resolve: settle, deadlineAt: this.forwardDeadlines.add(fwdId, timeoutMs), timeoutMs, requestId: request.id });
      abort?.addEventListener('abort', onAbort, { once: true });
      // Queued: if it cannot leave at the end of the turn, onUnsendable fails it (not sent).
      this.outbox.push(to, { type: 'forward', fwdId, request, caller: { user: caller.user, address: caller.address, via: caller.via, ...(caller.changedAt !== undefined ? { changedAt: caller.changedAt } : {}) } });
    });
  }

  /**
   * Streams a snapshot: `metadata` (the raft message to step once restored) rides on the first
   * chunk. Resolves when the last chunk left the socket buffer; rejects on link loss or stall.
   */
  async sendSnapshot(to: MemberIdString, metadata: unknown, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const st = this.peers.get(to);
    const ws = st?.ws;
    if (!st?.ready || !ws) throw new KiteError('Unavailable', `no link to ${to}`);
    const snapshotId = `${this.opts.selfId}-${this.nextSnapshotSeq++}`;
    let seq = 0;
    let pending: Uint8Array | null = null;
    const emit = async (data: Uint8Array, last: boolean): Promise<void> => {
      await this.waitForDrain(ws, SNAPSHOT_BUFFERED_BYTES_HIGH);
      const frame: PeerSnapshotChunk = seq === 0 ? { type: 'snapshotChunk', snapshotId, seq, metadata, data, last } : { type: 'snapshotChunk', snapshotId, seq, data, last };
      seq++;
      if (!this.sendFrame(ws, frame, to)) throw new KiteError('Unavailable', `link to ${to} lost during snapshot`);
    };
    // One chunk of look-ahead so the final chunk carries last: true.
    for await (const chunk of chunks) {
      if (pending !== null) await emit(pending, false);
      pending = chunk;
    }
    await emit(pending ?? new Uint8Array(0), true);
    await this.waitForDrain(ws, 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const [fwdId, f] of this.forwards) {
      this.dropForward(fwdId, f);
      f.resolve({ reply: errorReply(f.requestId, { code: 'Unavailable', message: 'member is stopping' }), appliedIndex: 0 });
    }
    for (const [id, st] of this.peers) {
      this.outbox.discard(id);
      if (st.dialTimer) clearTimeout(st.dialTimer);
      st.ws?.close(CLOSE_SHUTDOWN, 'member stopping');
    }
    for (const client of this.wss?.clients ?? []) client.terminate();
    this.wss?.close();
    await this.door?.close();
  }

  /** Peers that cannot be authenticated are a start-time warning, not a silent default. */
  private warnIfUnauthenticated(): void {
    const tls = this.opts.tls;
    const host = this.opts.listenUrl.hostname.replace(/^\[|\]$/g, '');
    const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
    if (tls === null && !loopback) {
      this.log.warn(
        { listenPeer: this.opts.listenUrl.href },
        'peer port listens on a non-loopback address without TLS: anyone who reaches it can act as a member; ' +
          'set --peer-cert-file, --peer-key-file, --peer-trusted-ca-file and --peer-client-cert-auth',
      );
    } else if (tls !== null && !tls.files.config.clientCertAuth) {
      this.log.warn('peer TLS without --peer-client-cert-auth: links are encrypted but a peer is not checked against the member it claims to be');
    }
  }

  /**
   * ws client options for dialing `id`: our certificate, and its certificate must name it.
   * Typed loosely on purpose: ws declares checkServerIdentity as returning a boolean, but hands
   * it to tls.connect, which wants Error | undefined.
   */
  private dialTls(id: MemberIdString): Record<string, unknown> {
    const tls = this.opts.tls;
    if (tls === null) return {};
    const { cert, key, ca } = tls.files.pem;
    return {
      cert,
      key,
      ...(ca === undefined ? {} : { ca }),
      minVersion: TLS_MIN_VERSION,
      // Replaces the URL hostname check: the member's identity is what matters on this link.
      checkServerIdentity: (_host: string, peerCert: PeerCertificate): Error | undefined => {
        const member = tls.member(id);
        const problem = member === undefined ? `member ${id} unknown` : certificateProblem(peerCert, member);
        return problem === null ? undefined : new Error(`peer ${id} presented the wrong certificate: ${problem}`);
      },
    };
  }

  /** With peer client-cert auth, the problem with `claimed`'s certificate (null: it is theirs). */
  private identityProblem(claimed: MemberIdString, cert: PeerCertificate | null): string | null {
    const tls = this.opts.tls;
    if (tls === null || !tls.files.config.clientCertAuth) return null;
    const member = tls.member(claimed);
    return member === undefined ? `member ${claimed} unknown` : certificateProblem(cert, member);
  }

  // ---- links

  private dialsTo(peer: MemberIdString): boolean {
    return this.opts.selfId < peer;
  }

  private dial(id: MemberIdString, st: PeerState): void {
    if (this.closed || this.peers.get(id) !== st) return;
    st.dialTimer = null;
    const url = `${st.url.replace(/^http/, 'ws')}/raft`;
    // A zero mask: ws then neither masks (an XOR over every byte sent) nor unmasks. Masking
    // guards caching proxies against scripts in browsers; a link between members has neither.
    const ws = new WebSocket(url, { maxPayload: PEER_FRAME_BYTES_MAX, perMessageDeflate: false, handshakeTimeout: HELLO_TIMEOUT_MS, generateMask: zeroMask, ...this.dialTls(id) });
    const remote = new URL(url).host;
    st.ws = ws;
    st.ready = false;
    st.remote = remote;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => this.sendFrame(ws, this.hello(), id));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (st.ws !== ws) return;
      this.opts.metrics.addPeerReceivedBytes(id, rawBytes(data));
      if (!st.ready) return this.onDialerHello(id, st, ws, data, isBinary);
      this.onFrame(id, ws, data, isBinary);
    });
    ws.on('pong', (data) => this.onPong(id, st, ws, data));
    ws.on('error', (err) => {
      // A certificate problem does not heal by retrying: say so once (per distinct problem).
      const tlsError = this.opts.tls !== null && /certificate|CERT_|alert|self.signed|issuer|server response: 401/i.test(`${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`);
      if (tlsError && st.lastTlsError !== err.message) this.log.warn({ peer: id, remote, url, err: err.message }, 'peer link refused: TLS');
      else this.log.debug({ peer: id, remote, err: err.message }, 'peer link error');
      if (tlsError) st.lastTlsError = err.message;
    });
    ws.on('close', (code, reason) => this.onClosed(id, st, ws, code, reason.toString()));
  }

  private onDialerHello(id: MemberIdString, st: PeerState, ws: WebSocket, data: RawData, isBinary: boolean): void {
    const hello = this.decode(data, isBinary);
    const problem = this.checkHello(hello, id);
    if (problem !== null) {
      this.log.warn({ peer: id, remote: st.remote, problem: problem.reason }, 'peer refused: bad hello');
      ws.close(problem.code, problem.reason);
      return;
    }
    st.acceptsBatch = acceptsBatch(hello);
    this.markUp(id, st);
  }

  private scheduleDial(id: MemberIdString, st: PeerState): void {
    if (this.closed || this.peers.get(id) !== st || st.dialTimer !== null) return;
    // Exponential back-off with full jitter, capped, reset on a successful hello.
    const capMs = Math.min(RECONNECT_MS_MAX, RECONNECT_BASE_MS * 2 ** Math.min(st.attempts, 10));
    st.attempts++;
    st.dialTimer = setTimeout(() => this.dial(id, st), Math.floor(Math.random() * capMs) + 10);
    st.dialTimer.unref();
  }

  private onClosed(id: MemberIdString, st: PeerState, ws: WebSocket, code: number, reason: string): void {
    if (st.ws !== ws) return;
    const wasReady = st.ready;
    st.ws = null;
    st.ready = false;
    st.acceptsBatch = false;
    this.outbox.discard(id);
    if (wasReady) {
      this.log.info({ peer: id, remote: st.remote, code, reason }, 'peer link down');
      this.failForwards(id);
      this.opts.handlers.onLinkLost(id);
    }
    if (code === CLOSE_WRONG_CLUSTER || code === CLOSE_UNKNOWN_MEMBER || code === CLOSE_WRONG_CERTIFICATE) {
      this.log.warn({ peer: id, remote: st.remote, code, reason }, 'peer refused our link');
    }
    if (this.dialsTo(id)) this.scheduleDial(id, st);
  }

  private markUp(id: MemberIdString, st: PeerState): void {
    st.ready = true;
    st.attempts = 0;
    st.pingMisses = 0;
    st.silentIntervals = 0;
    st.lastTlsError = '';
    this.log.info({ peer: id, remote: st.remote }, 'peer link up');
    this.opts.handlers.onLinkUp(id);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/raft' || this.wss === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const cert = this.opts.tls === null ? null : (req.socket as TLSSocket).getPeerCertificate();
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onAccepted(ws, remoteAddress(req), cert));
  }

  /** An incoming link: the first frame must be a valid hello from a known member. */
  private onAccepted(ws: WebSocket, remote: string, cert: PeerCertificate | null): void {
    ws.binaryType = 'nodebuffer';
    let peerId: MemberIdString | null = null;
    const helloTimer = setTimeout(() => ws.close(CLOSE_BAD_HELLO, 'no hello'), HELLO_TIMEOUT_MS);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (peerId !== null) {
        const st = this.peers.get(peerId);
        if (st?.ws === ws) {
          this.opts.metrics.addPeerReceivedBytes(peerId, rawBytes(data));
          this.onFrame(peerId, ws, data, isBinary);
        }
        return;
      }
      clearTimeout(helloTimer);
      const hello = this.decode(data, isBinary);
      const claimed = isPlainObject(hello) && typeof hello['memberId'] === 'string' ? hello['memberId'] : null;
      const problem = this.checkHello(hello, claimed);
      if (problem !== null || claimed === null) {
        this.refusedLog.warn(this.log, { remote, claimed, problem: problem?.reason });
        ws.close(problem?.code ?? CLOSE_BAD_HELLO, problem?.reason ?? 'bad hello');
        return;
      }
      const st = this.peers.get(claimed);
      if (st === undefined || this.dialsTo(claimed)) {
        this.refusedLog.warn(this.log, { remote, claimed, problem: 'not a member that dials us' });
        ws.close(CLOSE_UNKNOWN_MEMBER, 'unknown member');
        return;
      }
      const wrongCert = this.identityProblem(claimed, cert);
      if (wrongCert !== null) {
        this.log.warn({ remote, claimed, problem: wrongCert }, 'peer link refused: its certificate is not the member it claims to be');
        ws.close(CLOSE_WRONG_CERTIFICATE, `certificate does not match member ${claimed}`.slice(0, 120));
        return;
      }
      peerId = claimed;
      const previous = st.ws;
      st.ws = ws;
      st.ready = false;
      st.acceptsBatch = acceptsBatch(hello);
      st.remote = remote;
      if (previous !== null) {
        // Frames queued for the old link belong to it: its forwards are failed just below.
        this.outbox.discard(claimed);
        previous.close(CLOSE_REPLACED, 'replaced by a newer link');
        this.failForwards(claimed);
        this.opts.handlers.onLinkLost(claimed);
      }
      this.sendFrame(ws, this.hello(), claimed);
      this.markUp(claimed, st);
    });
    ws.on('pong', (data) => {
      const st = peerId === null ? undefined : this.peers.get(peerId);
      if (peerId !== null && st !== undefined) this.onPong(peerId, st, ws, data);
    });
    ws.on('error', (err) => this.log.debug({ remote, err: err.message }, 'peer link error'));
    ws.on('close', (code, reason) => {
      clearTimeout(helloTimer);
      if (peerId === null) return;
      const st = this.peers.get(peerId);
      if (st !== undefined) this.onClosed(peerId, st, ws, code, reason.toString());
    });
  }

  private hello(): PeerFrame {
    return { type: 'hello', clusterId: this.opts.clusterId, memberId: this.opts.selfId, version: PEER_PROTOCOL_VERSION, acceptsBatch: true };
  }

  private checkHello(hello: unknown, expected: MemberIdString | null): { code: number; reason: string } | null {
    if (!isPlainObject(hello) || hello['type'] !== 'hello') return { code: CLOSE_BAD_HELLO, reason: 'expected a hello' };
    if (hello['version'] !== PEER_PROTOCOL_VERSION) return { code: CLOSE_BAD_HELLO, reason: `unsupported peer protocol ${String(hello['version'])}` };
    if (hello['clusterId'] !== this.opts.clusterId) {
      return { code: CLOSE_WRONG_CLUSTER, reason: `WrongCluster: expected ${this.opts.clusterId}, got ${String(hello['clusterId']).slice(0, 40)}` };
    }
    const member = hello['memberId'];
    if (typeof member !== 'string' || (expected !== null && member !== expected) || !this.peers.has(member)) {
      return { code: CLOSE_UNKNOWN_MEMBER, reason: `unknown member ${String(member).slice(0, 40)}` };
    }
    return null;
  }

  private decode(data: RawData, isBinary: boolean): unknown {
    if (!isBinary || !(data instanceof Uint8Array)) return undefined;
    try {
      return decodeFrame(data, PEER_FRAME_BYTES_MAX);
    } catch {
      return undefined;
    }
  }

  private onFrame(peer: MemberIdString, ws: WebSocket, data: RawData, isBinary: boolean): void {
    const frame = this.decode(data, isBinary);
    if (!isPlainObject(frame)) {
      this.droppedFrameLog.warn(this.log, { peer, remote: this.peers.get(peer)?.remote, problem: 'undecodable' });
      return;
    }
    if (frame['type'] !== 'batch') return this.onOneFrame(peer, ws, frame);
    const frames = frame['frames'];
    if (!Array.isArray(frames)) {
      this.droppedFrameLog.warn(this.log, { peer, remote: this.peers.get(peer)?.remote, problem: 'batch without frames' });
      return;
    }
    for (const inner of frames) {
      if (isPlainObject(inner) && BATCHABLE_TYPES.has(inner['type'])) this.onOneFrame(peer, ws, inner);
      else this.droppedFrameLog.warn(this.log, { peer, remote: this.peers.get(peer)?.remote, problem: 'not allowed in a batch', type: String(isPlainObject(inner) ? inner['type'] : typeof inner).slice(0, 40) });
    }
  }

  private onOneFrame(peer: MemberIdString, ws: WebSocket, frame: Record<string, unknown>): void {
    switch (frame['type']) {
      case 'raft':
        if (Array.isArray(frame['messages'])) this.opts.handlers.onRaft(peer, frame['messages'] as unknown[]);
        return;
      case 'forward': {
        const fwdId = frame['fwdId'];
        const request = frame['request'];
        if (typeof fwdId !== 'number' || !isPlainObject(request)) return;
        void this.opts.handlers
          .onForward(peer, request as unknown as Request, frame['caller'])
          .catch((err: unknown): ForwardOutcome => ({ reply: errorReply(typeof request['id'] === 'number' ? request['id'] : 0, toWireError(err)), appliedIndex: 0 }))
          .then(({ reply, appliedIndex }) => {
            // Only on the link the forward came by: a newer link's peer has failed it already.
            if (ws.readyState === WebSocket.OPEN && this.peers.get(peer)?.ws === ws) this.outbox.push(peer, { type: 'forwardReply', fwdId, reply, appliedIndex });
          });
        return;
      }
      case 'forwardReply': {
        const fwdId = frame['fwdId'];
        const f = typeof fwdId === 'number' ? this.forwards.get(fwdId) : undefined;
        if (f === undefined || f.peer !== peer || !isPlainObject(frame['reply'])) return;
        this.dropForward(fwdId as number, f);
        const applied = frame['appliedIndex'];
        f.resolve({ reply: frame['reply'] as unknown as Reply, appliedIndex: typeof applied === 'number' && Number.isSafeInteger(applied) && applied > 0 ? applied : 0 });
        return;
      }
      case 'snapshotChunk': {
        // Chunk handling is asynchronous (file writes): chain it per peer to keep the order.
        const prev = this.chunkChains.get(peer) ?? Promise.resolve();
        const next = prev
          .then(() => this.opts.handlers.onSnapshotChunk(peer, frame as unknown as PeerSnapshotChunk))
          .catch((err: unknown) => this.log.warn({ peer, err: (err as Error).message }, 'snapshot chunk failed'));
        this.chunkChains.set(peer, next);
        void next.then(() => {
          if (this.chunkChains.get(peer) === next) this.chunkChains.delete(peer);
        });
        return;
      }
      default:
        this.droppedFrameLog.warn(this.log, { peer, remote: this.peers.get(peer)?.remote, problem: 'unknown type', type: String(frame['type']).slice(0, 40) });
    }
  }

  private sendFrame(ws: WebSocket, frame: PeerFrame, peer: MemberIdString): boolean {
    if (ws.readyState !== WebSocket.OPEN) return false;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(frame, PEER_FRAME_BYTES_MAX);
    } catch (err) {
      this.log.error({ peer, err: (err as Error).message, type: frame.type }, 'peer frame too large, dropped');
      this.opts.metrics.peerDropped.inc({ peer });
      return false;
    }
    ws.send(bytes, { binary: true });
    this.opts.metrics.addPeerSentBytes(peer, bytes.byteLength);
    return true;
  }

  /** Writes one message the outbox encoded; false when `peer` has no open link now. */
  private writeQueued(peer: MemberIdString, bytes: Uint8Array): boolean {
    const ws = this.peers.get(peer)?.ws;
    if (ws === null || ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(bytes, { binary: true });
    this.opts.metrics.addPeerSentBytes(peer, bytes.byteLength);
    return true;
  }

  /**
   * A queued frame was not sent (too large to encode, or its link went away within the turn):
   * its sender learns it as a failed send would have told it.
   */
  private onUnsendable(peer: MemberIdString, frame: PeerBatchable, err: Error): void {
    const linkGone = err instanceof KiteError && err.code === 'Unavailable';
    if (linkGone) this.log.debug({ peer, type: frame.type }, 'peer link gone, frame dropped');
    else this.log.error({ peer, err: err.message, type: frame.type }, 'peer frame too large, dropped');
    this.opts.metrics.peerDropped.inc({ peer });
    if (frame.type === 'raft') {
      this.opts.handlers.onRaftDropped(peer);
    } else if (frame.type === 'forward') {
      const f = this.forwards.get(frame.fwdId);
      if (f === undefined) return;
      this.dropForward(frame.fwdId, f);
      f.resolve({ reply: errorReply(f.requestId, toWireError(new KiteError('Unavailable', `cannot send to leader ${peer}: ${err.message}`))), appliedIndex: 0 });
    }
    // A forward reply: the forwarding member fails or times out its request, as before batching.
  }

  /** Forgets a forward (answered, failed or given up) and its deadline. */
  private dropForward(fwdId: number, f: PendingForward): void {
    this.forwards.delete(fwdId);
    this.forwardDeadlines.delete(fwdId, f.deadlineAt);
  }

  /** The leader did not answer a forward within its timeout. */
  private expireForward(fwdId: number): void {
    const f = this.forwards.get(fwdId);
    if (f === undefined) return;
    this.forwards.delete(fwdId);
    f.resolve({ reply: errorReply(f.requestId, toWireError(new KiteError('Timeout', `leader ${f.peer} did not answer within ${f.timeoutMs} ms`))), appliedIndex: 0 });
  }

  private async waitForDrain(ws: WebSocket, highBytes: number): Promise<void> {
    let waitedMs = 0;
    while (ws.bufferedAmount > highBytes) {
      if (ws.readyState !== WebSocket.OPEN) throw new KiteError('Unavailable', 'peer link closed');
      if (waitedMs > SNAPSHOT_STALL_MS_MAX) throw new KiteError('Timeout', 'peer link stalled');
      await new Promise((r) => setTimeout(r, SNAPSHOT_DRAIN_POLL_MS));
      waitedMs += SNAPSHOT_DRAIN_POLL_MS;
    }
    if (ws.readyState !== WebSocket.OPEN) throw new KiteError('Unavailable', 'peer link closed');
  }

  private failForwards(peer: MemberIdString): void {
    for (const [fwdId, f] of this.forwards) {
      if (f.peer !== peer) continue;
      this.dropForward(fwdId, f);
      f.resolve({ reply: errorReply(f.requestId, { code: 'Unavailable', message: `link to leader ${peer} lost`, indeterminate: true }), appliedIndex: 0 });
    }
  }

  private pingAll(): void {
    for (const [id, st] of this.peers) {
      if (!st.ready || st.ws === null) {
        if (!this.dialsTo(id) && ++st.silentIntervals === SILENT_PEER_INTERVALS_WARN) {
          this.log.warn(
            { peer: id, url: st.url, waitedMs: SILENT_PEER_INTERVALS_WARN * PING_INTERVAL_MS },
            'no link from peer (it dials us): it is down, or its --initial-cluster or --cluster-token differ from ours',
          );
        }
        continue;
      }
      if (st.pingMisses >= PING_MISSES_MAX) {
        this.log.warn({ peer: id, remote: st.remote }, 'peer link silent, tearing it down');
        st.ws.terminate();
        continue;
      }
      st.pingMisses++;
      st.ws.ping(encodePingStamp(performance.now()));
    }
  }

  /** A pong on the current link: the link is alive, and its ping's stamp gives the round trip. */
  private onPong(peer: MemberIdString, st: PeerState, ws: WebSocket, data: Buffer): void {
    if (st.ws !== ws) return;
    st.pingMisses = 0;
    const sentMs = decodePingStamp(data);
    if (sentMs !== null) this.opts.metrics.peerRoundTrip.observe({ To: peer }, Math.max(0, performance.now() - sentMs) / 1000);
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    if (this.opts.handlers.onHttp?.(req, res) === true) return;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
}

/**
 * A ping carries its send time (this process's monotonic clock, 8 bytes) and the pong echoes
 * it, so the round trip needs no per-link state and any number of pings may be in flight.
 */
function encodePingStamp(nowMs: number): Buffer {
  const buf = Buffer.alloc(PING_STAMP_BYTES);
  buf.writeDoubleBE(nowMs);
  return buf;
}

/** The stamp of one of our pings; null for anything else (an empty or foreign pong). */
function decodePingStamp(data: Buffer): number | null {
  if (data.byteLength !== PING_STAMP_BYTES) return null;
  const ms = data.readDoubleBE(0);
  return Number.isFinite(ms) ? ms : null;
}

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/** Frame types a batch may carry (never a hello, a snapshot chunk or another batch). */
const BATCHABLE_TYPES: ReadonlySet<unknown> = new Set<PeerBatchable['type']>(['raft', 'forward', 'forwardReply']);

/** Whether a hello (already checked) says its sender handles batch frames. */
function acceptsBatch(hello: unknown): boolean {
  return isPlainObject(hello) && hello['acceptsBatch'] === true;
}

/** Bytes of a received frame, whatever shape ws handed it in. */
function rawBytes(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, b) => sum + b.byteLength, 0);
  return data.byteLength;
}

function abortMessage(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason.message : 'forward aborted';
}

/** The abort reason's details (e.g. `leader: null`), so the client learns why. */
function abortDetails(signal: AbortSignal | undefined): KiteErrorDetails {
  const reason: unknown = signal?.reason;
  return reason instanceof KiteError ? reason.details : {};
}
