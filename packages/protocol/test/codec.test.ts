// The frame codec: round trips, and untrusted bytes (malformed, truncated, oversized) always
// yield a KiteError with a stable code, never another throwable.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, KiteError, parseRequest, parseServerFrame, REQUEST_BYTES_MAX } from '@kite/protocol';

const LIMIT = 1 << 20;

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof KiteError) return err.code;
    return `untyped:${String(err)}`;
  }
  return 'none';
}

const bytesArb = fc.uint8Array({ maxLength: 64 });
const kvArb = fc.record({
  key: bytesArb,
  value: bytesArb,
  createRevision: fc.nat(),
  modRevision: fc.nat(),
  version: fc.nat(),
  lease: fc.maxSafeNat(),
});

describe('codec', () => {
  it('round-trips request-shaped frames with bytes and safe integers', () => {
    fc.assert(
      fc.property(fc.nat(), kvArb, fc.string(), (id, kv, s) => {
        const frame = { id, op: 'put', key: kv.key, value: kv.value, lease: kv.lease, note: s, nested: { kvs: [kv] } };
        const back = decodeFrame(encodeFrame(frame, LIMIT), LIMIT) as typeof frame;
        expect(back.id).toBe(id);
        expect(back.lease).toBe(kv.lease);
        expect(back.note).toBe(s);
        expect(Array.from(back.key)).toEqual(Array.from(kv.key));
        expect(Array.from(back.nested.kvs[0]!.value)).toEqual(Array.from(kv.value));
        expect(back.key).toBeInstanceOf(Uint8Array);
      }),
      { numRuns: 200 },
    );
  });

  it('decodes arbitrary bytes to a value or a typed error, never an untyped throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 256 }), (bytes) => {
        const code = codeOf(() => decodeFrame(bytes, LIMIT));
        expect(['none', 'MalformedFrame']).toContain(code);
        if (code === 'none') {
          // A decodable value is still untrusted: the envelope parsers are typed too.
          const v = decodeFrame(bytes, LIMIT);
          expect(['none', 'MalformedFrame', 'UnknownOp']).toContain(codeOf(() => parseRequest(v)));
          expect(['none', 'MalformedFrame']).toContain(codeOf(() => parseServerFrame(v)));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('rejects truncated, trailing-garbage and empty frames as MalformedFrame', () => {
    const good = encodeFrame({ id: 7, op: 'range', key: new Uint8Array([1, 2, 3]) }, LIMIT);
    expect(codeOf(() => decodeFrame(good.subarray(0, good.length - 2), LIMIT))).toBe('MalformedFrame');
    const trailing = new Uint8Array(good.length + 2);
    trailing.set(good);
    expect(codeOf(() => decodeFrame(trailing, LIMIT))).toBe('MalformedFrame');
    expect(codeOf(() => decodeFrame(new Uint8Array(0), LIMIT))).toBe('MalformedFrame');
    // An array header announcing 2^32-1 elements with no body.
    expect(codeOf(() => decodeFrame(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]), LIMIT))).toBe('MalformedFrame');
  });

  it('refuses oversized frames on both sides with RequestTooLarge and the limit in details', () => {
    const big = { id: 1, op: 'put', key: new Uint8Array(1), value: new Uint8Array(REQUEST_BYTES_MAX) };
    let err: unknown;
    try {
      encodeFrame(big, REQUEST_BYTES_MAX);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KiteError);
    expect((err as KiteError).code).toBe('RequestTooLarge');
    expect((err as KiteError).details.limitBytes).toBe(REQUEST_BYTES_MAX);

    const bytes = encodeFrame(big, 4 * REQUEST_BYTES_MAX);
    expect(codeOf(() => decodeFrame(bytes, REQUEST_BYTES_MAX))).toBe('RequestTooLarge');
    expect(codeOf(() => decodeFrame(bytes, 4 * REQUEST_BYTES_MAX))).toBe('none');
  });

  it('turns an unencodable value into InvalidArgument', () => {
    expect(codeOf(() => encodeFrame({ n: 10n ** 30n }, LIMIT))).toBe('InvalidArgument');
  });
});
