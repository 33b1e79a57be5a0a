// A small synchronous test network for RawNodes: each node has a MemoryStorage and a
// recorded state machine (the committed entries it applied). `stabilize()` runs every node's
// Ready loop (persist -> send -> apply -> advance) and delivers messages until quiet; links
// can be cut one way or both, and nodes crashed/restarted with their durable storage.

import { createRng } from '@kite/protocol';
import { RawNode, MemoryStorage, bootstrap, decodeConfChange } from '../src/index.js';
import type { RaftConfig } from '../src/config.js';
import type { ConfState, Entry, Message, NodeId, ReadState } from '../src/index.js';

/** Bound on message-delivery rounds in one stabilize() (a livelock shows as a failure). */
const STABILIZE_ROUNDS_MAX = 10_000;

export interface TestNode {
  readonly id: NodeId;
  node: RawNode;
  readonly storage: MemoryStorage;
  /** Every normal entry with data this node applied, in order. */
  readonly applied: Entry[];
  /** Every committed entry handed to this node (no-ops and conf changes included). */
  readonly committed: Entry[];
  readonly readStates: ReadState[];
  /** The configuration after each conf change this node applied. */
  readonly confStates: ConfState[];
  crashed: boolean;
}

export type ConfigOverrides = Partial<Omit<RaftConfig, 'id' | 'storage' | 'rng'>>;

export class Network {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Directed links that drop everything: `${from}->${to}`. */
  private readonly cut = new Set<string>();
  /** Messages delivered so far, by type (for counting in tests). */
  readonly delivered: Message[] = [];
  /** Optional filter: return null to drop a message, or the message (possibly rewritten). */
  filter: ((m: Message) => Message | null) | null = null;
  /** When false, stabilize() leaves messages queued in `pending` for manual delivery. */
  pending: Message[] = [];
  /** Deliver queued messages to a node between its ready() and advance() (async hosts). */
  interleave = false;
  /** Report installSnapshot outcomes to the sender (as a host does); off to test retries. */
  reportSnapshots = true;

  /** Members know the configuration at index 0 (add); see `bootstrapped` for the production way. */
  constructor(
    voters: readonly NodeId[],
    private readonly overrides: ConfigOverrides = {},
    learners: readonly NodeId[] = [],
    private readonly seed = 1,
  ) {
    for (const id of [...voters, ...learners]) this.add(id, { voters, learners });
  }

  /** A new cluster whose members start with the bootstrap log, applied (as after a first Ready). */
  static bootstrapped(voters: readonly NodeId[], overrides: ConfigOverrides = {}): Network {
    const net = new Network([], overrides);
    for (const id of voters) net.addBootstrapped(id, voters);
    net.stabilize();
    return net;
  }

  config(id: NodeId, storage: MemoryStorage, applied = 0): RaftConfig {
    const idNum = [...id].reduce((a, c) => a * 31 + c.charCodeAt(0), this.seed) >>> 0;
    return {
      id,
      storage,
      rng: createRng(idNum),
      electionTicks: 10,
      heartbeatTicks: 1,
      applied,
      ...this.overrides,
    };
  }

  /**
   * Adds a node with an empty log that knows the given configuration at index 0 (the
   * test-only shortcut of storage.ts: every member of such a network must get the same one).
   */
  add(id: NodeId, conf: ConfState, overrides: ConfigOverrides = {}): TestNode {
    return this.addWith(id, new MemoryStorage({ confState: conf }), overrides);
  }

  /** Adds an initial member of a new cluster, started the production way: bootstrap(voters). */
  addBootstrapped(id: NodeId, voters: readonly NodeId[], overrides: ConfigOverrides = {}): TestNode {
    const storage = new MemoryStorage();
    bootstrap(storage, voters);
    return this.addWith(id, storage, overrides);
  }

  /** Adds a joining member the production way: a completely empty storage. */
  addJoiner(id: NodeId, overrides: ConfigOverrides = {}): TestNode {
    return this.addWith(id, new MemoryStorage(), overrides);
  }

  /** Adds a node on a storage the test prepared. */
  addWith(id: NodeId, storage: MemoryStorage, overrides: ConfigOverrides = {}): TestNode {
    // Members added here model processes that have been up for a while, so a test may
    // campaign at once (unless the network's overrides give their own hooks); restart()
    // models a real restart and keeps the post-start quiet period.
    const config = this.config(id, storage);
    const node = new RawNode({ ...config, testHooks: config.testHooks ?? { skipQuietPeriod: true }, ...overrides });
    const t: TestNode = { id, node, storage, applied: [], committed: [], readStates: [], confStates: [], crashed: false };
    this.nodes.set(id, t);
    return t;
  }

