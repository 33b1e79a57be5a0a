import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SnapshotFiles, readStagedChunks } from '../src/snapshot-files.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-snapfiles-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const indexOf = (md: unknown): number => (md as { index: number }).index;
const chunk = (seq: number, bytes: number[], last: boolean, metadata?: unknown) => ({
  snapshotId: 's1', seq, data: new Uint8Array(bytes), last, ...(metadata === undefined ? {} : { metadata }),
});

async function collect(file: string): Promise<number[][]> {
  const out: number[][] = [];
  for await (const c of readStagedChunks(file)) out.push([...c]);
  return out;
}

describe('SnapshotFiles', () => {
  it('stages chunks in order and reads them back with their boundaries', async () => {
    const files = new SnapshotFiles(path.join(root, `d${n++}`));
    await files.init();
    expect(await files.addChunk('p', chunk(0, [1, 2], false, { index: 42 }), indexOf)).toBeNull();
    expect(await files.addChunk('p', chunk(1, [], false), indexOf)).toBeNull();
    const done = await files.addChunk('p', chunk(2, [3], true), indexOf);
    expect(done?.path).toBe(files.pathFor(42));
    expect(done?.metadata).toEqual({ index: 42 });
    expect(await collect(files.pathFor(42))).toEqual([[1, 2], [3]]);
    await files.prune(null);
    expect(existsSync(files.pathFor(42))).toBe(false);
  });

  it('aborts a stream on an out-of-order chunk and removes partial files on init', async () => {
    const dir = path.join(root, `d${n++}`);
    const files = new SnapshotFiles(dir);
    await files.init();
    await files.addChunk('p', chunk(0, [1], false, { index: 7 }), indexOf);
    await expect(files.addChunk('p', chunk(2, [2], true), indexOf)).rejects.toThrow(/out of order/);
    expect(readdirSync(dir)).toEqual([]);
    await files.addChunk('q', chunk(0, [1], false, { index: 8 }), indexOf);
    const again = new SnapshotFiles(dir);
    await again.init();
    expect(readdirSync(dir)).toEqual([]);
    await files.closeAll();
  });
});
