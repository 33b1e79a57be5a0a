// A leader catching a follower up from its log sends up to its inflight window (256) of 1 MiB
// appends in one Ready: they must go out as peer frames under PEER_FRAME_BYTES_MAX, in order.
import { describe, expect, it } from 'vitest';
import { PEER_FRAME_BYTES_MAX, encodeFrame } from '@kite/protocol';
import type { Message } from '@kite/raft';
import { RAFT_FRAME_PAYLOAD_BYTES_MAX, raftFrames } from '../src/raft-frames.js';

const ENTRY_BYTES = 35 * 1024; // a txn of 128 puts of 256 B
const ENTRIES_PER_APPEND = 29; // ~1 MiB per append, the core's maxMsgBytes
const APPENDS = 40;

function appends(): Message[] {
  let index = 100;
  return Array.from({ length: APPENDS }, (): Message => {
    const entries = Array.from({ length: ENTRIES_PER_APPEND }, () => ({ term: 2, index: ++index, type: 'normal' as const, data: new Uint8Array(ENTRY_BYTES).fill(index & 0xff) }));
    return { type: 'appendEntries', from: 'a', to: 'b', term: 2, index: (entries[0]?.index ?? 1) - 1, logTerm: 2, entries, commit: index };
  });
}

describe('raftFrames', () => {
  it('cuts a catch-up Ready of 40 MiB of appends into frames under the peer frame limit, in order', () => {
    const messages = appends();
    // All in one frame, as before: over the limit, so the transport dropped it.
    expect(() => encodeFrame({ type: 'raft', messages }, PEER_FRAME_BYTES_MAX)).toThrow();
    const frames = raftFrames(messages);
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(encodeFrame({ type: 'raft', messages: f }, PEER_FRAME_BYTES_MAX).byteLength).toBeLessThanOrEqual(RAFT_FRAME_PAYLOAD_BYTES_MAX + 1024 * 1024);
    expect(frames.flat()).toEqual(messages);
  });

  it('keeps small Readies in one frame and a message larger than the bound alone', () => {
    const hb: Message = { type: 'heartbeat', from: 'a', to: 'b', term: 2, commit: 5, context: null, leaseTick: 0 };
    expect(raftFrames([hb, hb, hb])).toEqual([[hb, hb, hb]]);
    const [big] = appends();
    expect(raftFrames([hb, big as Message, hb], 1024)).toEqual([[hb], [big], [hb]]);
  });
});
