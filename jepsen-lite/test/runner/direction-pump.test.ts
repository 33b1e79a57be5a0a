// The frame-aware proxy's per-direction logic, without sockets (in-memory streams): the HTTP
// head passes untouched and a 101 switches to frames; a blocked direction drops whole data
// messages (fragments included) and passes control frames; the drop coin acts per message;
// delays hold frames back and keep their order.

import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DirectionPump } from '../../src/proxy/direction-pump.js';
import { OPEN_POLICY, type DirectionPolicy } from '../../src/proxy/policy.js';
import { encodeFrame } from '../../src/proxy/ws-frames.js';
import { createRng } from '../../src/util/rng.js';

const BINARY = 2;
const CONTINUATION = 0;
const PING = 9;
const PONG = 10;
const CLOSE = 8;

const mask = Buffer.from([9, 8, 7, 6]);
const data = (s: string, opts: { fin?: boolean; opcode?: number } = {}): Buffer =>
  encodeFrame(opts.opcode ?? BINARY, Buffer.from(s), { fin: opts.fin ?? true, maskKey: mask });
const control = (opcode: number, s = ''): Buffer => encodeFrame(opcode, Buffer.from(s), { maskKey: mask });

/** Lets the streams deliver what was written (they emit on a later tick). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function pump(policy: () => DirectionPolicy, opts: { parseHead?: boolean } = {}) {
  const src = new PassThrough();
  const dst = new PassThrough();
  const out: Buffer[] = [];
  dst.on('data', (b: Buffer) => out.push(b));
  const heads: boolean[] = [];
  const fatal: string[] = [];
  const p = new DirectionPump(src, dst, createRng(1), {
    policy,
    onFatal: (why) => fatal.push(why),
    ...(opts.parseHead === true ? { onResponseHead: (upgraded: boolean) => heads.push(upgraded) } : {}),
  });
  return { src, p, heads, fatal, received: () => Buffer.concat(out) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('DirectionPump', () => {
  it('passes the HTTP head untouched and switches to frames after a 101', async () => {
    let policy: DirectionPolicy = { ...OPEN_POLICY, blocked: true };
    const t = pump(() => policy, { parseHead: true });
    const head = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
    t.src.write(Buffer.concat([head, data('dropped-after-head'), control(PING, 'p')]));
    await flush();
    expect(t.heads).toEqual([true]);
    expect(t.p.mode).toBe('frames');
    expect(t.received()).toEqual(Buffer.concat([head, control(PING, 'p')]));
    policy = OPEN_POLICY;
    t.src.write(data('kept'));
    await flush();
    expect(t.received()).toEqual(Buffer.concat([head, control(PING, 'p'), data('kept')]));
  });

  it('stays raw (no frame parsing) when the answer is not an upgrade', async () => {
    const t = pump(() => ({ ...OPEN_POLICY, blocked: true }), { parseHead: true });
    const reply = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}');
    t.src.write(reply.subarray(0, 10));
    t.src.write(reply.subarray(10));
    await flush();
    expect(t.heads).toEqual([false]);
    expect(t.p.mode).toBe('raw');
    expect(t.received()).toEqual(reply);
  });

  it('drops a blocked direction\'s data messages, fragments included, and passes control frames', async () => {
    const t = pump(() => ({ ...OPEN_POLICY, blocked: true }));
    t.p.startFrames();
    const frames = [
      data('one'), control(PING, 'a'),
      data('frag-1', { fin: false }), control(PONG, 'b'), data('frag-2', { fin: false, opcode: CONTINUATION }), data('frag-3', { opcode: CONTINUATION }),
      control(CLOSE, '\u0003\u00e8'),
    ];
    // Split at odd boundaries: frames must still be found whole.
    const stream = Buffer.concat(frames);
    for (let i = 0; i < stream.length; i += 7) t.src.write(stream.subarray(i, i + 7));
    await flush();
    expect(t.received()).toEqual(Buffer.concat([control(PING, 'a'), control(PONG, 'b'), control(CLOSE, '\u0003\u00e8')]));
    expect(t.p.stats).toMatchObject({ framesDropped: 4, framesPassed: 0, controlFramesPassed: 3 });
    expect(t.fatal).toEqual([]);
  });

  it('decides a message\'s fate at its first frame (the coin is per message)', async () => {
    let drop = 1;
    const t = pump(() => ({ ...OPEN_POLICY, dropProbability: drop }));
    t.p.startFrames();
    t.src.write(data('x-1', { fin: false }));
    await flush();
    drop = 0; // the rest of the message still follows the first frame's fate
    t.src.write(Buffer.concat([data('x-2', { opcode: CONTINUATION }), data('y')]));
    await flush();
    expect(t.received()).toEqual(data('y'));
  });

  it('the reset coin ends the connection at a new message and passes nothing of it', async () => {
    let reset = 0;
    const t = pump(() => ({ ...OPEN_POLICY, resetProbability: reset }));
    t.p.startFrames();
    t.src.write(data('a'));
    await flush();
    reset = 1;
    t.src.write(data('b'));
    await flush();
    expect(t.received()).toEqual(data('a'));
    expect(t.fatal).toEqual(['connection reset by the nemesis']);
  });

  it('holds frames back for the delay and keeps their order', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const t = pump(() => ({ ...OPEN_POLICY, delayMs: 100, jitterMs: 50 }));
    t.p.startFrames();
    const frames = [data('m1'), control(PING, 'p'), data('m2'), data('m3')];
    for (const f of frames) t.src.write(f);
    await flush();
    expect(t.received().length).toBe(0);
    vi.advanceTimersByTime(99);
    await flush();
    expect(t.received().length).toBe(0);
    vi.advanceTimersByTime(200);
    await flush();
    expect(t.received()).toEqual(Buffer.concat(frames));
  });

  it('reports an impossible frame length as fatal instead of buffering it', async () => {
    const t = pump(() => OPEN_POLICY);
    t.p.startFrames();
    const huge = Buffer.alloc(10);
    huge[0] = 0x82;
    huge[1] = 127;
    huge.writeBigUInt64BE(2n ** 40n, 2);
    t.src.write(huge);
    await flush();
    expect(t.fatal).toHaveLength(1);
  });
});
