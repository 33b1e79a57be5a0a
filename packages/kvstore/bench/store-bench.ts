// Micro-benchmark of the MVCC store on LevelDB (not a test: timings vary by machine).
//   npx tsx packages/kvstore/bench/store-bench.ts            (1,000,000 keys)
//   BENCH_KEYS=200000 npx tsx --expose-gc packages/kvstore/bench/store-bench.ts
// Reports: batched apply of 256-byte puts (encoded commands, as the server hands them over),
// point ranges at the current revision, and in-memory bytes per key beyond the value.
// Targets (issue 3): >= 50,000 puts/s, >= 100,000 ranges/s, <= 1 KiB/key beyond the value.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvStore } from '../src/kv-store.js';
import { encodeCommand } from '../src/command.js';

const KEYS = Number(process.env['BENCH_KEYS'] ?? 1_000_000);
const VALUE_BYTES = 256;
const BATCH_ENTRIES = 1000;
const RANGES = Number(process.env['BENCH_RANGES'] ?? 300_000);
const RANGE_CONCURRENCY = 256;

const gc = (globalThis as { gc?: () => void }).gc;
const settle = (): void => {
  gc?.();
  gc?.();
};
const memNow = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const keyOf = (i: number): Uint8Array => new TextEncoder().encode(`/registry/services/key-${String(i).padStart(8, '0')}`);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kite-kv-bench-'));
  const store = await KvStore.open({ dir });
  try {
    settle();
    const memBefore = memNow();
    const value = new Uint8Array(VALUE_BYTES).fill(0x61);
    let index = 0;
    let applyMs = 0;
    const cpu0 = process.cpuUsage();
    for (let start = 0; start < KEYS; start += BATCH_ENTRIES) {
      const entries = [];
      for (let i = start; i < Math.min(KEYS, start + BATCH_ENTRIES); i++) {
        entries.push({ index: ++index, command: encodeCommand({ op: 'put', args: { key: keyOf(i), value } }) });
      }
      const t0 = performance.now();
      await store.apply(entries);
      applyMs += performance.now() - t0;
    }
    const putsPerSec = KEYS / (applyMs / 1000);
    const cpuPut = process.cpuUsage(cpu0);
    // CPU time (all threads of this process, incl. LevelDB's) is steadier than wall time on a
    // shared machine; it includes building the entries (encodeCommand), so it is conservative.
    const putsPerCpuSec = KEYS / ((cpuPut.user + cpuPut.system) / 1e6);
    console.log(`apply: ${KEYS} puts of ${VALUE_BYTES} B in batches of ${BATCH_ENTRIES}: ${Math.round(putsPerSec)} puts/s wall, ${Math.round(putsPerCpuSec)} puts per CPU-second`);

    settle();
    const perKey = (memNow() - memBefore) / KEYS - VALUE_BYTES;
    console.log(`memory: ${Math.round(perKey)} B/key beyond the ${VALUE_BYTES} B value${gc === undefined ? ' (run with --expose-gc for a steadier number)' : ''}`);

    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % KEYS;
    };
    const t1 = performance.now();
    const cpu1 = process.cpuUsage();
    let found = 0;
    for (let done = 0; done < RANGES; done += RANGE_CONCURRENCY) {
      const rs = await Promise.all(Array.from({ length: RANGE_CONCURRENCY }, () => store.range({ key: keyOf(rnd()) })));
      for (const r of rs) found += r.count;
    }
    const rangeSecs = (performance.now() - t1) / 1000;
    const total = Math.ceil(RANGES / RANGE_CONCURRENCY) * RANGE_CONCURRENCY;
    if (found !== total) throw new Error(`range found ${found} of ${total} keys`);
    const cpuRange = process.cpuUsage(cpu1);
    const rangesPerCpuSec = total / ((cpuRange.user + cpuRange.system) / 1e6);
    console.log(`range: ${total} point ranges: ${Math.round(total / rangeSecs)} ranges/s wall, ${Math.round(rangesPerCpuSec)} per CPU-second`);

    // Overwrite some keys, then read them as of before: those reads fetch records from LevelDB.
    const hist = Math.min(20_000, KEYS);
    const updates = [];
    for (let i = 0; i < hist; i++) updates.push({ index: ++index, command: encodeCommand({ op: 'put', args: { key: keyOf(i), value } }) });
    for (let i = 0; i < updates.length; i += BATCH_ENTRIES) await store.apply(updates.slice(i, i + BATCH_ENTRIES));
    const t2 = performance.now();
    for (let i = 0; i < hist; i += RANGE_CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(RANGE_CONCURRENCY, hist - i) }, (_, j) => store.range({ key: keyOf(i + j), revision: KEYS + 1 })),
      );
    }
    console.log(`range at an older revision (LevelDB read): ${Math.round(hist / ((performance.now() - t2) / 1000))} ranges/s`);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
