// KvStore.readTxn: a read-only txn served at one revision must answer exactly what the same
// txn, applied when the store was at that revision, answered (differential property against
// stores holding a prefix of the same history), and refuse what apply would refuse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command } from '../src/command.js';
import type { KvStore } from '../src/kv-store.js';
import type { Compare, TxnArgs, TxnRequestOp } from '../src/types.js';
import { enc, memoryStore } from './helpers.js';

/** A history with every compare target varied: versions, a lease, a deleted key, an empty value. */
const HISTORY: Command[] = [
  { op: 'leaseGrant', args: { id: 7, ttl: 600 } },
  { op: 'put', args: { key: enc('a'), value: enc('1') } },
  { op: 'put', args: { key: enc('b'), value: enc('2'), lease: 7 } },
  { op: 'put', args: { key: enc('a'), value: enc('3') } },
  { op: 'put', args: { key: enc('c'), value: enc('x') } },
  { op: 'deleteRange', args: { key: enc('c') } },
  { op: 'put', args: { key: enc('d'), value: enc('') } },
];

/** `full` holds the whole history; `prefixes[i]` the first i commands, at `revisions[i]`. */
async function stores(): Promise<{ full: KvStore; prefixes: KvStore[]; revisions: number[] }> {
  const { store: full, d } = await memoryStore();
  const prefixes: KvStore[] = [];
  const revisions: number[] = [];
  for (let i = 0; i <= HISTORY.length; i++) {
    const p = await memoryStore();
    for (const cmd of HISTORY.slice(0, i)) await p.d.ok(cmd);
    prefixes.push(p.store);
    revisions.push(full.currentRevision);
    const next = HISTORY[i];
    if (next !== undefined) await d.ok(next);
  }
  return { full, prefixes, revisions };
}

const KEYS = ['a', 'b', 'c', 'd', 'e'];
const key = fc.constantFrom(...KEYS).map(enc);
const rangeEnd = fc.option(fc.constantFrom('c', 'e', 'z', '').map(enc), { nil: undefined });
const result = fc.constantFrom('equal', 'notEqual', 'greater', 'less' as const);
const compare: fc.Arbitrary<Compare> = fc
  .oneof(
    fc.record({ key, rangeEnd, target: fc.constant('value' as const), result, value: fc.constantFrom('', '1', '2', '3', 'x').map(enc) }),
    fc.record({ key, rangeEnd, target: fc.constantFrom('version', 'createRevision', 'modRevision', 'lease' as const), result, value: fc.integer({ min: 0, max: 8 }) }),
  )
  .map((c) => (c.rangeEnd === undefined ? (({ rangeEnd: _r, ...rest }) => rest)(c) : c) as Compare);
const rangeOp: fc.Arbitrary<TxnRequestOp> = fc
  .record({
    key,
    rangeEnd,
    limit: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    countOnly: fc.option(fc.boolean(), { nil: undefined }),
    revision: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
  })
  .map((r) => Object.fromEntries(Object.entries({ type: 'range', ...r }).filter(([, v]) => v !== undefined)) as unknown as TxnRequestOp);
const txn: fc.Arbitrary<TxnArgs> = fc.letrec<{ txn: TxnArgs; op: TxnRequestOp }>((tie) => ({
  op: fc.oneof({ depthSize: 'small', withCrossShrink: true }, rangeOp, tie('txn').map((t) => ({ type: 'txn' as const, ...t }))),
  txn: fc.record({ compare: fc.array(compare, { maxLength: 3 }), success: fc.array(tie('op'), { maxLength: 3 }), failure: fc.array(tie('op'), { maxLength: 3 }) }),
})).txn;

type Outcome = { ok: true; v: unknown } | { ok: false; code: string | undefined };
const outcome = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    (v) => ({ ok: true, v }),
    (e: unknown) => ({ ok: false, code: (e as { code?: string }).code }),
  );

describe('KvStore.readTxn', () => {
  it('answers, at any past or current revision, what applying the txn at that revision answered (property)', async () => {
    const { full, prefixes, revisions } = await stores();
    let index = 1000;
    await fc.assert(
      fc.asyncProperty(txn, fc.nat(HISTORY.length), async (t, i) => {
        const at = prefixes[i] as KvStore;
        const revision = revisions[i] as number;
        const [r] = await at.apply([{ index: ++index, command: { op: 'txn', args: t } }]);
        const applied: Outcome =
          r?.status === 'applied' ? { ok: true, v: { ...r.response, revision } } : { ok: false, code: r?.status === 'failed' ? r.error.code : 'skipped' };
        expect(at.currentRevision).toBe(revision); // read-only: apply wrote nothing
        expect(await outcome(full.readTxn(t, revision))).toEqual(applied);
        expect(await outcome(at.readTxn(t))).toEqual(applied);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a txn that writes, a future revision and a compacted one, with typed errors', async () => {
    const { store, d } = await memoryStore();
    await d.put('a', '1');
    await d.put('a', '2');
    const read: TxnArgs = { compare: [], success: [{ type: 'range', key: enc('a') }], failure: [] };
    const writes: TxnArgs = { compare: [], success: [], failure: [{ type: 'txn', compare: [], success: [{ type: 'put', key: enc('a'), value: enc('3') }], failure: [] }] };
    await expect(store.readTxn(writes)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(store.readTxn(read, store.currentRevision + 1)).rejects.toMatchObject({ code: 'FutureRevision' });
    await d.ok({ op: 'compact', args: { revision: 3 } });
    await expect(store.readTxn(read, 2)).rejects.toMatchObject({ code: 'Compacted' });
    const res = await store.readTxn(read, 3);
    expect(res.revision).toBe(3);
    expect(res.succeeded).toBe(true);
  });
});
