// The gRPC message decoder under every way HTTP/2 can cut a stream of messages into DATA
// chunks, and its refusals (too large, from the prefix alone; compressed).

import { describe, expect, it } from 'vitest';
import { GRPC_PREFIX_BYTES, GrpcMessageDecoder, grpcFrame } from '../../src/etcd/grpc-messages.js';

const messages = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from('last')];
const wire = Buffer.concat(messages.map(grpcFrame));

function decodeAll(decoder: GrpcMessageDecoder, chunks: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) {
    const got = decoder.push(c);
    if (!Array.isArray(got)) throw new Error(`refused: ${JSON.stringify(got)}`);
    out.push(...got);
  }
  return out;
}

describe('GrpcMessageDecoder', () => {
  it('frames a message as flag 0, 4-byte big-endian length, bytes', () => {
    expect([...grpcFrame(Buffer.from('ab'))]).toEqual([0, 0, 0, 0, 2, 0x61, 0x62]);
  });

  it('decodes many messages from one chunk', () => {
    expect(decodeAll(new GrpcMessageDecoder(1024), [wire])).toEqual(messages);
  });

  it('decodes the same messages whatever two chunks the stream is cut into', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      expect(decodeAll(new GrpcMessageDecoder(1024), [wire.subarray(0, cut), wire.subarray(cut)]), `cut at ${cut}`).toEqual(messages);
    }
  });

  it('decodes the same messages when every byte is its own chunk', () => {
    const bytes = [...wire].map((b) => Buffer.from([b]));
    expect(decodeAll(new GrpcMessageDecoder(1024), bytes)).toEqual(messages);
  });

  it('refuses a message over the limit from its prefix, before its body arrives', () => {
    const decoder = new GrpcMessageDecoder(100);
    expect(decodeAll(decoder, [grpcFrame(Buffer.alloc(100))])).toHaveLength(1);
    const prefix = grpcFrame(Buffer.alloc(101)).subarray(0, GRPC_PREFIX_BYTES);
    expect(decoder.push(prefix.subarray(0, 2))).toEqual([]);
    expect(decoder.push(prefix.subarray(2))).toEqual({ kind: 'tooLarge', messageBytes: 101 });
    expect(new GrpcMessageDecoder(100).push(prefix)).toEqual({ kind: 'tooLarge', messageBytes: 101 });
  });

  it('refuses a compressed message', () => {
    const compressed = grpcFrame(Buffer.from('x'));
    compressed[0] = 1;
    expect(new GrpcMessageDecoder(100).push(compressed)).toEqual({ kind: 'compressed' });
  });
});
