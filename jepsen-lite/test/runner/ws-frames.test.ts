// Frame splitting for the link proxy: any chunking of a stream of frames yields exactly the
// frames written (bytes, opcode, FIN, length, unmasked payload).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameSplitter, encodeFrame, unmaskedPayload, type WsFrame } from '../../src/proxy/ws-frames.js';

describe('FrameSplitter', () => {
  it('yields exactly the frames written, whatever the chunk boundaries', () => {
    const frame = fc.record({
      opcode: fc.constantFrom(0, 1, 2, 8, 9, 10),
      fin: fc.boolean(),
      size: fc.constantFrom(0, 1, 125, 126, 127, 65535, 65536, 70000),
      masked: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 90000 }), { maxLength: 8 }), (frames, cuts) => {
        const encoded = frames.map((f, i) =>
          encodeFrame(f.opcode, Buffer.alloc(f.size, i + 1), { fin: f.fin, ...(f.masked ? { maskKey: Buffer.from([1, 2, 3, i]) } : {}) }),
        );
        const stream = Buffer.concat(encoded);
        const points = [...new Set(cuts.map((c) => c % stream.length))].sort((a, b) => a - b);
        const splitter = new FrameSplitter();
        const out: WsFrame[] = [];
        let at = 0;
        for (const p of [...points, stream.length]) {
          out.push(...splitter.push(stream.subarray(at, p)));
          at = p;
        }
        expect(out.map((f) => Buffer.compare(f.bytes, encoded[out.indexOf(f)] as Buffer))).toEqual(encoded.map(() => 0));
        expect(out.map((f) => [f.opcode, f.fin, f.payloadBytes])).toEqual(frames.map((f) => [f.opcode, f.fin, f.size]));
        expect(out.map((f) => unmaskedPayload(f).every((b) => b === out.indexOf(f) + 1))).toEqual(frames.map(() => true));
        expect(splitter.bufferedBytes).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
