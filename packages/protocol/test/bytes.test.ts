// Prefix and range semantics must match etcd's exactly: every package relies on them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareBytes, keyInRange, prefixRangeEnd, RANGE_END_ALL, toBytes } from '@kite/protocol';

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  return key.length >= prefix.length && prefix.every((b, i) => key[i] === b);
}

describe('bytes', () => {
  it('computes etcd prefix ends', () => {
    expect(Array.from(prefixRangeEnd(toBytes('abc')))).toEqual(Array.from(toBytes('abd')));
    expect(Array.from(prefixRangeEnd(new Uint8Array([1, 0xff, 0xff])))).toEqual([2]);
    expect(prefixRangeEnd(new Uint8Array([0xff]))).toBe(RANGE_END_ALL);
    expect(prefixRangeEnd(new Uint8Array([]))).toBe(RANGE_END_ALL);
  });

  it('a key is in [prefix, prefixRangeEnd(prefix)) exactly when it starts with prefix', () => {
    const small = fc.uint8Array({ maxLength: 4 }).map((a) => a.map((b) => [0, 1, 0xfe, 0xff][b % 4]!));
    fc.assert(
      fc.property(small, small, (prefix, key) => {
        expect(keyInRange(key, prefix, prefixRangeEnd(prefix))).toBe(startsWith(key, prefix));
      }),
      { numRuns: 500 },
    );
  });

  it('orders bytes lexicographically, shorter first on a tie', () => {
    expect(compareBytes(toBytes('a'), toBytes('ab'))).toBeLessThan(0);
    expect(compareBytes(toBytes('b'), toBytes('ab'))).toBeGreaterThan(0);
    expect(compareBytes(toBytes('ab'), toBytes('ab'))).toBe(0);
  });
});
