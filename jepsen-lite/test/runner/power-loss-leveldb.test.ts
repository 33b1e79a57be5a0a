// The power-loss nemesis keys on the record the store's flush() writes with sync: true. This
// checks that record against a real LevelDB store: after a flush, the newest write-ahead log
// holds the marker, and everything written after the flush lies in the unsynced tail.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// Test-only: jepsen-lite itself never imports the store (it only spawns the binary).
import { LevelBackend } from '../../../packages/kvstore/src/index.js';
import { SYNC_MARKER, unsyncedTail } from '../../src/nemesis/process-faults.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newestLog(dir: string): Buffer {
  const logs = readdirSync(dir).filter((f) => /^\d+\.log$/.test(f)).sort();
  const newest = logs[logs.length - 1];
  if (newest === undefined) throw new Error(`no write-ahead log in ${dir}`);
  return readFileSync(path.join(dir, newest));
}

describe('power loss: the sync marker of a real store flush', () => {
  it('finds the flush marker and puts later writes in the unsynced tail', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kite-powerloss-'));
    dirs.push(dir);
    const backend = await LevelBackend.open(dir);
    try {
      const put = (k: string, v: string) => ({ type: 'put' as const, key: Buffer.from(k), value: Buffer.from(v) });
      await backend.write([put('k/before', 'x'.repeat(200))], { sync: false });
      await backend.flush();
      await backend.write([put('k/after', 'y'.repeat(300))], { sync: false });
      const active = readFileSync(path.join(dir, 'ACTIVE'), 'utf8').trim();
      const log = newestLog(path.join(dir, active));
      expect(log.includes(SYNC_MARKER)).toBe(true);
      const tail = unsyncedTail(log, active);
      // The write after the flush is in the cuttable tail; nothing before the marker is.
      expect(tail.size - tail.durableBytes).toBeGreaterThanOrEqual(300);
      expect(log.subarray(tail.durableBytes).includes(Buffer.from('k/after'))).toBe(true);
      expect(log.subarray(0, tail.durableBytes).includes(Buffer.from('k/after'))).toBe(false);
    } finally {
      await backend.close();
    }
  });
});
