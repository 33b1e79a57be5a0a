// Measurement, not a test: issue 14 item 4, a million keys. `pnpm bench:big [--keys 1000000]`.
//
// Against a fresh 3-member Kite cluster (production timing, 100 ms ticks):
//   load       --keys keys of --value-bytes B through the etcd v3 gRPC door (the etcd3 npm
//              client), in txns of TXN_OPS_MAX puts, LOAD_TXNS_IN_FLIGHT txns in flight
//   memory     RSS and heap per member with the keys loaded
//   restart-1  SIGTERM a follower, start it again: time from spawn to its first successful
//              linearizable read (the member itself answers: the client does not move);
//              again with --initial-corrupt-check false (what the check costs)
//   restart-all  the same for the whole cluster (every member's first read)
//   catch-up   stop a follower, write --lag-keys more keys (the leader's log is compacted
//              past it, so it must catch up by snapshot), then the p50/p99 of one client's
//              sequential puts before and while the follower catches up
// and, unless --no-etcd, a 3-member etcd 3.4 (Debian's etcd-server) loaded with the same keys
// by the same loader, for its RSS per member beside Kite's.
//
// Every value is 256 B of seeded pseudo-random bytes (LevelDB's and bbolt's compression
// cannot shrink them), so both systems hold the same incompressible data. Every process it
// starts is stopped by pid (Cluster, EtcdServerCluster).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Etcd3, type IRequestOp } from 'etcd3';
import { connect } from '@kite/client';
import { TXN_OPS_MAX } from '@kite/protocol';
import { summarize, type LatencySummary } from '../../packages/cli/src/bench/stats.js';
import { Cluster, waitFor } from '../integration/harness/cluster.js';
import { EtcdServerCluster } from './etcd-server-cluster.js';
import { cpuMs, rssBytes } from './proc-stats.js';

/** Txns the loader keeps in flight (each TXN_OPS_MAX puts). */
const LOAD_TXNS_IN_FLIGHT = 16;
/**
 * Attempts per loader txn (a leader change fails one), and the pause between them: past a few
 * failures the etcd3 client opens its circuit breaker for 5 s, so retries span 30 s.
 */
const LOAD_ATTEMPTS_MAX = 30;
const LOAD_RETRY_GAP_MS = 1000;
/** Sequential puts the catch-up phase times before the follower comes back. */
const PROBE_PUTS_BEFORE = 2000;
/** Bound on the catch-up itself (a snapshot of a million keys on a busy 2-core machine). */
const CATCH_UP_TIMEOUT_MS = 600_000;
/** Bound on a restart to serving (the goal is 5 s; a miss is reported, not waited forever). */
const RESTART_TIMEOUT_MS = 300_000;
/** One linearizable read attempt while a member starts. */
const PROBE_TIMEOUT_MS = 1000;
const PROBE_GAP_MS = 20;
/** Members' request timeout: generous, the load keeps the machine busy. */
const SERVER_REQUEST_TIMEOUT_MS = 60_000;
const LOADER_TIMEOUT_MS = 120_000;
const SOURCE_BYTES = 1 << 20;
const MIB = 1024 * 1024;

type Out = (line: string) => void;

/** Seeded xorshift32: the same bytes on every run, for both systems. */
function randomSource(bytes: number, seed: number): Buffer {
  const buf = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return buf;
}

const SOURCE = randomSource(SOURCE_BYTES, 0x6b697465);

export const keyOf = (i: number): Buffer => Buffer.from(`big/${String(i).padStart(8, '0')}`);

/** Value i: a window of the random source; consecutive windows overlap by a few bytes only. */
export function valueOf(i: number, valueBytes: number): Buffer {
  const stride = valueBytes - 5;
  const off = (i * stride) % (SOURCE_BYTES - valueBytes);
  return SOURCE.subarray(off, off + valueBytes);
}

/** Puts keys [from, to) through the etcd v3 API, TXN_OPS_MAX per txn; returns keys/s. */
async function load(endpoints: readonly string[], from: number, to: number, valueBytes: number, out: Out, label: string): Promise<number> {
  const client = new Etcd3({ hosts: [...endpoints], dialTimeout: 10_000 });
  try {
    let next = from;
    let done = 0;
    let retries = 0;
    const total = to - from;
    const t0 = performance.now();
    let lastReport = t0;
    const worker = async (): Promise<void> => {
      while (next < to) {
        const start = next;
        const end = Math.min(to, start + TXN_OPS_MAX);
        next = end;
        const success: IRequestOp[] = [];
        for (let i = start; i < end; i++) success.push({ request_put: { key: keyOf(i), value: valueOf(i, valueBytes) } });
        // A leader change on a busy machine fails a txn: it is sent again (puts are idempotent
        // for a load: the same value under the same key).
        for (let attempt = 1; ; attempt++) {
          try {
            await client.kv.txn({ success }, { deadline: Date.now() + LOADER_TIMEOUT_MS });
            break;
          } catch (err) {
            if (attempt >= LOAD_ATTEMPTS_MAX) throw err;
            retries++;
            await new Promise((r) => setTimeout(r, LOAD_RETRY_GAP_MS));
          }
        }
        done += end - start;
        const now = performance.now();
        if (now - lastReport > 10_000) {
          lastReport = now;
          out(`  ${label}: ${done} / ${total} keys, ${Math.round((done * 1000) / (now - t0))} keys/s${retries > 0 ? `, ${retries} txns sent again` : ''}`);
        }
      }
    };
    await Promise.all(Array.from({ length: LOAD_TXNS_IN_FLIGHT }, () => worker()));
    return (total * 1000) / (performance.now() - t0);
  } finally {
    client.close();
  }
}

