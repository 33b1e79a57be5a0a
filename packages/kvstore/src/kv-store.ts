// KvStore: the replicated state machine. The host (server) calls apply() with committed Raft
// entries in log order and serves reads with range(); lease keepalive/expiry helpers are
// leader-local. Everything is in memory for reads at the current revision (key index + current
// values); history lives in the backend, keyed by revision.
//
// Ordering contract:
// 1. apply() batches run one at a time (an internal lock). Within a batch, entries at or below
//    the stored applied index are skipped; the rest mutate memory in order, and their records,
//    plus the new applied index and revision, go to the backend in ONE atomic batch.
// 2. Readers never see a half-applied batch: they wait while a batch mutates memory (they may
//    run while its backend write is in flight; those records are served from `pending`).
// 3. Watch listeners get the batch's changes after its backend write completed, in order.
// 4. A request that fails with a KvError changed nothing, on every replica alike. Any other
//    throw from apply (a broken invariant, a disk error) leaves memory ahead of disk: the host
//    must crash and restart (the store rebuilds from disk and Raft re-delivers the entries).
// 5. Every value read from the backend is checked (backend/checksum-backend.ts) and open()
//    verifies the whole store (recovery.ts). Damage throws CorruptError; once any is found the
//    store refuses every further read and tells onCorrupt listeners: it never answers from
//    data it knows to be damaged.
// 6. open() first tells the store's format (store-format.ts). A store of the Kite before
//    record checksums is converted once, as a whole replace (stageReplace + commit: a fresh
//    database beside the old one, made durable, then the atomic switch), so a crash leaves
//    either the old store, converted again on the next open, or the complete new one.

