// Measurement helper, not a test: writes a store of N keys straight through KvStore.apply
// (no cluster, no Raft), shaped like bench:big's load (the same keys and values, txns of 128
// puts, 16 entries per apply batch), so store-open.ts has a 1M-key store to open in about a
// minute instead of the cluster load's ten. The directory must not exist yet.
//
//   npx tsx test/bench/make-store.ts /tmp/kv-1m [--keys 1000000] [--value-bytes 256]
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KvStore } from '@kite/kvstore';
import type { ApplyEntry } from '@kite/kvstore';
import { TXN_OPS_MAX, type TxnRequestOp } from '@kite/protocol';
import { keyOf, valueOf } from './big-keys-bench.js';

/** Raft entries per apply batch (the host applies a Ready's committed entries at once). */
const ENTRIES_PER_APPLY = 16;

async function main(dir: string, keys: number, valueBytes: number): Promise<void> {
  if (existsSync(dir)) throw new Error(`${dir} exists: pick a new directory`);
  const store = await KvStore.open({ dir });
  const t0 = performance.now();
  let index = store.appliedIndex;
  let next = 0;
  while (next < keys) {
    const entries: ApplyEntry[] = [];
    for (let e = 0; e < ENTRIES_PER_APPLY && next < keys; e++) {
      const success: TxnRequestOp[] = [];
      const end = Math.min(keys, next + TXN_OPS_MAX);
      for (let i = next; i < end; i++) success.push({ type: 'put', key: keyOf(i), value: valueOf(i, valueBytes) });
      next = end;
      entries.push({ index: ++index, command: { op: 'txn', args: { compare: [], success, failure: [] } } });
    }
    await store.apply(entries);
    if (next % 100_000 < TXN_OPS_MAX * ENTRIES_PER_APPLY) process.stdout.write(`${next} keys, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  await store.flush();
  await store.close();
  process.stdout.write(`done: ${keys} keys of ${valueBytes} B in ${dir}, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { keys: { type: 'string', default: '1000000' }, 'value-bytes': { type: 'string', default: '256' } },
  });
  const dir = positionals[0];
  const keys = Number(values.keys);
  const valueBytes = Number(values['value-bytes']);
  if (dir === undefined || !Number.isSafeInteger(keys) || keys < 1 || !Number.isSafeInteger(valueBytes) || valueBytes < 16) {
    process.stderr.write('usage: make-store DIR [--keys N >= 1] [--value-bytes N >= 16]\n');
    process.exit(2);
  }
  main(dir, keys, valueBytes).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
