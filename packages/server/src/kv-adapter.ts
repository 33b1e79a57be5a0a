// KvPort over @kite/kvstore: the store (KvStore on LevelDB) plus its watch hub, translating
// between wire shapes (@kite/protocol: leaseId, ws watch args) and the store's.

import { KvStore, LevelBackend, StoreDirError, WatchHub, encodeCommand, type ApplyEntry, type Command } from '@kite/kvstore';
import type { HashResult, LeaseKeepAliveResult, LeaseLeasesResult, LeaseTimeToLiveResult, RangeArgs, TxnArgs, WatchCreateArgs } from '@kite/protocol';
import type { LinkWatcher } from './client-handler.js';
import type { ServerConfig } from './config.js';
import type { KvApplyItem, KvApplyOutcome, KvPort } from './kv-port.js';
import type { Logger } from './logger.js';
import { DataDirError } from './raft-log-store.js';

const NOOP: Command = { op: 'noop' };

type WireWriteOp = 'put' | 'deleteRange' | 'txn' | 'compact' | 'leaseGrant' | 'leaseRevoke';

/**
 * Opens the store. Everything that changes what apply does (limits, minimum lease TTL) is left
 * at the store's constants: apply must give the same result on every replica, whatever each
 * member's flags say. Flag-dependent limits are enforced before proposing (see kite-server).
 */
export async function openKvStore(dir: string, _logger: Logger, _config: ServerConfig): Promise<KvPort> {
  const backend = await LevelBackend.open(dir).catch((err: unknown) => {
    // ACTIVE cannot say which store is live: reported like the raft log's damage (with advice).
    throw err instanceof StoreDirError ? new DataDirError('CorruptDataDir', err.message) : err;
  });
  try {
    // Apply batches are not fsynced: the host calls sync() (KvStore.flush) before it compacts
    // the Raft log past them (host.ts, contract step 10).
    const store = await KvStore.open({ backend, minLeaseTtlSeconds: 1, syncWrites: false });
    return new KvAdapter(store);
  } catch (err) {
    await backend.close().catch(() => undefined);
    throw err;
  }
}

export class KvAdapter implements KvPort {
  private readonly hub: WatchHub;

  constructor(private readonly store: KvStore) {
    this.hub = new WatchHub(store);
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

  async apply(items: readonly KvApplyItem[]): Promise<readonly KvApplyOutcome[]> {
    const entries: ApplyEntry[] = items.map((it) => ({ index: it.index, command: it.command ?? NOOP }));
    const results = await this.store.apply(entries);
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

  encodeCommand(op: WireWriteOp, args: Readonly<Record<string, unknown>>): Uint8Array {
    switch (op) {
      case 'leaseGrant': {
        const { leaseId, ...rest } = args;
        return encodeCommand({ op, args: { ...rest, ...(leaseId !== undefined ? { id: leaseId } : {}) } } as unknown as Command);
      }
      case 'leaseRevoke':
        return encodeCommand({ op, args: { id: args['leaseId'] } } as unknown as Command);
      case 'compact': {
        const { physical: _physical, ...rest } = args;
        return encodeCommand({ op, args: rest } as unknown as Command);
      }
      default:
        return encodeCommand({ op, args } as unknown as Command);
    }
  }

  encodeInternal(cmd: Parameters<KvPort['encodeInternal']>[0]): Uint8Array {
    if (cmd.op === 'leaseRevoke') return encodeCommand({ op: 'leaseRevoke', args: { id: cmd.id } });
    return encodeCommand({ op: 'leaseCheckpoint', args: { checkpoints: cmd.checkpoints } });
  }

  range(args: RangeArgs): ReturnType<KvPort['range']> {
    return this.store.range(args);
  }

  readTxn(args: TxnArgs, revision?: number): ReturnType<KvPort['readTxn']> {
    return this.store.readTxn(args, revision);
  }

  hash(revision: number): Promise<HashResult> {
    return this.store.hash(revision);
  }

  defrag(): Promise<void> {
    return this.store.defrag();
  }

  leaseKeepAlive(id: number, nowMs: number): LeaseKeepAliveResult {
    const r = this.store.leaseKeepAlive(id, nowMs);
    return { leaseId: r.id, ttl: r.ttl };
  }

  leaseTimeToLive(id: number, keys: boolean, nowMs: number): LeaseTimeToLiveResult {
    const { id: leaseId, ...rest } = this.store.leaseTimeToLive(id, { keys }, nowMs);
    return { leaseId, ...rest };
  }

  leaseLeases(): LeaseLeasesResult {
    return this.store.leaseLeases();
  }

  expiredLeases(nowMs: number): readonly number[] {
    return this.store.expiredLeases(nowMs);
  }

  leaseCheckpoints(nowMs: number): readonly { readonly id: number; readonly remainingTtlMs: number }[] {
    return this.store.leaseCheckpoints(nowMs)?.checkpoints ?? [];
  }

  promote(extendMs: number, nowMs: number): void {
    this.store.promote(extendMs, nowMs);
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
      chunks: chunks(),
      cancel: () => void pending.then((s) => s.close()).catch(() => undefined),
    };
  }

  async restore(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    await this.store.restore(chunks);
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
