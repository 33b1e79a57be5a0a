// Measurement, not a test: issue 14's mixed workload against a fresh 3-member cluster, with
// every figure of the issue's table. `pnpm bench:cluster [--scale 0.1]`.
//
// Phases (counts at --scale 1; each is multiplied by the scale, at least 1):
//   sequential  2 000 puts, 1 client                    ops/s, p50/p99, server CPU per put
//   inflight   50 000 puts, 100 in flight               ops/s, server CPU cores, per 1k puts/s
//   reads      10 000-key read set, then 100 000 gets linearizable and 100 000 serializable
//   watch      1 000 watchers on a prefix, 100 puts fanned out to all of them, twice
//   compact    delete every key, then a physical compact at the current revision
//   bulk      100 000 keys of 256 B, 100 in flight
// then the RSS and heap breakdown of every member.
//
// Server CPU is read from /proc/<pid>/stat (utime + stime) before and after a phase and summed
// over the members: robust to a busy machine, unlike the wall-clock figures, which share the
// machine's cores with everything else running (the client included).
//
// Options: --scale F (default 1), --phases a,b (default all), --cpu-prof DIR (members write
// V8 CPU profiles there, stopped with SIGTERM so the profiles are written), --heap-snapshot
// DIR (after the run the leader writes a heap snapshot there, on SIGUSR2). Every process it
// starts is stopped by pid (the integration harness's Cluster).
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { KiteError, RANGE_END_ALL } from '@kite/protocol';
import { connect } from '@kite/client';
import { runBench, type BenchConfig } from '../../packages/cli/src/bench/workload.js';
import type { BenchResult } from '../../packages/cli/src/bench/stats.js';
import { Cluster, waitFor } from '../integration/harness/cluster.js';
import { cpuMs, ioSyscalls, mainThreadCpuMs, rssBytes } from './proc-stats.js';

