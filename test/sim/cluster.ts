// The simulated cluster: hosts, network, clients and checkers driven by one seeded scheduler.
// Time advances in units; in each unit, in this order:
//   1. messages due now are stepped into their (live) recipients, in send order;
//   2. members whose tick phase falls on this unit tick;
//   3. the schedule's action for this unit runs (client request or fault) — so a crash here
//      loses whatever the core took in during 1-2 but had not yet persisted;
//   4. every live host runs one Ready (persist, send, apply, serve reads, advance); a fault
//      armed against the next leader strikes the first Ready in which a member leads;
//   5. the safety checker observes every member's role and the durable logs.
// Nothing else is random or timed: the seed feeds the network, tick phases and election jitter.
// Membership: `spares` extra hosts run from the start, outside the configuration, until a
// schedule adds them; a removed member is shut down once every remaining member applied its
// removal (see retireRemoved).

import type { ConfChange, ConfState, Entry, LogIndex, Message, NodeId, Ready, ReadState, Snapshot } from './core.js';
import { SimHost } from './host.js';
import type { CoreMutator, HostEnv } from './host.js';
import { SafetyChecker } from './invariants.js';
import type { KvCell, WriteCommand } from './kv-model.js';
import { encodeWrite } from './kv-model.js';
import { calmKnobs, SimNetwork } from './network.js';
import type { SendOutcome } from './network.js';
import { ClientHistory } from './read-check.js';
import type { Action, NodeRef, SimCase } from './schedule.js';
import { unitsPerTick } from './schedule.js';
import { createSimRng, mixSeed } from './sim-rng.js';
import type { SimRng } from './sim-rng.js';
import { SimViolation } from './violation.js';

/** After healing, the cluster must settle (one leader, everything committed and applied). */
export const settleTicksMax = 600;
/** Faults armed against the next new leader at once; more are ignored. */
export const trapsMax = 4;
/** Entries kept in the log behind a host-initiated snapshot. */
export const compactKeepEntries = 0;

export interface SimStats {
  units: number;
  messagesSent: number;
  messagesDelivered: number;
  crashes: number;
  leaderTerms: number;
  committedIndex: number;
  writesAcked: number;
  readsServed: number;
  snapshotsRestored: number;
  confChangesApplied: number;
  membersRetired: number;
  traceHash: number;
}

export class SimCluster implements HostEnv {
  readonly hosts: SimHost[];
  readonly network: SimNetwork;
  readonly safety = new SafetyChecker();
  readonly clients = new ClientHistory();
  private readonly counters = {
    units: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    crashes: 0,
    snapshotsRestored: 0,
    confChangesApplied: 0,
    membersRetired: 0,
    traceHash: 0,
  };
  private readonly ids: NodeId[];
  private readonly byId = new Map<NodeId, SimHost>();
  private readonly tickPhase: number[];
  private readonly rng: SimRng;
  private now = 0;
  private crashAfterPersist: SimHost | null = null;
  private readonly traps: ('crash' | 'isolate')[] = [];
  private readonly leadersSeen = new Set<SimHost>();
  /** The initial voters (the spares come after them in `hosts`). */
  private readonly initialVoters: SimHost[];
  private nextSpare: number;
  /** Once a membership change is in the log, quorums are no longer those of initialVoters. */
  private membershipChanged = false;
  /** Removed members, shut down once every remaining member applied their removal. */
  private readonly removals = new Map<SimHost, { readonly index: LogIndex; readonly stayers: readonly NodeId[] }>();

  constructor(
    private readonly simCase: SimCase,
    mutate?: CoreMutator,
  ) {
    const { seed, schedule } = simCase;
    const total = schedule.nodes + (schedule.spares ?? 0);
    this.ids = Array.from({ length: total }, (_, i) => `n${i + 1}`);
    const voters = this.ids.slice(0, schedule.nodes);
    this.rng = createSimRng(mixSeed(seed, 0xc1));
    this.network = new SimNetwork(createSimRng(mixSeed(seed, 0x9e7)));
    this.tickPhase = this.ids.map(() => this.rng.int(unitsPerTick));
    // Initial members boot with the bootstrap log; spares (joiners) boot empty.
    this.hosts = this.ids.map(
      (id, i) => new SimHost(id, i, i < schedule.nodes ? voters : null, schedule.raft, seed, mutate),
    );
    for (const h of this.hosts) this.byId.set(h.id, h);
    this.initialVoters = this.hosts.slice(0, schedule.nodes);
    this.nextSpare = schedule.nodes;
  }

