// The LevelDB backend on a temp directory (removed in afterEach): atomic batches, ordered
// bounded iteration, frozen snapshots, and the atomic whole-content replace.
import { describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs } from './helpers.js';
import { LevelBackend } from '../src/backend/level-backend.js';
import type { BackendEntry } from '../src/backend/backend.js';

const b = (...xs: number[]) => new Uint8Array(xs);
const newDir = tempDirs();

async function dump(backend: LevelBackend): Promise<number[][]> {
  const out: number[][] = [];
  for await (const batch of backend.entries({ batchEntries: 2 })) for (const [k, v] of batch) out.push([...k, -1, ...v]);
  return out;
}

describe('LevelBackend', () => {
  it('writes atomically, iterates in byte order with bounds, and persists across reopen', async () => {
    const dir = await newDir();
    const be = await LevelBackend.open(dir);
    await be.write([
      { type: 'put', key: b(2), value: b(20) },
      { type: 'put', key: b(1, 255), value: b(15) },
      { type: 'put', key: b(1), value: b(10) },
      { type: 'put', key: b(3), value: b(30) },
    ], { sync: true });
    await be.write([{ type: 'del', key: b(3) }], { sync: false });
    expect(await dump(be)).toEqual([[1, -1, 10], [1, 255, -1, 15], [2, -1, 20]]);
    const bounded: BackendEntry[] = [];
    for await (const batch of be.entries({ gte: b(1, 0), lt: b(2) })) bounded.push(...batch);
    expect(bounded.map(([k]) => [...k])).toEqual([[1, 255]]);
    expect((await be.getMany([b(2), b(9)])).map((v) => (v === undefined ? v : [...v]))).toEqual([[20], undefined]);
    await be.close();
    const again = await LevelBackend.open(dir);
    expect(await dump(again)).toEqual([[1, -1, 10], [1, 255, -1, 15], [2, -1, 20]]);
    await again.close();
  });

  it('snapshots are frozen views', async () => {
    const dir = await newDir();
    const be = await LevelBackend.open(dir);
    await be.write([{ type: 'put', key: b(1), value: b(1) }], { sync: false });
    const snap = be.snapshot();
    await be.write([{ type: 'put', key: b(1), value: b(2) }, { type: 'put', key: b(5), value: b(5) }], { sync: false });
    expect([...((await snap.get(b(1))) ?? [])]).toEqual([1]);
    expect(await snap.get(b(5))).toBeUndefined();
    await snap.close();
    await be.close();
  });

  it('replace swaps the whole content atomically and keeps the old one when the source fails', async () => {
    const dir = await newDir();
    const be = await LevelBackend.open(dir);
    await be.write([{ type: 'put', key: b(1), value: b(1) }], { sync: false });
    async function* failing(): AsyncGenerator<readonly BackendEntry[]> {
      yield [[b(7), b(7)]];
      throw new Error('stream broke');
    }
    await expect(be.stageReplace(failing())).rejects.toThrow('stream broke');
    expect(await dump(be)).toEqual([[1, -1, 1]]);
    async function* good(): AsyncGenerator<readonly BackendEntry[]> {
      yield [[b(7), b(7)], [b(8), b(8)]];
    }
    const aborted = await be.stageReplace(good());
    await aborted.abort();
    expect(await dump(be)).toEqual([[1, -1, 1]]);
    const staged = await be.stageReplace(good());
    expect(await dump(be)).toEqual([[1, -1, 1]]); // staged content is not visible yet
    await staged.commit();
    expect(await dump(be)).toEqual([[7, -1, 7], [8, -1, 8]]);
    expect((await readFile(join(dir, 'ACTIVE'), 'utf8')).trim()).toBe('db-1');
    expect((await readdir(dir)).filter((n) => n.startsWith('db-'))).toEqual(['db-1']);
    await be.close();
    const again = await LevelBackend.open(dir);
    expect(await dump(again)).toEqual([[7, -1, 7], [8, -1, 8]]);
    await again.close();
  });
});
