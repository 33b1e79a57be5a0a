// Measurement, not a test: where a lone put's time goes, hop by hop, on every member.
// Starts a 3-member cluster with KITE_LATENCY_TRACE set (latency-trace.ts: each member records
// the monotonic time of each hop of a write), runs sequential puts through each door and
// target (native door to the leader; gRPC door through the `etcd3` client to the leader and
// to a follower, which forwards), stops the members with SIGTERM so they write their traces,
// and lines the traces up with the client's own send/done times (the same system-wide
// monotonic clock). Per case it prints, for every hop seen on each member (L = leader,
// F = the follower the client talks to, or the first follower; F2 = the other follower),
// the median time since the client sent the put, and how many times the hop occurred per
// put (turns, Readies, WAL writes, flushes: counts that do not depend on the machine's load).
//
//   npx tsx test/bench/latency-breakdown.ts [--puts 500] [--cases native-leader,grpc-leader,grpc-follower]
//   KITE_IT_SERVER_MAIN=/other/build/packages/server/dist/main.js npx tsx test/bench/latency-breakdown.ts
//
// Every process it starts is stopped by pid (the integration harness).

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import { connect } from '@kite/client';
import { Cluster } from '../integration/harness/cluster.js';
import { cpuMs } from './proc-stats.js';

const CASES = ['native-leader', 'grpc-leader', 'grpc-follower'] as const;
type CaseName = (typeof CASES)[number];

const { values: argv } = parseArgs({ options: { puts: { type: 'string', default: '500' }, cases: { type: 'string', default: CASES.join(',') } } });
const PUTS = Number(argv.puts);
const SELECTED = argv.cases.split(',') as CaseName[];
const VALUE = Buffer.alloc(256, 'v');
/** Puts before the measured ones (connections, JIT). */
const WARMUP_PUTS = 50;

/** Now on the system-wide monotonic clock, in microseconds (as the members' traces). */
const nowUs = (): number => Number(process.hrtime.bigint()) / 1000;

interface Window {
  readonly sendUs: number;
  readonly doneUs: number;
}

interface CaseRun {
  readonly name: CaseName;
  readonly windows: readonly Window[];
  /** The member the client talked to. */
  readonly target: string;
  readonly cpuPerPutUs: readonly number[];
}

type PutFn = (key: string) => Promise<unknown>;

async function openClient(name: CaseName, cluster: Cluster, member: string): Promise<{ put: PutFn; close: () => void }> {
  if (name === 'native-leader') {
    const c = await connect({ endpoints: [cluster.clientUrl(member)] });
    return { put: (k) => c.put(Buffer.from(k), VALUE), close: () => void c.close() };
  }
  const c = new Etcd3({ hosts: [cluster.grpcUrl(member)] });
  return { put: (k) => c.put(k).value(VALUE).exec(), close: () => c.close() };
}

async function runCase(cluster: Cluster, name: CaseName, leader: string, follower: string): Promise<CaseRun> {
  const target = name === 'grpc-follower' ? follower : leader;
  const client = await openClient(name, cluster, target);
  const names = cluster.members.map((m) => m.name);
  try {
    for (let i = 0; i < WARMUP_PUTS; i++) await client.put(`lb/${name}/warm/${i}`);
    const cpu0 = names.map((n) => cpuMs(cluster.pid(n) ?? Number.NaN));
    const windows: Window[] = [];
    for (let i = 0; i < PUTS; i++) {
      const sendUs = nowUs();
      await client.put(`lb/${name}/${i % 1000}`);
      windows.push({ sendUs, doneUs: nowUs() });
    }
    const cpuPerPutUs = names.map((n, i) => Math.round(((cpuMs(cluster.pid(n) ?? Number.NaN) - (cpu0[i] as number)) / PUTS) * 1000));
    return { name, windows, target, cpuPerPutUs };
  } finally {
    client.close();
  }
}

interface TraceEvent {
  readonly us: number;
  readonly hop: string;
  readonly role: string;
}

function readTraces(dir: string, roleByPid: ReadonlyMap<number, string>): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const file of readdirSync(dir)) {
    const pid = Number(/^trace-(\d+)\.tsv$/.exec(file)?.[1]);
    const role = roleByPid.get(pid);
    if (role === undefined) continue;
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const [us, hop] = line.split('\t');
      if (us !== undefined && hop !== undefined) events.push({ us: Number(us), hop, role });
    }
  }
  return events.sort((a, b) => a.us - b.us);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? Number.NaN;
}

