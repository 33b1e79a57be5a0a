// List-append workload (Elle's model): transactions of 1..TXN_MICRO_OPS_MAX micro-operations
// ['append', key, element] and ['r', key, list] over a few keys (a/NNNNN, rotated). Elements
// are unique integers. A list is stored as a JSON array in one key.
// Each transaction runs as: (1) one read-only txn of ranges over the keys it touches (an
// atomic snapshot); (2) if it appends, one txn that compares every touched key's modRevision
// with the snapshot's and puts the extended lists. If the compare fails nothing was written,
// so the op fails (definitely); if it succeeds the reads of step 1 are exactly the state the
// writes applied to, so the whole transaction took effect atomically at step 2's revision.
// Read-only transactions are just step 1.
// Checkers: append (Elle cycles, strict serializability with real-time edges), durability
// (every acknowledged element is in the final lists on every member), liveness.

import { Cmp, Op, type KiteClient, type TxnResponseOp } from '@kite/client';
import { checkAppend, checkDurability, checkLiveness, type CheckResult } from '../checkers/index.js';
import type { Json } from '../history/index.js';
import type { Completion } from '../run/recorder.js';
import { readEveryNode, referenceRevision } from './final-reads.js';
import type { CheckInputs, Workload, WorkloadContext } from './types.js';
import { KeyRotation, nodeName, runOpLoops, type PlannedOp } from './workers.js';

const PREFIX = 'a/';
export const APPEND_KEYS_ACTIVE = 4;
export const APPEND_OPS_PER_KEY_MAX = 200;
export const TXN_MICRO_OPS_MAX = 4;

type Micro = [string, string, Json];

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

function parseList(raw: string | undefined): number[] {
  if (raw === undefined) return [];
  const v: unknown = JSON.parse(raw);
  if (!Array.isArray(v)) throw new Error(`assertion: list key holds ${raw.slice(0, 80)}`);
  return v as number[];
}

async function runTxn(c: KiteClient, micro: readonly Micro[], timeoutMs: number, writeRetries: number): Promise<Completion> {
  const keys = [...new Set(micro.map((m) => m[1]))];
  const snap = await c.txn({ compare: [], success: keys.map((k) => Op.get(k)), failure: [] }, { timeoutMs, idempotent: true });
  const lists = new Map<string, number[]>();
  const modRevisions = new Map<string, number>();
  keys.forEach((k, i) => {
    const r = snap.responses[i] as TxnResponseOp & { type: 'range' };
    const kv = r.kvs[0];
    lists.set(k, parseList(kv === undefined ? undefined : text(kv.value)));
    modRevisions.set(k, kv?.modRevision ?? 0);
  });
  const out: Micro[] = [];
  const written = new Set<string>();
  for (const [f, k, v] of micro) {
    const list = lists.get(k) as number[];
    if (f === 'r') out.push(['r', k, [...list]]);
    else {
      list.push(v as number);
      written.add(k);
      out.push(['append', k, v]);
    }
  }
  if (written.size === 0) return { type: 'ok', value: out, node: snap.header.memberId };
  const r = await c.txn(
    {
      compare: keys.map((k) => Cmp.modRevision(k, '=', modRevisions.get(k) as number)),
      success: [...written].map((k) => Op.put(k, JSON.stringify(lists.get(k)))),
      failure: [],
    },
    { timeoutMs, retries: writeRetries },
  );
  return r.succeeded ? { type: 'ok', value: out, node: r.header.memberId } : { type: 'fail', value: null, error: 'compare failed: a key changed since the snapshot' };
}

export function appendWorkload(writeRetries: number): Workload {
  return {
    name: 'append',
    async run(ctx: WorkloadContext): Promise<void> {
      const keys = new KeyRotation(PREFIX, APPEND_KEYS_ACTIVE, APPEND_OPS_PER_KEY_MAX);
      const rng = ctx.rng.fork('append');
      let nextElement = 1;
      const next = (): PlannedOp => {
        const n = rng.between(1, TXN_MICRO_OPS_MAX);
        const micro: Micro[] = [];
        for (let i = 0; i < n; i++) {
          const key = keys.pick(rng.next());
          micro.push(rng.chance(0.5) ? ['r', key, null] : ['append', key, nextElement++]);
        }
        return { f: 'txn', value: micro };
      };
      await runOpLoops(ctx, ctx.concurrency, next, async (w, op) => {
        const c = await ctx.clientFor(w);
        const done = await runTxn(c, op.value as Micro[], ctx.opTimeoutMs, writeRetries);
        return done.node === undefined ? done : { ...done, node: nodeName(ctx, done.node) };
      });
    },

    async finalReads(ctx: WorkloadContext): Promise<void> {
      const revision = await referenceRevision(ctx, PREFIX);
      await readEveryNode(ctx, PREFIX, revision, (v): Json => parseList(v));
    },

    check({ history, recoveryBoundMs, endTimeNs }: CheckInputs): CheckResult[] {
      return [
        checkAppend(history.operations, { realtime: true }),
        checkDurability(history.operations, history.observations),
        checkLiveness(history.operations, history.nemesis, { bound: { recoveryBoundMs }, endTime: endTimeNs }),
      ];
    },
  };
}
