// Damaged store data is never served: a flipped byte anywhere in a LevelDB table file, a
// record whose value changed, a record that vanished. Open refuses (CorruptError, or LevelDB's
// own corruption error) or every key reads back exactly as written; damage found while
// serving fails the read with code Corrupt and every read after it. A refusal names the table
// file whose block checksums fail.
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Driver, dec, enc, memoryStore, tempDirs } from './helpers.js';
import { KvStore } from '../src/kv-store.js';
import { revKey } from '../src/layout.js';
import type { MemoryBackend } from '../src/backend/memory-backend.js';

const newDir = tempDirs();
const KEYS = 300;
const ALL = { key: enc('k/'), rangeEnd: enc('k0') };

const keyOf = (i: number): string => `k/${String(i).padStart(4, '0')}`;
const valueOf = (i: number): string => `value-${i}-`.padEnd(24, 'x');

/** Flips one bit of the stored value at `rev` (raw, under the store's checks). */
async function flipRecordBit(backend: MemoryBackend, main: number, at: (length: number) => number): Promise<void> {
  const key = revKey({ main, sub: 0 });
  const stored = await backend.get(key);
  if (stored === undefined) throw new Error(`no record at ${main}`);
  const copy = stored.slice();
  const i = at(copy.byteLength);
  copy[i] = (copy[i] as number) ^ 0x04;
  await backend.write([{ type: 'put', key, value: copy }], { sync: false });
}

/** Every key as written, or a description of the first difference. */
async function readsBackIntact(store: KvStore): Promise<string> {
  const got = await store.range(ALL);
  const byKey = new Map(got.kvs.map((kv) => [dec(kv.key), dec(kv.value)]));
  for (let i = 0; i < KEYS; i++) {
    const v = byKey.get(keyOf(i));
    if (v !== valueOf(i)) return v === undefined ? `${keyOf(i)} is absent` : `${keyOf(i)} = ${JSON.stringify(v)}`;
  }
  return got.count === KEYS ? 'intact' : `${got.count} keys`;
}

async function filledMemoryStore(): Promise<{ store: KvStore; d: Driver; backend: MemoryBackend }> {
  const m = await memoryStore();
  for (let i = 0; i < KEYS; i++) await m.d.put(keyOf(i), valueOf(i));
  return m;
}

describe('a damaged table file', () => {
  it('is refused at open or read back intact, wherever one bit flips', async () => {
    const base = await newDir();
    const s = await KvStore.open({ dir: base });
    const d = new Driver(s);
    for (let i = 0; i < KEYS; i += 50) {
      await d.apply(...Array.from({ length: 50 }, (_, j) => ({ op: 'put' as const, args: { key: enc(keyOf(i + j)), value: enc(valueOf(i + j)) } })));
    }
    await s.flush();
    await s.close();
    const db = readFileSync(path.join(base, 'ACTIVE'), 'utf8').trim();
    const table = readdirSync(path.join(base, db)).find((f) => f.endsWith('.ldb'));
    if (table === undefined) throw new Error('flush wrote no table file');
    const size = readFileSync(path.join(base, db, table)).length;
    const outcomes = new Map<string, number>();
    const served: string[] = [];
    const POSITIONS = 48;
    for (let n = 0; n < POSITIONS; n++) {
      const at = Math.floor((size * n) / POSITIONS) + (n % 7);
      const dir = await newDir();
      cpSync(base, dir, { recursive: true });
      const file = path.join(dir, db, table);
      const bytes = readFileSync(file);
      bytes[at] = (bytes[at] as number) ^ 0x01;
      writeFileSync(file, bytes);
      let outcome: string;
      try {
        const store = await KvStore.open({ dir });
        try {
          outcome = await readsBackIntact(store);
        } finally {
          await store.close();
        }
        if (outcome !== 'intact') served.push(`byte ${at}: ${outcome}`);
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'none';
        outcome = `refused (${code})`;
        // Refused as damage (our checks or LevelDB's own, never a stray decoding error),
        // naming the damaged table file.
        expect([code, (err as Error).message], `byte ${at}`).toEqual(['Corrupt', expect.stringContaining(`damaged table files: ${file} (`)]);
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(served, `served damaged data; outcomes ${JSON.stringify([...outcomes])}`).toEqual([]);
    expect(outcomes.get('refused (Corrupt)') ?? 0).toBeGreaterThan(0);
  });
});

describe('a damaged record', () => {
  it('with a changed value is refused at open, naming the record', async () => {
    const { store, backend } = await filledMemoryStore();
    await store.close();
    const disk = backend.reopened();
    await flipRecordBit(disk, 100, (n) => n - 8); // inside the value
    await expect(KvStore.open({ backend: disk })).rejects.toMatchObject({
      code: 'Corrupt',
      message: expect.stringMatching(/change record at revision 100\.0: checksum mismatch/) as unknown,
    });
  });

  it('that vanished is refused at open (the tally counts it)', async () => {
    const { store, backend } = await filledMemoryStore();
    await store.close();
    const disk = backend.reopened();
    await disk.write([{ type: 'del', key: revKey({ main: 50, sub: 0 }) }], { sync: false });
    await expect(KvStore.open({ backend: disk })).rejects.toMatchObject({
      code: 'Corrupt',
      message: expect.stringMatching(/1 change records are missing: the tally says 300, the store holds 299/) as unknown,
    });
  });

  it('found while serving fails that read and every later one with Corrupt', async () => {
    const { store, d, backend } = await filledMemoryStore();
    await d.put(keyOf(7), 'newer'); // revision 302: the value at 301 now lives only on disk
    const damage: string[] = [];
    store.onCorrupt((err) => damage.push(err.message));
    await flipRecordBit(backend, 9, (n) => n - 6); // keyOf(7)'s put (keyOf(i) is at revision i + 2)
    await expect(store.range({ key: enc(keyOf(7)), revision: 301 })).rejects.toMatchObject({ code: 'Corrupt' });
    // Current values are in memory, but a member that found damage answers nothing more.
    await expect(store.range({ key: enc(keyOf(1)) })).rejects.toMatchObject({ code: 'Corrupt' });
    await expect(store.hash()).rejects.toMatchObject({ code: 'Corrupt' });
    expect(damage).toEqual([expect.stringMatching(/change record at revision 9\.0: checksum mismatch/)]);
    await store.close();
  });

  it('missing above the compact revision is Corrupt, not Compacted', async () => {
    const { store, d, backend } = await filledMemoryStore();
    await d.put(keyOf(9), 'newer');
    await backend.write([{ type: 'del', key: revKey({ main: 11, sub: 0 }) }], { sync: false });
    await expect(store.range({ key: enc(keyOf(9)), revision: 301 })).rejects.toMatchObject({ code: 'Corrupt' });
    await store.close();
  });
});

describe('the record tally', () => {
  it('follows compaction and snapshot restore, so a healthy store always reopens', async () => {
    const { store, d, backend } = await filledMemoryStore();
    for (let i = 0; i < 40; i++) await d.put(keyOf(i), `second-${i}`);
    await d.del(keyOf(41));
    await d.ok({ op: 'compact', args: { revision: 320 } });
    await store.compactionIdle();
    const hash = await store.hash();
    await store.close();
    const reopened = await KvStore.open({ backend: backend.reopened() });
    expect(await reopened.hash()).toEqual(hash);
    const snap = await reopened.snapshot();
    const target = await KvStore.open({ backend: (await memoryStore()).backend.reopened() });
    await target.restore(snap.chunks);
    expect(await target.hash()).toEqual(hash);
    await reopened.close();
    await target.close();
  });
});
