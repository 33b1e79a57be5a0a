// The LevelDB backend on a temp directory (removed in afterEach): atomic batches, ordered
// bounded iteration, frozen snapshots, the atomic whole-content replace, durability (flush and
// a staged replace leave their data in table files, which LevelDB fsyncs, not only in a log),
// and refusing a directory whose ACTIVE file cannot say which database is live.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs } from './helpers.js';
import { LevelBackend } from '../src/backend/level-backend.js';
import { StoreDirError } from '../src/backend/store-dir-error.js';
import type { BackendEntry } from '../src/backend/backend.js';

const b = (...xs: number[]) => new Uint8Array(xs);
const newDir = tempDirs();

/** Bytes in a LevelDB directory's write-ahead logs and in its table files. */
async function fileBytes(dbDir: string): Promise<{ logBytes: number; tableBytes: number }> {
  let logBytes = 0;
  let tableBytes = 0;
  for (const name of await readdir(dbDir)) {
    const size = (await stat(join(dbDir, name))).size;
    if (name.endsWith('.log')) logBytes += size;
    else if (name.endsWith('.ldb') || name.endsWith('.sst')) tableBytes += size;
  }
  return { logBytes, tableBytes };
}

/** Incompressible values, so their bytes show up in whichever file holds them. */
const VALUE_BYTES = 4096;
const bigEntries = (n: number): [Uint8Array, Uint8Array][] =>
  Array.from({ length: n }, (_, i) => [b(i), new Uint8Array(randomBytes(VALUE_BYTES))]);

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

  it('flush moves every completed unsynced write into table files and it survives reopen', async () => {
    const dir = await newDir();
    const be = await LevelBackend.open(dir);
    const entries = bigEntries(8);
    await be.write(entries.map(([key, value]) => ({ type: 'put', key, value })), { sync: false });
    // Unsynced: the data is only in LevelDB's log so far.
    expect((await fileBytes(join(dir, 'db-0'))).logBytes).toBeGreaterThanOrEqual(entries.length * VALUE_BYTES);
    await be.flush();
    const after = await fileBytes(join(dir, 'db-0'));
    expect(after.tableBytes).toBeGreaterThanOrEqual(entries.length * VALUE_BYTES);
    expect(after.logBytes).toBeLessThan(VALUE_BYTES); // at most flush's own synced marker
    await be.close();
    const again = await LevelBackend.open(dir);
    for (const [key, value] of entries) expect(Buffer.from((await again.get(key)) ?? [])).toEqual(Buffer.from(value));
    expect(await again.get(new Uint8Array([0, 0x66]))).toBeUndefined(); // the marker is a delete
    await again.close();
  });

  it('a staged replace is in table files (fsynced by LevelDB) before ACTIVE can name it', async () => {
    const dir = await newDir();
    const be = await LevelBackend.open(dir);
    const entries = bigEntries(8);
    async function* source(): AsyncGenerator<readonly BackendEntry[]> {
      yield entries.slice(0, 4);
      yield entries.slice(4);
    }
    const staged = await be.stageReplace(source());
    // Before the fix the staged database was closed with its content only in an unsynced log.
    const files = await fileBytes(join(dir, 'db-1'));
    expect(files.tableBytes).toBeGreaterThanOrEqual(entries.length * VALUE_BYTES);
    expect(files.logBytes).toBeLessThan(VALUE_BYTES);
    await staged.commit();
    await be.close();
    const again = await LevelBackend.open(dir);
    expect((await dump(again)).length).toBe(entries.length);
    await again.close();
  });
});

describe('LevelBackend.open on a damaged directory', () => {
  async function withDb(): Promise<string> {
    const dir = await newDir();
    const be = await LevelBackend.open(dir);
    await be.write([{ type: 'put', key: b(1), value: b(1) }], { sync: true });
    await be.close();
    return dir;
  }

  async function refused(dir: string): Promise<StoreDirError> {
    const err: unknown = await LevelBackend.open(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreDirError);
    const e = err as StoreDirError;
    expect(e.code).toBe('CorruptDataDir');
    expect(e.path).toBe(join(dir, 'ACTIVE'));
    expect(e.message).toContain(join(dir, 'ACTIVE'));
    expect(e.message).toContain('db-0');
    // Nothing was deleted: the database is still there and intact.
    expect((await readdir(dir)).filter((n) => n.startsWith('db-'))).toContain('db-0');
    return e;
  }

  async function intact(dir: string): Promise<void> {
    await writeFile(join(dir, 'ACTIVE'), 'db-0');
    const be = await LevelBackend.open(dir);
    expect([...((await be.get(b(1))) ?? [])]).toEqual([1]);
    await be.close();
  }

  it('refuses a missing ACTIVE when databases exist, and deletes nothing', async () => {
    const dir = await withDb();
    await rm(join(dir, 'ACTIVE'));
    expect((await refused(dir)).message).toContain('missing');
    await intact(dir);
  });

  it('refuses a garbled ACTIVE, and one naming a missing database, when databases exist', async () => {
    const dir = await withDb();
    await writeFile(join(dir, 'ACTIVE'), '\u0000\u0007garbage');
    expect((await refused(dir)).message).toContain('garbled');
    await writeFile(join(dir, 'ACTIVE'), 'db-7');
    expect((await refused(dir)).message).toContain('db-7');
    await intact(dir);
  });

  it('starts fresh when no database exists, and still drops a stale staged database', async () => {
    const fresh = await newDir();
    await writeFile(join(fresh, 'ACTIVE'), 'db-0'); // a crash before db-0 was created
    const be = await LevelBackend.open(fresh);
    await be.close();
    const dir = await withDb();
    await mkdir(join(dir, 'db-1')); // a replace that crashed before commit
    await intact(dir);
    expect((await readdir(dir)).filter((n) => n.startsWith('db-'))).toEqual(['db-0']);
  });
});
