// The store read bytes that are not what it wrote: a record whose checksum does not match, a
// record the index needs that is gone, a store whose record count or key sum disagrees with
// the tally kept beside the data. Not a KvError on purpose: a KvError is a deterministic
// answer every replica gives alike (apply records it as a failed request), while corruption
// is local to one replica. Thrown from apply it therefore crashes the member (contract 4 of
// kv-store.ts) instead of recording a result the healthy replicas would not record; thrown
// from a read it reaches the client as code `Corrupt`, and the store stops serving reads.

export class CorruptError extends Error {
  override readonly name = 'CorruptError';
  /** The wire code (@kite/protocol ERROR_CODES). */
  readonly code = 'Corrupt' as const;

  constructor(
    /** The database directory or file at fault. */
    readonly location: string,
    /** What is damaged, e.g. "record at revision 12.0: checksum mismatch". */
    readonly what: string,
  ) {
    super(`${location} is corrupt: ${what}`);
  }
}

export function isCorruptError(x: unknown): x is CorruptError {
  return x instanceof CorruptError;
}