  /** Runs the schedule, then heals everything and checks the cluster settles. */
  run(): SimStats {
    for (const step of this.simCase.schedule.steps) {
      for (let i = 0; i < step.waitUnits; i++) this.unit();
      this.unit(step.action);
    }
    this.settle();
    return this.stats;
  }

  /** Counters so far (also meaningful after a violation stopped the run). */
  get stats(): SimStats {
    return {
      ...this.counters,
      committedIndex: this.safety.committedIndex,
      leaderTerms: this.safety.leaderTermCount,
      writesAcked: this.clients.acked,
      readsServed: this.clients.served,
    };
  }

  // --- HostEnv -------------------------------------------------------------------------------

  send(msg: Message): SendOutcome {
    this.counters.messagesSent++;
    return this.network.send(structuredClone(msg), this.now);
  }

  onPersisted(host: SimHost, rd: Ready): void {
    this.safety.onPersisted(host, rd);
  }

  onSnapshotRestored(host: SimHost, snap: Snapshot): void {
    this.counters.snapshotsRestored++;
    this.safety.onSnapshotRestored(host, snap);
  }

  onApplied(host: SimHost, entry: Entry, cmd: WriteCommand | null): void {
    this.safety.onApplied(host, entry);
    this.trace(entry.index, entry.term);
    if (cmd !== null) this.clients.onApplied(host.id, host.incarnation, cmd.writeId, entry.index);
  }

  onConfChangeApplied(_host: SimHost, cc: ConfChange, index: LogIndex, next: ConfState): void {
    this.counters.confChangesApplied++;
    const removed = cc.type === 'removeNode' ? this.byId.get(cc.nodeId) : undefined;
    if (removed === undefined || this.removals.has(removed)) return;
    this.removals.set(removed, { index, stayers: [...next.voters, ...next.learners] });
  }

  onReadServed(host: SimHost, rs: ReadState): void {
    this.clients.onReadServed(host.id, rs.context, (key): KvCell | undefined => host.kv.get(key));
  }

  // --- the scheduler -------------------------------------------------------------------------

  private unit(action?: Action): void {
    this.now++;
    this.counters.units++;
    for (const msg of this.network.takeDue(this.now)) {
      const host = this.byId.get(msg.to);
      if (host === undefined || !host.alive) continue;
      this.counters.messagesDelivered++;
      this.trace(this.now, msg.term * 31 + msg.type.length);
      host.raw.step(msg);
    }
    this.hosts.forEach((host, i) => {
      if (host.alive && (this.now + (this.tickPhase[i] ?? 0)) % unitsPerTick === 0) host.raw.tick();
    });
    if (action !== undefined) this.perform(action);
    for (const host of this.hosts) {
      const trap = this.springTrap(host);
      if (trap === 'isolate') this.network.partition([host.id], this.ids);
      const crashNow = this.crashAfterPersist === host || trap === 'crash';
      if (crashNow) {
        this.crashAfterPersist = null;
        host.handleReady(this, true);
        this.crash(host);
      } else {
        host.handleReady(this);
      }
    }
    this.retireRemoved();
    this.safety.observeRoles(this.hosts);
    if (!this.membershipChanged) this.safety.checkCommittedSurvives(this.initialVoters);
    this.leadersSeen.clear();
    for (const host of this.hosts) if (host.alive && host.raw.status().role === 'leader') this.leadersSeen.add(host);
  }

  /** The armed fault for `host` if it just became leader (its first Ready as leader). */
  private springTrap(host: SimHost): 'crash' | 'isolate' | undefined {
    if (this.traps.length === 0 || !host.alive || this.leadersSeen.has(host)) return undefined;
    if (host.raw.status().role !== 'leader') return undefined;
    return this.traps.shift();
  }

  private arm(trap: 'crash' | 'isolate'): void {
    if (this.traps.length < trapsMax) this.traps.push(trap);
  }

