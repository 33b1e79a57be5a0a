import { describe, expect, it } from 'vitest';
import { decodeFrame, errorReply, isPlainObject, type PeerBatchable } from '@kite/protocol';
import { PeerOutbox, endOfTurn } from '../src/peer-outbox.js';

const FRAME_BYTES_MAX = 16 * 1024 * 1024;

interface Written {
  readonly peer: string;
  readonly bytes: Uint8Array;
}

function outbox(opts: { acceptsBatch?: boolean; frameBytesMax?: number } = {}): { box: PeerOutbox; writes: Written[]; dropped: PeerBatchable[] } {
  const writes: Written[] = [];
  const dropped: PeerBatchable[] = [];
  const box = new PeerOutbox({
    frameBytesMax: opts.frameBytesMax ?? FRAME_BYTES_MAX,
    acceptsBatch: () => opts.acceptsBatch ?? true,
    write: (peer, bytes) => {
      writes.push({ peer, bytes });
      return true;
    },
    dropped: (_peer, frame) => dropped.push(frame),
  });
  return { box, writes, dropped };
}

/** Resolves once the turn that called it (and everything it queued) is over. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const append = (i: number, payloadBytes = 8): Record<string, unknown> => ({ type: 'append', from: 'a', to: 'b', index: i, data: new Uint8Array(payloadBytes).fill(i & 0xff) });

/** The frames a written message carries, in order (a batch unpacked). */
function framesOf(w: Written): Record<string, unknown>[] {
  const f = decodeFrame(w.bytes, FRAME_BYTES_MAX);
  if (!isPlainObject(f)) throw new Error('not a frame');
  if (f['type'] !== 'batch') return [f];
  return f['frames'] as Record<string, unknown>[];
}

