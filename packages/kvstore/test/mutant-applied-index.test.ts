// The applied-index-before-apply mutant's store half (KvStore.mutantRecordAppliedIndex): the
// applied index written on its own, ahead of its data, survives a crash, and the reopened store
// then skips the entry it never applied. This is the state the server's mutant leaves behind when
// the before-apply failpoint fires (packages/server/src/mutants.ts); the healthy path never
// writes the index apart from its batch.
import { describe, expect, it } from 'vitest';
import { KvStore } from '../src/kv-store.js';
import { Driver, memoryStore } from './helpers.js';

describe('mutantRecordAppliedIndex', () => {
  it('leaves a store that claims an entry it never applied, so a replay of that entry is skipped', async () => {
    const { store, d, backend } = await memoryStore();
    await d.put('a', '1');
    const next = store.appliedIndex + 1;
    await store.mutantRecordAppliedIndex(next);
    expect(store.appliedIndex).toBe(next - 1); // memory untouched: only the stored index moved
    // A crash here (the failpoint): the reopened store has the index but not the data.
    const reopened = await KvStore.open({ backend: backend.reopened() });
    expect(reopened.appliedIndex).toBe(next);
    const replay = new Driver(reopened);
    replay.index = next - 1;
    const [skipped] = await replay.apply({ op: 'put', args: { key: new TextEncoder().encode('b'), value: new TextEncoder().encode('2') } });
    expect(skipped?.status).toBe('skipped');
    expect((await reopened.range({ key: new TextEncoder().encode('b') })).count).toBe(0);
    await reopened.close();
  });
});
