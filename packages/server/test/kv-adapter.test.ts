// The KvPort adapter's durability edges: sync() is the store's flush (a durability barrier,
// not a synced write the store's apply batches would wait on), and a store directory whose
// ACTIVE file cannot say which database is live is refused as CorruptDataDir, data untouched.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KvStore, MemoryBackend, encodeCommand, type BackendOp } from '@kite/kvstore';
import { loadConfig } from '../src/config.js';
import { KvAdapter, openKvStore } from '../src/kv-adapter.js';
import { silentLogger } from '../src/logger.js';
import { DataDirError } from '../src/raft-log-store.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('KvAdapter', () => {
  it('sync() flushes the store once and leaves apply batches unsynced', async () => {
    const backend = new MemoryBackend();
    const writes: boolean[] = [];
    let flushes = 0;
    const write = backend.write.bind(backend);
    backend.write = (ops: readonly BackendOp[], options: { readonly sync: boolean }) => {
      writes.push(options.sync);
      return write(ops, options);
    };
    const flush = backend.flush.bind(backend);
    backend.flush = () => {
      flushes++;
      return flush();
    };
    const kv = new KvAdapter(await KvStore.open({ backend, syncWrites: false }));
    const enc = new TextEncoder();
    await kv.apply([{ index: 1, command: encodeCommand({ op: 'put', args: { key: enc.encode('a'), value: enc.encode('1') } }) }]);
    await kv.sync();
    expect(flushes).toBe(1);
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((synced) => !synced)).toBe(true);
    expect(kv.appliedIndex).toBe(1);
    await kv.close();
  });

  it('refuses a store dir whose ACTIVE file is missing as CorruptDataDir, deleting nothing', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'kite-kvadapter-'));
    dirs.push(root);
    const kvDir = path.join(root, 'kv');
    await mkdir(path.join(kvDir, 'db-3'), { recursive: true });
    const err: unknown = await openKvStore(kvDir, silentLogger(), loadConfig(['--data-dir', root], {}, root)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataDirError);
    expect((err as DataDirError).code).toBe('CorruptDataDir');
    expect((err as DataDirError).message).toContain(path.join(kvDir, 'ACTIVE'));
    expect(await readdir(kvDir)).toContain('db-3');
  });
});
