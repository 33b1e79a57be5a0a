// `kite bench` workloads, in the shape of etcd's benchmark tool: a fixed number of ops run by
// --clients concurrent workers spread over --conns client connections, optionally paced to
// --rate ops/s, with every op's latency recorded. Watch measures delivery latency: put start
// to the moment each watcher sees the event.
import { randomBytes } from 'node:crypto';
import { connect, prefixRangeEnd, type ClientTls, type KiteClient as Client } from '@kite/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { utf8 } from '../bytes.js';
import { ProgressBar } from './progress.js';
import { LatencyRecorder, type BenchResult } from './stats.js';

export type BenchOp = 'put' | 'range' | 'watch' | 'txn-mixed';

export interface BenchConfig {
  readonly op: BenchOp;
  readonly endpoints: readonly string[];
  readonly clients: number;
  readonly conns: number;
  readonly total: number;
  readonly keySize: number;
  readonly valSize: number;
  readonly keySpaceSize: number;
  readonly consistency: 'l' | 's';
  readonly watchers: number;
  readonly rate: number;
  readonly rwRatio: number;
  readonly rangeKey: string;
  readonly timeoutMs: number;
  readonly tls: ClientTls | undefined;
  /** Log every connection in (auth enabled on the cluster). */
  readonly auth?: { readonly user: string; readonly password: string };
}

/** Error messages kept as examples (the count is always exact). */
const ERROR_SAMPLES_MAX = 5;

/** Counts failed ops and keeps the first ERROR_SAMPLES_MAX messages as examples. */
class ErrorTally {
  count = 0;
  readonly samples: string[] = [];
  note(err: unknown): void {
    this.count++;
    if (this.samples.length < ERROR_SAMPLES_MAX) this.samples.push(err instanceof Error ? err.message : String(err));
  }
}

/** Fixed-size key: a zero-padded number, cut or padded to keySize bytes. */
export function benchKey(i: number, keySize: number): Uint8Array {
  const s = String(i).padStart(keySize, '0');
  return utf8(s.length > keySize ? s.slice(s.length - keySize) : s);
}

/** Paces ops to `rate` per second across all workers (0 = unpaced). */
class Pacer {
  private next = performance.now();
  constructor(private readonly rate: number) {}
  async wait(): Promise<void> {
    if (this.rate <= 0) return;
    const at = this.next;
    this.next = Math.max(this.next, performance.now()) + 1000 / this.rate;
    const delay = at - performance.now();
    if (delay > 1) await sleep(delay);
  }
}

export async function runBench(cfg: BenchConfig): Promise<BenchResult> {
  const clients: Client[] = [];
  try {
    for (let i = 0; i < cfg.conns; i++) {
      clients.push(await connect({ endpoints: [...cfg.endpoints], timeoutMs: cfg.timeoutMs, ...(cfg.tls === undefined ? {} : { tls: cfg.tls }), ...(cfg.auth === undefined ? {} : { auth: cfg.auth }) }));
    }
    return cfg.op === 'watch' ? await watchBench(cfg, clients) : await opBench(cfg, clients);
  } finally {
    for (const c of clients) c.close();
  }
}

type OneOp = (c: Client, i: number) => Promise<unknown>;

function makeOp(cfg: BenchConfig, value: Uint8Array): OneOp {
  const rangeKey = new TextEncoder().encode(cfg.rangeKey);
  const key = (i: number): Uint8Array => benchKey(cfg.keySpaceSize > 0 ? Math.floor(Math.random() * cfg.keySpaceSize) : i, cfg.keySize);
  const serializable = cfg.consistency === 's';
  switch (cfg.op) {
    case 'put': return (c, i) => c.put(key(i), value);
    // A key space of 0 or 1 reads the one --range-key; a larger one reads random keys out of it
    // (the keys a `put` run with the same --key-size and --key-space-size 0 wrote).
    case 'range': {
      const opts = serializable ? { serializable: true } : {};
      return cfg.keySpaceSize > 1 ? (c, i) => c.get(key(i), opts) : (c) => c.get(rangeKey, opts);
    }
    case 'txn-mixed': {
      const readShare = cfg.rwRatio / (cfg.rwRatio + 1);
      return (c, i) => {
        const k = key(i);
        return c.txn({
          compare: [],
          success: [Math.random() < readShare ? { type: 'range', key: k, ...(serializable ? { serializable: true } : {}) } : { type: 'put', key: k, value }],
          failure: [],
        });
      };
    }
    case 'watch': throw new Error('watch is not a request op');
  }
}

