// Config fan-out benchmark (a command, not a test; needs `npx tsc -b` for the server binary):
//   npx tsx --expose-gc packages/config/bench/config-bench.ts
//   BENCH_INSTANCES=1000 BENCH_PROCESSES=4 npx tsx --expose-gc packages/config/bench/config-bench.ts
// A real 3-member cluster; BENCH_INSTANCES SDK instances of one app spread over
// BENCH_PROCESSES child processes (each process shares one client among its instances).
// Reports, per transition, the time from the admin call returning to each instance having
// applied the new release (p50/p99/max over instances): a normal release, a gray promote
// (measured over the instances outside the gray set, the ones that change), and a release
// whose leader is killed as it commits (every process must reconnect and resume its watch). Memory per
// instance is the heap growth of a worker after starting its instances, divided by their count.
// Times come from process.hrtime (CLOCK_MONOTONIC, shared by all processes on one machine).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type KiteClient } from '@kite/client';
import { ConfigAdmin, type ConfigInstance } from '@kite/config';
import { config } from '@kite/config/node';
import { Cluster } from '../../../test/integration/harness/cluster.js';

const APP = { namespace: 'bench', app: 'fanout' };
const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 1000);
const PROCESSES = Number(process.env['BENCH_PROCESSES'] ?? 4);
const WAIT_MS_MAX = 120_000;
const SETTLE_MS = 8_000;

type ToWorker = { readonly kind: 'expect'; readonly release: number };
type FromWorker =
  | { readonly kind: 'ready'; readonly heapBytesPerInstance: number; readonly startRetries: number }
  | { readonly kind: 'applied'; readonly release: number; readonly atNs: string[] };

const nowNs = (): bigint => process.hrtime.bigint();

/** A start refused by a loaded cluster (read-index timeout) is retried a few times, counted. */
let startRetries = 0;
const START_ATTEMPTS_MAX = 5;
async function startInstance(client: KiteClient, instanceId: string): Promise<ConfigInstance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await config(client, { ...APP, instanceId, initialTimeoutMs: 20_000, onWarning: () => undefined });
    } catch (err) {
      if (attempt >= START_ATTEMPTS_MAX) throw err;
      startRetries++;
    }
  }
}

async function worker(endpoints: string[], first: number, count: number): Promise<void> {
  const send = (m: FromWorker): void => void process.send!(m);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const client = await connect({ endpoints, timeoutMs: 20_000 });
  const insts: ConfigInstance[] = [];
  const appliedAt = new Map<number, bigint[]>();
  for (let i = 0; i < count; i++) {
    const inst = await startInstance(client, `bench-${first + i}`);
    inst.onChange(({ snapshot }) => {
      const list = appliedAt.get(snapshot.release) ?? [];
      list.push(nowNs());
      appliedAt.set(snapshot.release, list);
    });
    insts.push(inst);
  }
  gc?.();
  send({ kind: 'ready', heapBytesPerInstance: (process.memoryUsage().heapUsed - before) / count, startRetries });
  // 'expect R' arrives before the admin acts: applies of R from then on are the ones measured
  // (for a promote, the gray half already runs R and is not counted).
  process.on('message', (m: ToWorker) => {
    const markNs = nowNs();
    const poll = setInterval(() => {
      if (!insts.every((x) => x.release >= m.release)) return;
      clearInterval(poll);
      send({ kind: 'applied', release: m.release, atNs: (appliedAt.get(m.release) ?? []).filter((t) => t >= markNs).map(String) });
    }, 20);
  });
}

/** Client requests answered, by `op/result`, summed over the members; and the leader's committed proposals. */
async function serverCounts(cluster: Cluster): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { name } of cluster.members) {
    const text = await cluster.metrics(name).catch(() => '');
    for (const line of text.split('\n')) {
      const req = /^kite_server_requests_total\{op="([^"]+)",result="([^"]+)"\} (\d+)/.exec(line);
      if (req !== null) counts.set(`${req[1]}/${req[2]}`, (counts.get(`${req[1]}/${req[2]}`) ?? 0) + Number(req[3]));
      const changes = /^kite_server_leader_changes_seen_total (\d+)/.exec(line);
      if (changes !== null) counts.set('leaderChanges', (counts.get('leaderChanges') ?? 0) + Number(changes[1]));
      const prop = /^kite_server_proposals_committed_total (\d+)/.exec(line);
      if (prop !== null) counts.set('proposals', Math.max(counts.get('proposals') ?? 0, Number(prop[1])));
    }
  }
  return counts;
}

/** Per-second rates of the busiest counters between two scrapes `seconds` apart, and leader changes seen (summed over members). */
function rates(before: Map<string, number>, after: Map<string, number>, seconds: number): string {
  const changes = (after.get('leaderChanges') ?? 0) - (before.get('leaderChanges') ?? 0);
  return `leader changes seen ${changes}; ` + [...after].filter(([k]) => k !== 'leaderChanges').map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / seconds] as const)
    .filter(([, r]) => r >= 0.5).sort((a, b) => b[1] - a[1]).slice(0, 8)
    .map(([k, r]) => `${k} ${r.toFixed(1)}/s`).join(', ');
}

