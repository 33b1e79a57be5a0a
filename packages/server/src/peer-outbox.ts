// The peer links' outbox: every frame for one peer queued in one event-loop turn (a macrotask
// and the microtasks it queues) leaves at the end of that turn as ONE WebSocket message: one
// encode, one socket write. A put makes a Ready or two per turn on each member, plus forwards
// and their replies; without this each was a frame (a header, a writev, a read and a decode on
// the other side) of its own.
//
// Invariants:
// - Frames for a peer leave in the order they were queued; the receiver handles them in that
//   order (peer-transport.ts).
// - Consecutive raft frames merge into one (their messages in order), so a peer that does not
//   take batch frames (acceptsBatch false: a member from before batching) still gets one raft
//   frame per turn, and the rest one frame each, exactly the frames it knows.
// - Nothing written exceeds frameBytesMax: a batch that would is split in halves (a raft frame
//   by its messages) until each part fits; a single frame that cannot fit is dropped and
//   reported (`dropped`), as an oversize frame always was; so is one that cannot be encoded,
//   and every frame of a message whose link was gone at the end of the turn.
// - One flush is scheduled per turn for all peers, however many frames were queued.

import { KiteError, encodeFrame, type PeerBatch, type PeerBatchable, type PeerRaft } from '@kite/protocol';
import { traceHop } from './latency-trace.js';

export type PeerId = string;

export interface PeerOutboxOptions {
  /** The largest message a peer accepts (its maxPayload). */
  readonly frameBytesMax: number;
  /** Whether `peer`'s hello said it handles batch frames; read at flush time. */
  acceptsBatch(peer: PeerId): boolean;
  /** Writes one encoded message on `peer`'s current link; false when there is none. */
  write(peer: PeerId, bytes: Uint8Array): boolean;
  /**
   * A frame was dropped: it could not be encoded (too large, or not encodable), or `peer` had
   * no link to write it on (a KiteError with code Unavailable).
   */
  dropped(peer: PeerId, frame: PeerBatchable, err: Error): void;
  /** Runs `flush` once the current turn is over (default endOfTurn; tests may flush by hand). */
  readonly schedule?: (flush: () => void) => void;
}

/**
 * Runs `fn` after the current macrotask AND every microtask it queued, directly or through
 * promise chains: a nextTick queued from a microtask runs only once Node has drained the
 * microtask queue. No timer and no extra trip round the event loop (setImmediate would wait
 * for the next check phase).
 */
export function endOfTurn(fn: () => void): void {
  queueMicrotask(() => process.nextTick(fn));
}

export class PeerOutbox {
  /** Peers with frames queued this turn, in the order they were first queued. */
  private readonly queues = new Map<PeerId, PeerBatchable[]>();
  private flushScheduled = false;
  private readonly schedule: (flush: () => void) => void;
  private readonly flushBound = (): void => this.flush();

  constructor(private readonly opts: PeerOutboxOptions) {
    this.schedule = opts.schedule ?? endOfTurn;
  }

  /** Queues `frame` for `peer`; it leaves at the end of this turn. */
  push(peer: PeerId, frame: PeerBatchable): void {
    let queue = this.queues.get(peer);
    if (queue === undefined) this.queues.set(peer, (queue = []));
    const last = queue[queue.length - 1];
    if (frame.type === 'raft' && last?.type === 'raft') {
      queue[queue.length - 1] = { type: 'raft', messages: [...last.messages, ...frame.messages] };
    } else {
      queue.push(frame);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(this.flushBound);
    }
  }

  /** Frames queued for `peer` and not yet written (tests; the transport's view of a turn). */
  queued(peer: PeerId): number {
    return this.queues.get(peer)?.length ?? 0;
  }

  /** Writes everything queued, one message per peer (more only past frameBytesMax). */
  flush(): void {
    this.flushScheduled = false;
    if (this.queues.size === 0) return;
    traceHop('outboxFlush');
    const all = [...this.queues];
    this.queues.clear();
    for (const [peer, frames] of all) this.emitAll(peer, frames);
  }

  /**
   * Writes what is queued for `peer` now, before the turn ends: its link is about to close
   * (a removed member must still get the commit of its removal, sent earlier in this turn).
   */
  flushPeer(peer: PeerId): void {
    const frames = this.queues.get(peer);
    if (frames === undefined) return;
    this.queues.delete(peer);
    this.emitAll(peer, frames);
  }

  /** Forgets what is queued for `peer` (its link is gone; nothing queued can reach it). */
  discard(peer: PeerId): void {
    this.queues.delete(peer);
  }

  private emitAll(peer: PeerId, frames: readonly PeerBatchable[]): void {
    if (this.opts.acceptsBatch(peer)) this.emit(peer, frames);
    else for (const frame of frames) this.emit(peer, [frame]);
  }

  private emit(peer: PeerId, frames: readonly PeerBatchable[]): void {
    const only = frames.length === 1 ? frames[0] : undefined;
    const message: PeerBatchable | PeerBatch = only ?? { type: 'batch', frames };
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(message, this.opts.frameBytesMax);
    } catch (err) {
      // Too large, or a frame that cannot be encoded: halving isolates the culprit.
      const halves = splitInTwo(frames);
      if (halves === null) {
        for (const frame of frames) this.opts.dropped(peer, frame, err as Error);
        return;
      }
      this.emit(peer, halves[0]);
      this.emit(peer, halves[1]);
      return;
    }
    if (this.opts.write(peer, bytes)) return;
    const gone = new KiteError('Unavailable', `no link to ${peer}`);
    for (const frame of frames) this.opts.dropped(peer, frame, gone);
  }
}

/** Two smaller parts of `frames` in order (a lone raft frame split by its messages); null if indivisible. */
function splitInTwo(frames: readonly PeerBatchable[]): [PeerBatchable[], PeerBatchable[]] | null {
  if (frames.length > 1) {
    const mid = frames.length >> 1;
    return [frames.slice(0, mid), frames.slice(mid)];
  }
  const only = frames[0];
  if (only?.type !== 'raft' || only.messages.length < 2) return null;
  const mid = only.messages.length >> 1;
  const part = (messages: readonly unknown[]): PeerRaft => ({ type: 'raft', messages });
  return [[part(only.messages.slice(0, mid))], [part(only.messages.slice(mid))]];
}
