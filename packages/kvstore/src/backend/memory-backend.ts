// An in-memory Backend for tests: same contract as LevelBackend, no disk. Snapshots copy the
// map (fine at test sizes). Keys are binary strings internally so Map order can be sorted.

import { keyBytes, keyString } from '../bytes.js';
import type { Backend, BackendEntry, BackendOp, BackendReader, BackendSnapshot, IterateOptions, StagedReplace } from './backend.js';
import { ITERATE_BATCH_ENTRIES } from './backend.js';

class MapReader implements BackendReader {
  constructor(protected data: Map<string, Uint8Array>) {}

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.data.get(keyString(key));
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return keys.map((k) => this.data.get(keyString(k)));
  }

  async *entries(options: IterateOptions): AsyncIterable<readonly BackendEntry[]> {
    const gte = options.gte === undefined ? undefined : keyString(options.gte);
    const lt = options.lt === undefined ? undefined : keyString(options.lt);
    const size = options.batchEntries ?? ITERATE_BATCH_ENTRIES;
    const keys = [...this.data.keys()]
      .filter((k) => (gte === undefined || k >= gte) && (lt === undefined || k < lt))
      .sort();
    const view = this.data;
    for (let i = 0; i < keys.length; i += size) {
      const batch: BackendEntry[] = [];
      for (const k of keys.slice(i, i + size)) {
        const v = view.get(k);
        if (v !== undefined) batch.push([keyBytes(k), v]);
      }
      yield batch;
    }
  }
}

export class MemoryBackend extends MapReader implements Backend {
  readonly location = 'memory backend';
  private closed = false;

  constructor(data: Map<string, Uint8Array> = new Map()) {
    super(data);
  }

  /** A new backend over the same data: what a restarted process would find on disk. */
  reopened(): MemoryBackend {
    return new MemoryBackend(this.data);
  }

  /** `sync` has no meaning in memory; accepted for the Backend contract. */
  async write(ops: readonly BackendOp[], _options: { readonly sync: boolean } = { sync: false }): Promise<void> {
    if (this.closed) throw new Error('backend is closed');
    for (const op of ops) {
      if (op.type === 'put') this.data.set(keyString(op.key), op.value.slice());
      else this.data.delete(keyString(op.key));
    }
  }

  snapshot(): BackendSnapshot {
    const reader = new MapReader(new Map(this.data));
    return Object.assign(reader, { close: async () => {} });
  }

  async stageReplace(source: AsyncIterable<readonly BackendEntry[]>): Promise<StagedReplace> {
    const next = new Map<string, Uint8Array>();
    for await (const batch of source) for (const [k, v] of batch) next.set(keyString(k), v.slice());
    return {
      commit: async () => {
        this.data = next;
      },
      abort: async () => {},
    };
  }

  /** Nothing to make durable in memory; accepted for the Backend contract. */
  async flush(): Promise<void> {}

  /** Nothing to give back: deleted entries are gone from memory already. */
  async defrag(): Promise<void> {}

  async sizeBytes(): Promise<number> {
    let n = 0;
    for (const [k, v] of this.data) n += k.length + v.byteLength;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
