// Byte helpers. Inside the in-memory index a key is a "binary string": one UTF-16 code unit
// per byte (latin1). JS string comparison then equals bytewise comparison, and strings are
// cheap Map keys. Conversion happens only at the store's edges.

/** Above this length one Buffer decode beats a per-byte fromCharCode call. */
const shortKeyBytesMax = 64;

/** The latin1 string of `bytes` (order-preserving, one char per byte). */
export function keyString(bytes: Uint8Array): string {
  if (bytes.length <= shortKeyBytesMax) {
    // One call for short keys: no Buffer allocation per key on the index and fan-out paths.
    // The double cast: apply takes any array-like at runtime, but its typing asks for number[].
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Plain Uint8Array views everywhere (never Buffer), so results compare equal whatever their source. */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function keyBytes(key: string): Uint8Array {
  return plainBytes(Buffer.from(key, 'latin1'));
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** A private copy, so cached values never pin a larger shared buffer (e.g. a whole Raft entry). */
export function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/**
 * The key interval of a request as binary strings: `end` undefined = the single key;
 * end === '' = every key >= start (the "\0" rangeEnd convention).
 */
export interface KeyInterval {
  readonly start: string;
  readonly end: string | undefined;
}

export function keyInterval(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyInterval {
  const start = keyString(key);
  if (rangeEnd === undefined || rangeEnd.byteLength === 0) return { start, end: undefined };
  if (rangeEnd.byteLength === 1 && rangeEnd[0] === 0) return { start, end: '' };
  return { start, end: keyString(rangeEnd) };
}

export function intervalContains(iv: KeyInterval, key: string): boolean {
  if (iv.end === undefined) return key === iv.start;
  return key >= iv.start && (iv.end === '' || key < iv.end);
}