export const PHASES = ['sequential', 'inflight', 'reads', 'watch', 'compact', 'bulk'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface ClusterBenchOptions {
  readonly scale: number;
  readonly phases: ReadonlySet<PhaseName>;
  readonly cpuProfDir?: string;
  readonly heapSnapshotDir?: string;
}

/** Requests in flight for the concurrent phases (the issue's "100 in flight"). */
const IN_FLIGHT = 100;
/** Client connections the concurrent workers share. */
const CONNS = 4;
const KEY_BYTES = 8;
const SMALL_VALUE_BYTES = 8;
const BULK_VALUE_BYTES = 256;
const WATCHERS = 1000;
/** Connections the watchers are spread over (at most 1024 watches per link). */
const WATCH_CONNS = 10;
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * The members' request timeout, which also bounds how long a physical compact may take
 * (tens of thousands of deleted keys on a machine shared with other work).
 */
const SERVER_REQUEST_TIMEOUT_MS = 180_000;
/** Times the compact phase asks for its compaction before giving up. */
const COMPACT_ATTEMPTS_MAX = 3;
/** A heap snapshot of a few hundred MiB takes a while on a loaded machine. */
const HEAP_SNAPSHOT_WAIT_MS = 300_000;
const MIB = 1024 * 1024;
/**
 * How long the idle cluster's CPU is read before the phases: heartbeats, ticks and
 * housekeeping cost CPU per second, not per op, and a slow (loaded) run would charge more of
 * it to each op. Net figures subtract this idle rate over the phase's wall time.
 */
const IDLE_SAMPLE_MS = 3000;

type Out = (line: string) => void;

interface MemberCpu {
  readonly name: string;
  /** The whole process. */
  readonly ms: number;
  /** Its main thread (the event loop) alone. */
  readonly mainMs: number;
  /** Read- and write-family syscalls (socket frames, file writes): load-independent work. */
  readonly sysReads: number;
  readonly sysWrites: number;
}

/** Per-member CPU ms spent between two readings. */
function cpuDelta(before: readonly MemberCpu[], after: readonly MemberCpu[]): MemberCpu[] {
  return after.map((a, i) => ({
    name: a.name,
    ms: a.ms - (before[i]?.ms ?? 0),
    mainMs: a.mainMs - (before[i]?.mainMs ?? 0),
    sysReads: a.sysReads - (before[i]?.sysReads ?? 0),
    sysWrites: a.sysWrites - (before[i]?.sysWrites ?? 0),
  }));
}

const sum = (xs: readonly MemberCpu[]): number => xs.reduce((s, x) => s + x.ms, 0);
const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

export async function runClusterBench(opts: ClusterBenchOptions, out: Out): Promise<void> {
  const n = (full: number): number => Math.max(1, Math.round(full * opts.scale));
  const nodeFlags: string[] = [];
  if (opts.cpuProfDir !== undefined) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.cpuProfDir)}`);
  }
  if (opts.heapSnapshotDir !== undefined) {
    mkdirSync(opts.heapSnapshotDir, { recursive: true });
    nodeFlags.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${path.resolve(opts.heapSnapshotDir)}`);
  }

  // Production timing (100 ms ticks), not the harness's fast test timing.
  const cluster = await Cluster.create({ size: 3, tickMs: 100, flags: ['--request-timeout-ms', String(SERVER_REQUEST_TIMEOUT_MS), '--log-level', 'warn'], nodeFlags });
  try {
    await cluster.startAll();
    const leader = await cluster.leader();
    // The leader first, in the figures and as the first endpoint (the SDK moves to it anyway).
    const names = [leader, ...cluster.members.map((m) => m.name).filter((x) => x !== leader)];
    const pidOf = (name: string): number => {
      const pid = cluster.pid(name);
      if (pid === undefined) throw new Error(`${name} is not running`);
      return pid;
    };
    const cpuNow = (): MemberCpu[] =>
      names.map((name) => {
        const io = ioSyscalls(pidOf(name));
        return { name, ms: cpuMs(pidOf(name)), mainMs: mainThreadCpuMs(pidOf(name)), sysReads: io.reads, sysWrites: io.writes };
      });
    const endpoints = names.map((x) => cluster.clientUrl(x));
    out(`cluster: 3 members (${names.map((x) => `${x} pid ${pidOf(x)}`).join(', ')}), leader ${leader}, scale ${opts.scale}, data in ${cluster.root}`);

    const base: BenchConfig = {
      op: 'put', endpoints, clients: 1, conns: 1, total: 1, keySize: KEY_BYTES, valSize: SMALL_VALUE_BYTES, keySpaceSize: 0,
      consistency: 'l', watchers: 0, rate: 0, rwRatio: 1, rangeKey: 'bench-range-key', timeoutMs: REQUEST_TIMEOUT_MS, tls: undefined,
    };
    const figures: string[] = [];
    out(`idle: reading the cluster's CPU for ${IDLE_SAMPLE_MS} ms ...`);
    const idleBefore = cpuNow();
    const idleT0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
    const idle = cpuDelta(idleBefore, cpuNow());
    const idleMsPerMs = sum(idle) / (performance.now() - idleT0);
    out(`idle: ${fixed(idleMsPerMs, 3)} cores for the 3 members`);
    let phaseNo = 0;
    const phaseCount = PHASES.filter((p) => opts.phases.has(p)).length;
    /** Runs one phase: progress lines before and after, CPU per member over it. */
    const phase = async <T>(name: PhaseName, what: string, body: () => Promise<T>): Promise<{ result: T; cpu: MemberCpu[]; wallMs: number } | null> => {
      if (!opts.phases.has(name)) return null;
      phaseNo++;
      out(`[${phaseNo}/${phaseCount}] ${name}: ${what} ...`);
      const before = cpuNow();
      const t0 = performance.now();
      const result = await body();
      const wallMs = performance.now() - t0;
      const cpu = cpuDelta(before, cpuNow());
      out(`[${phaseNo}/${phaseCount}] ${name}: done in ${fixed(wallMs / 1000, 1)} s, server CPU ${cpu.map((c) => `${c.name}${c.name === leader ? '*' : ''} ${fixed(c.ms, 0)} ms (main thread ${fixed(c.mainMs, 0)})`).join(', ')}`);
      return { result, cpu, wallMs };
    };
    const bench = async (cfg: Partial<BenchConfig>): Promise<BenchResult> => {
      const r = await runBench({ ...base, ...cfg });
      if (r.errors > 0) out(`  ${r.errors} errors, e.g. ${r.errorSamples.join('; ')}`);
      return r;
    };
    /** Read and write syscalls per op, each member (the leader first). */
    const syscallsPer = (cpu: readonly MemberCpu[], ops: number): string =>
      cpu.map((c) => `${c.name}${c.name === leader ? ' (leader)' : ''} ${fixed(c.sysReads / ops, 2)} / ${fixed(c.sysWrites / ops, 2)}`).join(', ');
    const perMember = (cpu: readonly MemberCpu[], divisor: number, unit: string, digits: number): string =>
      cpu.map((c) => `${c.name}${c.name === leader ? ' (leader)' : ''} ${fixed(c.ms / divisor, digits)}${unit}`).join(', ');

    const seq = await phase('sequential', `${n(2000)} puts, 1 client`, () => bench({ total: n(2000) }));
    if (seq !== null) {
      const r = seq.result;
      figures.push(`sequential put, 1 client: ops/s (p50 / p99 ms) | ${fixed(r.opsPerSec, 0)} (${fixed(r.latencyMs.p50, 2)} / ${fixed(r.latencyMs.p99, 2)})`);
      const mainMs = seq.cpu.reduce((s, c) => s + c.mainMs, 0);
      const netMs = sum(seq.cpu) - idleMsPerMs * seq.wallMs;
      figures.push(`server CPU per sequential put (3 members) | ${fixed(sum(seq.cpu) / r.latencyMs.count, 3)} ms (${perMember(seq.cpu, r.latencyMs.count, ' ms', 3)}; main threads ${fixed(mainMs / r.latencyMs.count, 3)} ms; net of idle ${fixed(netMs / r.latencyMs.count, 3)} ms)`);
      figures.push(`syscalls per sequential put, read / write | ${syscallsPer(seq.cpu, r.latencyMs.count)}`);
    }

    const inflight = await phase('inflight', `${n(50_000)} puts, ${IN_FLIGHT} in flight`, () => bench({ total: n(50_000), clients: IN_FLIGHT, conns: CONNS }));
    if (inflight !== null) {
      const r = inflight.result;
      const cores = sum(inflight.cpu) / inflight.wallMs;
      figures.push(`server CPU at ${IN_FLIGHT} puts in flight | ${fixed(cores, 2)} cores for ${fixed(r.opsPerSec / 1000, 2)}k/s = ${fixed(cores / (r.opsPerSec / 1000), 3)} cores per 1k puts/s (${perMember(inflight.cpu, inflight.wallMs, ' cores', 2)}); CPU per put ${fixed(sum(inflight.cpu) / r.latencyMs.count, 3)} ms (net of idle ${fixed((sum(inflight.cpu) - idleMsPerMs * inflight.wallMs) / r.latencyMs.count, 3)} ms); p50 / p99 ${fixed(r.latencyMs.p50, 2)} / ${fixed(r.latencyMs.p99, 2)} ms`);
      figures.push(`syscalls per put at ${IN_FLIGHT} in flight, read / write | ${syscallsPer(inflight.cpu, r.latencyMs.count)}`);
    }

    const readKeys = n(10_000);
    const reads = await phase('reads', `${readKeys}-key read set, ${n(100_000)} gets linearizable and ${n(100_000)} serializable`, async () => {
      await bench({ total: readKeys, clients: IN_FLIGHT, conns: CONNS });
      const l = await bench({ op: 'range', total: n(100_000), clients: IN_FLIGHT, conns: CONNS, keySpaceSize: readKeys, consistency: 'l' });
      const s = await bench({ op: 'range', total: n(100_000), clients: IN_FLIGHT, conns: CONNS, keySpaceSize: readKeys, consistency: 's' });
      return { l, s };
    });
    if (reads !== null) {
      const { l, s } = reads.result;
      figures.push(`gets, ${IN_FLIGHT} in flight: linearizable / serializable ops/s | ${fixed(l.opsPerSec, 0)} / ${fixed(s.opsPerSec, 0)} (p99 ${fixed(l.latencyMs.p99, 2)} / ${fixed(s.latencyMs.p99, 2)} ms)`);
    }

    const watchPuts = n(100);
    const watch = await phase('watch', `${WATCHERS} watchers x ${watchPuts} puts, twice`, async () => {
      const one = (): Promise<BenchResult> => bench({ op: 'watch', total: watchPuts, watchers: WATCHERS, clients: 1, conns: WATCH_CONNS });
      return [await one(), await one()];
    });
    if (watch !== null) {
      figures.push(`watch fan-out to ${WATCHERS} watchers: events/s (delivery p99 ms) | ${watch.result.map((r) => `${fixed(r.opsPerSec, 0)} (${fixed(r.latencyMs.p99, 2)})`).join(', ')}`);
    }

    await phase('compact', 'delete every key, physical compact at the current revision', async () => {
      const c = await connect({ endpoints, timeoutMs: SERVER_REQUEST_TIMEOUT_MS });
      try {
        const del = await c.delete(new Uint8Array([0]), { rangeEnd: RANGE_END_ALL });
        // On a loaded machine the leader may change, or a link drop, while tens of thousands
        // of deleted keys are compacted: the compact is asked again (an already compacted
        // revision answers Compacted, which means done).
        for (let attempt = 1; ; attempt++) {
          try {
            await c.compact(del.header.revision, { physical: true });
            break;
          } catch (err) {
            if (err instanceof KiteError && err.code === 'Compacted') break;
            if (attempt >= COMPACT_ATTEMPTS_MAX) throw err;
            out(`  compact attempt ${attempt} failed (${(err as Error).message}); asking again`);
          }
        }
        out(`  deleted ${del.deleted} keys, compacted at revision ${del.header.revision}`);
      } finally {
        c.close();
      }
    });

    const bulk = await phase('bulk', `${n(100_000)} keys of ${BULK_VALUE_BYTES} B, ${IN_FLIGHT} in flight`, () =>
      bench({ total: n(100_000), clients: IN_FLIGHT, conns: CONNS, valSize: BULK_VALUE_BYTES }));
    if (bulk !== null) figures.push(`bulk load, ${IN_FLIGHT} in flight, ${BULK_VALUE_BYTES} B values: ops/s | ${fixed(bulk.result.opsPerSec, 0)}`);

    // Leadership may have moved during the run (a loaded machine misses heartbeats): memory
    // is labeled with the leader at the end, which is the one that served the last phases.
    const leaderAtEnd = await cluster.leader(REQUEST_TIMEOUT_MS);
    if (leaderAtEnd !== leader) out(`leadership moved during the run: ${leader} -> ${leaderAtEnd}`);
    const memory = await Promise.all(names.map(async (name) => ({ name, rss: rssBytes(pidOf(name)), heap: heapFigures(await cluster.metrics(name)) })));
    figures.push(`RSS per member after the run | ${memory.map((m) => `${m.name}${m.name === leaderAtEnd ? ' (leader)' : ''} ${fixed(m.rss / MIB, 0)} MiB`).join(', ')}`);
    for (const m of memory) {
      figures.push(`memory of ${m.name}${m.name === leaderAtEnd ? ' (leader)' : ''} | ${Object.entries(m.heap).map(([k, v]) => `${k} ${fixed(v / MIB, 1)} MiB`).join(', ')}`);
    }

    out('');
    out('figure | value');
    out('---|---');
    for (const f of figures) out(f);

    if (opts.heapSnapshotDir !== undefined) out(`heap snapshot: ${await heapSnapshot(cluster, leaderAtEnd, opts.heapSnapshotDir)}`);
    if (opts.cpuProfDir !== undefined) {
      // A CPU profile is written at a normal exit: SIGTERM stops a member gracefully.
      for (const name of names) await cluster.kill(name, 'SIGTERM', 60_000);
      out(`cpu profiles in ${opts.cpuProfDir}: ${readdirSync(opts.cpuProfDir).filter((f) => f.endsWith('.cpuprofile')).join(', ')}`);
    }
  } finally {
    await cluster.stop();
  }
}

