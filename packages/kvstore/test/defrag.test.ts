// Backend.defrag on LevelDB: after entries are deleted their bytes stay in the table files until
// a compaction rewrites them; defrag is that compaction over the whole key space, so the
// directory shrinks to about the live data, and the live data is all still there.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LevelBackend } from '../src/backend/level-backend.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import { tempDirs } from './helpers.js';

const newDir = tempDirs();
const VALUE_BYTES = 4096;
const ENTRIES = 1000;
const key = (i: number): Uint8Array => Uint8Array.of(0x72, i >> 8, i & 0xff);

describe('Backend.defrag', () => {
  it('LevelDB: gives the space of deleted entries back and keeps the live ones', async () => {
    const be = await LevelBackend.open(await newDir());
    try {
      for (let i = 0; i < ENTRIES; i += 100) {
        const ops = Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: key(i + j), value: new Uint8Array(randomBytes(VALUE_BYTES)) }));
        await be.write(ops, { sync: false });
      }
      await be.flush(); // the values now sit in table files, as in any store that has run a while
      // Keep the first 10 entries, delete the rest.
      await be.write(Array.from({ length: ENTRIES - 10 }, (_, j) => ({ type: 'del' as const, key: key(10 + j) })), { sync: false });
      const before = await be.sizeBytes();
      expect(before).toBeGreaterThan(ENTRIES * VALUE_BYTES * 0.9);
      await be.defrag();
      const after = await be.sizeBytes();
      // The 10 live values (40 kB) plus LevelDB's fixed files; far below the ~4 MB before.
      expect(after).toBeLessThan(before / 4);
      const live: number[] = [];
      for await (const batch of be.entries({})) for (const [k] of batch) live.push(k[2]!);
      expect(live).toEqual(Array.from({ length: 10 }, (_, i) => i));
    } finally {
      await be.close();
    }
  });

  it('memory: nothing to give back, and nothing changes', async () => {
    const be = new MemoryBackend();
    await be.write([{ type: 'put', key: key(1), value: Uint8Array.of(1) }], { sync: false });
    await be.defrag();
    expect(await be.get(key(1))).toEqual(Uint8Array.of(1));
  });
});
