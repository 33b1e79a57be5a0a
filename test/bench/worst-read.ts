// Measurement, not a test: what the worst read does to a member. Starts a real 3-member
// cluster, loads ~2 MB of keys, then for DURATION_S seconds has 8 clients each send the worst
// read we know (a read-only txn of 128 ranges over the whole keyspace) back to back at the
// leader, while one more client does sequential point gets. Prints the leader's RSS (sampled
// from /proc) and the point-get client's latency percentiles, the worst requests' outcomes and
// whether leadership moved.
//
//   npx tsc -b && npx tsx test/bench/worst-read.ts [durationSeconds=30]
//
// Stops every process it started (by pid, through the integration harness).
import { performance } from 'node:perf_hooks';
import { RANGE_END_ALL, type TxnRequestOp } from '@kite/protocol';
import { Cluster } from '../integration/harness/cluster.js';
import { WireClient, b, ok } from '../integration/harness/wire.js';
import { rssBytes } from './proc-stats.js';

const DURATION_S = Number(process.argv[2] ?? 30);
const KEYS = 2000;
const VALUE = 'v'.repeat(1000);
const PUTS_PER_TXN = 100;
const WORST_CLIENTS = 8;
const RSS_SAMPLE_MS = 100;
const REQUEST_TIMEOUT_MS = 120_000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;

async function load(url: string): Promise<void> {
  const c = await WireClient.connect(url);
  try {
    for (let i = 0; i < KEYS; i += PUTS_PER_TXN) {
      const success: TxnRequestOp[] = [];
      for (let j = i; j < i + PUTS_PER_TXN; j++) success.push({ type: 'put', key: b(`key${String(j).padStart(5, '0')}`), value: b(VALUE) });
      ok(await c.request('txn', { compare: [], success, failure: [] }));
    }
  } finally {
    c.close();
  }
}

async function main(): Promise<void> {
  const cluster = await Cluster.create({ size: 3, tickMs: 100 });
  try {
    await cluster.startAll();
    const leader = await cluster.leader();
    const pid = cluster.pid(leader) as number;
    const url = cluster.clientUrl(leader);
    await load(url);
    const term0 = (await cluster.status(leader)).term;
    const rssStart = rssBytes(pid);
    const deadline = performance.now() + DURATION_S * 1000;
    let rssMax = rssStart;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(pid))), RSS_SAMPLE_MS);

    const worst = { compare: [], success: Array.from({ length: 128 }, () => ({ type: 'range' as const, key: RANGE_END_ALL, rangeEnd: RANGE_END_ALL })), failure: [] };
    const outcomes = new Map<string, number>();
    const worstLoop = async (): Promise<void> => {
      const c = await WireClient.connect(url);
      try {
        while (performance.now() < deadline) {
          let outcome: string;
          try {
            const r = await c.request('txn', worst, REQUEST_TIMEOUT_MS);
            outcome = r.ok ? 'ok' : r.error.code;
          } catch (err) {
            outcome = `client: ${(err as Error).message.slice(0, 40)}`;
          }
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          if (c.closedReason !== null) break;
        }
      } finally {
        c.close();
      }
    };
    const latenciesMs: number[] = [];
    let getErrors = 0;
    const getLoop = async (): Promise<void> => {
      const c = await WireClient.connect(url);
      try {
        for (let i = 0; performance.now() < deadline; i++) {
          const t0 = performance.now();
          try {
            const r = await c.request('range', { key: b(`key${String(i % KEYS).padStart(5, '0')}`) }, REQUEST_TIMEOUT_MS);
            if (!r.ok) getErrors++;
          } catch {
            getErrors++;
          }
          latenciesMs.push(performance.now() - t0);
        }
      } finally {
        c.close();
      }
    };
    await Promise.all([...Array.from({ length: WORST_CLIENTS }, () => worstLoop()), getLoop()]);
    clearInterval(sampler);
    const rssEnd = rssBytes(pid);
    const sorted = [...latenciesMs].sort((x, y) => x - y);
    const status = await cluster.status(leader).catch(() => undefined);
    process.stdout.write(
      [
        `duration ${DURATION_S} s, ${KEYS} keys x ${VALUE.length} B, ${WORST_CLIENTS} clients x txn of 128 whole-keyspace ranges`,
        `leader RSS: start ${mb(rssStart)}, max ${mb(rssMax)}, end ${mb(rssEnd)}`,
        `point gets: ${sorted.length} (errors ${getErrors}), p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${percentile(sorted, 100).toFixed(1)} ms`,
        `worst requests: ${[...outcomes].map(([k, v]) => `${k} x${v}`).join(', ')}`,
        `leadership: ${status === undefined ? 'leader unreachable' : status.term === term0 && status.leader === status.memberId ? `kept (term ${term0})` : `moved (term ${term0} -> ${status.term})`}`,
      ].join('\n') + '\n',
    );
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
