// One simulated Kite host: a Raft core plus what a real server keeps on disk. The durable
// store (a MemoryStorage holding snapshot, log and HardState, and the KV state machine with its
// applied index and applied configuration) survives a crash; the RawNode, its unstable log,
// queued reads and unsent messages do not. Hosts start the way a Kite server must (see
// packages/raft/src/bootstrap.ts): an initial member with the bootstrap log (`addVoter` entries
// for the initial voters at indexes 1..N, committed), a spare (a member-to-be, `kite server
// --initial-cluster-state existing`) with an EMPTY storage; replaying the leader's log from
// index 1 (or installing its snapshot) gives the spare the current configuration.
// The Ready loop follows the host contract of packages/raft/src/ready.ts:
//   1. persist the snapshot, then the entries, then the HardState;
//   2. send the messages;
//   3. restore the snapshot into the state machine, apply committed entries in order;
//   4. serve read states whose index is applied;
//   5. advance, then report snapshot/unreachable outcomes observed while sending.
// A crash may strike between 1 and 2 (`stopAfterPersist`), losing everything after 1.

import { bootstrap, decodeConfChange, MemoryStorage, RawNode } from './core.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  LogIndex,
  Message,
  NodeId,
  RaftConfig,
  RaftTestHooks,
  Ready,
  ReadOnlyOption,
  ReadState,
  Snapshot,
} from './core.js';
import { KvStateMachine } from './kv-model.js';
import type { WriteCommand } from './kv-model.js';
import type { SendOutcome } from './network.js';
import { createSimRng, mixSeed } from './sim-rng.js';

export interface RaftOptions {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly readOnly: ReadOnlyOption;
  /** Small values force one entry per appendEntries (what makes Figure-8 races reachable). */
  readonly maxMsgBytes: number;
  readonly maxInflightMsgs: number;
}

/** What the host tells the world; the cluster implements it (network, checkers, clients). */
export interface HostEnv {
  send(msg: Message): SendOutcome;
  onPersisted(host: SimHost, rd: Ready): void;
  onSnapshotRestored(host: SimHost, snap: Snapshot): void;
  onApplied(host: SimHost, entry: Entry, cmd: WriteCommand | null): void;
  onConfChangeApplied(host: SimHost, cc: ConfChange, index: LogIndex, next: ConfState): void;
  onReadServed(host: SimHost, rs: ReadState): void;
}

/** A mutant of the core: the test hooks every core this host constructs gets (test/sim/mutants.ts). */
export type CoreMutator = RaftTestHooks;

/** Read states waiting for the state machine to catch up; more are refused (dropped). */
export const pendingReadsMax = 1_000;

export class SimHost {
  readonly durable: MemoryStorage;
  readonly kv = new KvStateMachine();
  private node: RawNode | null = null;
  private generation = 0;
  private pendingReads: ReadState[] = [];
  /** The configuration as of kv.appliedIndex (durable with it), for host snapshots. */
  private appliedConf: ConfState = { voters: [], learners: [] };
  private retiredFlag = false;

  constructor(
    readonly id: NodeId,
    private readonly index: number,
    /** The initial voters for an initial member; null for a spare (a joiner). */
    initialVoters: readonly NodeId[] | null,
    private readonly options: RaftOptions,
    private readonly seed: number,
    private readonly mutate: CoreMutator | undefined,
  ) {
    this.durable = new MemoryStorage();
    if (initialVoters !== null) bootstrap(this.durable, initialVoters);
    this.start();
  }

  /** Bumped by every restart: answers from an earlier life never reach today's clients. */
  get incarnation(): number {
    return this.generation;
  }

  get alive(): boolean {
    return this.node !== null;
  }

  /** The live core; asking a crashed host for it is a simulator bug. */
  get raw(): RawNode {
    if (this.node === null) throw new Error(`host ${this.id} is crashed`);
    return this.node;
  }

  /** Removed from the cluster and shut down by the operator: never restarts. */
  get retired(): boolean {
    return this.retiredFlag;
  }