/** Polls one member (no move to the leader) until a linearizable read succeeds; ms from t0. */
async function firstRead(url: string, t0: number): Promise<number> {
  return waitFor(`a linearizable read at ${url}`, RESTART_TIMEOUT_MS, async () => {
    let c;
    try {
      c = await connect({ endpoints: [url], preferLeader: false, timeoutMs: PROBE_TIMEOUT_MS, dialTimeoutMs: PROBE_TIMEOUT_MS, retries: 0 });
      await c.get(keyOf(0));
      return performance.now() - t0;
    } catch {
      await new Promise((r) => setTimeout(r, PROBE_GAP_MS));
      return undefined;
    } finally {
      c?.close();
    }
  });
}

const fmt = (l: LatencySummary): string => `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, max ${l.max.toFixed(1)} ms (${l.count} puts)`;

async function memoryLine(cluster: Cluster, names: readonly string[], leader: string): Promise<string> {
  const parts = await Promise.all(names.map(async (name) => {
    const pid = cluster.pid(name);
    const metrics = await cluster.metrics(name);
    const heap = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? Number.NaN);
    const external = Number(/^nodejs_external_memory_bytes (\S+)/m.exec(metrics)?.[1] ?? Number.NaN);
    const rss = pid === undefined ? 0 : rssBytes(pid);
    return `${name}${name === leader ? ' (leader)' : ''} RSS ${(rss / MIB).toFixed(0)} MiB (heap used ${(heap / MIB).toFixed(0)}, external ${(external / MIB).toFixed(0)})`;
  }));
  return parts.join(', ');
}

/** A member's CPU time so far (user + system, /proc), e.g. right after its first read. */
function cpuLine(cluster: Cluster, name: string): string {
  const pid = cluster.pid(name);
  return pid === undefined ? 'n/a' : `${(cpuMs(pid) / 1000).toFixed(2)} s`;
}

/** Each member's largest event-loop delay since the previous scrape (prom-client, monitorEventLoopDelay). */
async function loopLagLine(cluster: Cluster, names: readonly string[]): Promise<string> {
  const parts = await Promise.all(names.map(async (name) => {
    const metrics = await cluster.metrics(name).catch(() => '');
    const max = Number(/^nodejs_eventloop_lag_max_seconds (\S+)/m.exec(metrics)?.[1] ?? Number.NaN);
    return `${name} max ${(max * 1000).toFixed(0)} ms`;
  }));
  return parts.join(', ');
}

export interface BigKeysOptions {
  readonly keys: number;
  readonly lagKeys: number;
  readonly valueBytes: number;
  readonly etcd: boolean;
  readonly kite: boolean;
  /** The members' --log-level (info shows elections, for a post-mortem with KITE_IT_KEEP=1). */
  readonly logLevel: string;
}

