// One client WebSocket link (/v1): decodes request frames, validates them, hands them to the
// member (ClientBackend), and owns the link's watches (pushing hub responses as frames).
//
// Invariants:
// - Every decodable request with an id gets exactly one reply (ok or a typed error); a frame
//   whose id cannot be read closes the link with a reason (1007/1009). Nothing a client sends
//   throws out of this class: the member keeps serving every other link.
// - Watch pushes of one watch leave in hub order; a link whose socket buffer is over its bound
//   stops taking from the hub, which buffers (bounded) and then moves the watcher to catch-up.
// - At most maxWatchesPerConnection watches and INFLIGHT_REQUESTS_PER_CONNECTION_MAX requests per link.
// - Reply bytes in flight on the link (charged by reads while they build their replies, until
//   the reply is handed to the socket, plus what the socket still buffers) stay within
//   maxConnectionResponseBytes: a read that would pass it stops with Unavailable.
// - Idle means no frame in either direction: a request, a reply or a watch push (events or
//   progress) all count. SDK clients ping when they heard nothing for 2 s, so only a dead
//   peer or a raw client that neither sends nor watches anything goes idle.

import type { WebSocket, RawData } from 'ws';
import {
  KiteError,
  INFLIGHT_REQUESTS_PER_CONNECTION_MAX,
  REPLY_BYTES_MAX,
  decodeFrame,
  encodeFrame,
  errorReply,
  isErrorCode,
  isPlainObject,
  okReply,
  parseRequest,
  toWireError,
  type Reply,
  type KiteErrorDetails,
  type Request,
  type ResponseHeader,
  type WatchCreateArgs,
  type WatchPush,
  validateRequest,
} from '@kite/protocol';
import type { ReadCharge } from '@kite/kvstore';
import { AuthSession } from './auth/session.js';
import { fragmentPush } from './watch-fragments.js';
import type { RateLimitedWarn } from './log-rate-limit.js';
import type { Logger } from './logger.js';

/** What the link needs from its watcher (the kvstore watch hub's Watcher). */
export interface LinkWatcher {
  onReadable(listener: (() => void) | undefined): void;
  poll(max?: number): readonly LinkWatchResponse[];
  requestProgress(): void;
  cancel(): void;
}

export type LinkWatchResponse =
  | { readonly kind: 'events'; readonly revision: number; readonly events: readonly unknown[] }
  | { readonly kind: 'progress'; readonly revision: number }
  | { readonly kind: 'canceled'; readonly revision: number; readonly compactRevision?: number; readonly cancelReason: string };

export interface ClientBackend {
  header(revision?: number): ResponseHeader;
  /**
   * Serves every op except the watch ops; never rejects (errors are error replies). Reads
   * charge `charge` (the link's reply budget) as they build their reply.
   */
  serve(req: Request, session: AuthSession, charge?: ReadCharge): Promise<Reply>;
  /** Creates a hub watcher for the session's caller; throws KiteError-like errors (TooManyWatches, PermissionDenied...). */
  watch(args: WatchCreateArgs, session: AuthSession): LinkWatcher;
  onWatchCountChange(delta: number): void;
  onErrorReply(code: string): void;
  /** A backup of this member's store, as the bytes of a `kite snapshot save` file; authorized for the session's caller. */
  openSnapshot(req: Request<'snapshot'>, session: AuthSession): SnapshotStream;
}

export interface SnapshotStream {
  readonly chunks: AsyncGenerator<Uint8Array>;
  /** Releases the store snapshot when the stream is abandoned before its end. */
  cancel(): void;
}

/** Snapshot sessions at once per link: one backup at a time per connection. */
export const SNAPSHOT_SESSIONS_PER_CONNECTION_MAX = 1;
/**
 * A session whose client asked for no chunk this long is dropped at the next idle sweep: it
 * pins a store snapshot (old LevelDB files), and pings alone keep its link open.
 */
export const SNAPSHOT_SESSION_IDLE_MS = 60_000;