function stats(latMs: number[]): string {
  const s = [...latMs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? NaN;
  return `n=${s.length} p50=${q(0.5).toFixed(1)} ms p99=${q(0.99).toFixed(1)} ms max=${(s[s.length - 1] ?? NaN).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const cluster = await Cluster.create({ size: 3, tickMs: 20 });
  const workers: ChildProcess[] = [];
  try {
    await cluster.startAll();
    const admin = new ConfigAdmin(await connect({ endpoints: cluster.endpoints, timeoutMs: 20_000 }), APP);
    for (const k of ['a', 'b', 'c']) await admin.set(k, { type: 'text', text: `${k}1` });
    await admin.publish({ message: 'r1', author: 'bench' });
    const per = Math.ceil(INSTANCES / PROCESSES);
    const ready: Promise<{ heap: number; retries: number }>[] = [];
    for (let p = 0; p < PROCESSES; p++) {
      const w = fork(fileURLToPath(import.meta.url), ['worker', JSON.stringify(cluster.endpoints), String(p * per), String(Math.min(per, INSTANCES - p * per))], { execArgv: process.execArgv });
      workers.push(w);
      ready.push(new Promise((resolve, reject) => {
        w.once('exit', (code) => reject(new Error(`worker ${p} exited (${String(code)}) before its instances started`)));
        w.once('message', (m: FromWorker) => resolve(m.kind === 'ready' ? { heap: m.heapBytesPerInstance, retries: m.startRetries } : { heap: NaN, retries: NaN }));
      }));
    }
    const started = await Promise.all(ready);
    const heapKiB = started.reduce((a, b) => a + b.heap, 0) / started.length / 1024;
    console.log(`${INSTANCES} instances over ${PROCESSES} processes (${started.reduce((a, b) => a + b.retries, 0)} start retries); heap per instance ≈ ${heapKiB.toFixed(1)} KiB`);
    // Steady-state load of the instances alone (leases, report writes): the admin's share of the cluster.
    const idle0 = await serverCounts(cluster);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    console.log(`idle load over ${SETTLE_MS / 1000} s: ${rates(idle0, await serverCounts(cluster), SETTLE_MS / 1000)}`);

    const measure = async (label: string, release: number, act: () => Promise<unknown>): Promise<void> => {
      const results = workers.map((w) => new Promise<string[]>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${label}: not applied within ${WAIT_MS_MAX} ms`)), WAIT_MS_MAX);
        const on = (m: FromWorker): void => {
          if (m.kind === 'applied' && m.release === release) {
            clearTimeout(t);
            w.off('message', on);
            resolve(m.atNs);
          }
        };
        w.on('message', on);
      }));
      for (const w of workers) w.send({ kind: 'expect', release } satisfies ToWorker);
      await new Promise((r) => setTimeout(r, 200));
      const before = await serverCounts(cluster);
      const actStartNs = nowNs();
      await act();
      const t0 = nowNs();
      console.log(`${label}: admin call took ${(Number(t0 - actStartNs) / 1e6).toFixed(1)} ms`);
      const perWorker = (await Promise.all(results)).map((list) => list.map((ns) => Number(BigInt(ns) - t0) / 1e6));
      const all = perWorker.flat();
      // Per process: a tail confined to one process points at its connection, not at the instances.
      console.log(`${label}: per process max ${perWorker.map((l, i) => `w${i}=${Math.max(0, ...l).toFixed(0)} ms (n=${l.length})`).join(' ')}`);
      // An instance can apply before the admin's reply arrives (watch push first): that is 0 ms after.
      console.log(`${label}: ${stats(all.map((x) => Math.max(0, x)))}`);
      // Let the instances' report writes drain before the next step; show what they cost.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const seconds = Number(nowNs() - actStartNs) / 1e9;
      console.log(`${label}: server requests and proposals from the call to settled (${seconds.toFixed(1)} s): ${rates(before, await serverCounts(cluster), seconds)}`);
    };

    await admin.set('a', { type: 'text', text: 'a2' });
    await measure('release → all applied', 2, () => admin.publish({ message: 'r2', author: 'bench' }));
    await admin.set('b', { type: 'text', text: 'b3' });
    const grayBefore = await serverCounts(cluster);
    const grayStartNs = nowNs();
    await admin.grayStart({ message: 'r3', author: 'bench', rule: { kind: 'percentage', percent: 50 } });
    console.log(`gray start: admin call took ${(Number(nowNs() - grayStartNs) / 1e6).toFixed(1)} ms`);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    console.log(`gray start: server requests and proposals: ${rates(grayBefore, await serverCounts(cluster), Number(nowNs() - grayStartNs) / 1e9)}`);
    await measure('gray promote → the other half applied', 3, () => admin.grayPromote({ author: 'bench' }));
    // The worst ordinary case: the leader (which every client prefers) dies as the release
    // commits, so every process reconnects elsewhere and resumes its watch.
    await admin.set('c', { type: 'text', text: 'c4' });
    const leader = await cluster.leader();
    await measure(`release, leader ${leader} killed at once → all applied`, 4, async () => {
      await admin.publish({ message: 'r4', author: 'bench' });
      void cluster.kill(leader);
    });
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await cluster.stop();
    process.exit();
  }
}

if (process.argv[2] === 'worker') {
  void worker(JSON.parse(process.argv[3]!) as string[], Number(process.argv[4]), Number(process.argv[5]));
} else {
  void main();
}
