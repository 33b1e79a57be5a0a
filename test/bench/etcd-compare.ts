// Measurement, not a test: the same `etcd3` npm client script against a 3-member etcd 3.4
// (Debian's etcd-server, started here on 127.0.0.1) and a 3-member Kite (its etcd gRPC door),
// both up at once and taken in turns per workload (the order swapped every round), so load
// from others on a shared machine falls on both alike. Workloads: sequential put, puts with
// 100 in flight, linearizable and serializable gets with 100 in flight, and watch delivery
// (the time from issuing a put to its event reaching a prefix watcher). Prints a table with
// ops/s and latency percentiles per system and the ratio (≥ 1 means Kite is as good or better).
// With `--check-perf l`, runs `etcdctl check perf --load=l` against Kite at the end.
//
//   pnpm bench:etcd-compare [--rounds 2] [--scale 1] [--check-perf l]
//
// Both clusters use the same timing: 100 ms heartbeat, 1 s election, 7 s request timeout. Every process this
// starts is stopped by pid (the integration harness for Kite, EtcdServerCluster for etcd).

import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import { Cluster } from '../integration/harness/cluster.js';
import { ensureEtcdctl } from '../integration/harness/etcdctl.js';
import { EtcdServerCluster } from './etcd-server-cluster.js';

const { values: argv } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    scale: { type: 'string', default: '1' },
    'check-perf': { type: 'string' },
  },
});
const ROUNDS = Number(argv.rounds);
const SCALE = Number(argv.scale);
const VALUE = Buffer.alloc(256, 'v');
const IN_FLIGHT = 100;
const WARMUP_PUTS = 300;
const SEQ_PUTS = Math.round(1000 * SCALE);
const PAR_PUTS = Math.round(10_000 * SCALE);
const GETS = Math.round(10_000 * SCALE);
const WATCH_PUTS = Math.round(1000 * SCALE);
/** Keys the get workloads read (written once before the first round). */
const READ_KEYS = 1000;
const WATCH_DELIVERY_TIMEOUT_MS = 60_000;
const START_ATTEMPTS_MAX = 3;

type SystemName = 'etcd' | 'kite';

interface Sample {
  ops: number;
  elapsedMs: number;
  latenciesMs: number[];
}

interface Workload {
  readonly name: string;
  run(client: Etcd3, round: number): Promise<Sample>;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Runs `total` calls of `op` with at most `inFlight` at once; latency per call. */
async function drive(total: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<Sample> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await op(i);
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, () => worker()));
  return { ops: total, elapsedMs: performance.now() - started, latenciesMs };
}

const workloads: readonly Workload[] = [
  { name: 'sequential put', run: (c, r) => drive(SEQ_PUTS, 1, (i) => c.put(`bench/seq/${r}/${i}`).value(VALUE).exec()) },
  { name: `put, ${IN_FLIGHT} in flight`, run: (c, r) => drive(PAR_PUTS, IN_FLIGHT, (i) => c.put(`bench/par/${r}/${i % 5000}`).value(VALUE).exec()) },
  { name: `linearizable get, ${IN_FLIGHT} in flight`, run: (c) => drive(GETS, IN_FLIGHT, (i) => c.get(`bench/read/${i % READ_KEYS}`).buffer()) },
  { name: `serializable get, ${IN_FLIGHT} in flight`, run: (c) => drive(GETS, IN_FLIGHT, (i) => c.get(`bench/read/${i % READ_KEYS}`).serializable(true).buffer()) },
  { name: 'watch delivery (put issued → event)', run: (c, r) => watchDelivery(c, r) },
];

/** Sequential puts under a watched prefix; latency = event received − put issued. */
async function watchDelivery(client: Etcd3, round: number): Promise<Sample> {
  const prefix = `bench/watch/${round}/`;
  const issuedAt = new Map<string, number>();
  const latenciesMs: number[] = [];
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const watcher = await client.watch().prefix(prefix).create();
  watcher.on('put', (kv) => {
    const t0 = issuedAt.get(kv.key.toString());
    if (t0 === undefined) return;
    latenciesMs.push(performance.now() - t0);
    if (latenciesMs.length === WATCH_PUTS) resolveAll();
  });
  const started = performance.now();
  try {
    for (let i = 0; i < WATCH_PUTS; i++) {
      const key = `${prefix}${i}`;
      issuedAt.set(key, performance.now());
      await client.put(key).value(VALUE).exec();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`watch: ${latenciesMs.length}/${WATCH_PUTS} events after ${WATCH_DELIVERY_TIMEOUT_MS} ms`)), WATCH_DELIVERY_TIMEOUT_MS)))]);
    clearTimeout(timer);
  } finally {
    await watcher.cancel();
  }
  return { ops: WATCH_PUTS, elapsedMs: performance.now() - started, latenciesMs };
}

