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

/** Copies up to this size are carved out of a shared slab; larger ones get their own buffer. */
const SLAB_COPY_BYTES_MAX = 4 * 1024;
/** One slab's size: an ArrayBuffer per slab instead of one per copy. */
const COPY_SLAB_BYTES = 64 * 1024;
let copySlab = new Uint8Array(COPY_SLAB_BYTES);
let copySlabUsed = 0;

/**
 * A copy that pins at most a 64 KiB slab, never a larger shared buffer (e.g. a whole Raft
 * entry), for short-lived bytes (records of an apply batch, watch events). Not for bytes kept
 * per key: a slab lives as long as any copy in it. Why slabs: every ArrayBuffer is a malloc'd
 * block freed only when the GC gets to it; a burst of small ones (one per put) leaves the
 * process heap fragmented, resident memory the allocator never returns to the OS.
 */
export function copyBytes(b: Uint8Array): Uint8Array {
  const n = b.byteLength;
  if (n > SLAB_COPY_BYTES_MAX) {
    const own = new Uint8Array(n);
    own.set(b);
    return own;
  }
  if (copySlabUsed + n > COPY_SLAB_BYTES) {
    copySlab = new Uint8Array(COPY_SLAB_BYTES);
    copySlabUsed = 0;
  }
  const out = copySlab.subarray(copySlabUsed, copySlabUsed + n);
  out.set(b);
  copySlabUsed += n;
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
