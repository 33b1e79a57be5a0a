// The snapshot install state machine (packages/server/src/snapshot-install.ts) against a power
// cut at every step: one REAL member (member.ts: Host, WAL, SnapshotFiles, KvStore on the
// memory backend, the server's bootstrap) over the simulated disk installs snapshot A, then
// snapshot B while a power cut falls (1) right after each transition (the failpoints staged,
// recorded, restored, pruned) and (2) right after each of the member's disk calls from the
// first chunk on, until the install completes before the cut. After every cut the member
// restarts, and must start (the disk held exactly what was synced), hold a store EQUAL to the
// snapshot its Raft log records (A or B: never a mix, never older than its log), and keep no
// staged file. A cut during that restart's own resume is walked too. The
// prune-snapshot-before-record mutant must fail the walk.
import type { PeerSnapshotChunk } from '@kite/protocol';
import { KvStore } from '@kite/kvstore';
import type { Message } from '@kite/raft';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../packages/server/src/config.js';
import { armFailpoints, type FailpointName } from '../../../packages/server/src/failpoints.js';
import { KvAdapter } from '../../../packages/server/src/kv-adapter.js';
import type { KvPort } from '../../../packages/server/src/kv-port.js';
import type { MutantName } from '../../../packages/server/src/mutants.js';
import { createSimRng, type SimRng } from '../sim-rng.js';
import { SimMember, type MemberEnv } from './member.js';
import { SimDisk } from './sim-disk.js';
import { SimStoreBackend } from './sim-store-backend.js';
import { SimWorld } from './sim-world.js';

const NAMES = ['n1', 'n2', 'n3'];
/** The receiving member (n1 plays the leader that streams; n3 is never started). */
const SELF = 'n2';
const A_INDEX = 6;
const B_INDEX = 14;
/** Disk calls walked at most: an install takes a few dozen; more means the walk never ends. */
const WALK_OPS_MAX = 150;
/** Simulated time one step (an install, a restart) may take. */
const STEP_SIM_MS_MAX = 5_000;
const TRANSITIONS: readonly FailpointName[] = ['snapshot-staged', 'snapshot-recorded', 'snapshot-restored', 'snapshot-pruned'];

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A store's whole content, comparable with toEqual. */
async function dump(kv: KvPort): Promise<{ appliedIndex: number; revision: number; kvs: string[] }> {
  const r = await kv.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) });
  const kvs = r.kvs.map((e) => `${dec.decode(e.key)}=${dec.decode(e.value)}@${e.createRevision}/${e.modRevision}/v${e.version}`);
  return { appliedIndex: kv.appliedIndex, revision: kv.currentRevision, kvs };
}

/** The leader's store: snapshots A and B as streamed chunks, and what each must restore to. */
interface Snapshots {
  readonly a: { readonly chunks: Uint8Array[]; readonly content: Awaited<ReturnType<typeof dump>> };
  readonly b: { readonly chunks: Uint8Array[]; readonly content: Awaited<ReturnType<typeof dump>> };
}

async function leaderSnapshots(): Promise<Snapshots> {
  const kv = new KvAdapter(await KvStore.open({ backend: SimStoreBackend.create(), clock: () => 0, minLeaseTtlSeconds: 1, syncWrites: false }));
  const take = async (): Promise<{ chunks: Uint8Array[]; content: Awaited<ReturnType<typeof dump>> }> => {
    const chunks: Uint8Array[] = [];
    for await (const c of kv.snapshot().chunks) chunks.push(c);
    return { chunks, content: await dump(kv) };
  };
  const put = (index: number, key: string, value: string): Promise<unknown> => kv.apply([{ index, command: kv.encodeCommand('put', { key: enc.encode(key), value: enc.encode(value) }) }]);
  for (let i = 2; i <= A_INDEX; i++) await put(i, `k${i % 3}`, `a${i}`);
  const a = await take();
  for (let i = A_INDEX + 1; i < B_INDEX; i++) await put(i, `k${i % 4}`, `b${i}`);
  await kv.apply([{ index: B_INDEX, command: kv.encodeCommand('deleteRange', { key: enc.encode('k1') }) }]);
  const b = await take();
  await kv.close();
  return { a, b };
}

/** One member on its own simulated disk; power cuts as the host simulation makes them. */
class Bench implements MemberEnv {
  readonly world = new SimWorld();
  readonly disk = new SimDisk(this.world);
  readonly member: SimMember;
  private readonly rng: SimRng;
  fatal: unknown = null;
  refused: string | null = null;
  powerCuts = 0;

