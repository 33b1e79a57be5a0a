// A linearizable multi-key register store for `simulate`: read / write / cas with unique
// written values and an etcd-like per-key version.

import type { HistoryEntry, Json } from '../../src/history/types.js';
import { createRng } from '../../src/util/rng.js';
import type { SimRequest } from './simulate.js';
import { simulate } from './simulate.js';

export interface RegisterSimOptions {
  readonly seed: number;
  readonly ops: number;
  readonly keys: number;
  readonly workers: number;
  readonly infoRate?: number;
  readonly failRate?: number;
  /** Reads report {value, version} instead of the bare value. */
  readonly versionedReads?: boolean;
}

export function simulateRegisters(o: RegisterSimOptions): HistoryEntry[] {
  const rng = createRng(o.seed);
  const store = new Map<string, { value: Json; version: number }>();
  let nextValue = 1;
  const current = (key: string): { value: Json; version: number } => store.get(key) ?? { value: null, version: 0 };
  return simulate({
    rng,
    workers: o.workers,
    ops: o.ops,
    infoRate: o.infoRate ?? 0.03,
    failRate: o.failRate ?? 0.02,
    generate(r): SimRequest {
      const key = `k${r.int(o.keys)}`;
      const roll = r.next();
      if (roll < 0.45) return { f: 'read', key, value: null };
      if (roll < 0.8) return { f: 'write', key, value: nextValue++ };
      // Expect the current value half the time so that some cas succeed.
      const expected = r.chance(0.5) ? current(key).value : r.int(nextValue);
      return { f: 'cas', key, value: [expected, nextValue++] };
    },
    apply(req) {
      const key = req.key ?? '';
      const cur = current(key);
      if (req.f === 'read') {
        return { type: 'ok', value: o.versionedReads === true ? { value: cur.value, version: cur.version } : cur.value };
      }
      if (req.f === 'write') {
        store.set(key, { value: req.value, version: cur.version + 1 });
        return { type: 'ok', value: req.value };
      }
      const [expected, next] = req.value as [Json, Json];
      if (JSON.stringify(expected) !== JSON.stringify(cur.value)) return { type: 'fail', value: null };
      store.set(key, { value: next, version: cur.version + 1 });
      return { type: 'ok', value: req.value };
    },
  });
}