/** The heap-related series of a member's /metrics (prom-client's default Node.js metrics). */
function heapFigures(metrics: string): Record<string, number> {
  const series: Record<string, string> = {
    'heap used': 'nodejs_heap_size_used_bytes',
    'heap total': 'nodejs_heap_size_total_bytes',
    external: 'nodejs_external_memory_bytes',
  };
  const outFigures: Record<string, number> = {};
  for (const [label, metric] of Object.entries(series)) {
    const m = new RegExp(`^${metric} (\\S+)`, 'm').exec(metrics);
    if (m !== null) outFigures[label] = Number(m[1]);
  }
  return outFigures;
}

/** Has the leader write a heap snapshot (SIGUSR2) and waits until it answers again (writing blocks it). */
async function heapSnapshot(cluster: Cluster, leader: string, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  const pid = cluster.pid(leader);
  if (pid === undefined) throw new Error(`${leader} is not running`);
  process.kill(pid, 'SIGUSR2');
  const file = await waitFor('the heap snapshot file', HEAP_SNAPSHOT_WAIT_MS, () => readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f)));
  await waitFor(`${leader} answering after the heap snapshot`, HEAP_SNAPSHOT_WAIT_MS, async () => ((await cluster.get(`${cluster.httpUrl(leader)}/health`, 5000)).status === 200 ? true : undefined));
  return path.join(dir, file);
}