  crash(): void {
    this.node = null;
    this.pendingReads = [];
  }

  retire(): void {
    this.crash();
    this.retiredFlag = true;
  }

  restart(): void {
    if (this.node !== null || this.retiredFlag) return;
    this.generation++;
    // Like etcd recovering its backend: a snapshot persisted just before a crash (step 1)
    // may not have reached the state machine (step 3) yet.
    const snap = this.durable.snapshot();
    if (snap.metadata.index > this.kv.appliedIndex) this.restoreSnapshot(snap);
    this.start();
  }

  /** Runs one Ready through the contract above. Returns false when there was nothing to do. */
  handleReady(env: HostEnv, stopAfterPersist = false): boolean {
    const node = this.node;
    if (node === null || !node.hasReady()) return false;
    const rd = node.ready();
    this.persist(rd);
    env.onPersisted(this, rd);
    // The caller crashes the host now: nothing after step 1 happens.
    if (stopAfterPersist) return true;
    const reports: (() => void)[] = [];
    for (const msg of rd.messages) {
      const outcome = env.send(msg);
      if (msg.type === 'installSnapshot') {
        const status = outcome === 'queued' ? 'finish' : 'failure';
        reports.push(() => node.reportSnapshot(msg.to, status));
      } else if (outcome === 'cut') {
        reports.push(() => node.reportUnreachable(msg.to));
      }
    }
    if (rd.snapshot !== undefined) {
      this.restoreSnapshot(rd.snapshot);
      env.onSnapshotRestored(this, rd.snapshot);
    }
    for (const entry of rd.committedEntries) {
      const cmd = this.kv.apply(entry);
      env.onApplied(this, entry, cmd);
      if (entry.type === 'confChange') {
        const cc = decodeConfChange(entry.data);
        this.appliedConf = node.applyConfChange(cc);
        env.onConfChangeApplied(this, cc, entry.index, this.appliedConf);
      }
    }
    for (const rs of rd.readStates) {
      if (this.pendingReads.length < pendingReadsMax) this.pendingReads.push(rs);
    }
    this.serveReads(env);
    node.advance(rd);
    for (const report of reports) report();
    return true;
  }

  /** Host-initiated compaction: snapshot the state machine at its applied index. */
  compact(keepEntries: number): boolean {
    const applied = this.kv.appliedIndex;
    if (applied <= this.durable.snapshot().metadata.index) return false;
    this.durable.createSnapshot(applied, this.appliedConf, this.kv.snapshotData());
    const compactTo = applied - keepEntries;
    if (compactTo >= this.durable.firstIndex()) this.durable.compact(compactTo);
    return true;
  }

  private restoreSnapshot(snap: Snapshot): void {
    this.kv.restore(snap.metadata.index, snap.data);
    this.appliedConf = snap.metadata.confState;
  }

  private persist(rd: Ready): void {
    if (rd.snapshot !== undefined) this.durable.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) this.durable.append(rd.entries);
    if (rd.hardState !== undefined) this.durable.setHardState(rd.hardState);
  }

  private serveReads(env: HostEnv): void {
    const applied = this.kv.appliedIndex;
    const ready = this.pendingReads.filter((rs) => rs.index <= applied);
    if (ready.length === 0) return;
    this.pendingReads = this.pendingReads.filter((rs) => rs.index > applied);
    for (const rs of ready) env.onReadServed(this, rs);
  }

  private start(): void {
    const o = this.options;
    const config: RaftConfig = {
      id: this.id,
      storage: this.durable,
      rng: createSimRng(mixSeed(this.seed, this.index, this.generation)),
      electionTicks: o.electionTicks,
      heartbeatTicks: o.heartbeatTicks,
      applied: this.kv.appliedIndex,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      readOnly: o.readOnly,
      maxMsgBytes: o.maxMsgBytes,
      maxInflightMsgs: o.maxInflightMsgs,
      ...(this.mutate !== undefined ? { testHooks: this.mutate } : {}),
    };
    this.node = new RawNode(config);
  }
}