  constructor(seed: number, mutant: MutantName | null) {
    this.rng = createSimRng(seed);
    const initialCluster = NAMES.map((n, i) => `${n}=http://127.0.0.1:${20001 + i}`).join(',');
    const i = NAMES.indexOf(SELF);
    const config = loadConfig(
      ['--name', SELF, '--data-dir', `/sim/${SELF}`, '--initial-cluster', initialCluster, '--listen-peer', `http://127.0.0.1:${20001 + i}`,
        '--listen-client', `http://127.0.0.1:${21001 + i}`, '--tick-ms', '10', '--election-ticks', '10', '--heartbeat-ticks', '1'],
      {},
      '/',
    );
    this.member = new SimMember(SELF, config, this.disk, this, mutant);
  }

  // ---- MemberEnv: the network drops everything; the member never leads.
  send(): boolean {
    return true;
  }

  async sendSnapshot(): Promise<void> {
    throw new Error('the receiver never sends a snapshot');
  }

  onFatal(_member: SimMember, err: unknown): void {
    this.fatal ??= err;
  }

  onRefused(_member: SimMember, reason: string): void {
    this.refused ??= reason;
  }

  onCrashPoint(): void {
    // Not inside the disk call that reached the point: as the next event.
    this.world.at(this.world.nowMs, null, () => this.powerCut());
  }

  powerCut(): void {
    this.powerCuts++;
    this.member.crash();
    this.disk.crash(this.rng);
  }

  /** Runs simulated events until `done` (true) or STEP_SIM_MS_MAX passed (false). */
  async until(done: () => boolean): Promise<boolean> {
    const end = this.world.nowMs + STEP_SIM_MS_MAX;
    while (!done() && (await this.world.step(end)));
    return done();
  }

  /** Starts (or restarts) the member and waits for it to serve, refuse or fail. */
  async boot(): Promise<void> {
    this.member.start();
    await this.until(() => this.member.live !== null || this.refused !== null || this.fatal !== null || !this.member.starting);
  }

  /** Streams `chunks` as snapshot `index` from n1, as the peer transport hands chunks over. */
  async stream(index: number, chunks: readonly Uint8Array[]): Promise<void> {
    const inc = this.member.live;
    if (inc === null) throw new Error('assertion: streaming to a member that is down');
    const ids = inc.host.registry.list().map((m) => m.id);
    const leader = inc.host.registry.list().find((m) => m.name === 'n1')?.id ?? '';
    const message: Message = {
      type: 'installSnapshot', from: leader, to: this.member.id, term: 5,
      snapshot: { metadata: { index, term: 5, confState: { voters: ids, learners: [] } }, data: inc.host.registry.encode() },
    };
    const frames: PeerSnapshotChunk[] = chunks.map((data, seq) => ({
      type: 'snapshotChunk', snapshotId: `s${index}`, seq, ...(seq === 0 ? { metadata: message } : {}), data, last: seq === chunks.length - 1,
    }));
    // A cut at a failpoint throws out of the host's call; a cut at a disk call leaves it pending.
    this.member.receiveSnapshot(leader, frames).catch(() => undefined);
    await this.until(() => this.member.live === null || this.member.live.host.status().snapshotIndex === index || this.fatal !== null);
  }
}

type CutAt = { readonly failpoint: FailpointName } | { readonly diskOp: number };

interface WalkStep {
  /** The cut fell inside the install (false: the install completed first). */
  readonly cut: boolean;
  /** The snapshot index the restarted member's Raft log records. */
  readonly recordedIndex: number;
  /** A second cut fell during the restart (resumeCutAtOp), before it served. */
  readonly resumeCut: boolean;
}

/** Installs A, then B with a power cut at `cutAt`; restarts (cut again after `resumeCutAtOp` disk calls, then once more) and checks the store. */
async function installWithCut(s: Snapshots, cutAt: CutAt, seed: number, mutant: MutantName | null, resumeCutAtOp: number | null = null): Promise<WalkStep> {
  const bench = new Bench(seed, mutant);
  const fail = (why: string): never => {
    throw new Error(`cut at ${JSON.stringify(cutAt)}${resumeCutAtOp === null ? '' : `, restart cut at disk call ${resumeCutAtOp}`}: ${why}`);
  };
  await bench.boot();
  await bench.stream(A_INDEX, s.a.chunks);
  if (bench.member.live?.host.status().snapshotIndex !== A_INDEX) fail(`snapshot A was not installed (${String(bench.fatal)})`);
  if ('failpoint' in cutAt) {
    armFailpoints(`${cutAt.failpoint}=crash`, () => {
      bench.powerCut();
      throw new Error(`power cut at failpoint ${cutAt.failpoint}`);
    });
  } else {
    bench.member.armCrash(cutAt.diskOp);
  }
  await bench.stream(B_INDEX, s.b.chunks);
  armFailpoints(undefined);
  const cut = bench.powerCuts > 0;
  if (bench.fatal !== null) fail(`the member failed: ${String((bench.fatal as Error).stack ?? bench.fatal)}`);
  let resumeCut = false;
  if (cut && resumeCutAtOp !== null) {
    const cutsBefore = bench.powerCuts;
    bench.member.armCrash(resumeCutAtOp);
    await bench.boot();
    resumeCut = bench.powerCuts > cutsBefore;
    bench.member.disarmCrash();
  }
  if (cut && (resumeCutAtOp === null || resumeCut)) await bench.boot();
  const inc = bench.member.live;
  if (bench.refused !== null) fail(`the restart refused its data dir: ${bench.refused}`);
  if (bench.fatal !== null) fail(`the restart failed: ${String((bench.fatal as Error).stack ?? bench.fatal)}`);
  if (inc === null) return fail('the member did not restart');
  const recordedIndex = inc.host.status().snapshotIndex;
  const content = await dump(inc.kv);
  // Never a store older than the log: the log starts after its snapshot.
  if (content.appliedIndex < recordedIndex) fail(`the store is at ${content.appliedIndex}, behind the raft log's snapshot ${recordedIndex}`);
  const expected = recordedIndex === B_INDEX ? s.b.content : recordedIndex === A_INDEX ? s.a.content : fail(`the raft log records snapshot ${recordedIndex}`);
  expect(content, `store after a cut at ${JSON.stringify(cutAt)}`).toEqual(expected);
  if (inc.snapFiles.stagedIndexes().length > 0) fail(`staged files left after the restart: ${inc.snapFiles.stagedIndexes().join(', ')}`);
  return { cut, recordedIndex, resumeCut };
}

