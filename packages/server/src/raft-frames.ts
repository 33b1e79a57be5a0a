// Splits the Raft messages of one Ready for a peer into peer frames of a bounded size. The
// core bounds each append to 1 MiB (maxMsgBytes) but sends up to its inflight window (256
// messages) to a follower catching up from the log in one Ready: one frame of them all was
// 20-30 MiB, over PEER_FRAME_BYTES_MAX, so the transport dropped it and the leader built such
// frames again on later probes (twice a second, for as long as the follower was that far
// behind, which crept forward only on the probes' single messages). Message order is kept:
// frames go out in order on one link.

import type { Message } from '@kite/raft';
import { PEER_FRAME_BYTES_MAX } from '@kite/protocol';

/**
 * Payload bytes of entries per frame: half the frame limit, so the encoding's overhead (field
 * names, headers, per-entry numbers) never takes a full frame over it.
 */
export const RAFT_FRAME_PAYLOAD_BYTES_MAX = PEER_FRAME_BYTES_MAX / 2;
/** What one message or entry costs in a frame beyond entry data (an upper estimate). */
const MESSAGE_OVERHEAD_BYTES = 256;
const ENTRY_OVERHEAD_BYTES = 64;

function estimatedBytes(m: Message): number {
  if (m.type !== 'appendEntries') return MESSAGE_OVERHEAD_BYTES;
  let bytes = MESSAGE_OVERHEAD_BYTES;
  for (const e of m.entries) bytes += e.data.byteLength + ENTRY_OVERHEAD_BYTES;
  return bytes;
}

/** `messages` in order, cut into groups of at most `bytesMax` estimated bytes (a larger message alone). */
export function raftFrames(messages: readonly Message[], bytesMax: number = RAFT_FRAME_PAYLOAD_BYTES_MAX): Message[][] {
  const frames: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const b = estimatedBytes(m);
    if (current.length > 0 && bytes + b > bytesMax) {
      frames.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += b;
  }
  if (current.length > 0) frames.push(current);
  return frames;
}