  private perform(action: Action): void {
    switch (action.type) {
      case 'propose':
        return this.propose(action.node, action.key, action.count);
      case 'read':
        return this.read(action.node, action.key);
      case 'crash': {
        if (action.node === 'nextLeader') return this.arm('crash');
        const host = this.resolve(action.node);
        if (host === null) return;
        if (action.point === 'afterPersist') this.crashAfterPersist = host;
        else this.crash(host);
        return;
      }
      case 'restart':
        if (action.node === 'all') for (const host of this.hosts) host.restart();
        else this.hostAt(action.node)?.restart();
        return;
      case 'partition':
        return this.network.partition(
          action.side.map((i) => this.ids[i]).filter((id): id is NodeId => id !== undefined),
          this.ids,
        );
      case 'isolate': {
        if (action.node === 'nextLeader') return this.arm('isolate');
        const host = this.resolve(action.node);
        if (host !== null) this.network.partition([host.id], this.ids);
        return;
      }
      case 'cutOneWay': {
        const from = this.resolve(action.from);
        const to = this.hostAt(action.to);
        if (from !== null && to !== undefined) this.network.cutOneWay(from.id, to.id);
        return;
      }
      case 'heal':
        return this.network.heal();
      case 'net':
        this.network.knobs = action.knobs;
        return;
      case 'compact':
        this.resolve(action.node)?.compact(compactKeepEntries);
        return;
      case 'addMember': {
        const spare = this.hosts[this.nextSpare];
        if (spare === undefined) return;
        if (this.proposeConfChange({ type: action.learner ? 'addLearner' : 'addVoter', nodeId: spare.id })) this.nextSpare++;
        return;
      }
      case 'promote': {
        const learner = this.resolve('leader')?.raw.status().config.learners[0];
        if (learner !== undefined) this.proposeConfChange({ type: 'addVoter', nodeId: learner });
        return;
      }
      case 'removeMember': {
        const host = this.resolve(action.node);
        if (host !== null) this.proposeConfChange({ type: 'removeNode', nodeId: host.id });
        return;
      }
      case 'transfer': {
        const leader = this.resolve('leader');
        const to = this.hostAt(action.to);
        if (leader === null || to === undefined || to === leader) return;
        try {
          leader.raw.transferLeadership(to.id);
        } catch (err) {
          if (!isExpectedRefusal(err)) throw err;
        }
        return;
      }
    }
  }

  private propose(ref: NodeRef, key: number, count: number): void {
    const host = this.resolve(ref);
    if (host === null) return;
    for (let i = 0; i < count && this.clients.canIssue; i++) {
      const writeId = this.clients.beginWrite(`k${key}`, host.id, host.incarnation);
      try {
        host.raw.propose(encodeWrite({ writeId, key: `k${key}` }));
      } catch (err) {
        if (!isExpectedRefusal(err)) throw err;
        this.clients.abandonWrite(writeId);
      }
    }
  }

  private read(ref: NodeRef, key: number): void {
    const host = this.resolve(ref);
    if (host === null || !this.clients.canIssue) return;
    const context = this.clients.beginRead(`k${key}`, host.id);
    try {
      host.raw.readIndex(context);
    } catch (err) {
      if (!isExpectedRefusal(err)) throw err;
      this.clients.abandonRead(context);
    }
  }

  /** Proposes a membership change at the leader; false when there is none or it refused. */
  private proposeConfChange(cc: ConfChange): boolean {
    const leader = this.resolve('leader');
    if (leader === null) return false;
    try {
      leader.raw.proposeConfChange(cc);
    } catch (err) {
      if (!isExpectedRefusal(err)) throw err;
      return false;
    }
    this.membershipChanged = true;
    return true;
  }

  /**
   * A careful operator shuts a removed member down only once every remaining member applied
   * the removal: stopping it earlier can leave a remaining member that never learns the
   * removal committed, waiting for the removed member's vote (the 2-member removal hazard).
   */
  private retireRemoved(): void {
    for (const [host, { index, stayers }] of this.removals) {
      if (host.retired) continue;
      if (stayers.every((id) => (this.byId.get(id)?.kv.appliedIndex ?? 0) >= index)) {
        this.crash(host);
        host.retire();
        this.counters.membersRetired++;
      }
    }
  }

