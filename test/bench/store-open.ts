// Measurement, not a test: how long a member's store takes to open (the index rebuilt from
// LevelDB) and to hash, on a copy of a member's kv dir (e.g. a bench:big cluster kept with
// KITE_IT_KEEP=1). Opening may write (a resumed compaction): point it at a copy.
//
//   npx tsx test/bench/store-open.ts DATA_DIR/kv [--hash]
//   node --cpu-prof --import tsx test/bench/store-open.ts DATA_DIR/kv      # with a profile
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { KvStore } from '@kite/kvstore';

const MIB = 1024 * 1024;

async function main(dir: string, hash: boolean): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const store = await KvStore.open({ dir });
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  process.stdout.write(`open: ${((performance.now() - t0) / 1000).toFixed(2)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, ${store.keyCount} keys, heap used ${(mem.heapUsed / MIB).toFixed(0)} MiB, RSS ${(mem.rss / MIB).toFixed(0)} MiB\n`);
  if (hash) {
    // The longest turn the hash holds the event loop (a leader's heartbeats wait that long).
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const h0 = process.cpuUsage();
    const t1 = performance.now();
    const h = await store.hash();
    const hc = process.cpuUsage(h0);
    loop.disable();
    process.stdout.write(`hash: ${((performance.now() - t1) / 1000).toFixed(2)} s, CPU ${((hc.user + hc.system) / 1e6).toFixed(2)} s, longest event-loop delay ${(loop.max / 1e6).toFixed(0)} ms, ${h.hash.toString(16)} at revision ${h.hashRevision}\n`);
  }
  await store.close();
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write('usage: store-open DIR [--hash]\n');
    process.exit(2);
  }
  main(dir, process.argv.includes('--hash')).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
