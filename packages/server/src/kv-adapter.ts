// KvPort over @kite/kvstore: the store (KvStore on LevelDB) plus its watch hub, translating
// between wire shapes (@kite/protocol: leaseId, ws watch args) and the store's.

import { KvStore, LevelBackend, StoreDirError, WatchHub, encodeCommand, type ApplyEntry, type AuditContext, type AuditEntryInput, type AuditPage, type AuditQuery, type AuthView, type Command, type ReadBudget } from '@kite/kvstore';
import type { HashResult, LeaseKeepAliveResult, LeaseLeasesResult, LeaseTimeToLiveResult, RangeArgs, TxnArgs, WatchCreateArgs } from '@kite/protocol';
import type { LinkWatcher } from './client-handler.js';
import { monotonicMs, type MonotonicClock } from './clock.js';
import { activeMutant, mutantWatchSource } from './mutants.js';
import type { ServerConfig } from './config.js';
import type { KvApplyItem, KvApplyOutcome, KvPort } from './kv-port.js';
import type { Logger } from './logger.js';
import { DataDirError } from './raft-log-store.js';

const NOOP: Command = { op: 'noop' };

type WireWriteOp = 'put' | 'deleteRange' | 'txn' | 'compact' | 'leaseGrant' | 'leaseRevoke' | 'auth';

/**
 * Opens the store. Everything that changes what apply does (limits, minimum lease TTL) is left
 * at the store's constants: apply must give the same result on every replica, whatever each
 * member's flags say. Flag-dependent limits are enforced before proposing (see kite-server).
 */
export async function openKvStore(dir: string, logger: Logger, config: ServerConfig, clock: MonotonicClock = monotonicMs): Promise<KvPort> {
  const backend = await LevelBackend.open(dir).catch((err: unknown) => {
    // ACTIVE cannot say which store is live: reported like the raft log's damage (with advice).
    throw err instanceof StoreDirError ? new DataDirError('CorruptDataDir', err.message) : err;
  });
  try {
    // Apply batches are not fsynced: the host calls sync() (KvStore.flush) before it compacts
    // the Raft log past them (host.ts, contract step 10).
    // Lease expiries are kept on the monotonic clock: a stepped wall clock neither expires a
    // lease early nor keeps one alive; only remaining TTLs (durations) are replicated.
    // The value cache is memory only (every value is in LevelDB): a member's own flag, not replicated.
    const store = await KvStore.open({ backend, clock, minLeaseTtlSeconds: 1, syncWrites: false, valueCacheBytesMax: config.valueCacheBytesMax });
    const c = store.formatConversion;
    if (c !== undefined) {
      logger.info(c, `store converted from format ${c.fromVersion} to format ${c.toVersion} (record checksums): ${c.entries} values copied from ${c.fromLocation} to ${c.toLocation}, old database removed`);
    }
    return new KvAdapter(store);
  } catch (err) {
    await backend.close().catch(() => undefined);
    throw err;
  }
}

export class KvAdapter implements KvPort {
  private readonly hub: WatchHub;
  private readonly authListeners: (() => void)[] = [];
  private authRevisionSeen: number;

  constructor(private readonly store: KvStore) {
    this.hub = new WatchHub(mutantWatchSource(activeMutant(), store));
    this.authRevisionSeen = store.auth.revision;
  }

  get auth(): AuthView {
    return this.store.auth;
  }

  onAuthChange(listener: () => void): void {
    this.authListeners.push(listener);
  }

  private noticeAuthChange(): void {
    if (this.store.auth.revision === this.authRevisionSeen) return;
    this.authRevisionSeen = this.store.auth.revision;
    for (const l of this.authListeners) l();
  }

  get appliedIndex(): number {
    return this.store.appliedIndex;
  }

  get currentRevision(): number {
    return this.store.currentRevision;
  }

  get compactRevision(): number {
    return this.store.compactRevision;
  }

  get watcherCount(): number {
    return this.hub.watcherCount;
  }

  get keyCount(): number {
    return this.store.keyCount;
  }

  onCorrupt(listener: (err: Error) => void): void {
    this.store.onCorrupt(listener);
  }

  mutantRecordAppliedIndex(index: number): Promise<void> {
    return this.store.mutantRecordAppliedIndex(index);
  }

  async apply(items: readonly KvApplyItem[]): Promise<readonly KvApplyOutcome[]> {
    const entries: ApplyEntry[] = items.map((it) => ({ index: it.index, command: it.command ?? NOOP }));
    const results = await this.store.apply(entries);
    this.noticeAuthChange();
    return results.map((r): KvApplyOutcome => {
      switch (r.status) {
        case 'applied':
          return { ok: true, revision: r.revision, result: toWireResult(r.response as Readonly<Record<string, unknown>>) };
        case 'failed':
          return { ok: false, error: r.error };
        case 'skipped':
          return { ok: true, revision: this.store.currentRevision, result: {} };
      }
    });
  }

