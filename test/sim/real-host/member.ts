// One simulated Kite member across its incarnations: the REAL Host, RaftLogStore (WAL),
// SnapshotFiles and KvStore (memory backend) wired the way kite-server.ts wires them, over the
// member's simulated disk, simulated timers and the simulated network. A crash is a power cut:
// the incarnation dies with everything in flight, and the disk keeps only what was synced.
//
// The store (memory backend) is not on the simulated disk; a power cut reverts it to its last
// durability barrier (sim-store-backend.ts), so the host's replay of lost store batches from the
// Raft log tail runs too. Bootstrap is the server's own path (new-cluster.ts initializeDataDir, as kite-server.ts
// calls it): the synthetic snapshot at index 1 holding the initial configuration.

import path from 'node:path';
import { KvStore } from '@kite/kvstore';
import type { Message } from '@kite/raft';
import type { ServerConfig } from '../../../packages/server/src/config.js';
import { Host } from '../../../packages/server/src/host.js';
import { KvAdapter } from '../../../packages/server/src/kv-adapter.js';
import type { KvPort } from '../../../packages/server/src/kv-port.js';
import { silentLogger } from '../../../packages/server/src/logger.js';
import { MemberRegistry } from '../../../packages/server/src/member-registry.js';
import { ServerMetrics } from '../../../packages/server/src/metrics.js';
import type { MutantName } from '../../../packages/server/src/mutants.js';
import { initializeDataDir, newClusterState } from '../../../packages/server/src/new-cluster.js';
import { RaftLogStore } from '../../../packages/server/src/raft-log-store.js';
import { SnapshotFiles } from '../../../packages/server/src/snapshot-files.js';
import { receiveSnapshotChunk } from '../../../packages/server/src/snapshot-receive.js';
import type { PeerSnapshotChunk, WatchEvent } from '@kite/protocol';
import type { SimDisk } from './sim-disk.js';
import { SimStoreBackend } from './sim-store-backend.js';
import type { Owner, SimWorld } from './sim-world.js';

/** WAL segments in the simulation: small, so rollovers and segment release happen. */
export const SIM_SEGMENT_BYTES = 16 * 1024;

/** What a member needs from the cluster (network and failure reports). */
export interface MemberEnv {
  readonly world: SimWorld;
  send(from: SimMember, to: string, messages: readonly Message[]): boolean;
  sendSnapshot(from: SimMember, to: string, message: Message, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** The host called onFatal, or a start failed other than by refusing a damaged data dir. */
  onFatal(member: SimMember, err: unknown): void;
  /** A start refused the data dir (CorruptDataDir, DataDirUnreadable). */
  onRefused(member: SimMember, reason: string): void;
  /** An armed crash point was reached (see armCrash): power-cut the member now. */
  onCrashPoint(member: SimMember): void;
}

/** What one watcher (all keys, from revision 1) saw during one incarnation. */
export interface WatchLog {
  readonly member: string;
  readonly generation: number;
  /** One entry per event: its mod revision and `key=value` (or `key deleted`). */
  readonly events: { readonly revision: number; readonly change: string }[];
  canceled: string | null;
}

export interface Incarnation {
  readonly owner: Owner;
  readonly generation: number;
  readonly host: Host;
  readonly kv: KvPort;
  readonly snapFiles: SnapshotFiles;
  readonly watch: WatchLog;
}

export class SimMember {
  /** The live incarnation, or null while down (or before its start finished). */
  live: Incarnation | null = null;
  private owner: Owner | null = null;
  private generation = 0;
  /** The store's backend: a power cut reverts it to its last durability barrier (sim-store-backend.ts). */
  private backend = SimStoreBackend.create();
  /** A power cut happened since the last boot. */
  private lostPower = false;
  /** The store's applied index when the last incarnation died. */
  private appliedAtCrash = 0;
  /** Boots whose store came back behind where it was (lost unsynced batches: the log tail replays them). */
  storeRollbacks = 0;
  /** Why the member refused to start (a damaged data dir): it stays down. */
  refused: string | null = null;
  id = '';
  /** Disk calls left before an armed crash fires (null: none armed). */
  private crashAfterOps: number | null = null;
  /** Every incarnation's watcher, in start order. */
  readonly watchLogs: WatchLog[] = [];

  constructor(
    readonly name: string,
    readonly config: ServerConfig,
    readonly disk: SimDisk,
    private readonly env: MemberEnv,
    private readonly mutant: MutantName | null,
  ) {}

  get dataDir(): string {
    return this.config.dataDir;
  }

  get starting(): boolean {
    return this.owner !== null && this.live === null;
  }

  /** Starts a new incarnation (asynchronously, through simulated events). */
  start(): void {
    if (this.owner !== null || this.refused !== null) return;
    const owner: Owner = { alive: true };
    this.owner = owner;
    const generation = ++this.generation;
    this.boot(owner, generation).then(
      (inc) => {
        if (owner.alive) this.live = inc;
      },
      (err: unknown) => {
        if (!owner.alive) return;
        owner.alive = false;
        this.owner = null;
        const code = (err as { code?: unknown }).code;
        if (code === 'CorruptDataDir' || code === 'DataDirUnreadable') {
          this.refused = (err as Error).message;
          this.env.onRefused(this, this.refused);
        } else {
          this.env.onFatal(this, err);
        }
      },
    );
  }

  /** Power-cuts this member right after its `ops`-th next disk call completes (crash points). */
  armCrash(ops: number): void {
    if (this.crashAfterOps === null) this.crashAfterOps = Math.max(1, ops);
  }