export interface ClientLinkLimits {
  readonly maxRequestBytes: number;
  readonly maxWatchesPerConnection: number;
  readonly maxTxnOps: number;
  readonly maxConnectionResponseBytes: number;
}

/** Frames up to this size are decoded just to address a RequestTooLarge reply. */
export const hardFrameBytes = (limits: ClientLinkLimits): number => limits.maxRequestBytes * 2 + 64 * 1024;
/** Watch responses taken from the hub per pump turn, so one watch cannot hog the loop. */
const PUMP_RESPONSES_MAX = 64;
/** The link stops taking watch responses while its socket buffer holds more than this. */
const SOCKET_BUFFERED_BYTES_HIGH = 4 * 1024 * 1024;
const PUMP_RETRY_MS = 10;

export const CLOSE_MALFORMED = 1007;
export const CLOSE_TOO_BIG = 1009;
/** Closed by the server after the idle timeout (1001: going away; the client may reconnect). */
export const CLOSE_IDLE = 1001;

/** A decoded frame's request id when it has a valid one, so an error reply can be addressed. */
function frameRequestId(value: unknown): number | undefined {
  const id = isPlainObject(value) ? value['id'] : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

interface SnapshotSession {
  readonly stream: SnapshotStream;
  /** Monotonic time of the last chunk request. */
  lastRequestMs: number;
  /** A chunk request is being served: the next must wait for its reply. */
  busy: boolean;
}

interface LinkWatch {
  readonly watchId: number;
  readonly watcher: LinkWatcher;
  /** The watch asked for `fragment`: a push over maxRequestBytes leaves in pieces (watch-fragments.ts). */
  readonly fragment: boolean;
}

export class ClientLink {
  private readonly watches = new Map<number, LinkWatch>();
  private readonly snapshots = new Map<number, SnapshotSession>();
  private nextSnapshotId = 1;
  private inflight = 0;
  private closed = false;
  private pumpScheduled = false;
  private corked = false;
  private readonly readyWatches = new Set<number>();
  /** Reply bytes charged by reads in flight and not yet handed to the socket. */
  private replyBytesInFlight = 0;
  /** Monotonic time of the last frame in either direction. */
  private lastActivityMs: number;

  constructor(
    private readonly ws: WebSocket,
    private readonly backend: ClientBackend,
    private readonly limits: ClientLinkLimits,
    /** The link's logger: its lines carry the remote address (see ClientServer). */
    private readonly log: Logger,
    /** "closing client link" lines, rate-limited across all links (a client may flood them). */
    private readonly closingLog: RateLimitedWarn,
    /** Monotonic milliseconds (injected by tests). */
    private readonly clock: () => number = () => performance.now(),
    /** Who is on the link: its address and certificate, then the user it logged in as. */
    private readonly session: AuthSession = new AuthSession('unknown', 'ws'),
  ) {
    this.lastActivityMs = clock();
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'client link error'));
  }

  get watchCount(): number {
    return this.watches.size;
  }

  /**
   * Closes the link when no frame went either way for `idleTimeoutMs`; true when it did. A
   * request still being served keeps the link busy (its reply is activity to come).
   */
  closeIfIdle(idleTimeoutMs: number): boolean {
    const now = this.clock();
    for (const [id, session] of this.snapshots) {
      if (!session.busy && now - session.lastRequestMs >= SNAPSHOT_SESSION_IDLE_MS) this.dropSnapshot(id);
    }
    if (this.closed || this.inflight > 0 || this.clock() - this.lastActivityMs < idleTimeoutMs) return false;
    this.closeWith(CLOSE_IDLE, `idle for ${idleTimeoutMs} ms (no frame either way)`);
    return true;
  }

  /** Closes the link (member stopping): watches are canceled, no more replies. */
  shutdown(reason: string): void {
    this.ws.close(1001, reason);
    this.onClose();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    this.lastActivityMs = this.clock();
    if (!isBinary || !(data instanceof Uint8Array)) {
      this.closeWith(CLOSE_MALFORMED, 'MalformedFrame: text frames are not accepted');
      return;
    }
    if (data.byteLength > this.limits.maxRequestBytes) {
      this.refuseOversized(data);
      return;
    }
    let value: unknown;
    try {
      value = decodeFrame(data, this.limits.maxRequestBytes);
    } catch (err) {
      this.closeWith(CLOSE_MALFORMED, `MalformedFrame: ${(err as Error).message}`);
      return;
    }
    let req: Request;
    try {
      req = parseRequest(value);
    } catch (err) {
      const id = frameRequestId(value);
      if (id !== undefined) this.replyError(id, err);
      else this.closeWith(CLOSE_MALFORMED, `MalformedFrame: ${(err as Error).message}`);
      return;
    }
    this.dispatch(req);
  }

  private refuseOversized(data: Uint8Array): void {
    const err = new KiteError('RequestTooLarge', `frame of ${data.byteLength} bytes exceeds the limit of ${this.limits.maxRequestBytes}`, {
      limitBytes: this.limits.maxRequestBytes,
      actualBytes: data.byteLength,
    });
    let id: number | undefined;
    try {
      id = frameRequestId(decodeFrame(data, hardFrameBytes(this.limits)));
    } catch {
      id = undefined;
    }
    if (id !== undefined) this.replyError(id, err);
    else this.closeWith(CLOSE_TOO_BIG, `RequestTooLarge: ${err.message}`);
  }

  private dispatch(req: Request): void {
    try {
      validateRequest(req, this.limits);
    } catch (err) {
      this.replyError(req.id, err);
      return;
    }
    switch (req.op) {
      case 'watchCreate':
        return this.watchCreate(req);
      case 'watchCancel': {
        const w = this.watches.get(req.watchId);
        if (w === undefined) return this.replyError(req.id, new KiteError('InvalidArgument', `no watch ${req.watchId} on this link`));
        this.dropWatch(w);
        return this.send(okReply(req.id, this.backend.header(), {}));
      }
      case 'watchProgress': {
        if (req.watchId !== undefined) {
          const w = this.watches.get(req.watchId);
          if (w === undefined) return this.replyError(req.id, new KiteError('InvalidArgument', `no watch ${req.watchId} on this link`));
          w.watcher.requestProgress();
        } else {
          for (const w of this.watches.values()) w.watcher.requestProgress();
        }
        return this.send(okReply(req.id, this.backend.header(), {}));
      }
      case 'ping':
        return this.send(okReply(req.id, this.backend.header(), {}));
      case 'snapshot':
        return void this.snapshotChunk(req).catch((err: unknown) => this.replyError(req.id, err));
      default:
        break;
    }
    if (this.inflight >= INFLIGHT_REQUESTS_PER_CONNECTION_MAX) {
      this.replyError(req.id, new KiteError('Unavailable', `too many requests in flight on this link (limit ${INFLIGHT_REQUESTS_PER_CONNECTION_MAX})`, { limit: INFLIGHT_REQUESTS_PER_CONNECTION_MAX }));
      return;
    }
    this.inflight++;
    const budget = this.replyBudget();
    this.backend
      .serve(req, this.session, budget.charge)
      .catch((err: unknown) => errorReply(req.id, toWireError(err)))
      .then((reply) => {
        this.inflight--;
        this.send(reply);
        budget.release();
      })
      .catch((err: unknown) => this.log.error({ err }, 'client reply failed'));
  }

  /**
   * One request's share of the link's reply budget: charged while its reply is built,
   * released once the reply went to the socket (whose buffer then counts instead).
   */
  private replyBudget(): { readonly charge: ReadCharge; release(): void } {
    let charged = 0;
    const limitBytes = this.limits.maxConnectionResponseBytes;
    return {
      charge: {
        charge: (bytes: number): void => {
          const inFlight = this.replyBytesInFlight + this.ws.bufferedAmount;
          if (inFlight + bytes > limitBytes) {
            throw new KiteError(
              'Unavailable',
              `this connection has ${inFlight} reply bytes in flight (limit ${limitBytes}); read the replies already sent, or page large reads, then retry`,
              { limitBytes, actualBytes: inFlight + bytes },
            );
          }
          this.replyBytesInFlight += bytes;
          charged += bytes;
        },
      },
      release: (): void => {
        this.replyBytesInFlight -= charged;
        charged = 0;
      },
    };
  }

  private watchCreate(req: Request<'watchCreate'>): void {
    if (this.watches.has(req.watchId)) {
      return this.replyError(req.id, new KiteError('DuplicateKey', `watch id ${req.watchId} is in use on this link`));
    }
    if (this.watches.size >= this.limits.maxWatchesPerConnection) {
      return this.replyError(
        req.id,
        new KiteError('TooManyWatches', `this link holds ${this.watches.size} watches (limit ${this.limits.maxWatchesPerConnection})`, { limit: this.limits.maxWatchesPerConnection }),
      );
    }
    let watcher: LinkWatcher;
    try {
      watcher = this.backend.watch(req, this.session);
    } catch (err) {
      return this.replyError(req.id, asKiteError(err));
    }
    const w: LinkWatch = { watchId: req.watchId, watcher, fragment: req.fragment === true };
    this.watches.set(req.watchId, w);
    this.backend.onWatchCountChange(1);
    // The ok reply goes first: pushes for this watch only follow it.
    this.send(okReply(req.id, this.backend.header(), {}));
    watcher.onReadable(() => this.markReady(w.watchId));
    this.markReady(w.watchId);
  }

  private markReady(watchId: number): void {
    this.readyWatches.add(watchId);
    this.schedulePump(0);
  }

  private schedulePump(delayMs: number): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    const run = (): void => {
      this.pumpScheduled = false;
      this.pump();
    };
    if (delayMs === 0) setImmediate(run);
    else setTimeout(run, delayMs);
  }

  /** Moves hub responses to the socket while its buffer has room. */
  private pump(): void {
    for (const watchId of [...this.readyWatches]) {
      if (this.closed) return;
      if (this.ws.bufferedAmount > SOCKET_BUFFERED_BYTES_HIGH) {
        this.schedulePump(PUMP_RETRY_MS);
        return;
      }
      const w = this.watches.get(watchId);
      if (w === undefined) {
        this.readyWatches.delete(watchId);
        continue;
      }
      const batch = w.watcher.poll(PUMP_RESPONSES_MAX);
      if (batch.length < PUMP_RESPONSES_MAX) this.readyWatches.delete(watchId);
      for (const resp of batch) {
        const push = this.toPush(w.watchId, resp);
        if (w.fragment) for (const part of fragmentPush(push, this.limits.maxRequestBytes)) this.send(part);
        else this.send(push);
        if (resp.kind === 'canceled') {
          this.watches.delete(w.watchId);
          this.readyWatches.delete(w.watchId);
          this.backend.onWatchCountChange(-1);
          break;
        }
      }
    }
    if (this.readyWatches.size > 0) this.schedulePump(0);
  }

  private toPush(watchId: number, resp: LinkWatchResponse): WatchPush {
    const header = this.backend.header(resp.revision);
    switch (resp.kind) {
      case 'events':
        return { watchId, header, events: resp.events as WatchPush['events'] };
      case 'progress':
        return { watchId, header, events: [], progress: true };
      case 'canceled':
        return resp.compactRevision !== undefined
          ? { watchId, header, events: [], canceled: true, cancelReason: resp.cancelReason, compactRevision: resp.compactRevision }
          : { watchId, header, events: [], canceled: true, cancelReason: resp.cancelReason };
    }
  }

  /**
   * One chunk of a snapshot session (protocol ops.ts `snapshot`): the client asks for the
   * next chunk only after it took the previous one, so a link holds at most one chunk.
   */
  private async snapshotChunk(req: Request<'snapshot'>): Promise<void> {
    let sessionId = req.sessionId;
    if (sessionId === undefined) {
      if (this.snapshots.size >= SNAPSHOT_SESSIONS_PER_CONNECTION_MAX) {
        throw new KiteError('Unavailable', `a snapshot is already streaming on this link (limit ${SNAPSHOT_SESSIONS_PER_CONNECTION_MAX})`);
      }
      sessionId = this.nextSnapshotId++;
      this.snapshots.set(sessionId, { stream: this.backend.openSnapshot(req, this.session), busy: false, lastRequestMs: this.clock() });
    }
    const session = this.snapshots.get(sessionId);
    if (session === undefined) throw new KiteError('InvalidArgument', `no snapshot session ${sessionId} on this link (a session does not survive a reconnect: start again)`);
    if (session.busy) throw new KiteError('InvalidArgument', `snapshot session ${sessionId} is still serving the previous chunk`);
    session.busy = true;
    session.lastRequestMs = this.clock();
    let next: IteratorResult<Uint8Array>;
    try {
      next = await session.stream.chunks.next();
    } catch (err) {
      this.dropSnapshot(sessionId);
      throw err;
    }
    session.busy = false;
    if (next.done === true) this.dropSnapshot(sessionId);
    this.send(okReply(req.id, this.backend.header(), { sessionId, chunk: next.done === true ? new Uint8Array(0) : next.value, done: next.done === true }));
  }

  private dropSnapshot(sessionId: number): void {
    const s = this.snapshots.get(sessionId);
    if (s === undefined) return;
    this.snapshots.delete(sessionId);
    s.stream.cancel();
  }

  private dropWatch(w: LinkWatch): void {
    if (!this.watches.delete(w.watchId)) return;
    this.readyWatches.delete(w.watchId);
    w.watcher.onReadable(undefined);
    w.watcher.cancel();
    this.backend.onWatchCountChange(-1);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches.values()]) this.dropWatch(w);
    for (const id of [...this.snapshots.keys()]) this.dropSnapshot(id);
  }

  private replyError(id: number, err: unknown): void {
    const kite = asKiteError(err);
    if (kite.code === 'Internal') this.log.error({ err: kite.cause ?? err }, 'internal error serving a client request');
    this.send(errorReply(id, toWireError(asKiteError(err))));
  }

  private send(frame: Reply | WatchPush): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if ('ok' in frame && !frame.ok) this.backend.onErrorReply(frame.error.code);
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(frame, REPLY_BYTES_MAX);
    } catch (err) {
      if ('id' in frame) {
        const fallback = errorReply(frame.id, toWireError(asKiteError(err)));
        bytes = encodeFrame(fallback, REPLY_BYTES_MAX);
      } else {
        // A single watch revision too large to push: the watch cannot continue faithfully.
        this.log.error({ watchId: frame.watchId }, 'watch push too large; closing link');
        this.closeWith(CLOSE_TOO_BIG, 'watch response too large');
        return;
      }
    }
    this.corkUntilTick();
    this.lastActivityMs = this.clock();
    this.ws.send(bytes, { binary: true });
  }

  /**
   * Replies settled together (one apply batch) and watch pushes of one pump turn leave in
   * one socket write instead of one write per frame: the socket is corked until the
   * current tick's promise jobs are done.
   */
  private corkUntilTick(): void {
    if (this.corked) return;
    // ws keeps its net.Socket in `_socket` (not in its types); without it, no batching.
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } | null })._socket;
    if (socket == null) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  private closeWith(code: number, reason: string): void {
    this.closingLog.warn(this.log, { code, reason });
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    this.ws.close(code, reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 120));
    this.onClose();
  }
}

/** Store and hub errors carry a protocol code; anything else is Internal (never leaked). */
export function asKiteError(err: unknown): KiteError {
  if (err instanceof KiteError) return err;
  if (err instanceof Error) {
    const { code, details } = err as Error & { code?: unknown; details?: KiteErrorDetails };
    if (isErrorCode(code) && code !== 'Internal') return new KiteError(code, err.message, details ?? {});
  }
  return new KiteError('Internal', 'internal error', {}, { cause: err });
}