  private crash(host: SimHost): void {
    if (!host.alive) return;
    this.counters.crashes++;
    host.crash();
    this.network.dropInvolving(host.id);
    this.clients.forgetHost(host.id);
  }

  private hostAt(index: number): SimHost | undefined {
    return this.hosts[index];
  }

  /** A live member by index, or the live leader of the highest (lowest) term; null when none. */
  private resolve(ref: NodeRef): SimHost | null {
    if (typeof ref === 'number') {
      const host = this.hosts[ref];
      return host !== undefined && host.alive ? host : null;
    }
    const sign = ref === 'leader' ? 1 : -1;
    let best: SimHost | null = null;
    let bestTerm = 0;
    for (const host of this.hosts) {
      if (!host.alive) continue;
      const st = host.raw.status();
      if (st.role === 'leader' && (best === null || sign * (st.term - bestTerm) > 0)) {
        best = host;
        bestTerm = st.term;
      }
    }
    return best;
  }

  // --- liveness ------------------------------------------------------------------------------

  /**
   * Heals the network, restarts every crashed member, and requires that within settleTicksMax
   * ticks one leader is followed by all, everything in its log is committed and applied
   * everywhere, and a fresh write proposed to it is acknowledged.
   */
  private settle(): void {
    this.network.heal();
    this.network.knobs = calmKnobs;
    this.crashAfterPersist = null;
    this.traps.length = 0;
    for (const host of this.hosts) host.restart();
    let probe: { readonly writeId: number; readonly leader: SimHost; readonly term: number } | null = null;
    for (let tick = 0; tick < settleTicksMax; tick++) {
      for (let u = 0; u < unitsPerTick; u++) this.unit();
      if (probe !== null && this.clients.isAcked(probe.writeId)) return;
      const leader = this.settledLeader();
      if (leader === null) continue;
      const term = leader.raw.status().term;
      // A probe lost with an earlier leadership is proposed again to the current leader.
      if (probe === null || probe.leader !== leader || probe.term !== term) {
        const writeId = this.clients.beginWrite('probe', leader.id, leader.incarnation);
        try {
          leader.raw.propose(encodeWrite({ writeId, key: 'probe' }));
          probe = { writeId, leader, term };
        } catch (err) {
          if (!isExpectedRefusal(err)) throw err;
          this.clients.abandonWrite(writeId);
        }
      }
    }
    throw new SimViolation('Liveness', `not settled ${settleTicksMax} ticks after healing: ${this.describe()}`);
  }

  /** The leader when the cluster is quiescent and every member caught up, else null. */
  private settledLeader(): SimHost | null {
    const leaders = this.hosts.filter((h) => h.alive && h.raw.status().role === 'leader');
    const leader = leaders[0];
    if (leaders.length !== 1 || leader === undefined) return null;
    const ls = leader.raw.status();
    if (ls.commit !== leader.durable.lastIndex()) return null;
    const members = new Set([...ls.config.voters, ...ls.config.learners]);
    for (const host of this.hosts) {
      if (!members.has(host.id)) continue;
      if (!host.alive) return null;
      const st = host.raw.status();
      if (st.term !== ls.term || st.lead !== leader.id) return null;
      if (host.kv.appliedIndex !== ls.commit || host.durable.lastIndex() !== ls.commit) return null;
    }
    return leader;
  }

  private describe(): string {
    return this.hosts
      .map((h) => {
        if (!h.alive) return `${h.id}:${h.retired ? "retired" : "down"}`;
        const st = h.raw.status();
        return `${h.id}:${st.role}/t${st.term}/lead=${st.lead}/commit=${st.commit}/applied=${h.kv.appliedIndex}/last=${h.durable.lastIndex()}`;
      })
      .join(' ');
  }

  private trace(a: number, b: number): void {
    this.counters.traceHash = mixSeed(this.counters.traceHash, a, b);
  }
}

/** The core refusing a request in a documented way (not leader, dropped, bad transfer/change). */
function isExpectedRefusal(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('code' in err)) return false;
  const code = (err as { code: unknown }).code;
  return (
    code === 'NotLeader' ||
    code === 'ProposalDropped' ||
    code === 'InvalidTransfer' ||
    code === 'ConfChangeInProgress' ||
    code === 'InvalidConfChange'
  );
}