async function runKite(o: BigKeysOptions, out: Out, figures: string[]): Promise<void> {
  const cluster = await Cluster.create({ size: 3, tickMs: 100, flags: ['--request-timeout-ms', String(SERVER_REQUEST_TIMEOUT_MS), '--log-level', o.logLevel] });
  try {
    await cluster.startAll();
    let leader = await cluster.leader();
    const names = cluster.members.map((m) => m.name);
    out(`kite: 3 members (${names.map((x) => `${x} pid ${cluster.pid(x)}`).join(', ')}), leader ${leader}, data in ${cluster.root}`);

    out(`[kite 1/4] load: ${o.keys} keys of ${o.valueBytes} B ...`);
    const rate = await load(cluster.grpcUrls, 0, o.keys, o.valueBytes, out, 'kite load');
    figures.push(`kite load, ${o.keys} keys (txns of ${TXN_OPS_MAX}, ${LOAD_TXNS_IN_FLIGHT} in flight) | ${rate.toFixed(0)} keys/s`);
    // Every member has applied the load before its memory is read.
    const target = (await cluster.status(leader)).commit;
    await waitFor('every member applied the load', LOADER_TIMEOUT_MS, async () => ((await Promise.all(names.map((x) => cluster.status(x)))).every((s) => s.applied >= target) ? true : undefined));
    figures.push(`kite memory with ${o.keys} keys | ${await memoryLine(cluster, names, leader)}`);
    out(`  ${figures[figures.length - 1]}`);

    out('[kite 2/4] restart one follower ...');
    const follower = names.find((x) => x !== leader) as string;
    await cluster.kill(follower, 'SIGTERM', 60_000);
    let t0 = performance.now();
    cluster.start(follower);
    const oneMs = await firstRead(cluster.clientUrl(follower), t0);
    figures.push(`kite restart of one member (${follower}) to its first linearizable read | ${(oneMs / 1000).toFixed(2)} s (its CPU by then ${cpuLine(cluster, follower)})`);
    out(`  ${figures[figures.length - 1]}`);
    figures.push(`kite memory after the restart of ${follower} | ${await memoryLine(cluster, [follower], leader)}`);
    // The same without the initial corruption check (etcd 3.4's default): what the check costs.
    await cluster.kill(follower, 'SIGTERM', 60_000);
    t0 = performance.now();
    cluster.start(follower, ['--initial-corrupt-check=false']);
    const noCheckMs = await firstRead(cluster.clientUrl(follower), t0);
    figures.push(`kite restart of one member (${follower}) with --initial-corrupt-check false | ${(noCheckMs / 1000).toFixed(2)} s (its CPU by then ${cpuLine(cluster, follower)})`);
    out(`  ${figures[figures.length - 1]}`);

    out('[kite 3/4] restart all members ...');
    for (const x of names) await cluster.kill(x, 'SIGTERM', 60_000);
    t0 = performance.now();
    for (const x of names) cluster.start(x);
    const allMs = await Promise.all(names.map((x) => firstRead(cluster.clientUrl(x), t0)));
    figures.push(`kite restart of all members to each one's first linearizable read | ${names.map((x, i) => `${x} ${((allMs[i] as number) / 1000).toFixed(2)} s`).join(', ')}`);
    out(`  ${figures[figures.length - 1]}`);
    leader = await cluster.leader(RESTART_TIMEOUT_MS);

    out(`[kite 4/4] catch-up: stop a follower, ${o.lagKeys} more keys, then it catches up by snapshot under a writing client ...`);
    const lagging = names.find((x) => x !== leader) as string;
    await cluster.kill(lagging, 'SIGTERM', 60_000);
    const lagFrom = (await cluster.status(leader)).applied;
    await load(cluster.grpcUrls.filter((u) => u !== cluster.grpcUrl(lagging)), o.keys, o.keys + o.lagKeys, o.valueBytes, out, 'lag load');
    const leaderStatus = await cluster.status(leader);
    figures.push(`kite catch-up setup | ${lagging} stopped at index ~${lagFrom}; leader at ${leaderStatus.applied}, its log compacted to snapshot ${leaderStatus.snapshotIndex} (${leaderStatus.snapshotIndex > lagFrom ? 'snapshot needed' : 'NO snapshot needed'})`);
    out(`  ${figures[figures.length - 1]}`);

    const live = names.filter((x) => x !== lagging).map((x) => cluster.clientUrl(x));
    const c = await connect({ endpoints: live, timeoutMs: SERVER_REQUEST_TIMEOUT_MS });
    try {
      const probeValue = valueOf(7, o.valueBytes);
      let probeNo = 0;
      let probeErrors = 0;
      let probeError = '';
      /** One put's latency; a failed put (a leader change) counts, and its time until the retry succeeds. */
      const put = async (): Promise<number> => {
        const t = performance.now();
        for (let attempt = 1; ; attempt++) {
          try {
            await c.put(keyOf(o.keys + o.lagKeys + (probeNo++ % 1000)), probeValue);
            return performance.now() - t;
          } catch (err) {
            probeErrors++;
            probeError = (err as Error).message;
            if (attempt >= LOAD_ATTEMPTS_MAX) throw err;
            await new Promise((r) => setTimeout(r, LOAD_RETRY_GAP_MS));
          }
        }
      };
      const before: number[] = [];
      for (let i = 0; i < PROBE_PUTS_BEFORE; i++) before.push(await put());
      const beforeStats = summarize(Float64Array.from(before).sort());
      figures.push(`kite sequential put before the catch-up | ${fmt(beforeStats)}${probeErrors > 0 ? `; ${probeErrors} failed and retried (${probeError})` : ''}`);
      probeErrors = 0;
      out(`  ${figures[figures.length - 1]}`);

      const during: number[] = [];
      const snapsBefore = (await cluster.status(leader)).snapshotsSent;
      const termBefore = (await cluster.status(leader)).term;
      // prom-client's event-loop lag gauges cover the time since the last scrape: this one resets them.
      await loopLagLine(cluster, names.filter((x) => x !== lagging));
      const t1 = performance.now();
      cluster.start(lagging);
      let caughtUp = false;
      let gaveUp = false;
      const watcher = (async (): Promise<void> => {
        const goal = (await cluster.status(leader)).commit;
        await waitFor(`${lagging} caught up to ${goal}`, CATCH_UP_TIMEOUT_MS, async () => {
          if (gaveUp) return true;
          try {
            const s = await cluster.status(lagging);
            return s.applied >= goal ? true : undefined;
          } catch {
            return undefined;
          }
        });
        caughtUp = true;
      })();
      try {
        while (!caughtUp) {
          during.push(await put());
          if (performance.now() - t1 > CATCH_UP_TIMEOUT_MS) break;
        }
      } finally {
        // A failing client ends the phase: the watcher stops polling too.
        gaveUp = true;
        await watcher;
      }
      const catchUpMs = performance.now() - t1;
      const lagStatus = await cluster.status(lagging);
      const duringStats = summarize(Float64Array.from(during).sort());
      figures.push(`kite catch-up of ${lagging} | ${(catchUpMs / 1000).toFixed(1)} s, snapshots sent by the leader ${(await cluster.status(leader)).snapshotsSent - snapsBefore}, received by ${lagging} ${lagStatus.snapshotsReceived}`);
      figures.push(`kite sequential put during the catch-up | ${fmt(duringStats)}; p99 ratio during/before ${(duringStats.p99 / beforeStats.p99).toFixed(2)}${probeErrors > 0 ? `; ${probeErrors} failed and retried (${probeError})` : ''}`);
      const after = await Promise.all(names.map((x) => cluster.status(x)));
      const leaderNow = after.find((st) => st.role === 'leader')?.name;
      figures.push(`kite event loop during the catch-up | ${await loopLagLine(cluster, names)}; term ${termBefore} -> ${Math.max(...after.map((st) => st.term))}, leader ${leader} before, ${leaderNow ?? 'none'} after`);
      if (leaderNow !== undefined) leader = leaderNow;
      out(`  ${figures[figures.length - 3]}`);
      out(`  ${figures[figures.length - 2]}`);
      out(`  ${figures[figures.length - 1]}`);
    } finally {
      c.close();
    }
    figures.push(`kite memory after the catch-up | ${await memoryLine(cluster, names, leader)}`);
  } finally {
    await cluster.stop();
  }
}

