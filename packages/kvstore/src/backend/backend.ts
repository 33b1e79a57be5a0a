// The storage interface under the MVCC store: an ordered byte-keyed map with atomic batches,
// consistent snapshots and atomic whole-store replacement. level-backend.ts implements it on
// LevelDB (the only module that imports `level`); memory-backend.ts implements it in memory
// for tests. Keys sort bytewise.

export type BackendOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

export type BackendEntry = readonly [key: Uint8Array, value: Uint8Array];

export interface IterateOptions {
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  /** Entries per yielded batch (a bound on memory per step). */
  readonly batchEntries?: number;
}

export interface BackendReader {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  /** Entries in key order, in batches of at most `batchEntries`. */
  entries(options: IterateOptions): AsyncIterable<readonly BackendEntry[]>;
}

/** A frozen view of the backend at the moment it was taken. Close it when done. */
export interface BackendSnapshot extends BackendReader {
  close(): Promise<void>;
}

export interface Backend extends BackendReader {
  /** Where the data lives (the live database directory), for error messages. */
  readonly location: string;
  /** Applies every op or none. `sync` waits for the OS to flush it to disk. */
  write(ops: readonly BackendOp[], options: { readonly sync: boolean }): Promise<void>;
  /** Taken synchronously: reflects exactly the writes that completed before the call. */
  snapshot(): BackendSnapshot;
  /**
   * Replaces the whole content with `source`'s entries, atomically: if `source` throws or the
   * process dies midway, the old content stays. Two steps, so the (slow) copy runs while the
   * old content is still served: stageReplace() writes the new content aside, commit() swaps
   * it in (readers of the old content must be done), abort() drops it. Not concurrent with
   * writes (the caller's lock).
   */
  stageReplace(source: AsyncIterable<readonly BackendEntry[]>): Promise<StagedReplace>;
  /**
   * Durability barrier: once it resolves, every write that completed before the call survives
   * an OS crash, including unsynced ones the engine had moved out of its current log.
   */
  flush(): Promise<void>;
  /**
   * The files whose own checksums fail (e.g. LevelDB table blocks), each with what is wrong:
   * asked once damage is found, so the error can name them. Absent where there are no files.
   */
  findDamage?(): Promise<string[]>;
  /**
   * Rewrites the stored data so space held by overwritten, deleted and compacted entries goes
   * back to the file system (etcd's defrag). Reads and writes stay correct meanwhile; it costs
   * I/O only. Not concurrent with stageReplace's commit (the caller's lock).
   */
  defrag(): Promise<void>;
  /** Bytes on disk (approximate), for status and quotas. */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

export interface StagedReplace {
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Default entries per iteration batch. */
export const ITERATE_BATCH_ENTRIES = 1024;