/** Per hop label ("L:persistStart#1": the leader's first WAL write of the put): offsets and counts. */
function breakdown(run: CaseRun, events: readonly TraceEvent[]): string[] {
  const offsets = new Map<string, number[]>();
  const counts = new Map<string, number>();
  let at = 0;
  for (const w of run.windows) {
    while (at < events.length && (events[at] as TraceEvent).us < w.sendUs) at++;
    const seen = new Map<string, number>();
    for (let i = at; i < events.length && (events[i] as TraceEvent).us <= w.doneUs; i++) {
      const e = events[i] as TraceEvent;
      const key = `${e.role}:${e.hop}`;
      const k = (seen.get(key) ?? 0) + 1;
      seen.set(key, k);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const label = `${key}#${k}`;
      let list = offsets.get(label);
      if (list === undefined) offsets.set(label, (list = []));
      list.push(e.us - w.sendUs);
    }
  }
  const n = run.windows.length;
  const lat = run.windows.map((w) => w.doneUs - w.sendUs);
  const out = [
    `## ${run.name} (client talks to ${run.target}): ${n} puts, client p50 ${(median(lat) / 1000).toFixed(3)} ms, p99 ${(pct(lat, 0.99) / 1000).toFixed(3)} ms; member CPU per put ${run.cpuPerPutUs.join(' + ')} = ${run.cpuPerPutUs.reduce((a, b) => a + b, 0)} us`,
    '',
    '| hop (member:hop#occurrence) | in % of puts | median µs since send |',
    '|---|---:|---:|',
  ];
  // Hops seen in at least half the puts, in the order of their median offset.
  const rows = [...offsets].filter(([, xs]) => xs.length >= n / 2).map(([label, xs]) => ({ label, share: xs.length / n, med: median(xs) }));
  rows.sort((a, b) => a.med - b.med);
  for (const r of rows) out.push(`| ${r.label} | ${(r.share * 100).toFixed(0)} | ${r.med.toFixed(0)} |`);
  out.push(`| client:done | 100 | ${median(lat).toFixed(0)} |`, '', ...typicalPut(run, events), '', '| member:hop | per put |', '|---|---:|');
  for (const [key, c] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) out.push(`| ${key} | ${(c / n).toFixed(2)} |`);
  out.push('');
  return out;
}

/** The hops of the put whose latency is the median, in time order: one put's real sequence. */
function typicalPut(run: CaseRun, events: readonly TraceEvent[]): string[] {
  const byLatency = [...run.windows].sort((a, b) => a.doneUs - a.sendUs - (b.doneUs - b.sendUs));
  const w = byLatency[Math.floor(byLatency.length / 2)];
  if (w === undefined) return [];
  const hops = events.filter((e) => e.us >= w.sendUs && e.us <= w.doneUs).map((e) => `${e.role}:${e.hop} ${(e.us - w.sendUs).toFixed(0)}`);
  return [`the median put's hops (µs since send): ${[...hops, `client:done ${(w.doneUs - w.sendUs).toFixed(0)}`].join(', ')}`];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kite-trace-'));
  process.env['KITE_LATENCY_TRACE'] = dir;
  const cluster = await Cluster.create({ size: 3, tickMs: 100, flags: ['--request-timeout-ms', '7000', '--log-level', 'warn'] });
  const runs: CaseRun[] = [];
  const roleByPid = new Map<number, string>();
  try {
    await cluster.startAll();
    const leader = await cluster.leader();
    const followers = cluster.members.map((m) => m.name).filter((n) => n !== leader);
    const follower = followers[0] as string;
    roleByPid.set(cluster.pid(leader) ?? -1, 'L').set(cluster.pid(follower) ?? -1, 'F').set(cluster.pid(followers[1] as string) ?? -1, 'F2');
    console.log(`# latency breakdown: 3 members, leader ${leader} (L), ${follower} (F), ${followers[1]} (F2); ${PUTS} sequential puts of ${VALUE.length} B per case, ${new Date().toISOString()}`);
    for (const name of SELECTED) {
      if (!CASES.includes(name)) throw new Error(`unknown case ${name}; cases: ${CASES.join(', ')}`);
      runs.push(await runCase(cluster, name, leader, follower));
    }
    if ((await cluster.leader()) !== leader) console.log('warning: the leader changed during the run; roles are as at the start');
    // SIGTERM: the members exit cleanly and write their traces.
    for (const m of cluster.members) await cluster.kill(m.name, 'SIGTERM', 30_000);
  } finally {
    await cluster.stop();
  }
  const events = readTraces(dir, roleByPid);
  rmSync(dir, { recursive: true, force: true });
  for (const run of runs) console.log(breakdown(run, events).join('\n'));
}

await main();