async function runEtcd(o: BigKeysOptions, out: Out, figures: string[]): Promise<void> {
  const etcd = await EtcdServerCluster.start(3);
  try {
    out(`etcd: 3 members (${etcd.names.map((x) => `${x} pid ${etcd.pid(x)}`).join(', ')})`);
    out(`[etcd 1/1] load: ${o.keys} keys of ${o.valueBytes} B ...`);
    const rate = await load(etcd.endpoints, 0, o.keys, o.valueBytes, out, 'etcd load');
    figures.push(`etcd load, ${o.keys} keys (same loader) | ${rate.toFixed(0)} keys/s`);
    figures.push(`etcd memory with ${o.keys} keys | ${etcd.names.map((x) => {
      const pid = etcd.pid(x);
      return `${x} RSS ${pid === undefined ? 'n/a' : (rssBytes(pid) / MIB).toFixed(0)} MiB`;
    }).join(', ')}`);
    out(`  ${figures[figures.length - 1]}`);
  } finally {
    await etcd.stop();
  }
}

export async function runBigKeys(o: BigKeysOptions, out: Out): Promise<void> {
  const figures: string[] = [];
  try {
    if (o.kite) await runKite(o, out, figures);
    if (o.etcd) await runEtcd(o, out, figures);
  } finally {
    out('');
    out('figure | value');
    out('---|---');
    for (const f of figures) out(f);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string', default: '1000000' },
      'lag-keys': { type: 'string', default: '200000' },
      'value-bytes': { type: 'string', default: '256' },
      'no-etcd': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'warn' },
      'no-kite': { type: 'boolean', default: false },
    },
  });
  const count = (name: string, v: string, min: number): number => {
    const x = Number(v);
    if (!Number.isSafeInteger(x) || x < min) {
      process.stderr.write(`--${name} must be an integer >= ${min}; got '${v}'\n`);
      process.exit(2);
    }
    return x;
  };
  const opts: BigKeysOptions = {
    keys: count('keys', values.keys, 1),
    lagKeys: count('lag-keys', values['lag-keys'], 1),
    valueBytes: count('value-bytes', values['value-bytes'], 16),
    etcd: !values['no-etcd'],
    kite: !values['no-kite'],
    logLevel: values['log-level'],
  };
  runBigKeys(opts, (line) => process.stdout.write(`${line}\n`)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
