// The store's backend with a sync point: the store writes its apply batches without fsync
// (the Raft log is the durable record), and the host calls sync() before it compacts the Raft
// log past the store's applied index (host.ts, contract step 10), so the entries it drops are
// never the only copy of an applied state.
//
// sync() is one synced LevelDB write (a delete of a key no store record uses): LevelDB fsyncs
// its log file, which holds every earlier write of the current log. Limitation: LevelDB
// closes a full memtable's log without fsync and relies on the table file it then writes
// (which it does fsync); an OS crash inside that window can still lose store batches, which
// the host repairs from the log tail it keeps below each snapshot (host.recover).

import type { Backend, BackendEntry, BackendOp, BackendSnapshot } from '@kite/kvstore';

// Not exported by @kite/kvstore's index; taken from the interface.
type IterateOptions = Parameters<Backend['entries']>[0];
type StagedReplace = Awaited<ReturnType<Backend['stageReplace']>>;

/** 's' is no prefix of the store's layout ('r' records, 'l' leases, 'm' meta). */
const SYNC_KEY = new TextEncoder().encode('s/sync');

export class SyncableBackend implements Backend {
  /** Synced writes issued by sync() (for tests: the work is bounded by snapshots, not applies). */
  syncs = 0;

  constructor(private readonly inner: Backend) {}

  /** Makes every write that completed before this call durable. */
  async sync(): Promise<void> {
    this.syncs++;
    await this.inner.write([{ type: 'del', key: SYNC_KEY }], { sync: true });
  }

  write(ops: readonly BackendOp[], options: { readonly sync: boolean }): Promise<void> {
    return this.inner.write(ops, options);
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }

  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.inner.getMany(keys);
  }

  entries(options: IterateOptions): AsyncIterable<readonly BackendEntry[]> {
    return this.inner.entries(options);
  }

  snapshot(): BackendSnapshot {
    return this.inner.snapshot();
  }

  stageReplace(source: AsyncIterable<readonly BackendEntry[]>): Promise<StagedReplace> {
    return this.inner.stageReplace(source);
  }

  sizeBytes(): Promise<number> {
    return this.inner.sizeBytes();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
