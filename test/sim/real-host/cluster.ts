// The host simulation: N real members (member.ts) over simulated time, disks and network, with
// clients issuing puts and linearizable gets, and a seeded nemesis that power-cuts members
// (one, or all at once), restarts them, flips a bit in a stopped member's WAL, and isolates
// members. Everything random comes from the run's seed.
//
// Checked during the run: Election Safety (at most one leader per term, sampled after every
// event) and that no member fails fatally (onFatal, an assertion). Checked at the end, after
// healing and restarting everyone: the cluster settles (a fresh write is acknowledged and every
// running member applies it), every running member's store holds the same keys and values at
// the same revision, and the client history is linearizable (jepsen-lite's register checker).
// A member that refuses to start on a damaged data dir (the bit flip) is allowed to stay down:
// refusing is the correct answer; serving damaged data is not.

import { KiteError, type PeerSnapshotChunk } from '@kite/protocol';
import type { Message } from '@kite/raft';
import { checkLinearizability } from '../../../jepsen-lite/src/checkers/linearizability/index.js';
import type { Json, Operation } from '../../../jepsen-lite/src/history/types.js';
import { loadConfig } from '../../../packages/server/src/config.js';
import type { MutantName } from '../../../packages/server/src/mutants.js';
import { createSimRng, mixSeed, type SimRng } from '../sim-rng.js';
import { SimMember, type MemberEnv } from './member.js';
import { SimDisk } from './sim-disk.js';
import { SimWorld } from './sim-world.js';

export interface HostSimOptions {
  readonly seed: number;
  /** Members (3 or 5). */
  readonly members: number;
  /** Simulated milliseconds of client load and faults before healing. */
  readonly runMs: number;
  readonly mutant: MutantName | null;
  /**
   * Instead of the random nemesis: the last member is isolated for the middle of the run (the
   * leader compacts past it meanwhile, so it needs a snapshot), and its FIRST snapshot install
   * is power-cut right after this many of its disk calls (1 = the first). For walking a crash
   * through every step of an install.
   */
  readonly installCrashAtOp?: number;
}

export const HOST_SIM_DEFAULTS = { members: 3, runMs: 6_000 } as const;

/** Raft tick in the simulation (ms) and timeouts in ticks: short, so much happens per run. */
const TICK_MS = 10;
const ELECTION_TICKS = 10;
const REQUEST_TIMEOUT_MS = 1_000;
/** Clients issuing operations at once (each one operation at a time). */
const CLIENTS = 4;
const KEYS = 3;
/** After healing, the cluster must settle within this much simulated time. */
const SETTLE_MS_MAX = 20_000;
/** A client gives up on an operation (indeterminate) after this long without an answer. */
const CLIENT_GIVE_UP_MS = REQUEST_TIMEOUT_MS * 2;
/** Network one-way delay bounds (ms). */
const NET_DELAY_MS_MIN = 1;
const NET_DELAY_MS_MAX = 6;