async function prepare(client: Etcd3): Promise<void> {
  await drive(WARMUP_PUTS, 10, (i) => client.put(`bench/warmup/${i}`).value(VALUE).exec());
  await drive(READ_KEYS, IN_FLIGHT, (i) => client.put(`bench/read/${i}`).value(VALUE).exec());
}

function merge(samples: readonly Sample[]): Sample {
  return {
    ops: samples.reduce((n, s) => n + s.ops, 0),
    elapsedMs: samples.reduce((n, s) => n + s.elapsedMs, 0),
    latenciesMs: samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b),
  };
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
}

function report(results: ReadonlyMap<string, Record<SystemName, Sample[]>>): void {
  const widths = [38, 10, 10, 9, 9, 9, 9, 8, 8];
  console.log(row(['workload', 'etcd op/s', 'kite op/s', 'etcd p50', 'kite p50', 'etcd p99', 'kite p99', 'x op/s', 'x p99'], widths));
  for (const [name, by] of results) {
    const e = merge(by.etcd);
    const k = merge(by.kite);
    const eRate = (e.ops / e.elapsedMs) * 1000;
    const kRate = (k.ops / k.elapsedMs) * 1000;
    const ms = (v: number): string => `${v.toFixed(1)}ms`;
    const eP99 = percentile(e.latenciesMs, 99);
    const kP99 = percentile(k.latenciesMs, 99);
    console.log(row([
      name, eRate.toFixed(0), kRate.toFixed(0),
      ms(percentile(e.latenciesMs, 50)), ms(percentile(k.latenciesMs, 50)), ms(eP99), ms(kP99),
      (kRate / eRate).toFixed(2), (eP99 / kP99).toFixed(2),
    ], widths));
  }
  console.log('x op/s = kite/etcd throughput; x p99 = etcd/kite p99 latency (both: ≥ 1.00 means Kite is as good or better)');
}

/**
 * Starts a cluster, trying again on fresh ports when a start fails: free ports are released
 * before the members bind them, and on a shared machine another process may take one first.
 */
async function started<T>(what: string, start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= START_ATTEMPTS_MAX) throw err;
      console.error(`${what} did not start (${(err as Error).message.split('\n')[0] ?? ''}); trying again`);
    }
  }
}

async function startKite(): Promise<Cluster> {
  // The member's defaults where the harness speeds tests up: 100 ms ticks (1 s election) and
  // a 7 s request timeout, etcd's timing too.
  const c = await Cluster.create({ size: 3, tickMs: 100, flags: ['--request-timeout-ms', '7000'] });
  try {
    await c.startAll();
    await c.leader();
    return c;
  } catch (err) {
    await c.stop();
    throw err;
  }
}

async function main(): Promise<void> {
  const etcd = await started('etcd', () => EtcdServerCluster.start(3));
  const kite = await started('kite', startKite).catch(async (err: unknown) => {
    await etcd.stop();
    throw err;
  });
  const clients = new Map<SystemName, Etcd3>();
  try {
    clients.set('etcd', new Etcd3({ hosts: etcd.endpoints }));
    clients.set('kite', new Etcd3({ hosts: kite.grpcUrls }));
    for (const c of clients.values()) await prepare(c);
    const results = new Map<string, Record<SystemName, Sample[]>>();
    for (let round = 0; round < ROUNDS; round++) {
      const order: SystemName[] = round % 2 === 0 ? ['etcd', 'kite'] : ['kite', 'etcd'];
      for (const w of workloads) {
        const by = results.get(w.name) ?? { etcd: [], kite: [] };
        results.set(w.name, by);
        for (const system of order) {
          const client = clients.get(system) as Etcd3;
          const s = await w.run(client, round);
          by[system].push(s);
          console.error(`round ${round + 1}/${ROUNDS} ${system.padEnd(4)} ${w.name}: ${((s.ops / s.elapsedMs) * 1000).toFixed(0)} op/s`);
        }
      }
    }
    console.log(`\n3 members each on 127.0.0.1, etcd3 npm client, ${ROUNDS} rounds, scale ${SCALE}, value ${VALUE.length} bytes, ${new Date().toISOString()}`);
    report(results);
    if (argv['check-perf'] !== undefined) {
      for (const c of clients.values()) c.close();
      clients.clear();
      checkPerf(kite.grpcUrls, argv['check-perf']);
    }
  } finally {
    for (const c of clients.values()) c.close();
    await kite.stop();
    await etcd.stop();
  }
}

/** `etcdctl check perf` against Kite; prints its output (it exits non-zero on FAIL). */
function checkPerf(endpoints: readonly string[], load: string): void {
  const bin = ensureEtcdctl();
  console.log(`\netcdctl check perf --load=${load} against Kite:`);
  try {
    const out = execFileSync(bin, [`--endpoints=${endpoints.join(',')}`, 'check', 'perf', `--load=${load}`], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', timeout: 300_000 });
    console.log(out);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    console.log(e.stdout ?? '', e.stderr ?? '', `(exit: ${e.message.split('\n')[0] ?? ''})`);
  }
}

await main();