export function parseArgs(argv: readonly string[]): ClusterBenchOptions {
  let scale = 1;
  let phases = new Set<PhaseName>(PHASES);
  let cpuProfDir: string | undefined;
  let heapSnapshotDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--scale') {
      scale = Number(value);
      if (!(scale > 0 && scale <= 10)) throw new Error(`--scale must be a number in (0, 10]; got '${value}'`);
    } else if (flag === '--phases') {
      const list = value.split(',');
      const unknown = list.filter((p) => !(PHASES as readonly string[]).includes(p));
      if (unknown.length > 0) throw new Error(`unknown phase ${unknown.join(', ')}; phases: ${PHASES.join(', ')}`);
      phases = new Set(list as PhaseName[]);
    } else if (flag === '--cpu-prof') cpuProfDir = value;
    else if (flag === '--heap-snapshot') heapSnapshotDir = value;
    else throw new Error(`unknown option ${flag}; options: --scale F, --phases ${PHASES.join(',')}, --cpu-prof DIR, --heap-snapshot DIR`);
  }
  return { scale, phases, ...(cpuProfDir === undefined ? {} : { cpuProfDir }), ...(heapSnapshotDir === undefined ? {} : { heapSnapshotDir }) };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  let opts: ClusterBenchOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  runClusterBench(opts, (line) => process.stdout.write(`${line}\n`)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