  get(id: NodeId): TestNode {
    const t = this.nodes.get(id);
    if (t === undefined) throw new Error(`no node ${id}`);
    return t;
  }

  raw(id: NodeId): RawNode {
    return this.get(id).node;
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  cutLink(from: NodeId, to: NodeId, bothWays = true): void {
    this.cut.add(`${from}->${to}`);
    if (bothWays) this.cut.add(`${to}->${from}`);
  }

  heal(): void {
    this.cut.clear();
  }

  crash(id: NodeId): void {
    this.get(id).crashed = true;
  }

  /** Restarts from durable storage (unpersisted state is lost, as after a crash). */
  restart(id: NodeId, appliedIndex?: number): void {
    const t = this.get(id);
    const applied = appliedIndex ?? t.storage.snapshot().metadata.index;
    t.node = new RawNode(this.config(id, t.storage, applied));
    t.applied.length = 0;
    t.crashed = false;
  }

  /** Processes one Ready of one node; returns the messages it emitted. */
  processReady(t: TestNode, whileOutstanding?: () => void): Message[] {
    const rd = t.node.ready();
    // An asynchronous host keeps stepping messages while it persists (the Ready outstanding).
    whileOutstanding?.();
    if (rd.snapshot !== undefined) {
      t.storage.applySnapshot(rd.snapshot);
    }
    t.storage.append(rd.entries);
    if (rd.hardState !== undefined) t.storage.setHardState(rd.hardState);
    for (const e of rd.committedEntries) {
      t.committed.push(e);
      if (e.type === 'confChange') {
        t.confStates.push(t.node.applyConfChange(decodeConfChange(e.data)));
      } else if (e.data.byteLength > 0) {
        t.applied.push(e);
      }
    }
    t.readStates.push(...rd.readStates);
    t.node.advance(rd);
    return [...rd.messages];
  }

  /** Runs Ready loops and delivers messages until nothing is left to do. */
  stabilize(): void {
    for (let round = 0; round < STABILIZE_ROUNDS_MAX; round++) {
      let progressed = false;
      for (const t of this.nodes.values()) {
        if (t.crashed || !t.node.hasReady()) continue;
        progressed = true;
        const interleaved = this.interleave ? () => this.deliverQueuedTo(t.id) : undefined;
        const out = this.processReady(t, interleaved); // may replace this.pending: push after
        this.pending.push(...out);
      }
      const batch = this.pending;
      this.pending = [];
      for (const m of batch) this.deliver(m);
      if (!progressed && batch.length === 0) return;
    }
    throw new Error(`network did not stabilize within ${STABILIZE_ROUNDS_MAX} rounds`);
  }

  private deliverQueuedTo(id: NodeId): void {
    const mine = this.pending.filter((m) => m.to === id);
    this.pending = this.pending.filter((m) => m.to !== id);
    for (const m of mine) this.deliver(m);
  }

  deliver(original: Message): void {
    const delivered = this.tryDeliver(original);
    if (original.type === 'installSnapshot' && this.reportSnapshots) {
      // Like a host streaming the snapshot: report the outcome to the sender.
      const sender = this.nodes.get(original.from);
      if (sender !== undefined && !sender.crashed) sender.node.reportSnapshot(original.to, delivered ? 'finish' : 'failure');
    }
  }

  private tryDeliver(original: Message): boolean {
    if (this.cut.has(`${original.from}->${original.to}`)) return false;
    const m = this.filter === null ? original : this.filter(original);
    if (m === null) return false;
    const t = this.nodes.get(m.to);
    if (t === undefined || t.crashed) return false;
    this.delivered.push(m);
    t.node.step(m);
    return true;
  }

  /** Ticks every live node once, then stabilizes; `n` times. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const t of this.nodes.values()) if (!t.crashed) t.node.tick();
      this.stabilize();
    }
  }

  campaign(id: NodeId): void {
    this.raw(id).campaign();
    this.stabilize();
  }

  propose(id: NodeId, text: string): void {
    this.raw(id).propose(new TextEncoder().encode(text));
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()]
      .filter((t) => !t.crashed && t.node.status().role === 'leader')
      .map((t) => t.id);
  }

  /** The single live leader, failing the test if there is none or several. */
  leader(): NodeId {
    const ls = this.leaders();
    if (ls.length !== 1) throw new Error(`expected one leader, found [${ls.join(', ')}]`);
    return ls[0] as NodeId;
  }

  appliedTexts(id: NodeId): string[] {
    return this.get(id).applied.map((e) => new TextDecoder().decode(e.data));
  }
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
