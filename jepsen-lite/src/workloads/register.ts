// Register workload: many independent registers (keys r/NNNNN), each a read/write/cas object
// with unique written values. Keys are retired after a bounded number of operations so each
// key's linearizability search stays small. Writes are plain puts, cas is a txn comparing the
// value, reads are linearizable gets. Values are decimal strings on the wire and numbers in
// the history (null = the key does not exist).
// Checkers: linearizability (register model, per key), durability (final reads on every
// member), liveness (writes succeed again after every heal).

import { Cmp, Op } from '@kite/client';
import { checkDurability, checkLinearizability, checkLiveness, type CheckResult } from '../checkers/index.js';
import type { Json } from '../history/index.js';
import { readEveryNode, referenceRevision } from './final-reads.js';
import type { CheckInputs, Workload, WorkloadContext } from './types.js';
import { KeyRotation, nodeName, runOpLoops, type PlannedOp } from './workers.js';

const PREFIX = 'r/';
/** Registers in use at once. */
export const REGISTER_KEYS_ACTIVE = 8;
/** Operations on one register before it is retired. */
export const REGISTER_OPS_PER_KEY_MAX = 150;
/** How many recently written values per key cas may expect (others make it fail). */
const CAS_CANDIDATES_MAX = 3;

const bytesToText = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

export function registerWorkload(writeRetries: number): Workload {
  return {
    name: 'register',
    async run(ctx: WorkloadContext): Promise<void> {
      const keys = new KeyRotation(PREFIX, REGISTER_KEYS_ACTIVE, REGISTER_OPS_PER_KEY_MAX);
      const recent = new Map<string, number[]>();
      let nextValue = 1;
      const rng = ctx.rng.fork('register');
      const next = (): PlannedOp => {
        const key = keys.pick(rng.next());
        const r = rng.next();
        if (r < 0.5) return { f: 'read', key, value: null };
        const value = nextValue++;
        const seen = recent.get(key) ?? [];
        recent.set(key, [value, ...seen].slice(0, CAS_CANDIDATES_MAX));
        if (r < 0.75 || seen.length === 0) return { f: 'write', key, value };
        return { f: 'cas', key, value: [rng.pick(seen), value] };
      };
      await runOpLoops(ctx, ctx.concurrency, next, async (w, op) => {
        const c = await ctx.clientFor(w);
        const key = op.key as string;
        const opts = { timeoutMs: ctx.opTimeoutMs };
        if (op.f === 'read') {
          const r = await c.get(key, opts);
          const kv = r.kvs[0];
          return { type: 'ok', value: kv === undefined ? null : Number(bytesToText(kv.value)), node: nodeName(ctx, r.header.memberId) };
        }
        if (op.f === 'write') {
          const r = await c.put(key, String(op.value), { ...opts, retries: writeRetries });
          return { type: 'ok', value: op.value, node: nodeName(ctx, r.header.memberId) };
        }
        const [expected, value] = op.value as [number, number];
        const r = await c.txn(
          { compare: [Cmp.value(key, '=', String(expected))], success: [Op.put(key, String(value))], failure: [] },
          { ...opts, retries: writeRetries },
        );
        // A compare that did not hold is an answer, not a failure: ok, false.
        return { type: 'ok', value: r.succeeded ? op.value : false, node: nodeName(ctx, r.header.memberId) };
      });
    },

    async finalReads(ctx: WorkloadContext): Promise<void> {
      const revision = await referenceRevision(ctx, PREFIX);
      await readEveryNode(ctx, PREFIX, revision, (v): Json => Number(v));
    },

    check({ history, recoveryBoundMs, endTimeNs }: CheckInputs): CheckResult[] {
      return [
        checkLinearizability(history.operations),
        checkDurability(history.operations, history.observations),
        checkLiveness(history.operations, history.nemesis, { bound: { recoveryBoundMs }, endTime: endTimeNs }),
      ];
    },
  };
}
