// Byte helpers for keys and ranges, shared so every package agrees on prefix and ordering
// semantics. Browser-safe: TextEncoder/TextDecoder only.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Accepts a string (UTF-8 encoded) or bytes (returned as is). */
export function toBytes(x: string | Uint8Array): Uint8Array {
  return typeof x === 'string' ? encoder.encode(x) : x;
}

/** UTF-8 decodes bytes (invalid sequences become U+FFFD). */
export function bytesToString(b: Uint8Array): string {
  return decoder.decode(b);
}

/** The rangeEnd meaning "every key >= key" (etcd's "\0"). */
export const RANGE_END_ALL: Uint8Array = new Uint8Array([0]);

/**
 * The exclusive end of the range of keys starting with `prefix`: the prefix with its last
 * byte below 0xff incremented (trailing 0xff bytes dropped). An empty or all-0xff prefix has
 * no finite end, so it returns RANGE_END_ALL ("every key >= prefix"), like etcd.
 */
export function prefixRangeEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const b = prefix[i];
    if (b !== undefined && b < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = b + 1;
      return end;
    }
  }
  return RANGE_END_ALL;
}

/** Lexicographic byte order: negative, zero or positive like Array.sort's comparator. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/**
 * Whether `key` falls in [start, rangeEnd): rangeEnd absent or empty = exactly `start`;
 * RANGE_END_ALL = every key >= start.
 */
export function keyInRange(key: Uint8Array, start: Uint8Array, rangeEnd?: Uint8Array): boolean {
  if (rangeEnd === undefined || rangeEnd.length === 0) return bytesEqual(key, start);
  if (compareBytes(key, start) < 0) return false;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return true;
  return compareBytes(key, rangeEnd) < 0;
}
