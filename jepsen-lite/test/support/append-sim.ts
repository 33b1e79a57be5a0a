// A serializable, linearizable list-append store for `simulate`: each transaction runs
// atomically at its linearization point; appended elements are unique per key.

import type { HistoryEntry, Json } from '../../src/history/types.js';
import { createRng } from '../../src/util/rng.js';
import type { SimRequest } from './simulate.js';
import { simulate } from './simulate.js';

export interface AppendSimOptions {
  readonly seed: number;
  readonly ops: number;
  readonly keys: number;
  readonly workers: number;
  readonly infoRate?: number;
  readonly failRate?: number;
  readonly microOpsMax?: number;
}

export function simulateAppends(o: AppendSimOptions): HistoryEntry[] {
  const rng = createRng(o.seed);
  const lists = new Map<string, Json[]>();
  let nextElement = 1;
  return simulate({
    rng,
    workers: o.workers,
    ops: o.ops,
    infoRate: o.infoRate ?? 0.03,
    failRate: o.failRate ?? 0.03,
    generate(r): SimRequest {
      const n = 1 + r.int(o.microOpsMax ?? 4);
      const micro: Json[] = [];
      for (let i = 0; i < n; i++) {
        const key = `k${r.int(o.keys)}`;
        micro.push(r.chance(0.5) ? ['append', key, nextElement++] : ['r', key, null]);
      }
      return { f: 'txn', value: micro };
    },
    apply(req) {
      const out = (req.value as Json[][]).map((m): Json => {
        const [f, key, v] = m as [string, string, Json];
        const list = lists.get(key) ?? [];
        if (f === 'append') {
          lists.set(key, [...list, v]);
          return m;
        }
        return ['r', key, [...list]];
      });
      return { type: 'ok', value: out };
    },
  });
}
