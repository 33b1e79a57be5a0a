// Shared test helpers: stores on a memory backend or in temp LevelDB dirs (removed after each
// test by tempDirs), and a command driver.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { KvStore } from '../src/kv-store.js';
import type { ApplyResult, CommandResponse, KvStoreOptions } from '../src/kv-store.js';
import type { Command } from '../src/command.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import type { Backend, BackendOp } from '../src/backend/backend.js';
import { ChecksumBackend } from '../src/backend/checksum-backend.js';
import { decodeMeta, describeKey, metaKey } from '../src/layout.js';
import { tallyBatch } from '../src/record-tally.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export class Clock {
  nowMs = 1_000_000;
  readonly fn = (): number => this.nowMs;
}

/** Applies commands one entry each, with increasing indexes. */
export class Driver {
  index = 0;
  constructor(public store: KvStore) {}

  async apply(...cmds: Command[]): Promise<ApplyResult[]> {
    return this.store.apply(cmds.map((command) => ({ index: ++this.index, command })));
  }

  /** Applies one command and returns its response; throws the typed error on failure. */
  async ok(cmd: Command): Promise<CommandResponse> {
    const [r] = await this.apply(cmd);
    if (r === undefined || r.status === 'skipped') throw new Error('entry skipped');
    if (r.status === 'failed') throw r.error;
    return r.response;
  }

  put(key: string, value: string, extra: Record<string, unknown> = {}): Promise<CommandResponse> {
    return this.ok({ op: 'put', args: { key: enc(key), value: enc(value), ...extra } });
  }

  del(key: string, rangeEnd?: string, prevKv = false): Promise<CommandResponse> {
    return this.ok({
      op: 'deleteRange',
      args: rangeEnd === undefined ? { key: enc(key), prevKv } : { key: enc(key), rangeEnd: enc(rangeEnd), prevKv },
    });
  }
}

export async function memoryStore(options: Partial<KvStoreOptions> = {}): Promise<{ store: KvStore; d: Driver; backend: MemoryBackend }> {
  const backend = new MemoryBackend();
  const store = await KvStore.open({ ...options, backend });
  return { store, d: new Driver(store), backend };
}

async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kite-kv-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A temp-dir maker for one test file (call it at the top level): every dir it makes is
 * removed after each test, pass or fail, so no LevelDB directory outlives its test.
 */
export function tempDirs(): () => Promise<string> {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    return dir;
  };
}

/**
 * The backend as the store sees it: values sealed with their checksums on write and checked
 * on read. Tests that stage an on-disk state (a crash midway) write through it.
 */
export function storeView(raw: Backend): ChecksumBackend {
  return new ChecksumBackend(raw, { describeKey, onCorrupt: () => {} });
}

/**
 * Writes `ops` as the store itself would: checksummed, with the record tally moved in the same
 * batch (what a crash can leave is a state the store wrote, never a torn one).
 */
export async function writeAsStore(raw: Backend, ops: readonly BackendOp[]): Promise<void> {
  const view = storeView(raw);
  const read = async (name: 'recordCount' | 'recordKeyCrcSum'): Promise<number> => {
    const v = await view.get(metaKey(name));
    return v === undefined ? 0 : decodeMeta(v);
  };
  const tally = { count: await read('recordCount'), keyCrcSum: await read('recordKeyCrcSum') };
  await view.write([...ops, ...tallyBatch(tally, ops)], { sync: true });
}
