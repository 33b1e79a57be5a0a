// Read-only txns served through ReadIndex must answer exactly what the same txn would answer
// if it were proposed and applied: a differential property against the real store's apply.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Compare, TxnArgs, TxnRequestOp } from '@kite/protocol';
import { loadConfig } from '../src/config.js';
import { openKvStore } from '../src/kv-adapter.js';
import type { KvPort } from '../src/kv-port.js';
import { silentLogger } from '../src/logger.js';
import { isReadOnlyTxn } from '../src/read-txn.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-readtxn-'));
const enc = new TextEncoder();
const KEYS = ['a', 'b', 'c', 'd', 'e'];
let kv: KvPort;
let index = 0;

async function applyOne(op: Parameters<KvPort['encodeCommand']>[0], args: Record<string, unknown>): Promise<unknown> {
  const [out] = await kv.apply([{ index: ++index, command: kv.encodeCommand(op, args) }]);
  if (out === undefined || !out.ok) throw new Error(`apply failed: ${out?.ok === false ? out.error.message : 'no outcome'}`);
  return out.result;
}

beforeAll(async () => {
  kv = await openKvStore(path.join(root, 'kv'), silentLogger(), loadConfig(['--data-dir', root], {}, root));
  await applyOne('leaseGrant', { leaseId: 7, ttl: 600 });
  // Several versions, a deleted key and a leased key, so every compare target has variety.
  await applyOne('put', { key: enc.encode('a'), value: enc.encode('1') });
  await applyOne('put', { key: enc.encode('b'), value: enc.encode('2'), lease: 7 });
  await applyOne('put', { key: enc.encode('a'), value: enc.encode('3') });
  await applyOne('put', { key: enc.encode('c'), value: enc.encode('x') });
  await applyOne('deleteRange', { key: enc.encode('c') });
  await applyOne('put', { key: enc.encode('d'), value: enc.encode('') });
});
afterAll(async () => {
  await kv.close();
  rmSync(root, { recursive: true, force: true });
});

const key = fc.constantFrom(...KEYS).map((k) => enc.encode(k));
const rangeEnd = fc.option(fc.constantFrom('c', 'e', 'z').map((k) => enc.encode(k)), { nil: undefined });
const result = fc.constantFrom('equal', 'notEqual', 'greater', 'less' as const);
const compare: fc.Arbitrary<Compare> = fc.oneof(
  fc.record({ key, rangeEnd, target: fc.constant('value' as const), result, value: fc.constantFrom('', '1', '2', '3', 'x').map((v) => enc.encode(v)) }),
  fc.record({ key, rangeEnd, target: fc.constantFrom('version', 'createRevision', 'modRevision', 'lease' as const), result, value: fc.integer({ min: 0, max: 8 }) }),
).map((c) => (c.rangeEnd === undefined ? (({ rangeEnd: _r, ...rest }) => rest)(c) : c) as Compare);
const rangeOp: fc.Arbitrary<TxnRequestOp> = fc
  .record({ key, rangeEnd, limit: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), countOnly: fc.option(fc.boolean(), { nil: undefined }) })
  .map((r) => Object.fromEntries(Object.entries({ type: 'range', ...r }).filter(([, v]) => v !== undefined)) as unknown as TxnRequestOp);
const txn: fc.Arbitrary<TxnArgs> = fc.letrec<{ txn: TxnArgs; op: TxnRequestOp }>((tie) => ({
  op: fc.oneof({ depthSize: 'small', withCrossShrink: true }, rangeOp, tie('txn').map((t) => ({ type: 'txn' as const, ...t }))),
  txn: fc.record({ compare: fc.array(compare, { maxLength: 3 }), success: fc.array(tie('op'), { maxLength: 3 }), failure: fc.array(tie('op'), { maxLength: 3 }) }),
})).txn;

describe('read-only txn', () => {
  it('tells read-only txns from ones that write, at any depth', () => {
    const r: TxnRequestOp = { type: 'range', key: enc.encode('a') };
    const w: TxnRequestOp = { type: 'put', key: enc.encode('a'), value: enc.encode('1') };
    expect(isReadOnlyTxn({ compare: [], success: [r], failure: [{ type: 'txn', compare: [], success: [r], failure: [] }] })).toBe(true);
    expect(isReadOnlyTxn({ compare: [], success: [r], failure: [{ type: 'txn', compare: [], success: [], failure: [w] }] })).toBe(false);
  });

  it('answers what applying the same txn through Raft would answer (property)', async () => {
    await fc.assert(
      fc.asyncProperty(txn, async (t) => {
        const revision = kv.currentRevision;
        // Same answer, or the same error (e.g. InvalidArgument for a rangeEnd before its key).
        const read = await kv.readTxn(t, revision).then(
          ({ revision: at, ...v }) => ({ ok: true, v, at }),
          (e: unknown) => ({ ok: false, code: (e as { code?: string }).code }),
        );
        const [out] = await kv.apply([{ index: ++index, command: kv.encodeCommand('txn', t as unknown as Record<string, unknown>) }]);
        const applied = out?.ok === true ? { ok: true, v: out.result } : { ok: false, code: out?.ok === false ? out.error.code : 'none' };
        expect(kv.currentRevision).toBe(revision);
        expect(read).toEqual(read.ok ? { ...applied, at: revision } : applied);
      }),
      { numRuns: 150 },
    );
  });
});