import { AUDIT_KEYS_MAX, queryAudit, type AuditPage, type AuditQuery } from './audit.js';
import type { AuthView } from './auth-state.js';
import { assert } from './assert.js';
import type { Backend, BackendOp } from './backend/backend.js';
import { LevelBackend } from './backend/level-backend.js';
import { keyBytes } from './bytes.js';
import { ChecksumBackend } from './backend/checksum-backend.js';
import { ChangeSet } from './change-set.js';
import type { Command } from './command.js';
import { decodeCommand } from './command.js';
import { compactBackend, compactIndex } from './compaction.js';
import { CorruptError, isCorruptError } from './corrupt-error.js';
import { InvalidArgumentError, KvError, LeaseNotFoundError } from './errors.js';
import { hashAt } from './hash.js';
import { readHistory } from './history.js';
import { describeKey, encodeMeta, metaKey } from './layout.js';
import type { MetaName } from './layout.js';
import { checkpointLeases, grantLease, revokeLease } from './lease-commands.js';
import { CHECKPOINTS_PER_COMMAND_MAX, LEASE_TTL_SECONDS_MIN_DEFAULT, EXPIRED_LEASES_MAX } from './lessor.js';
import { MvccState } from './mvcc.js';
import { chargeRangeBound, checkReadRevision, rangeFromMemory, rangeKeys } from './range.js';
import { ReadBudget } from './read-budget.js';
import { tallyBatch } from './record-tally.js';
import { rebuildState } from './recovery.js';
import { PRE_CHECKSUM_FORMAT_VERSION, STORE_FORMAT_VERSION, detectFormat, formatMarkerOp, withContentMeta } from './store-format.js';
import type { SnapshotHeader } from './snapshot.js';
import { SNAPSHOT_CHUNK_BYTES, decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { checkPut, executeTxn, readTxnAt } from './txn.js';
import { valuesReadBy } from './value-prefetch.js';
import type { Limits } from './validate.js';
import { DEFAULT_LIMITS, validateCommand, validateRange } from './validate.js';
import type {
  DeleteRangeResult,
  EmptyResult,
  HashResult,
  LeaseCheckpointArgs,
  LeaseGrantResult,
  LeaseKeepAliveResult,
  LeaseLeasesResult,
  LeaseTimeToLiveResult,
  PutResult,
  RangeArgs,
  RangeReply,
  TxnArgs,
  TxnResult,
} from './types.js';
import type { CommittedBatch, HistoryPage, RestoredState, RevisionEvents, Unsubscribe, WatchSource } from './watch-source.js';

export interface KvStoreOptions {
  /** LevelDB directory (created if missing). Exactly one of `dir` and `backend`. */
  readonly dir?: string;
  /** A ready backend, e.g. `new MemoryBackend()` in tests. The store closes it on close(). */
  readonly backend?: Backend;
  /**
   * Monotonic milliseconds for lease expiry (injected; default performance.now()). Never the
   * wall clock: a stepped wall clock must not expire leases early or keep them alive. Its
   * readings stay in memory: only remaining TTLs (durations) are stored and replicated.
   */
  readonly clock?: () => number;
  readonly limits?: Partial<Limits>;
  /** Smallest lease TTL granted; smaller requests are raised to it (etcd: 1.5 x election timeout). */
  readonly minLeaseTtlSeconds?: number;
  /**
   * fsync every apply batch. Off by default: the Raft log is the durable record and a batch
   * lost with the OS is re-applied from it (the applied index is in the same batch). Turn on
   * if the host compacts its Raft log past what the store may have lost.
   */
  readonly syncWrites?: boolean;
  /** Bound on one snapshot chunk's payload. */
  readonly snapshotChunkBytes?: number;
  /** Bytes of current values kept in memory (value-cache.ts); default VALUE_CACHE_BYTES_MAX. */
  readonly valueCacheBytesMax?: number;
}

/** One committed Raft entry for the state machine. A Uint8Array command is decoded first. */
export interface ApplyEntry {
  readonly index: number;
  readonly command: Command | Uint8Array;
}

export type CommandResponse = PutResult | DeleteRangeResult | TxnResult | LeaseGrantResult | EmptyResult;

export type ApplyResult =
  | {
      readonly index: number;
      readonly status: 'applied';
      /** The store revision after this entry (the reply header's revision). */
      readonly revision: number;
      /** put: PutResult; deleteRange: DeleteRangeResult; txn: TxnResult; leaseGrant: LeaseGrantResult; else {}. */
      readonly response: CommandResponse;
    }
  | { readonly index: number; readonly status: 'failed'; readonly revision: number; readonly error: KvError }
  /** At or below the applied index already stored: applied before a restart. */
  | { readonly index: number; readonly status: 'skipped' };

/** A read-only txn's answer and the revision it was read at (the reply header's). */
export type ReadTxnReply = TxnResult & { readonly revision: number };

/** What open() did to a store of an older format (for the host to log). */
export interface FormatConversion {
  readonly fromVersion: number;
  readonly toVersion: number;
  /** Values copied (records, leases, meta). */
  readonly entries: number;
  /** The old database (removed) and the new one. */
  readonly fromLocation: string;
  readonly toLocation: string;
}

export interface StoreSnapshot extends SnapshotHeader {
  /** The chunks; iterate once. The backend snapshot is released at the end or on close(). */
  readonly chunks: AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

export class KvStore implements WatchSource {
  private readonly state: MvccState;
  private readonly clock: () => number;
  readonly limits: Limits;
  private readonly minLeaseTtlSeconds: number;
  private readonly syncWrites: boolean;
  private readonly snapshotChunkBytes: number;

  /** Serializes apply batches, compaction steps, snapshot starts and restores. */
  private lock: Promise<unknown> = Promise.resolve();
  /** Set while a batch or a restore mutates memory; readers wait for it. */
  private mutating: Promise<void> | undefined;
  /** Readers in flight (range, hash, eventsBetween). */
  private activeReads = 0;
  private readsDrained: (() => void) | undefined;
  private published = 1;
  private readonly committedListeners = new Set<(batch: CommittedBatch) => void>();
  private readonly restoredListeners = new Set<(state: RestoredState) => void>();
  private compactionChain: Promise<void> = Promise.resolve();
  /** Bumped by restore so background compaction of the old content stops. */
  private epoch = 0;
  private closed = false;
  /** The first damage found; from then on every read fails with it. */
  private damage: CorruptError | undefined;
  private readonly corruptListeners = new Set<(err: CorruptError) => void>();
  /** The backend holds the format marker (a fresh store gets it with its first batch). */
  private formatMarked = false;
  private conversion: FormatConversion | undefined;

  private constructor(
    /** The backend without the checksum layer (to tell the store's format). */
    private readonly raw: Backend,
    options: KvStoreOptions,
  ) {
    const onCorrupt = (err: CorruptError): void => this.markCorrupt(err);
    this.state = new MvccState(new ChecksumBackend(raw, { describeKey, onCorrupt }), onCorrupt, options.valueCacheBytesMax);
    this.clock = options.clock ?? (() => performance.now());
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.minLeaseTtlSeconds = options.minLeaseTtlSeconds ?? LEASE_TTL_SECONDS_MIN_DEFAULT;
    this.syncWrites = options.syncWrites ?? false;
    this.snapshotChunkBytes = options.snapshotChunkBytes ?? SNAPSHOT_CHUNK_BYTES;
  }

  static async open(options: KvStoreOptions): Promise<KvStore> {
    if ((options.dir === undefined) === (options.backend === undefined)) {
      throw new InvalidArgumentError('KvStore.open needs exactly one of dir and backend');
    }
    const backend = options.backend ?? (await LevelBackend.open(options.dir as string));
    const store = new KvStore(backend, options);
    try {
      await store.openFormat();
      await store.rebuild();
    } catch (err) {
      const damage = await store.describeDamage(err);
      // A backend passed in is the caller's to close; one opened here must not stay locked.
      if (options.backend === undefined) await backend.close().catch(() => undefined);
      throw damage ?? err;
    }
    return store;
  }

  /**
   * Damage found at open, as a CorruptError that also names the files failing their own
   * checksums (LevelDB's table blocks); LevelDB's corruption errors are damage too.
   * Undefined when `err` is not about damage.
   */
  private async describeDamage(err: unknown): Promise<CorruptError | undefined> {
    const levelCorruption = (err as { code?: unknown }).code === 'LEVEL_CORRUPTION';
    if (!isCorruptError(err) && !levelCorruption) return undefined;
    const what = isCorruptError(err) ? err.what : `LevelDB reports ${(err as Error).message}`;
    const files = await this.state.backend.findDamage?.().catch(() => []) ?? [];
    const where = files.length === 0 ? '' : `; damaged table files: ${files.join(', ')}`;
    return new CorruptError(this.state.backend.location, `${what}${where}`);
  }

  /** Tells the store's format; converts a store of the Kite before record checksums. */
  private async openFormat(): Promise<void> {
    const format = await detectFormat(this.raw);
    if (format.kind === 'fresh') return;
    if (format.kind === 'preChecksum') {
      const fromLocation = this.raw.location;
      // The old values are payloads as they stand: the checksum layer seals them on the way
      // into the new database, and the tally and marker are computed from what is copied.
      const staged = await this.state.backend.stageReplace(withContentMeta(this.raw.entries({})));
      // A failed commit is not aborted: it may have switched ACTIVE already, and open sorts
      // out whichever database ACTIVE names.
      await staged.commit();
      this.conversion = {
        fromVersion: PRE_CHECKSUM_FORMAT_VERSION,
        toVersion: STORE_FORMAT_VERSION,
        entries: format.entries,
        fromLocation,
        toLocation: this.raw.location,
      };
    }
    this.formatMarked = true;
  }

  // ---- state

  /** What open() did to a store of an older format; undefined when it converted nothing. */
  get formatConversion(): FormatConversion | undefined {
    return this.conversion;
  }

  /** Raft index of the last applied entry (persisted with the data). */
  get appliedIndex(): number {
    return this.state.appliedIndex;
  }

  /** The latest revision whose changes are durable and published to watchers. */
  get currentRevision(): number {
    return this.published;
  }

  get compactRevision(): number {
    return this.state.compactRevision;
  }

  /**
   * The replicated auth state as of the last applied batch (read-only to callers: it changes
   * only through `auth` commands). Memory only, so it is current as soon as apply resolves.
   */
  get auth(): AuthView {
    return this.state.auth;
  }

  /** Number of keys in the index (live or with retained history). */
  get keyCount(): number {
    return this.state.tree.size;
  }

  sizeBytes(): Promise<number> {
    return this.state.backend.sizeBytes();
  }

  /**
   * Gives the space of dead entries back to the file system (see Backend.defrag). Runs as a
   * reader: applies go on meanwhile, and a snapshot restore waits until it is done.
   */
  defrag(): Promise<void> {
    return this.read(() => this.state.backend.defrag());
  }

  /**
   * Durability barrier: every apply batch that completed before the call survives an OS crash
   * once it resolves (apply batches are not fsynced unless `syncWrites`). Costs a memtable
   * flush on LevelDB: call it per Raft log compaction, not per apply. Runs under the lock, so
   * a restore cannot swap the backend underneath it.
   */
  flush(): Promise<void> {
    return this.exclusive(() => this.state.backend.flush());
  }

  // ---- apply

  /**
   * Applies committed entries in order as one backend batch (see the ordering contract at
   * the top). Returns one result per entry. Index must increase within and across calls.
   */
  apply(entries: readonly ApplyEntry[]): Promise<ApplyResult[]> {
    return this.exclusive(() => this.applyBatch(entries));
  }

  /**
   * FOR THE SERVER'S applied-index-before-apply MUTANT ONLY (packages/server/src/mutants.ts):
   * writes `index` as the stored applied index on its own, ahead of the data it stands for,
   * leaving memory untouched. A crash before the data batch lands leaves a store that claims
   * entries it never applied, which the next start then skips: the bug a failpoint at the
   * apply boundary exists to find. Never called by a healthy build.
   */
  mutantRecordAppliedIndex(index: number): Promise<void> {
    return this.exclusive(() => this.state.backend.write([this.metaOp('appliedIndex', index)], { sync: this.syncWrites }));
  }

  private async applyBatch(entries: readonly ApplyEntry[]): Promise<ApplyResult[]> {
    assert(!this.closed, 'apply on a closed store');
    const results: ApplyResult[] = [];
    const ops: BackendOp[] = [];
    const changes: RevisionEvents[] = [];
    const compactions: number[] = [];
    let release: () => void = () => {};
    this.mutating = new Promise<void>((resolve) => (release = resolve));
    const startIndex = this.state.appliedIndex;
    const auditSeqBefore = this.state.audit.nextSeq;
    try {
      for (const entry of entries) {
        if (entry.index <= this.state.appliedIndex) {
          results.push({ index: entry.index, status: 'skipped' });
          continue;
        }
        results.push(await this.applyOne(entry, ops, changes, compactions));
        this.state.appliedIndex = entry.index;
      }
    } finally {
      this.mutating = undefined;
      release();
    }
    if (this.state.appliedIndex === startIndex) return results;
    if (this.state.audit.nextSeq !== auditSeqBefore) ops.push(this.state.audit.nextSeqOp());
    ops.push(...tallyBatch(this.state.tally, ops));
    ops.push(this.metaOp('appliedIndex', this.state.appliedIndex));
    ops.push(this.metaOp('currentRevision', this.state.currentRevision));
    // A fresh store's first batch carries the format marker, so no data is ever without it.
    if (!this.formatMarked) ops.push(formatMarkerOp());
    await this.state.backend.write(ops, { sync: this.syncWrites });
    this.formatMarked = true;
    this.state.pending.clear();
    this.published = this.state.currentRevision;
    this.publish({ appliedIndex: this.state.appliedIndex, currentRevision: this.published, changes });
    for (const rev of compactions) this.scheduleCompaction(rev);
    return results;
  }

  private async applyOne(
    entry: ApplyEntry,
    ops: BackendOp[],
    changes: RevisionEvents[],
    compactions: number[],
  ): Promise<ApplyResult> {
    assert(Number.isSafeInteger(entry.index) && entry.index > 0, `bad raft index ${entry.index}`);
    let audited: Command | undefined;
    try {
      const cmd = entry.command instanceof Uint8Array ? decodeCommand(entry.command) : entry.command;
      validateCommand(cmd);
      if (cmd.audit !== undefined) audited = cmd;
      // The values this command reads synchronously, loaded and pinned (value-prefetch.ts).
      const reads = valuesReadBy(this.state, cmd);
      if (reads.length > 0) await this.state.pinCurrentValues(reads);
      const response = await this.execute(cmd, entry.index, ops, changes, compactions);
      if (audited !== undefined) await this.recordAudit(audited, 'ok', undefined, ops);
      return { index: entry.index, status: 'applied', revision: this.state.currentRevision, response };
    } catch (err) {
      if (err instanceof KvError) {
        // A refused command is audited too, with its error code (same on every replica).
        if (audited !== undefined) await this.recordAudit(audited, err.code, err.message, ops);
        return { index: entry.index, status: 'failed', revision: this.state.currentRevision, error: err };
      }
      throw err;
    } finally {
      this.state.values.unpinAll();
    }
  }

  private async execute(
    cmd: Command,
    index: number,
    ops: BackendOp[],
    changes: RevisionEvents[],
    compactions: number[],
  ): Promise<CommandResponse> {
    const finish = (cs: ChangeSet): void => {
      const done = cs.finish();
      if (done !== undefined) changes.push(done);
    };
    // One write request = one ChangeSet, finished only if `run` does not throw.
    const inChangeSet = <T>(run: (cs: ChangeSet) => T): T => {
      const cs = new ChangeSet(this.state, ops);
      const res = run(cs);
      finish(cs);
      return res;
    };
    switch (cmd.op) {
      case 'noop':
        return {};
      case 'put':
        checkPut(this.state, cmd.args);
        return inChangeSet((cs) => cs.put(cmd.args));
      case 'deleteRange':
        // The reply carries every deleted value with prevKv: bounded before anything is deleted.
        if (cmd.args.prevKv === true) chargeRangeBound(this.state, cmd.args, 0, new ReadBudget(this.limits));
        return inChangeSet((cs) => cs.deleteRange(cmd.args));
      case 'txn': {
        const cs = new ChangeSet(this.state, ops);
        // The store's own limits, never a member's flags: the verdict must match on every replica.
        const res = await executeTxn(this.state, cs, cmd.args, new ReadBudget(this.limits));
        finish(cs);
        return res;
      }
      case 'compact':
        ops.push(compactIndex(this.state, cmd.args.revision));
        compactions.push(cmd.args.revision);
        return {};
      case 'leaseGrant':
        return grantLease(this.state, cmd.args, index, this.minLeaseTtlSeconds, this.clock(), ops);
      case 'leaseRevoke':
        inChangeSet((cs) => revokeLease(this.state, cmd.args.id, cs, ops));
        return {};
      case 'leaseCheckpoint':
        checkpointLeases(this.state, cmd.args, ops);
        return {};
      case 'auth':
        this.state.auth.apply(cmd.args, ops);
        return {};
      case 'auditAppend':
        for (const r of cmd.args.records) this.state.audit.append(r, r.revision ?? 0, ops);
        await this.state.audit.prune(this.state.backend, cmd.args.retainCount, cmd.args.retainMs, cmd.args.timeMs, ops);
        return {};
    }
  }

  /** The command's audit record, in this apply's batch, then retention. */
  private async recordAudit(cmd: Command, result: string, message: string | undefined, ops: BackendOp[]): Promise<void> {
    const a = cmd.audit;
    assert(a !== undefined, 'recordAudit without an audit context');
    const { keys, rangeEnd } = auditKeys(cmd);
    const msg = message ?? a.message;
    this.state.audit.append(
      { user: a.user, address: a.address, via: a.via, timeMs: a.timeMs, op: a.op ?? cmd.op, keys, ...(rangeEnd !== undefined ? { rangeEnd } : {}), result, ...(msg !== undefined ? { message: msg } : {}) },
      this.state.currentRevision,
      ops,
    );
    await this.state.audit.prune(this.state.backend, a.retainCount, a.retainMs, a.timeMs, ops);
  }

  private metaOp(name: MetaName, n: number): BackendOp {
    return { type: 'put', key: metaKey(name), value: encodeMeta(n) };
  }

  // ---- reads

  /**
   * A local read (the server did ReadIndex first for linearizable ones). Throws KvError;
   * ResponseTooLarge when it passes `budget` (default: the store's limits), as it reads.
   */
  async range(args: RangeArgs, budget: ReadBudget = new ReadBudget(this.limits)): Promise<RangeReply> {
    validateRange(args); // throws inside the promise: callers see a rejection
    if (this.mutating === undefined && this.damage === undefined) {
      // Served from memory without touching the backend: no need to count it as a reader.
      const revision = this.state.currentRevision;
      const res = rangeFromMemory(this.state, args, revision, budget);
      if (res !== undefined) return { ...res, revision };
    }
    return this.read(async () => {
      const revision = this.state.currentRevision;
      const res = await rangeKeys(this.state, args, revision, budget);
      return { ...res, revision };
    });
  }

  /**
   * A read-only txn (every op of both branches, nested ones included, is a range) served
   * locally at ONE revision (0/undefined = current): it answers what the same txn applied at
   * that revision would, by the same rules (validation, compares, range checks). Throws
   * KvError: InvalidArgument for a txn that writes, Compacted, FutureRevision, ResponseTooLarge
   * (all its compares and ranges share one `budget`, default: the store's limits), ...
   */
  readTxn(args: TxnArgs, revision?: number, budget: ReadBudget = new ReadBudget(this.limits)): Promise<ReadTxnReply> {
    try {
      validateCommand({ op: 'txn', args });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.read(async () => {
      const at = checkReadRevision(this.state, revision, this.state.currentRevision);
      return { ...(await readTxnAt(this.state, args, at, budget)), revision: at };
    });
  }

  /** A page of the audit trail (oldest first), filtered (audit.ts). */
  audit(query: AuditQuery): Promise<AuditPage> {
    return this.read(() => queryAudit(this.state.backend, this.state.audit, query));
  }

  /** Hash of the key space at `revision` (0/undefined = current). */
  hash(revision?: number): Promise<HashResult> {
    return this.read(() => hashAt(this.state, revision));
  }

  /**
   * Runs a reader between memory mutations (never inside an apply batch or a restore) and
   * tracks it, so a restore can wait until no reader uses the backend it is about to swap.
   */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    while (this.mutating !== undefined) await this.mutating;
    if (this.damage !== undefined) throw this.damage;
    this.activeReads++;
    try {
      return await fn();
    } catch (err) {
      // LevelDB's own corruption error on a read (a damaged block that open's scan passed,
      // e.g. a seek's restart array): damage like any other, naming the table files.
      if ((err as { code?: unknown }).code !== 'LEVEL_CORRUPTION') throw err;
      const damage = await this.describeDamage(err);
      if (damage === undefined) throw err;
      this.markCorrupt(damage);
      throw damage;
    } finally {
      this.activeReads--;
      if (this.activeReads === 0) this.readsDrained?.();
    }
  }

  /** Blocks new readers (they wait) and resolves once running ones finished. */
  private async quiesceReaders(): Promise<() => void> {
    let release: () => void = () => {};
    this.mutating = new Promise<void>((resolve) => (release = resolve));
    while (this.activeReads > 0) await new Promise<void>((resolve) => (this.readsDrained = resolve));
    this.readsDrained = undefined;
    return () => {
      this.mutating = undefined;
      release();
    };
  }

  // ---- damage

  /** Called once, with the first damage found while serving (open() throws it instead). */
  onCorrupt(listener: (err: CorruptError) => void): Unsubscribe {
    this.corruptListeners.add(listener);
    return () => this.corruptListeners.delete(listener);
  }

  private markCorrupt(err: CorruptError): void {
    if (this.damage !== undefined) return;
    this.damage = err;
    for (const listener of this.corruptListeners) callSafely(() => listener(err));
  }

  // ---- leases (leader-local, not replicated)

  /** Keepalive: restarts the lease's TTL on the primary. Throws LeaseNotFoundError. */
  leaseKeepAlive(id: number, nowMs: number = this.clock()): LeaseKeepAliveResult {
    const lease = this.state.lessor.renew(id, nowMs);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    return { id, ttl: lease.ttlSeconds };
  }

  /**
   * A lease's remaining TTL, and with `keys` the keys attached to it: those are charged to
   * `budget` (default: the store's limits) before the list is sorted or copied, so a lease
   * holding millions of keys gets ResponseTooLarge instead of a giant reply.
   */
  leaseTimeToLive(
    id: number,
    options: { readonly keys?: boolean } = {},
    nowMs: number = this.clock(),
    budget: ReadBudget = new ReadBudget(this.limits),
  ): LeaseTimeToLiveResult {
    const lessor = this.state.lessor;
    const lease = lessor.get(id);
    if (lease === undefined) return options.keys === true ? { id, ttl: -1, grantedTtl: 0, keys: [] } : { id, ttl: -1, grantedTtl: 0 };
    const ttl = lessor.remainingSeconds(lease, nowMs);
    const base = { id, ttl, grantedTtl: lease.ttlSeconds };
    if (options.keys !== true) return base;
    budget.chargeScan(lease.keys.size);
    // A key on the wire: its bytes plus a few of framing.
    for (const k of lease.keys) budget.chargeBytes(k.length + 8);
    return { ...base, keys: [...lease.keys].sort().map(keyBytes) };
  }

  leaseLeases(): LeaseLeasesResult {
    return { leases: this.state.lessor.ids().map((id) => ({ id })) };
  }

  /** Leases the primary should now revoke (propose leaseRevoke for each), smallest id first. */
  expiredLeases(nowMs: number = this.clock(), limit: number = EXPIRED_LEASES_MAX): number[] {
    return this.state.lessor.expired(nowMs, limit);
  }

  /** A leaseCheckpoint command's args for the primary to propose, or undefined if none. */
  leaseCheckpoints(nowMs: number = this.clock()): LeaseCheckpointArgs | undefined {
    const checkpoints = this.state.lessor.checkpoints(nowMs, CHECKPOINTS_PER_COMMAND_MAX);
    return checkpoints.length === 0 ? undefined : { checkpoints };
  }

  /** On becoming leader: every lease restarts from its checkpointed TTL plus `extendMs`. */
  promote(extendMs: number, nowMs: number = this.clock()): void {
    this.state.lessor.promote(extendMs, nowMs);
  }

  /** On losing leadership: leases stop expiring here. */
  demote(): void {
    this.state.lessor.demote();
  }

  get isPrimary(): boolean {
    return this.state.lessor.isPrimary;
  }

  // ---- watch source

  onCommitted(listener: (batch: CommittedBatch) => void): Unsubscribe {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  onRestored(listener: (state: RestoredState) => void): Unsubscribe {
    this.restoredListeners.add(listener);
    return () => this.restoredListeners.delete(listener);
  }

  eventsBetween(
    key: Uint8Array,
    rangeEnd: Uint8Array | undefined,
    fromRevision: number,
    toRevision: number,
    limitRevisions: number,
  ): Promise<HistoryPage> {
    return this.read(() =>
      readHistory(this.state, this.state.backend, this.published, key, rangeEnd, fromRevision, toRevision, limitRevisions),
    );
  }

  private publish(batch: CommittedBatch): void {
    for (const listener of this.committedListeners) callSafely(() => listener(batch));
  }

  // ---- compaction

  private scheduleCompaction(revision: number): void {
    const epoch = this.epoch;
    this.compactionChain = this.compactionChain.then(async () => {
      if (this.closed || epoch !== this.epoch) return;
      // Stops early on close or restore; open() resumes from the markers.
      await compactBackend(this.state, this.state.backend, revision, (fn) => this.exclusive(fn), () => this.closed || epoch !== this.epoch);
    }).catch((err: unknown) => {
      if (isCorruptError(err)) return; // already reported to onCorrupt listeners
      callSafely(() => { throw err; });
    });
  }

  /** Resolves when scheduled physical compactions are done (tests, `compact --physical`). */
  async compactionIdle(): Promise<void> {
    await this.compactionChain;
  }

  // ---- snapshots

  /** A consistent snapshot of the whole state at the current applied index. */
  snapshot(): Promise<StoreSnapshot> {
    return this.exclusive(async () => {
      const header: SnapshotHeader = {
        appliedIndex: this.state.appliedIndex,
        currentRevision: this.state.currentRevision,
        compactRevision: this.state.compactRevision,
      };
      const snap = this.state.backend.snapshot();
      let closed = false;
      const close = async (): Promise<void> => {
        if (closed) return;
        closed = true;
        await snap.close();
      };
      const chunkBytes = this.snapshotChunkBytes;
      async function* chunks(): AsyncGenerator<Uint8Array> {
        try {
          yield* encodeSnapshot(header, snap, chunkBytes);
        } finally {
          await close();
        }
      }
      return { ...header, chunks: chunks(), close };
    });
  }

  /**
   * Replaces the whole state with a snapshot stream (a follower installing the leader's
   * snapshot). Atomic: on a bad stream it throws and the old state stays.
   */
  restore(chunks: AsyncIterable<Uint8Array>): Promise<RestoredState> {
    return this.exclusive(async () => {
      const { header, entries } = await decodeSnapshot(chunks);
      // The copy runs while reads are still served from the old content. The tally and the
      // format marker are the receiver's, computed from the records it writes: a leader of
      // an older Kite sends neither.
      const staged = await this.state.backend.stageReplace(withContentMeta(entries));
      const release = await this.quiesceReaders();
      try {
        await staged.commit();
        this.formatMarked = true;
        this.epoch++;
        await this.rebuild();
      } finally {
        release();
      }
      assert(this.state.appliedIndex === header.appliedIndex, 'snapshot header and content disagree on the applied index');
      const restored: RestoredState = {
        appliedIndex: this.state.appliedIndex,
        currentRevision: this.published,
        compactRevision: this.state.compactRevision,
      };
      for (const listener of this.restoredListeners) callSafely(() => listener(restored));
      return restored;
    });
  }

  // ---- open / close

  /** Rebuilds memory from the backend and resumes an interrupted compaction. */
  private async rebuild(): Promise<void> {
    const recovered = await rebuildState(this.state, this.clock());
    this.published = this.state.currentRevision;
    if (recovered.scheduledCompactRevision > recovered.finishedCompactRevision) {
      this.scheduleCompaction(recovered.scheduledCompactRevision);
    }
  }

  /** Stops background work and closes the backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.exclusive(async () => {
      this.closed = true;
    });
    await this.compactionChain;
    await this.state.backend.close();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

/** The keys an audit record names: the written key or range, or a txn's written keys (bounded). */
function auditKeys(cmd: Command): { keys: Uint8Array[]; rangeEnd?: Uint8Array } {
  switch (cmd.op) {
    case 'put':
      return { keys: [cmd.args.key] };
    case 'deleteRange':
      return cmd.args.rangeEnd !== undefined && cmd.args.rangeEnd.length > 0 ? { keys: [cmd.args.key], rangeEnd: cmd.args.rangeEnd } : { keys: [cmd.args.key] };
    case 'txn': {
      const keys: Uint8Array[] = [];
      const walk = (t: TxnArgs): void => {
        for (const op of [...t.success, ...t.failure]) {
          if (keys.length >= AUDIT_KEYS_MAX) return;
          if (op.type === 'put' || op.type === 'deleteRange') keys.push(op.key);
          else if (op.type === 'txn') walk(op);
        }
      };
      walk(cmd.args);
      return { keys };
    }
    default:
      return { keys: [] };
  }
}

/** Listener exceptions are bugs in the listener: crash loudly, but not inside the store. */
function callSafely(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}