describe('PeerOutbox', () => {
  it('k raft batches, a forward and a forward reply for one peer in one turn (some queued from promise chains) leave as ONE write, in order', async () => {
    const { box, writes } = outbox();
    const k = 10;
    for (let i = 0; i < k; i++) box.push('b', { type: 'raft', messages: [append(i)] });
    box.push('b', { type: 'forwardReply', fwdId: 7, reply: errorReply(1, { code: 'Timeout', message: 'x' }), appliedIndex: 3 });
    // Frames queued by microtasks of the same turn (replies settle through promise chains).
    await Promise.resolve()
      .then(() => undefined)
      .then(() => box.push('b', { type: 'raft', messages: [append(k)] }));
    box.push('c', { type: 'raft', messages: [append(0)] });
    expect(writes).toHaveLength(0);
    await nextTurn();

    expect(writes.map((w) => w.peer)).toEqual(['b', 'c']);
    const toB = framesOf(writes[0] as Written);
    expect(toB.map((f) => f['type'])).toEqual(['raft', 'forwardReply', 'raft']);
    const indexes = (f: Record<string, unknown> | undefined): unknown[] => (f?.['messages'] as Record<string, unknown>[]).map((m) => m['index']);
    // Consecutive raft frames merged, their messages in order.
    expect(indexes(toB[0])).toEqual(Array.from({ length: k }, (_, i) => i));
    expect(indexes(toB[2])).toEqual([k]);
    // A lone frame goes as itself (no batch envelope).
    expect((decodeFrame((writes[1] as Written).bytes, FRAME_BYTES_MAX) as Record<string, unknown>)['type']).toBe('raft');

    // The next turn starts a new message.
    box.push('b', { type: 'raft', messages: [append(99)] });
    await nextTurn();
    expect(writes).toHaveLength(3);
  });

  it('one flush is scheduled per turn, however many frames and peers', () => {
    let scheduled = 0;
    const flushes: (() => void)[] = [];
    const box = new PeerOutbox({
      frameBytesMax: FRAME_BYTES_MAX,
      acceptsBatch: () => true,
      write: () => true,
      dropped: () => undefined,
      schedule: (flush) => {
        scheduled++;
        flushes.push(flush);
      },
    });
    for (let i = 0; i < 100; i++) box.push(`p${i % 3}`, { type: 'raft', messages: [append(i)] });
    expect(scheduled).toBe(1);
    flushes[0]?.();
    box.push('p0', { type: 'raft', messages: [append(0)] });
    expect(scheduled).toBe(2);
  });

  it('a peer that does not take batches gets frames it knows: one raft frame per run of raft batches, the rest one each', async () => {
    const { box, writes } = outbox({ acceptsBatch: false });
    box.push('b', { type: 'raft', messages: [append(1)] });
    box.push('b', { type: 'raft', messages: [append(2), append(3)] });
    box.push('b', { type: 'forwardReply', fwdId: 1, reply: errorReply(1, { code: 'Timeout', message: 'x' }) });
    box.push('b', { type: 'raft', messages: [append(4)] });
    await nextTurn();
    const frames = writes.map((w) => decodeFrame(w.bytes, FRAME_BYTES_MAX) as Record<string, unknown>);
    expect(frames.map((f) => f['type'])).toEqual(['raft', 'forwardReply', 'raft']);
    expect((frames[0]?.['messages'] as Record<string, unknown>[]).map((m) => m['index'])).toEqual([1, 2, 3]);
  });

  it('never writes more than frameBytesMax: a large batch is split, in order, and nothing is lost', async () => {
    const frameBytesMax = 2000;
    const { box, writes, dropped } = outbox({ frameBytesMax });
    const count = 40;
    for (let i = 0; i < count; i += 2) box.push('b', { type: 'raft', messages: [append(i, 300), append(i + 1, 300)] });
    box.push('b', { type: 'forward', fwdId: 5, request: { id: 1, op: 'range', args: {} } as never });
    await nextTurn();
    expect(writes.length).toBeGreaterThan(1);
    for (const w of writes) expect(w.bytes.byteLength).toBeLessThanOrEqual(frameBytesMax);
    const all = writes.flatMap(framesOf);
    const indexes = all.filter((f) => f['type'] === 'raft').flatMap((f) => (f['messages'] as Record<string, unknown>[]).map((m) => m['index']));
    expect(indexes).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(all[all.length - 1]?.['type']).toBe('forward');
    expect(dropped).toEqual([]);
  });

  it('a single frame too large to send is dropped and reported; the rest of the turn still leaves', async () => {
    const { box, writes, dropped } = outbox({ frameBytesMax: 1000 });
    box.push('b', { type: 'raft', messages: [append(1, 5000)] });
    box.push('b', { type: 'raft', messages: [append(2)] });
    await nextTurn();
    expect(dropped).toHaveLength(1);
    const lost = dropped[0];
    expect(lost?.type === 'raft' ? (lost.messages[0] as Record<string, unknown>)['index'] : lost).toBe(1);
    expect(writes.flatMap(framesOf).flatMap((f) => (f['messages'] as Record<string, unknown>[]).map((m) => m['index']))).toEqual([2]);
  });

  it('every frame of a message whose link is gone at the end of the turn is reported dropped', async () => {
    const dropped: string[] = [];
    const box = new PeerOutbox({
      frameBytesMax: FRAME_BYTES_MAX,
      acceptsBatch: () => true,
      write: () => false,
      dropped: (peer, frame, err) => dropped.push(`${peer} ${frame.type} ${(err as { code?: string }).code}`),
    });
    box.push('b', { type: 'raft', messages: [append(1)] });
    box.push('b', { type: 'forward', fwdId: 1, request: { id: 1, op: 'range', args: {} } as never });
    await nextTurn();
    expect(dropped).toEqual(['b raft Unavailable', 'b forward Unavailable']);
  });

  it('flushPeer writes one peer\'s frames at once; the others wait for the end of the turn', async () => {
    const { box, writes } = outbox();
    box.push('b', { type: 'raft', messages: [append(1)] });
    box.push('b', { type: 'raft', messages: [append(2)] });
    box.push('c', { type: 'raft', messages: [append(1)] });
    box.flushPeer('b');
    expect(writes.map((w) => w.peer)).toEqual(['b']);
    await nextTurn();
    expect(writes.map((w) => w.peer)).toEqual(['b', 'c']);
  });

  it('discard forgets what was queued for a peer whose link went away', async () => {
    const { box, writes } = outbox();
    box.push('b', { type: 'raft', messages: [append(1)] });
    box.push('c', { type: 'raft', messages: [append(1)] });
    box.discard('b');
    await nextTurn();
    expect(writes.map((w) => w.peer)).toEqual(['c']);
  });

  it('endOfTurn runs after the microtasks the turn queued, without waiting for another event-loop phase', async () => {
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      setImmediate(() => {
        endOfTurn(() => order.push('flush'));
        void Promise.resolve()
          .then(() => order.push('then1'))
          .then(() => order.push('then2'));
        setImmediate(() => {
          order.push('next immediate');
          resolve();
        });
      });
    });
    expect(order).toEqual(['then1', 'then2', 'flush', 'next immediate']);
  });
});
