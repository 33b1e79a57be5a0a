// One direction of a proxied TCP connection. Before the WebSocket upgrade completes the bytes
// pass untouched (HTTP); after it, the stream is split into frames and each frame is passed,
// delayed or dropped whole according to the direction's current policy:
// - data messages (text/binary plus their continuations) are dropped as a unit when the
//   direction is blocked or the drop coin says so, so the receiver sees fewer messages but a
//   well-formed stream; the reset coin instead ends the whole connection (onFatal) at a new
//   message, as a reset would: nothing after it passes, both ends see the link close;
// - control frames (ping/pong/close) always pass, so a one-way data loss does not look like a
//   dead TCP connection;
// - delays keep the order of frames (a TCP stream never reorders).
// Back-pressure: when the destination's buffer or the delay queue is over its limit the
// source socket is paused.

import type { Rng } from '../util/rng.js';
import type { DirectionPolicy } from './policy.js';
import { FrameSplitter, isControl, type WsFrame } from './ws-frames.js';

/** Bytes a direction may hold in its delay queue before the source is paused. */
export const DELAY_QUEUE_BYTES_MAX = 16 * 1024 * 1024;
/** Largest HTTP head accepted before the upgrade (bigger: the connection is cut). */
export const HTTP_HEAD_BYTES_MAX = 64 * 1024;

export type PumpMode = 'http' | 'frames' | 'raw';

/** The slice of a socket the pump reads from (a net.Socket, or a stream in tests). */
export interface ByteSource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** The slice of a socket the pump writes to. */
export interface ByteSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  readonly destroyed: boolean;
}

export interface PumpStats {
  framesPassed: number;
  framesDropped: number;
  controlFramesPassed: number;
  bytesPassed: number;
}

export interface PumpHooks {
  policy(): DirectionPolicy;
  /** The first data frame of the stream, before its fate is decided (dialer identification). */
  onFirstDataFrame?(frame: WsFrame): void;
  /** Down direction only: the peer's HTTP response head ended; `upgraded` if it was a 101. */
  onResponseHead?(upgraded: boolean): void;
  onFatal(reason: string): void;
}

interface Queued {
  readonly bytes: Buffer;
  readonly releaseAtMs: number;
}

export class DirectionPump {
  mode: PumpMode = 'http';
  readonly stats: PumpStats = { framesPassed: 0, framesDropped: 0, controlFramesPassed: 0, bytesPassed: 0 };
  private readonly splitter = new FrameSplitter();
  private head: Buffer = Buffer.alloc(0);
  private readonly parseHead: boolean;
  private sawDataFrame = false;
  /** The fate of the data message in progress (decided at its first frame). */
  private dropMessage = false;
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private lastReleaseAtMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private pausedForQueue = false;
  private waitingDrain = false;
  private closed = false;

  constructor(
    private readonly src: ByteSource,
    private readonly dst: ByteSink,
    private readonly rng: Rng,
    private readonly hooks: PumpHooks,
  ) {
    this.parseHead = hooks.onResponseHead !== undefined;
    src.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Switches to frame mode; `rest` is any byte already read past the HTTP head. */
  startFrames(rest: Buffer = Buffer.alloc(0)): void {
    this.mode = 'frames';
    if (rest.length > 0) this.onFrames(rest);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.mode === 'frames') return this.onFrames(chunk);
    if (this.mode === 'raw' || !this.parseHead) return this.emit(chunk, 0);
    this.head = Buffer.concat([this.head, chunk]);
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.head.length > HTTP_HEAD_BYTES_MAX) this.hooks.onFatal('HTTP head too large');
      return;
    }
    const headBytes = this.head.subarray(0, end + 4);
    const rest = this.head.subarray(end + 4);
    this.head = Buffer.alloc(0);
    this.emit(headBytes, 0);
    const upgraded = /^HTTP\/1\.[01] 101/.test(headBytes.toString('latin1', 0, 16));
    this.hooks.onResponseHead?.(upgraded);
    if (upgraded) this.startFrames(rest);
    else {
      this.mode = 'raw';
      if (rest.length > 0) this.emit(rest, 0);
    }
  }

  private onFrames(chunk: Buffer): void {
    let frames: WsFrame[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      return this.hooks.onFatal((err as Error).message);
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(f: WsFrame): void {
    const p = this.hooks.policy();
    const delayMs = p.delayMs + (p.jitterMs > 0 ? this.rng.next() * p.jitterMs : 0);
    if (isControl(f)) {
      this.stats.controlFramesPassed++;
      return this.emit(f.bytes, delayMs);
    }
    if (!this.sawDataFrame) {
      this.sawDataFrame = true;
      this.hooks.onFirstDataFrame?.(f);
    }
    if (f.kind !== 'continuation' && p.resetProbability > 0 && this.rng.chance(p.resetProbability)) {
      this.stats.framesDropped++;
      return this.hooks.onFatal('connection reset by the nemesis');
    }
    // A continuation follows its message's fate; a new message draws its own.
    if (f.kind !== 'continuation') this.dropMessage = p.blocked || (p.dropProbability > 0 && this.rng.chance(p.dropProbability));
    if (this.dropMessage) {
      this.stats.framesDropped++;
      return;
    }
    this.stats.framesPassed++;
    this.emit(f.bytes, delayMs);
  }

  private emit(bytes: Buffer, delayMs: number): void {
    if (delayMs <= 0 && this.queue.length === 0) return this.write(bytes);
    const releaseAtMs = Math.max(this.lastReleaseAtMs, performance.now() + delayMs);
    this.lastReleaseAtMs = releaseAtMs;
    this.queue.push({ bytes, releaseAtMs });
    this.queuedBytes += bytes.length;
    if (this.queuedBytes > DELAY_QUEUE_BYTES_MAX && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.src.pause();
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer !== null || this.closed) return;
    const first = this.queue[0];
    if (first === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.release();
    }, Math.max(0, first.releaseAtMs - performance.now()));
  }

  private release(): void {
    const now = performance.now();
    while (this.queue.length > 0 && (this.queue[0] as Queued).releaseAtMs <= now) {
      const q = this.queue.shift() as Queued;
      this.queuedBytes -= q.bytes.length;
      this.write(q.bytes);
    }
    if (this.pausedForQueue && this.queuedBytes <= DELAY_QUEUE_BYTES_MAX / 2) {
      this.pausedForQueue = false;
      if (!this.waitingDrain) this.src.resume();
    }
    this.arm();
  }

  private write(bytes: Buffer): void {
    if (this.closed || this.dst.destroyed) return;
    this.stats.bytesPassed += bytes.length;
    if (!this.dst.write(bytes) && !this.waitingDrain) {
      this.waitingDrain = true;
      this.src.pause();
      this.dst.once('drain', () => {
        this.waitingDrain = false;
        if (!this.pausedForQueue) this.src.resume();
      });
    }
  }
}