  sync(): Promise<void> {
    return this.store.flush();
  }

  compactionIdle(): Promise<void> {
    return this.store.compactionIdle();
  }

  encodeCommand(op: WireWriteOp, args: Readonly<Record<string, unknown>>, audit?: AuditContext): Uint8Array {
    const withAudit = (cmd: Record<string, unknown>): Uint8Array => encodeCommand((audit === undefined ? cmd : { ...cmd, audit }) as unknown as Command);
    switch (op) {
      case 'leaseGrant': {
        const { leaseId, ...rest } = args;
        return withAudit({ op, args: { ...rest, ...(leaseId !== undefined ? { id: leaseId } : {}) } });
      }
      case 'leaseRevoke':
        return withAudit({ op, args: { id: args['leaseId'] } });
      case 'compact': {
        const { physical: _physical, ...rest } = args;
        return withAudit({ op, args: rest });
      }
      default:
        return withAudit({ op, args });
    }
  }

  encodeAuditAppend(records: readonly AuditEntryInput[], retention: { readonly retainCount: number; readonly retainMs: number; readonly timeMs: number }): Uint8Array {
    return encodeCommand({ op: 'auditAppend', args: { records, ...retention } });
  }

  audit(query: AuditQuery): Promise<AuditPage> {
    return this.store.audit(query);
  }

  encodeInternal(cmd: Parameters<KvPort['encodeInternal']>[0]): Uint8Array {
    if (cmd.op === 'leaseRevoke') return encodeCommand({ op: 'leaseRevoke', args: { id: cmd.id } });
    return encodeCommand({ op: 'leaseCheckpoint', args: { checkpoints: cmd.checkpoints } });
  }

  range(args: RangeArgs, budget?: ReadBudget): ReturnType<KvPort['range']> {
    return this.store.range(args, budget);
  }

  readTxn(args: TxnArgs, revision?: number, budget?: ReadBudget): ReturnType<KvPort['readTxn']> {
    return this.store.readTxn(args, revision, budget);
  }

  hash(revision: number): Promise<HashResult> {
    return this.store.hash(revision);
  }

  defrag(): Promise<void> {
    return this.store.defrag();
  }

  leaseKeepAlive(id: number): LeaseKeepAliveResult {
    const r = this.store.leaseKeepAlive(id);
    return { leaseId: r.id, ttl: r.ttl };
  }

  leaseTimeToLive(id: number, keys: boolean, budget?: ReadBudget): LeaseTimeToLiveResult {
    const { id: leaseId, ...rest } = this.store.leaseTimeToLive(id, { keys }, undefined, budget);
    return { leaseId, ...rest };
  }

  leaseLeases(): LeaseLeasesResult {
    return this.store.leaseLeases();
  }

  expiredLeases(): readonly number[] {
    return this.store.expiredLeases();
  }

  leaseCheckpoints(): readonly { readonly id: number; readonly remainingTtlMs: number }[] {
    return this.store.leaseCheckpoints()?.checkpoints ?? [];
  }

  promote(extendMs: number): void {
    this.store.promote(extendMs);
  }

  demote(): void {
    this.store.demote();
  }

  snapshot(): ReturnType<KvPort['snapshot']> {
    const appliedIndex = this.store.appliedIndex;
    // Called now, so the store orders the snapshot before any later apply batch.
    const pending = this.store.snapshot();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const snap = await pending;
      if (snap.appliedIndex !== appliedIndex) {
        await snap.close();
        throw new Error(`assertion: snapshot at ${snap.appliedIndex}, expected ${appliedIndex}`);
      }
      yield* snap.chunks;
    }
    return {
      appliedIndex,
      revisions: pending.then((s) => ({ currentRevision: s.currentRevision, compactRevision: s.compactRevision })),
      chunks: chunks(),
      cancel: () => void pending.then((s) => s.close()).catch(() => undefined),
    };
  }

  async restore(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    await this.store.restore(chunks);
    this.noticeAuthChange();
  }

  dbSizeBytes(): Promise<number> {
    return this.store.sizeBytes();
  }

  watch(args: WatchCreateArgs): LinkWatcher {
    const { watchId: _watchId, ...req } = args;
    return this.hub.watch(req);
  }

  tickProgress(): void {
    this.hub.tickProgress();
  }

  async close(): Promise<void> {
    this.hub.close('member stopping');
    await this.store.close();
  }
}

/** Store results use `id` for leases; the wire says `leaseId`. */
function toWireResult(r: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (typeof r['id'] === 'number' && typeof r['ttl'] === 'number') {
    const { id, ...rest } = r;
    return { ...rest, leaseId: id };
  }
  return r;
}