  /** Drops an armed crash point that has not fired. */
  disarmCrash(): void {
    this.crashAfterOps = null;
  }

  get crashArmed(): boolean {
    return this.crashAfterOps !== null;
  }

  private afterDiskOp(owner: Owner): void {
    if (this.crashAfterOps === null || !owner.alive) return;
    if (--this.crashAfterOps > 0) return;
    this.crashAfterOps = null;
    this.env.onCrashPoint(this);
  }

  /** A power cut: the incarnation dies at once; the disk keeps what was synced. */
  crash(): void {
    this.crashAfterOps = null;
    if (this.owner === null) return;
    this.lostPower = true;
    this.appliedAtCrash = this.live?.kv.appliedIndex ?? this.appliedAtCrash;
    this.owner.alive = false;
    this.owner = null;
    this.live = null;
  }

  private async boot(owner: Owner, generation: number): Promise<Incarnation> {
    const { world } = this.env;
    const disk = this.disk.view(owner, () => this.afterDiskOp(owner));
    const cfg = this.config;
    const logStore = await RaftLogStore.open(cfg.dataDir, { disk, segmentBytes: SIM_SEGMENT_BYTES });
    let loaded = await logStore.load();
    let registry: MemberRegistry;
    if (loaded.identity === null) {
      const { identity, registry: reg, voters } = newClusterState(cfg);
      const { snapshot, hardState } = await initializeDataDir(logStore, identity, reg, voters, true);
      loaded = { identity, hardState, snapshot, entries: [], tail: [] };
      registry = reg;
    } else {
      registry = loaded.snapshot === null ? new MemberRegistry() : MemberRegistry.decode(loaded.snapshot.data);
    }
    const identity = loaded.identity;
    if (identity === null) throw new Error('assertion: no identity after bootstrap');
    this.id = identity.memberId;
    const snapFiles = new SnapshotFiles(path.join(cfg.dataDir, 'snap'), undefined, disk);
    await snapFiles.init();
    // A store replace commits as one disk call of this incarnation (sim-store-backend.ts).
    const storeCommit = (): Promise<void> => new Promise<void>((resolve) => world.at(world.nowMs + this.disk.latencyMs, owner, () => {
      resolve();
      this.afterDiskOp(owner);
    }));
    this.backend = this.backend.reopenedAfter(this.lostPower, storeCommit);
    this.lostPower = false;
    const store = await KvStore.open({ backend: this.backend, clock: world.clock, minLeaseTtlSeconds: 1, syncWrites: false });
    const kv = new KvAdapter(store);
    if (kv.appliedIndex < this.appliedAtCrash) this.storeRollbacks++;
    const host = new Host({
      config: cfg,
      selfId: identity.memberId,
      clusterId: identity.clusterId,
      logger: silentLogger(),
      metrics: new ServerMetrics(),
      logStore,
      loaded,
      kv,
      registry,
      snapFiles,
      send: (to, messages) => this.env.send(this, to, messages),
      sendSnapshot: (to, message, chunks) => this.env.sendSnapshot(this, to, message, chunks),
      onPeersChanged: () => undefined,
      onRemoved: () => undefined,
      onFatal: (err) => {
        if (owner.alive) this.env.onFatal(this, err);
      },
      clock: world.clock,
      timers: world.timersFor(owner),
      incarnationTag: `g${generation}`,
      mutant: this.mutant,
    });
    await host.recover();
    host.start();
    return { owner, generation, host, kv, snapFiles, watch: this.watchAll(kv, generation) };
  }

  /** A watcher on every key from revision 1, recording what it is sent (watch.ts rules are checked at the end). */
  private watchAll(kv: KvPort, generation: number): WatchLog {
    const log: WatchLog = { member: this.name, generation, events: [], canceled: null };
    this.watchLogs.push(log);
    const w = kv.watch({ watchId: 1, key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]), startRevision: 1, prevKv: false, noPut: false, noDelete: false, progressNotify: false, fragment: false });
    const dec = new TextDecoder();
    const drain = (): void => {
      for (let batch = w.poll(); batch.length > 0; batch = w.poll()) {
        for (const r of batch) {
          if (r.kind === 'canceled') log.canceled = r.cancelReason;
          if (r.kind !== 'events') continue;
          for (const raw of r.events) {
            const ev = raw as WatchEvent;
            log.events.push({ revision: ev.kv.modRevision, change: ev.type === 'put' ? `${dec.decode(ev.kv.key)}=${dec.decode(ev.kv.value)}` : `${dec.decode(ev.kv.key)} deleted` });
          }
        }
      }
    };
    w.onReadable(drain);
    drain();
    return log;
  }

  /** Stages a streamed snapshot's chunks and hands it to the host, as the peer transport does. */
  async receiveSnapshot(from: string, chunks: readonly PeerSnapshotChunk[]): Promise<void> {
    const inc = this.live;
    if (inc === null) throw new Error('member is down');
    for (const chunk of chunks) {
      await receiveSnapshotChunk(
        {
          files: inc.snapFiles,
          selfId: inc.host.registry.get(this.id)?.id ?? this.id,
          staged: (peer, metadata, file) => inc.host.snapshotStaged(peer, metadata, file),
          diskFull: (err) => this.env.onFatal(this, err),
        },
        from,
        chunk,
      );
      if (!inc.owner.alive) return;
    }
  }
}