/** Walks a cut through every disk call from the first chunk on; returns the steps walked. */
async function walkDiskOps(s: Snapshots, mutant: MutantName | null): Promise<WalkStep[]> {
  const steps: WalkStep[] = [];
  for (let op = 1; op <= WALK_OPS_MAX; op++) {
    const step = await installWithCut(s, { diskOp: op }, op, mutant);
    if (!step.cut) return steps;
    steps.push(step);
  }
  throw new Error(`the install took more than ${WALK_OPS_MAX} disk calls`);
}

describe('snapshot install state machine under power cuts', () => {
  afterEach(() => {
    armFailpoints(undefined);
  });

  it('a cut right after each transition: the restart resumes and the store equals the recorded snapshot', async () => {
    const s = await leaderSnapshots();
    const recorded: Record<string, number> = {};
    for (const failpoint of TRANSITIONS) {
      const step = await installWithCut(s, { failpoint }, 1, null);
      expect(step.cut, `the cut at ${failpoint} fell`).toBe(true);
      recorded[failpoint] = step.recordedIndex;
    }
    // Staged is before the record (the restart drops the file and keeps A); from recorded on, B.
    expect(recorded).toEqual({ 'snapshot-staged': A_INDEX, 'snapshot-recorded': B_INDEX, 'snapshot-restored': B_INDEX, 'snapshot-pruned': B_INDEX });
  });

  it('a cut after each disk call of the install: every restart starts on A or B, never on less', async () => {
    const s = await leaderSnapshots();
    const steps = await walkDiskOps(s, null);
    // Both sides of the record were walked: cuts before it restart on A, after it on B.
    expect(steps.some((st) => st.recordedIndex === A_INDEX)).toBe(true);
    expect(steps.some((st) => st.recordedIndex === B_INDEX)).toBe(true);
    console.log(`snapshot install state machine: a power cut after each of ${steps.length} disk calls was restart-safe`);
  });

  it('a second cut during the restart that resumes an interrupted install is restart-safe too', async () => {
    const s = await leaderSnapshots();
    const walked: Record<string, number> = {};
    for (const failpoint of ['snapshot-recorded', 'snapshot-restored'] as const) {
      walked[failpoint] = 0;
      for (let op = 1; ; op++) {
        if (op > WALK_OPS_MAX) throw new Error(`the restart took more than ${WALK_OPS_MAX} disk calls`);
        const step = await installWithCut(s, { failpoint }, op, null, op);
        expect(step.recordedIndex).toBe(B_INDEX);
        // Done once a cut armed at `op` no longer falls before the restart serves.
        if (!step.resumeCut) break;
        walked[failpoint]++;
      }
    }
    // A restart reads the WAL and (after recorded) the staged file: many calls to cut after.
    expect(walked['snapshot-recorded']).toBeGreaterThan(walked['snapshot-restored'] ?? Infinity);
    console.log(`snapshot install state machine: a second cut after each disk call of the resuming restart was safe (${JSON.stringify(walked)})`);
  });

  it('catches the prune-snapshot-before-record mutant', async () => {
    const s = await leaderSnapshots();
    // The mutant prunes the staged file before the record: the store cannot be rebuilt from it.
    await expect(installWithCut(s, { failpoint: 'snapshot-recorded' }, 1, 'prune-snapshot-before-record')).rejects.toThrow(/ENOENT|is missing/);
  });
});
