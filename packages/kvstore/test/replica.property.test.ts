// Property: replicas that apply the same committed log agree exactly, however the log is cut
// into batches, however often they restart (and get entries re-delivered), and whether they
// got there by applying or by installing a snapshot: same per-entry results, same key space,
// same hash, same history, same leases.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VALUE_CACHE_ENTRY_BYTES } from '../src/value-cache.js';
import { KvStore } from '../src/kv-store.js';
import type { ApplyResult } from '../src/kv-store.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import type { Command } from '../src/command.js';
import { encodeCommand } from '../src/command.js';
import type { Compare, TxnRequestOp } from '../src/types.js';

const ALL = new Uint8Array([0]);
const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e').map((k) => new TextEncoder().encode(k));
const valueArb = fc.constantFrom('', 'x', 'y', 'zz').map((v) => new TextEncoder().encode(v));
const leaseArb = fc.constantFrom(0, 0, 1, 2, 3);

const putOp = fc.record({ key: keyArb, value: valueArb, lease: leaseArb, prevKv: fc.boolean() });
const delOp = fc.oneof(
  fc.record({ key: keyArb, prevKv: fc.boolean() }),
  fc.record({ key: keyArb, rangeEnd: fc.constantFrom('c', 'f').map((e) => new TextEncoder().encode(e)), prevKv: fc.boolean() }),
);
const compareArb: fc.Arbitrary<Compare> = fc.oneof(
  fc.record({ key: keyArb, target: fc.constantFrom('version' as const, 'createRevision' as const, 'modRevision' as const, 'lease' as const), result: fc.constantFrom('equal' as const, 'greater' as const, 'less' as const, 'notEqual' as const), value: fc.nat(6) }),
  fc.record({ key: keyArb, target: fc.constant('value' as const), result: fc.constantFrom('equal' as const, 'notEqual' as const), value: valueArb }),
);
const txnOpArb: fc.Arbitrary<TxnRequestOp> = fc.oneof(
  putOp.map((a) => ({ type: 'put' as const, ...a })),
  delOp.map((a) => ({ type: 'deleteRange' as const, ...a })),
  fc.record({ key: keyArb, revision: fc.nat(8) }).map((a) => ({ type: 'range' as const, ...a, rangeEnd: ALL })),
);
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: putOp.map((args) => ({ op: 'put' as const, args })) },
  { weight: 2, arbitrary: delOp.map((args) => ({ op: 'deleteRange' as const, args })) },
  {
    weight: 3,
    arbitrary: fc
      .record({ compare: fc.array(compareArb, { maxLength: 2 }), success: fc.array(txnOpArb, { maxLength: 3 }), failure: fc.array(txnOpArb, { maxLength: 3 }) })
      .map((args) => ({ op: 'txn' as const, args })),
  },
  { weight: 1, arbitrary: fc.nat(12).map((revision) => ({ op: 'compact' as const, args: { revision } })) },
  { weight: 1, arbitrary: fc.record({ ttl: fc.nat(20), id: fc.constantFrom(1, 2, 3) }).map((args) => ({ op: 'leaseGrant' as const, args })) },
  { weight: 1, arbitrary: fc.constantFrom(1, 2, 3).map((id) => ({ op: 'leaseRevoke' as const, args: { id } })) },
  { weight: 1, arbitrary: fc.constant({ op: 'noop' as const }) },
);

function summarize(r: ApplyResult): unknown {
  if (r.status === 'failed') return { index: r.index, status: r.status, revision: r.revision, code: r.error.code, message: r.error.message };
  return r;
}

async function fingerprint(s: KvStore): Promise<unknown> {
  await s.compactionIdle();
  const from = Math.max(1, s.compactRevision);
  return {
    appliedIndex: s.appliedIndex,
    revision: s.currentRevision,
    compactRevision: s.compactRevision,
    hash: await s.hash(),
    kvs: (await s.range({ key: ALL, rangeEnd: ALL })).kvs,
    history: await s.eventsBetween(ALL, ALL, from, s.currentRevision, 1000),
    leases: s.leaseLeases().leases.map(({ id }) => s.leaseTimeToLive(id, { keys: true })),
  };
}

describe('replica determinism', () => {
  it('same log => same results and state across batching, restarts and snapshot install', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.boolean(), { maxLength: 20 }),
        // B's and C's value caches: none at all up to a few values (A keeps every value).
        fc.integer({ min: 0, max: 4 * (VALUE_CACHE_ENTRY_BYTES + 8) }),
        async (cmds, cuts, restarts, valueCacheBytesMax) => {
          const log = cmds.map((command, i) => ({ index: i + 1, command: i % 3 === 0 ? encodeCommand(command) : command }));
          // Replica A: one entry per batch.
          const a = await KvStore.open({ backend: new MemoryBackend() });
          const resultsA: unknown[] = [];
          for (const e of log) resultsA.push(...(await a.apply([e])).map(summarize));
          // Replica B: random batches, random restarts that re-deliver the previous batch.
          let backendB = new MemoryBackend();
          let b = await KvStore.open({ backend: backendB, valueCacheBytesMax });
          const resultsB: unknown[] = [];
          let pos = 0;
          for (let step = 0; pos < log.length; step++) {
            const size = cuts[step % cuts.length] ?? 1;
            const batch = log.slice(pos, pos + size);
            const results = await b.apply(batch);
            resultsB.push(...results.map(summarize));
            pos += batch.length;
            if (restarts[step % Math.max(1, restarts.length)] === true) {
              await b.compactionIdle();
              backendB = backendB.reopened();
              b = await KvStore.open({ backend: backendB, valueCacheBytesMax });
              const again = await b.apply(batch);
              expect(again.every((r) => r.status === 'skipped')).toBe(true);
            }
          }
          expect(resultsB).toEqual(resultsA);
          const fa = await fingerprint(a);
          expect(await fingerprint(b)).toEqual(fa);
          // Replica C: installs A's snapshot.
          const c = await KvStore.open({ backend: new MemoryBackend(), valueCacheBytesMax });
          await c.restore((await a.snapshot()).chunks);
          expect(await fingerprint(c)).toEqual(fa);
        },
      ),
      { numRuns: 150 },
    );
  });
});