async function opBench(cfg: BenchConfig, clients: readonly Client[]): Promise<BenchResult> {
  const value = new Uint8Array(randomBytes(cfg.valSize));
  if (cfg.op === 'range' && cfg.keySpaceSize <= 1) await clients[0]!.put(cfg.rangeKey, value);
  const op = makeOp(cfg, value);
  const lat = new LatencyRecorder(cfg.total);
  const pacer = new Pacer(cfg.rate);
  const bar = new ProgressBar(cfg.total, cfg.op);
  let issued = 0;
  let done = 0;
  const errors = new ErrorTally();
  const started = performance.now();
  const worker = async (w: number): Promise<void> => {
    const c = clients[w % clients.length]!;
    while (issued < cfg.total) {
      const i = issued++;
      await pacer.wait();
      const t0 = performance.now();
      try {
        await op(c, i);
        lat.record(performance.now() - t0);
      } catch (err) {
        errors.note(err);
      }
      done++;
      bar.update(done);
    }
  };
  await Promise.all(Array.from({ length: cfg.clients }, (_, w) => worker(w)));
  bar.finish(done);
  return result(cfg, performance.now() - started, lat, errors.count, errors.samples);
}

function result(cfg: BenchConfig, durationMs: number, lat: LatencyRecorder, errors: number, samples: readonly string[]): BenchResult {
  return {
    op: cfg.op, clients: cfg.clients, conns: cfg.conns, total: cfg.total, keySize: cfg.keySize, valSize: cfg.valSize,
    consistency: cfg.consistency, rate: cfg.rate, ...(cfg.op === 'watch' ? { watchers: cfg.watchers } : {}),
    durationMs, opsPerSec: lat.count / (durationMs / 1000), errors, errorSamples: samples, latencyMs: lat.summary(),
  };
}

async function watchBench(cfg: BenchConfig, clients: readonly Client[]): Promise<BenchResult> {
  const prefix = `/kite-bench/watch/${Date.now().toString(36)}/`;
  const enc = new TextEncoder();
  const end = prefixRangeEnd(enc.encode(prefix));
  const value = new Uint8Array(randomBytes(cfg.valSize));
  const sentAt = new Map<string, number>();
  const expected = cfg.total * cfg.watchers;
  const lat = new LatencyRecorder(expected);
  const bar = new ProgressBar(expected, 'watch');
  let delivered = 0;
  let allDelivered!: () => void;
  const finished = new Promise<void>((r) => (allDelivered = r));
  const watches = Array.from({ length: cfg.watchers }, (_, i) => clients[i % clients.length]!.watch(enc.encode(prefix), { rangeEnd: end }));
  const dec = new TextDecoder();
  // Exactly once: a second delivery of the same put to one watcher is counted as an error.
  let duplicates = 0;
  const consumers = watches.map(async (w) => {
    const seen = new Uint8Array(cfg.total);
    for await (const batch of w) {
      const now = performance.now();
      for (const ev of batch.events) {
        const key = dec.decode(ev.kv.key);
        const i = Number(key.slice(prefix.length));
        if (Number.isInteger(i) && i >= 0 && i < cfg.total) {
          if (seen[i] === 1) {
            duplicates++;
            continue;
          }
          seen[i] = 1;
        }
        const t0 = sentAt.get(key);
        if (t0 !== undefined) lat.record(now - t0);
        delivered++;
      }
      bar.update(delivered);
      if (delivered >= expected) allDelivered();
    }
  });
  await Promise.all(watches.map((w) => w.ready));
  const pacer = new Pacer(cfg.rate);
  let issued = 0;
  const errors = new ErrorTally();
  const started = performance.now();
  const writer = async (w: number): Promise<void> => {
    const c = clients[w % clients.length]!;
    while (issued < cfg.total) {
      const i = issued++;
      await pacer.wait();
      const key = `${prefix}${String(i).padStart(Math.max(1, cfg.keySize), '0')}`;
      sentAt.set(key, performance.now());
      try {
        await c.put(key, value);
      } catch (err) {
        errors.note(err);
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.clients }, (_, w) => writer(w)));
  // Every successful put must reach every watcher; bound the wait so a lost event shows as a shortfall.
  const WATCH_DRAIN_MS = Math.max(10_000, cfg.timeoutMs);
  const target = (cfg.total - errors.count) * cfg.watchers;
  if (delivered < target) {
    // Abort the drain timer once delivery finishes, so it does not hold the process open.
    const drain = new AbortController();
    await Promise.race([finished, sleep(WATCH_DRAIN_MS, undefined, { signal: drain.signal }).catch(() => undefined)]);
    drain.abort();
  }
  const durationMs = performance.now() - started;
  bar.finish(delivered);
  for (const w of watches) w.cancel();
  await Promise.allSettled(consumers);
  await clients[0]!.delete(enc.encode(prefix), { rangeEnd: end }).catch(() => undefined);
  const samples = [...errors.samples];
  if (delivered < target) samples.push(`only ${delivered} of ${target} events delivered within ${WATCH_DRAIN_MS} ms`);
  if (duplicates > 0) samples.push(`${duplicates} events delivered more than once to the same watcher`);
  return result(cfg, durationMs, lat, errors.count + Math.max(0, target - delivered) + duplicates, samples);
}
