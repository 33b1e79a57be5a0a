// Readers never observe a half-applied batch, even when a txn awaits the backend mid-apply.
import { describe, expect, it } from 'vitest';
import { Driver, dec, enc } from './helpers.js';
import { KvStore } from '../src/kv-store.js';
import type { RangeReply, TxnResult } from '../src/types.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';

class HookedBackend extends MemoryBackend {
  onGetMany: (() => void) | undefined;
  override async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const hook = this.onGetMany;
    this.onGetMany = undefined;
    hook?.();
    return super.getMany(keys);
  }
}

describe('read isolation', () => {
  it('a range issued while a txn is mid-apply sees the whole batch, not part of it', async () => {
    const backend = new HookedBackend();
    const store = await KvStore.open({ backend });
    const d = new Driver(store);
    await d.put('a', 'old'); // rev 2
    let concurrent: Promise<RangeReply> | undefined;
    backend.onGetMany = () => {
      concurrent = store.range({ key: enc('a'), rangeEnd: enc('c') });
    };
    const [res] = await store.apply([
      {
        index: ++d.index,
        command: {
          op: 'txn',
          args: {
            compare: [],
            success: [
              { type: 'put', key: enc('a'), value: enc('new') },
              { type: 'range', key: enc('a'), revision: 2 }, // reads a@2 from the backend
              { type: 'put', key: enc('b'), value: enc('new') },
            ],
            failure: [],
          },
        },
      },
    ]);
    expect(res).toMatchObject({ status: 'applied', response: { succeeded: true } });
    expect(concurrent).toBeDefined();
    const seen = await concurrent!;
    expect(seen.kvs.map((kv) => `${dec(kv.key)}=${dec(kv.value)}`)).toEqual(['a=new', 'b=new']);
    expect(seen.revision).toBe(3);
    const txn = res?.status === 'applied' ? (res.response as TxnResult) : undefined;
    const historical = txn?.responses[1];
    expect(historical?.type === 'range' ? historical.kvs.map((kv) => dec(kv.value)) : []).toEqual(['old']);
  });
});