export class HostSimViolation extends Error {
  readonly code = 'HostSimViolation';
  constructor(
    readonly invariant: string,
    readonly detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

export interface HostSimStats {
  simMs: number;
  events: number;
  opsOk: number;
  opsInfo: number;
  opsFail: number;
  crashes: number;
  powerCutsAll: number;
  bitFlips: number;
  refusedStarts: number;
  partitions: number;
  snapshotsSent: number;
  /** Power cuts at a crash point armed in a snapshot install. */
  installCrashes: number;
  /** Boots whose store had lost unsynced batches in a power cut. */
  storeRollbacks: number;
  /** Of those, crash points reached once the walked install was complete (installCrashAtOp). */
  crashesAfterInstall: number;
  leaderTerms: number;
}

interface OpRecord {
  id: number;
  process: number;
  client: number;
  f: 'read' | 'write';
  key: string;
  invokeValue: Json;
  value: Json;
  type: 'ok' | 'fail' | 'info' | null;
  invokeIndex: number;
  completeIndex: number | null;
  invokeTime: number;
  completeTime: number | null;
  node: string;
  /** The store revision an acknowledged write created. */
  revision?: number;
}

export class HostSimCluster implements MemberEnv {
  readonly world = new SimWorld();
  readonly members: SimMember[] = [];
  readonly stats: HostSimStats = { simMs: 0, events: 0, opsOk: 0, opsInfo: 0, opsFail: 0, crashes: 0, powerCutsAll: 0, bitFlips: 0, refusedStarts: 0, partitions: 0, snapshotsSent: 0, installCrashes: 0, crashesAfterInstall: 0, storeRollbacks: 0, leaderTerms: 0 };
  private readonly rng: SimRng;
  private readonly netRng: SimRng;
  private readonly faultRng: SimRng;
  private readonly byId = new Map<string, SimMember>();
  /** Members cut off from everyone (both directions). */
  private readonly isolated = new Set<SimMember>();
  private readonly leaders = new Map<number, string>();
  private readonly ops: OpRecord[] = [];
  private historyIndex = 0;
  private nextProcess = CLIENTS;
  private fatal: HostSimViolation | null = null;
  private loadOn = true;
  /** At most one member per run gets a bit flipped (a minority; it may refuse to start). */
  private flipped: SimMember | null = null;
  private installCrashArmed = false;
  /** The index of the install a crash walk (installCrashAtOp) is walking through. */
  private walkedInstall = 0;

  constructor(readonly options: HostSimOptions) {
    this.rng = createSimRng(mixSeed(options.seed, 1));
    this.netRng = createSimRng(mixSeed(options.seed, 2));
    this.faultRng = createSimRng(mixSeed(options.seed, 3));
    const names = Array.from({ length: options.members }, (_, i) => `n${i + 1}`);
    const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${20001 + i}`).join(',');
    names.forEach((name, i) => {
      const dir = `/sim/${name}`;
      const config = loadConfig(
        [
          '--name', name, '--data-dir', dir, '--initial-cluster', initialCluster,
          '--listen-peer', `http://127.0.0.1:${20001 + i}`, '--listen-client', `http://127.0.0.1:${21001 + i}`,
          '--tick-ms', String(TICK_MS), '--election-ticks', String(ELECTION_TICKS), '--heartbeat-ticks', '1',
          '--snapshot-entries', '40', '--snapshot-catchup-entries', '5', '--request-timeout-ms', String(REQUEST_TIMEOUT_MS),
        ],
        {},
        '/',
      );
      this.members.push(new SimMember(name, config, new SimDisk(this.world), this, options.mutant));
    });
  }

  // ---- MemberEnv

  send(from: SimMember, to: string, messages: readonly Message[]): boolean {
    const target = this.byId.get(to);
    if (target === undefined || this.cut(from, target)) return true;
    const owner = target.live?.owner;
    if (owner === undefined) return true;
    const copy = structuredClone(messages);
    const fromId = from.id;
    for (const m of copy) {
      if (this.netRng.chancePct(2)) continue;
      const delay = NET_DELAY_MS_MIN + this.netRng.int(NET_DELAY_MS_MAX - NET_DELAY_MS_MIN + 1);
      this.world.at(this.world.nowMs + delay, owner, () => {
        if (!this.cut(from, target)) target.live?.host.stepMessages(fromId, [m]);
      });
    }
    return true;
  }

  async sendSnapshot(from: SimMember, to: string, message: Message, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const target = this.byId.get(to);
    const data: Uint8Array[] = [];
    for await (const c of chunks) data.push(c);
    if (target === undefined || this.cut(from, target) || target.live === null) throw new KiteError('Unavailable', `no link to ${to}`);
    const snapshotId = `${from.id}-${this.world.eventsRun}`;
    const frames: PeerSnapshotChunk[] = (data.length === 0 ? [new Uint8Array(0)] : data).map((d, seq, all) => ({
      type: 'snapshotChunk', snapshotId, seq, ...(seq === 0 ? { metadata: structuredClone(message) } : {}), data: d, last: seq === all.length - 1,
    }));
    const owner = target.live.owner;
    this.stats.snapshotsSent++;
    // Half the installs get a crash point somewhere in their disk calls (staging, fsync, rename,
    // directory sync, the log record, the restore's reads, the prune): over many seeds, every step.
    const at = this.options.installCrashAtOp;
    if (at !== undefined) {
      if (!this.installCrashArmed) {
        target.armCrash(at);
        this.walkedInstall = message.type === 'installSnapshot' ? message.snapshot.metadata.index : 0;
      }
      this.installCrashArmed = true;
    } else if (this.loadOn && !target.crashArmed && this.faultRng.chancePct(50)) {
      target.armCrash(1 + this.faultRng.int(24));
    }
    await new Promise<void>((resolve, reject) => {
      this.world.at(this.world.nowMs + NET_DELAY_MS_MAX, owner, () => {
        if (this.cut(from, target)) return reject(new KiteError('Unavailable', `link to ${to} lost during snapshot`));
        target.receiveSnapshot(from.id, frames).then(resolve, reject);
      });
      // A stream to a member that dies meanwhile fails like a lost link.
      this.world.at(this.world.nowMs + NET_DELAY_MS_MAX * 50, null, () => reject(new KiteError('Unavailable', `snapshot to ${to} timed out`)));
    });
  }

  onFatal(member: SimMember, err: unknown): void {
    const e = err as Error;
    this.fatal ??= new HostSimViolation('Member Fatal', `${member.name}: ${e?.stack ?? String(err)}`);
  }

  onCrashPoint(member: SimMember): void {
    this.stats.installCrashes++;
    // Past the install's last step (restored and pruned), a walk has nothing more to cover.
    const inc = member.live;
    if (inc !== null && this.walkedInstall > 0 && inc.kv.appliedIndex >= this.walkedInstall && !inc.snapFiles.has(inc.snapFiles.pathFor(this.walkedInstall))) {
      this.stats.crashesAfterInstall++;
    }
    // Not inside the disk call that reached the point: as the next event.
    this.world.at(this.world.nowMs, null, () => {
      this.powerCut(member);
      this.world.at(this.world.nowMs + 20 + this.faultRng.int(200), null, () => member.start());
    });
  }

  onRefused(member: SimMember, reason: string): void {
    // Refusing is right for the member whose WAL got a flipped bit; any other member's disk
    // holds exactly what was synced, so refusing it means the host lost what it had synced
    // (or acknowledged what it had not).
    if (member === this.flipped) return;
    this.fatal ??= new HostSimViolation('Durability', `${member.name} refused to start on an undamaged disk: ${reason}`);
  }

  private cut(a: SimMember, b: SimMember): boolean {
    return this.isolated.has(a) || this.isolated.has(b);
  }

  // ---- the run

  async run(): Promise<HostSimStats> {
    for (const m of this.members) m.start();
    await this.until(() => this.members.every((m) => m.live !== null), 1_000);
    for (const m of this.members) this.byId.set(m.id, m);
    for (let c = 0; c < CLIENTS; c++) this.scheduleClient(c, c, 50 + this.rng.int(100));
    if (this.options.installCrashAtOp === undefined) this.scheduleFaults();
    else this.isolateLastMember();
    const end = this.world.nowMs + this.options.runMs;
    while (await this.world.step(end)) this.afterEvent();
    this.loadOn = false;
    await this.settle();
    this.checkHistory();
    this.stats.simMs = this.world.nowMs;
    this.stats.events = this.world.eventsRun;
    this.stats.leaderTerms = this.leaders.size;
    this.stats.refusedStarts = this.members.filter((m) => m.refused !== null).length;
    this.stats.storeRollbacks = this.members.reduce((n, m) => n + m.storeRollbacks, 0);
    return this.stats;
  }

  private afterEvent(): void {
    if (this.fatal !== null) throw this.fatal;
    for (const m of this.members) {
      // The core's own view (role and term together): the host's role lags until it handles
      // the next Ready, so pairing it with the core's term would see leaders that are not.
      const st = m.live?.host.raftStatus();
      if (st === undefined || st.role !== 'leader') continue;
      const term = st.term;
      const seen = this.leaders.get(term);
      if (seen === undefined) this.leaders.set(term, m.name);
      else if (seen !== m.name) throw new HostSimViolation('Election Safety', `term ${term} has two leaders: ${seen} and ${m.name}`);
    }
  }

  /** Steps until `done()` or `limitMs` of simulated time passed. */
  private async until(done: () => boolean, limitMs: number): Promise<boolean> {
    const end = this.world.nowMs + limitMs;
    while (!done()) {
      if (!(await this.world.step(end))) {
        // Nothing due until then: time moves on to the limit.
        await this.world.runUntil(end);
        return done();
      }
      this.afterEvent();
    }
    return true;
  }

  // ---- faults

  private scheduleFaults(): void {
    const r = this.faultRng;
    const start = this.world.nowMs;
    for (let t = start + 200 + r.int(400); t < start + this.options.runMs - 300; t += 300 + r.int(900)) {
      const kind = r.int(100);
      this.world.at(t, null, () => this.fault(kind));
    }
  }

  private isolateLastMember(): void {
    const last = this.members[this.members.length - 1] as SimMember;
    const start = this.world.nowMs;
    this.world.at(start + 100, null, () => this.isolated.add(last));
    this.world.at(start + Math.floor(this.options.runMs * 0.6), null, () => this.isolated.delete(last));
  }

  private fault(kind: number): void {
    const r = this.faultRng;
    const victim = this.members[r.int(this.members.length)] as SimMember;
    if (kind < 40) {
      // A power cut of one member; back after a while (long enough, sometimes, to need a snapshot).
      this.powerCut(victim);
      this.world.at(this.world.nowMs + 50 + r.int(1_500), null, () => victim.start());
    } else if (kind < 55) {
      // A power cut of the whole cluster at once: only synced state may survive anywhere.
      this.stats.powerCutsAll++;
      for (const m of this.members) this.powerCut(m);
      for (const m of this.members) this.world.at(this.world.nowMs + 20 + r.int(300), null, () => m.start());
    } else if (kind < 65) {
      // Media damage to a stopped minority member's WAL: it must refuse to start, or start on
      // an intact log (a flipped bit in a torn tail is cut), never serve damaged data.
      if (this.flipped !== null && this.flipped !== victim) return;
      this.flipped = victim;
      this.powerCut(victim);
      if (victim.disk.flipByte(r, `${victim.dataDir}/wal`, (n) => n.endsWith('.wal')) !== null) this.stats.bitFlips++;
      this.world.at(this.world.nowMs + 50 + r.int(500), null, () => victim.start());
    } else {
      // Isolate one member (both directions) for a while.
      this.stats.partitions++;
      this.isolated.add(victim);
      this.world.at(this.world.nowMs + 100 + r.int(1_200), null, () => this.isolated.delete(victim));
    }
  }

  private powerCut(m: SimMember): void {
    if (m.live === null && !m.starting) return;
    this.stats.crashes++;
    m.crash();
    m.disk.crash(this.faultRng);
  }

  // ---- clients

  private scheduleClient(client: number, process: number, delayMs: number): void {
    if (!this.loadOn) return;
    this.world.at(this.world.nowMs + delayMs, null, () => this.issue(client, process));
  }

  private issue(client: number, process: number): void {
    if (!this.loadOn) return;
    const r = this.rng;
    const key = `k${r.int(KEYS)}`;
    const live = this.members.filter((m) => m.live !== null);
    const leader = live.find((m) => m.live?.host.isLeader === true);
    // Mostly the leader (as a client that follows NotLeader would end up), sometimes anyone.
    const member = leader !== undefined && r.chancePct(85) ? leader : live[r.int(Math.max(1, live.length))];
    const write = r.chancePct(50);
    const op: OpRecord = {
      id: this.ops.length, process, client, f: write ? 'write' : 'read', key,
      invokeValue: write ? `v${this.ops.length}` : null, value: null, type: null,
      invokeIndex: this.historyIndex++, completeIndex: null, invokeTime: this.world.nowMs, completeTime: null, node: member?.name ?? '-',
    };
    this.ops.push(op);
    let answered = false;
    const finish = (type: 'ok' | 'fail' | 'info', value: Json): void => {
      if (answered) return;
      answered = true;
      op.type = type;
      op.value = value;
      op.completeIndex = this.historyIndex++;
      op.completeTime = this.world.nowMs;
      // An indeterminate op ends its process (Jepsen's rule); the client goes on as a new one.
      const next = type === 'info' ? this.nextProcess++ : process;
      this.scheduleClient(client, next, 5 + r.int(40));
    };
    this.world.at(this.world.nowMs + CLIENT_GIVE_UP_MS, null, () => finish(write ? 'info' : 'fail', op.invokeValue));
    const inc = member?.live;
    if (inc === undefined || inc === null) return finish('fail', null);
    const enc = new TextEncoder();
    const failed = (err: unknown): void => {
      const indeterminate = err instanceof KiteError ? err.indeterminate : true;
      finish(write && indeterminate ? 'info' : 'fail', write ? op.invokeValue : null);
    };
    if (write) {
      inc.host
        .proposeKv(inc.kv.encodeCommand('put', { key: enc.encode(key), value: enc.encode(String(op.invokeValue)) }), REQUEST_TIMEOUT_MS)
        .then((out) => {
          if (out.ok) op.revision = out.revision;
          finish(out.ok ? 'ok' : 'fail', op.invokeValue);
        }, failed);
    } else {
      inc.host
        .linearizableRead(REQUEST_TIMEOUT_MS)
        .then(() => inc.kv.range({ key: enc.encode(key) }))
        .then((res) => {
          const kv = res.kvs[0];
          finish('ok', kv === undefined ? null : new TextDecoder().decode(kv.value));
        }, failed);
    }
  }

  // ---- the end

  /** Heals, restarts everyone, and requires a fresh write applied on every running member. */
  private async settle(): Promise<void> {
    this.isolated.clear();
    for (const m of this.members) if (m.live === null) m.start();
    const end = this.world.nowMs + SETTLE_MS_MAX;
    let probe: { done: boolean; index: number } | null = null;
    const enc = new TextEncoder();
    while (this.world.nowMs < end) {
      await this.until(() => false, 100);
      const running = this.members.filter((m) => m.refused === null);
      if (running.some((m) => m.live === null)) {
        for (const m of running) if (m.live === null && !m.starting) m.start();
        continue;
      }
      const leader = running.find((m) => m.live?.host.isLeader === true)?.live;
      if (leader === undefined || leader === null) continue;
      if (probe === null) {
        const p = { done: false, index: 0 };
        probe = p;
        leader.host.proposeKv(leader.kv.encodeCommand('put', { key: enc.encode('probe'), value: enc.encode('p') }), REQUEST_TIMEOUT_MS).then(
          () => {
            p.done = true;
            p.index = leader.host.applied;
          },
          () => (probe = null),
        );
        continue;
      }
      if (!probe.done) continue;
      const target = probe.index;
      if (running.every((m) => (m.live?.host.applied ?? 0) >= target)) {
        await this.checkStoresAgree(running);
        this.checkWatches(running);
        return;
      }
    }
    const state = this.members.map((m) => `${m.name}:${m.refused !== null ? `refused (${m.refused})` : m.live === null ? 'down' : `${m.live.host.status().role}/t${m.live.host.term}/applied=${m.live.host.applied}`}`).join(' ');
    throw new HostSimViolation('Liveness', `not settled ${SETTLE_MS_MAX} ms after healing: ${state}`);
  }

  private async checkStoresAgree(running: readonly SimMember[]): Promise<void> {
    const views: { name: string; revision: number; text: string }[] = [];
    for (const m of running) {
      const inc = m.live;
      if (inc === null) continue;
      const res = await inc.kv.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) });
      const dec = new TextDecoder();
      views.push({ name: m.name, revision: inc.kv.currentRevision, text: res.kvs.map((kv) => `${dec.decode(kv.key)}=${dec.decode(kv.value)}@${kv.modRevision}`).join(',') });
    }
    const first = views[0];
    for (const v of views) {
      if (first !== undefined && (v.revision !== first.revision || v.text !== first.text)) {
        throw new HostSimViolation('State Machine Safety', `${first.name} (rev ${first.revision}: ${first.text}) and ${v.name} (rev ${v.revision}: ${v.text}) differ`);
      }
    }
  }

  /**
   * The watch rules: a watcher's revisions strictly increase; every watcher, on any member and
   * incarnation, reports the same change at a revision; a watcher from revision 1 that lived to
   * the end (each running member's last incarnation) saw every revision up to its store's,
   * without a gap and uncanceled; and every acknowledged write is in the streams at its revision.
   */
  private checkWatches(running: readonly SimMember[]): void {
    const byRevision = new Map<number, { change: string; where: string }>();
    for (const m of this.members) {
      for (const log of m.watchLogs) {
        const where = `${log.member}#${log.generation}`;
        let last = 0;
        for (const ev of log.events) {
          if (ev.revision <= last) throw new HostSimViolation('Watch', `${where} went from revision ${last} to ${ev.revision}`);
          last = ev.revision;
          const seen = byRevision.get(ev.revision);
          if (seen === undefined) byRevision.set(ev.revision, { change: ev.change, where });
          else if (seen.change !== ev.change) throw new HostSimViolation('Watch', `revision ${ev.revision} is ${seen.change} on ${seen.where} but ${ev.change} on ${where}`);
        }
      }
    }
    for (const m of running) {
      const inc = m.live;
      if (inc === null) continue;
      const log = inc.watch;
      const where = `${log.member}#${log.generation}`;
      if (log.canceled !== null) throw new HostSimViolation('Watch', `${where} was canceled: ${log.canceled}`);
      const revs = log.events.map((e) => e.revision);
      const current = inc.kv.currentRevision;
      const gap = revs.findIndex((r, i) => r !== i + 2);
      if (gap >= 0 || revs.length !== current - 1) {
        throw new HostSimViolation('Watch', `${where} (from revision 1) saw ${revs.length} revisions (first gap at #${gap}: ${revs[gap] ?? 'none'}), the store is at ${current}`);
      }
    }
    for (const op of this.ops) {
      if (op.type !== 'ok' || op.f !== 'write' || op.revision === undefined) continue;
      const seen = byRevision.get(op.revision);
      const want = `${op.key}=${String(op.invokeValue)}`;
      if (seen?.change !== want) throw new HostSimViolation('Watch', `acknowledged write ${want} at revision ${op.revision}, but the watchers saw ${seen?.change ?? 'nothing'} there`);
    }
  }

  private checkHistory(): void {
    const ops: Operation[] = [];
    for (const o of this.ops) {
      const type = o.type ?? (o.f === 'write' ? 'info' : 'fail');
      if (type === 'ok') this.stats.opsOk++;
      else if (type === 'info') this.stats.opsInfo++;
      else this.stats.opsFail++;
      ops.push({
        id: o.id, process: o.process, f: o.f, key: o.key, invokeValue: o.invokeValue, value: type === 'info' ? o.invokeValue : o.value, type,
        invokeIndex: o.invokeIndex, completeIndex: type === 'info' ? null : o.completeIndex, invokeTime: o.invokeTime,
        completeTime: type === 'info' ? null : o.completeTime, answeredTime: o.completeTime, client: o.client, node: o.node,
      });
    }
    const result = checkLinearizability(ops);
    if (result.valid !== true) {
      const first = result.anomalies[0];
      throw new HostSimViolation('Linearizability', `${String(result.valid)}: ${first === undefined ? '' : JSON.stringify(first).slice(0, 2_000)}`);
    }
  }
}
