// What the host needs from the state machine (@kite/kvstore), in one narrow interface. The
// adapter in kv-adapter.ts implements it over the real store; keeping the host to this port
// keeps the host loop readable and the ordering contract in one place.

import type {
  HashResult,
  LeaseKeepAliveResult,
  LeaseLeasesResult,
  LeaseTimeToLiveResult,
  RangeArgs,
  RangeResult,
  TxnArgs,
  TxnResult,
  WatchCreateArgs,
} from '@kite/protocol';
import type { AuditContext, AuditEntryInput, AuditPage, AuditQuery, AuthView, ReadBudget } from '@kite/kvstore';
import type { LinkWatcher } from './client-handler.js';

/** One committed entry for the store: its index, and the kv command (null = index only). */
export interface KvApplyItem {
  readonly index: number;
  readonly command: Uint8Array | null;
}

/** The outcome of one applied command: a result and the revision after it, or a typed error. */
export type KvApplyOutcome =
  | { readonly ok: true; readonly revision: number; readonly result: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly error: Error & { readonly code: string } };

export interface KvPort {
  readonly appliedIndex: number;
  readonly currentRevision: number;
  /** History at or below this revision is gone (0 = never compacted). */
  readonly compactRevision: number;
  /** The replicated auth state as applied so far (changes only through `auth` commands). */
  readonly auth: AuthView;
  /** Called after an apply batch (or a restore) that moved the auth revision. */
  onAuthChange(listener: () => void): void;
  /** Applies entries in order in one durable batch (entries <= appliedIndex are skipped). */
  apply(items: readonly KvApplyItem[]): Promise<readonly KvApplyOutcome[]>;
  /** The applied-index-before-apply mutant only (mutants.ts): the applied index stored alone, ahead of its data. */
  mutantRecordAppliedIndex?(index: number): Promise<void>;
  /**
   * Makes every apply that completed so far durable, including batches LevelDB had moved to
   * an old, unsynced log (KvStore.flush: a memtable flush; see host.ts step 10).
   */
  sync(): Promise<void>;
  /** Resolves once every compaction applied so far is physically done in the store. */
  compactionIdle(): Promise<void>;
  /** Kv command bytes for a client write op (the store's versioned encoding). */
  encodeCommand(op: 'put' | 'deleteRange' | 'txn' | 'compact' | 'leaseGrant' | 'leaseRevoke' | 'auth', args: Readonly<Record<string, unknown>>, audit?: AuditContext): Uint8Array;
  /** An auditAppend command (records of requests refused before Raft, member and alarm changes). */
  encodeAuditAppend(records: readonly AuditEntryInput[], retention: { readonly retainCount: number; readonly retainMs: number; readonly timeMs: number }): Uint8Array;
  /** A page of the replicated audit trail. */
  audit(query: AuditQuery): Promise<AuditPage>;
  /** Stops with ResponseTooLarge (or the budget's outer error) as it reads past `budget` (default: the store's). */
  range(args: RangeArgs, budget?: ReadBudget): Promise<RangeResult & { readonly revision: number }>;
  /** A read-only txn at one revision (default: current), by apply's rules (see read-txn.ts); its reads share `budget`. */
  readTxn(args: TxnArgs, revision?: number, budget?: ReadBudget): Promise<TxnResult & { readonly revision: number }>;
  hash(revision: number): Promise<HashResult>;
  /** Gives the space of dead entries in this member's store back to the file system. */
  defrag(): Promise<void>;
  // Lease expiries follow the store's own monotonic clock (see openKvStore): callers pass no time.
  leaseKeepAlive(id: number): LeaseKeepAliveResult;
  leaseTimeToLive(id: number, keys: boolean, budget?: ReadBudget): LeaseTimeToLiveResult;
  leaseLeases(): LeaseLeasesResult;
  /** Leader only: leases past their expiry (bounded list). */
  expiredLeases(): readonly number[];
  /** Leader only: remaining TTLs to checkpoint through Raft. */
  leaseCheckpoints(): readonly { readonly id: number; readonly remainingTtlMs: number }[];
  /** Kv command bytes for lease upkeep the leader proposes itself. */
  encodeInternal(cmd: { readonly op: 'leaseRevoke'; readonly id: number } | { readonly op: 'leaseCheckpoint'; readonly checkpoints: readonly { readonly id: number; readonly remainingTtlMs: number }[] }): Uint8Array;
  /** This member became leader: start expiry clocks, extended by `extendMs`. */
  promote(extendMs: number): void;
  demote(): void;
  /**
   * A consistent snapshot of the whole store, ordered with applies as of this call: it holds
   * exactly the entries up to the `appliedIndex` returned (the store's applied index now).
   */
  snapshot(): {
    readonly appliedIndex: number;
    /** The store's revisions at that index (for a backup file's header). */
    readonly revisions: Promise<{ readonly currentRevision: number; readonly compactRevision: number }>;
    readonly chunks: AsyncIterable<Uint8Array>;
    cancel(): void;
  };
  /** Replaces the store with a snapshot stream; atomic; watchers are resynced. */
  restore(chunks: AsyncIterable<Uint8Array>): Promise<void>;
  dbSizeBytes(): Promise<number>;
  watch(args: WatchCreateArgs): LinkWatcher;
  readonly watcherCount: number;
  /** Keys in the store's index (live, or deleted with history not yet compacted). */
  readonly keyCount: number;
  tickProgress(): void;
  /**
   * Called once when the store finds its data damaged while serving (a checksum or a missing
   * record): it already refuses every read; the member must stop. `err.message` names the
   * database and the record.
   */
  onCorrupt(listener: (err: Error) => void): void;
  close(): Promise<void>;
}
