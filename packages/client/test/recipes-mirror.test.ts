// Mirror recipe logic against the in-memory store model: it lists in pages at one revision,
// follows changes, and after a compaction re-lists and reports the differences, so (property)
// the map always ends equal to the store's prefix.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KiteError } from '@kite/protocol';
import { mirror, MIRROR_PAGE_KEYS, type MirrorChange } from '../src/recipes/mirror.js';
import { KvModel } from './recipes-kv-model.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function prefixState(kv: KvModel, prefix: string): Promise<Map<string, string>> {
  const end = enc.encode(prefix);
  end[end.length - 1]! += 1;
  const r = await kv.get(enc.encode(prefix), { rangeEnd: end });
  return new Map(r.kvs.map((x) => [dec.decode(x.key), dec.decode(x.value)]));
}

describe('mirror recipe', () => {
  it('lists more than one page at a single revision', async () => {
    const kv = new KvModel();
    const n = MIRROR_PAGE_KEYS + 37;
    for (let i = 0; i < n; i++) await kv.put(`/m/${String(i).padStart(5, '0')}`, `v${i}`);
    await kv.put('/other', 'x');
    const m = await mirror(kv, '/m/');
    expect(m.map.size).toBe(n);
    expect(m.snapshot()).toEqual(await prefixState(kv, '/m/'));
    await m.close();
  });

  it('follows puts and deletes and reports each change with its previous value', async () => {
    const kv = new KvModel();
    await kv.put('/c/a', '1');
    const m = await mirror(kv, '/c/');
    const changes: MirrorChange[] = [];
    m.on('change', (c) => changes.push(c));
    await kv.put('/c/a', '2');
    await kv.put('/c/b', '1');
    await kv.delete(enc.encode('/c/a'));
    await kv.put('/d/ignored', '1');
    await settle();
    expect(changes.map((c) => [c.type, c.key, c.prev === undefined ? null : dec.decode(c.prev.value)])).toEqual([
      ['put', '/c/a', '1'], ['put', '/c/b', null], ['delete', '/c/a', '2'],
    ]);
    expect(m.snapshot()).toEqual(new Map([['/c/b', '1']]));
    expect(m.revision).toBe(kv.revision - 1);
    await m.close();
  });

  it('re-lists after a compaction and emits only the differences', async () => {
    const kv = new KvModel();
    await kv.put('/r/a', '1');
    await kv.put('/r/b', '1');
    const m = await mirror(kv, '/r/');
    const changes: string[] = [];
    let resyncs = 0;
    m.on('change', (c) => changes.push(`${c.type} ${c.key}`));
    m.on('resync', () => resyncs++);
    // The mirror "falls behind": its watch is cut while these writes happen.
    kv.failWatches(new KiteError('Compacted', 'compacted', { compactRevision: kv.revision + 2 }));
    for (const w of [...kv.watches]) w.cancel();
    await kv.put('/r/a', '2');
    await kv.delete(enc.encode('/r/b'));
    await kv.put('/r/c', '1');
    kv.compact(kv.revision);
    await settle();
    expect(resyncs).toBe(1);
    expect(changes.sort()).toEqual(['delete /r/b', 'put /r/a', 'put /r/c']);
    expect(m.snapshot()).toEqual(await prefixState(kv, '/r/'));
    await m.close();
  });

  it('always ends equal to the store (random writes and compactions)', async () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('put' as const), k: fc.integer({ min: 0, max: 6 }), v: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ t: fc.constant('compact' as const) }),
    );
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const kv = new KvModel();
      await kv.put('/p/0', 'init');
      const m = await mirror(kv, '/p/');
      for (const o of ops) {
        if (o.t === 'put') await kv.put(`/p/${o.k}`, String(o.v));
        else if (o.t === 'del') await kv.delete(enc.encode(`/p/${o.k}`));
        else {
          kv.compact(kv.revision);
          kv.failWatches(new KiteError('Compacted', 'compacted', { compactRevision: kv.revision }));
        }
        await settle();
      }
      await settle();
      expect(m.snapshot()).toEqual(await prefixState(kv, '/p/'));
      await m.close();
    }), { numRuns: 30 });
  });
});
