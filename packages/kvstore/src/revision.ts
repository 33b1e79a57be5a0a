// A store revision {main, sub}: `main` is the cluster-wide revision of a write request, `sub`
// orders the changes inside it (txn ops, keys of a deleteRange). Backend records are keyed by
// revision; revisionBytes sorts bytewise in revision order (8-byte big-endian main, then sub).

export interface Revision {
  readonly main: number;
  readonly sub: number;
}

export const REVISION_BYTES = 16;

const TWO_32 = 2 ** 32;

function writeU64(out: Uint8Array, offset: number, n: number): void {
  const hi = Math.floor(n / TWO_32);
  const lo = n >>> 0;
  out[offset] = hi >>> 24;
  out[offset + 1] = (hi >>> 16) & 0xff;
  out[offset + 2] = (hi >>> 8) & 0xff;
  out[offset + 3] = hi & 0xff;
  out[offset + 4] = lo >>> 24;
  out[offset + 5] = (lo >>> 16) & 0xff;
  out[offset + 6] = (lo >>> 8) & 0xff;
  out[offset + 7] = lo & 0xff;
}

/**
 * Reads a big-endian u64 (at most 2^53). Below 2^32 the result comes from integer operations
 * only: a float multiplication (`hi * 2^32 + lo`) yields a heap-allocated double even for
 * small values, and one such value stored in a `{main, sub}` object turns that field into
 * a boxed double in every revision object of the process (two extra heap objects per index
 * entry: ~4.6 MiB of 66 in the leader's heap after the mixed benchmark).
 */
function readU64(b: Uint8Array, offset: number): number {
  const hi = (((b[offset] ?? 0) << 24) | ((b[offset + 1] ?? 0) << 16) | ((b[offset + 2] ?? 0) << 8) | (b[offset + 3] ?? 0)) >>> 0;
  const lo = (((b[offset + 4] ?? 0) << 24) | ((b[offset + 5] ?? 0) << 16) | ((b[offset + 6] ?? 0) << 8) | (b[offset + 7] ?? 0)) >>> 0;
  return hi === 0 ? lo : hi * TWO_32 + lo;
}

/** Writes the 16 sortable bytes of `rev` at `offset` of `out`. */
export function writeRevision(out: Uint8Array, offset: number, rev: Revision): void {
  writeU64(out, offset, rev.main);
  writeU64(out, offset + 8, rev.sub);
}

export function readRevision(b: Uint8Array, offset: number): Revision {
  return { main: readU64(b, offset), sub: readU64(b, offset + 8) };
}

export function compareRevision(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

export { writeU64 };
