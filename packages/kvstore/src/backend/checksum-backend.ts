// A Backend that checksums every value it stores and verifies every value it reads back. Each
// stored value is `payload ‖ crc` where crc is the CRC-32 (4 bytes, big-endian) of the key
// followed by the payload: a flipped bit in either, or a record moved to another key, fails
// the check. Callers above see payloads only; snapshots and stageReplace sources carry
// payloads too, so the snapshot stream format does not change.
//
// Why Kite's own checksums rather than LevelDB's: classic-level does not expose LevelDB's
// `verify_checksums` (reads) or `paranoid_checks` (open), so a damaged table block is read
// unchecked; it decodes into wrong values, into skipped entries, or into an error, depending on
// where the damage lies. Checking here covers wrong values on every read (open, ranges at
// old revisions, history, compaction, snapshots). Entries that vanish entirely cannot be
// caught per record: the store's record tally (record-tally.ts) and the table-file check at
// open (backend/table-check.ts) cover those.
//
// A mismatch throws CorruptError and calls `onCorrupt` once, so the owner can stop serving.

import { CorruptError } from '../corrupt-error.js';
import { crcUpdate } from '../crc.js';
import type { Backend, BackendEntry, BackendOp, BackendReader, BackendSnapshot, IterateOptions, StagedReplace } from './backend.js';

const CRC_BYTES = 4;

export interface ChecksumOptions {
  /** A readable name for a key in messages ("record at revision 12.0"). */
  readonly describeKey: (key: Uint8Array) => string;
  /** Called with the first mismatch found (then the error is thrown as usual). */
  readonly onCorrupt: (err: CorruptError) => void;
}

function checksumOf(key: Uint8Array, payload: Uint8Array): number {
  return crcUpdate(payload, crcUpdate(key, 0)) >>> 0;
}

export function sealValue(key: Uint8Array, payload: Uint8Array): Uint8Array {
  const n = payload.byteLength;
  const out = new Uint8Array(n + CRC_BYTES);
  out.set(payload, 0);
  const crc = checksumOf(key, payload);
  out[n] = crc >>> 24;
  out[n + 1] = (crc >>> 16) & 0xff;
  out[n + 2] = (crc >>> 8) & 0xff;
  out[n + 3] = crc & 0xff;
  return out;
}

function storedCrc(stored: Uint8Array, at: number): number {
  return (((stored[at] as number) << 24) | ((stored[at + 1] as number) << 16) | ((stored[at + 2] as number) << 8) | (stored[at + 3] as number)) >>> 0;
}

/** The payload of a value stored under `key`, or undefined when its checksum does not match. */
export function unsealValue(key: Uint8Array, stored: Uint8Array): Uint8Array | undefined {
  const n = stored.byteLength - CRC_BYTES;
  if (n < 0) return undefined;
  const payload = stored.subarray(0, n);
  return checksumOf(key, payload) === storedCrc(stored, n) ? payload : undefined;
}

class ChecksumReader implements BackendReader {
  constructor(
    protected readonly inner: () => BackendReader,
    protected readonly locate: () => string,
    protected readonly options: ChecksumOptions,
  ) {}

  /** The payload of a stored value, or throws CorruptError. */
  protected open(key: Uint8Array, stored: Uint8Array): Uint8Array {
    if (stored.byteLength < CRC_BYTES) throw this.corrupt(`${this.options.describeKey(key)}: ${stored.byteLength} bytes, shorter than its checksum`);
    const payload = unsealValue(key, stored);
    if (payload === undefined) throw this.corrupt(`${this.options.describeKey(key)}: checksum mismatch`);
    return payload;
  }

  protected corrupt(what: string): CorruptError {
    const err = new CorruptError(this.locate(), what);
    this.options.onCorrupt(err);
    return err;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const v = await this.inner().get(key);
    return v === undefined ? undefined : this.open(key, v);
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const vs = await this.inner().getMany(keys);
    return vs.map((v, i) => (v === undefined ? undefined : this.open(keys[i] as Uint8Array, v)));
  }

  async *entries(options: IterateOptions): AsyncIterable<readonly BackendEntry[]> {
    for await (const batch of this.inner().entries(options)) {
      yield batch.map(([k, v]): BackendEntry => [k, this.open(k, v)]);
    }
  }
}

export class ChecksumBackend extends ChecksumReader implements Backend {
  constructor(
    private readonly backend: Backend,
    options: ChecksumOptions,
  ) {
    super(() => backend, () => backend.location, options);
  }

  get location(): string {
    return this.backend.location;
  }

  write(ops: readonly BackendOp[], options: { readonly sync: boolean }): Promise<void> {
    const sealed = ops.map((op): BackendOp => (op.type === 'put' ? { type: 'put', key: op.key, value: sealValue(op.key, op.value) } : op));
    return this.backend.write(sealed, options);
  }

  snapshot(): BackendSnapshot {
    const snap = this.backend.snapshot();
    const location = this.backend.location;
    const reader = new ChecksumReader(() => snap, () => location, this.options);
    return Object.assign(reader, { close: () => snap.close() });
  }

  stageReplace(source: AsyncIterable<readonly BackendEntry[]>): Promise<StagedReplace> {
    async function* sealed(): AsyncIterable<readonly BackendEntry[]> {
      for await (const batch of source) yield batch.map(([k, v]): BackendEntry => [k, sealValue(k, v)]);
    }
    return this.backend.stageReplace(sealed());
  }

  flush(): Promise<void> {
    return this.backend.flush();
  }

  defrag(): Promise<void> {
    return this.backend.defrag();
  }

  async findDamage(): Promise<string[]> {
    return (await this.backend.findDamage?.()) ?? [];
  }

  sizeBytes(): Promise<number> {
    return this.backend.sizeBytes();
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}
