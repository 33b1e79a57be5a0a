// Against the fake cluster: a progress request that crosses the server's cancel of the same
// watch on the wire. The server drops the watch and sends the canceled push; the client, which
// has not read the push yet, asks for progress on it and gets "no watch N on this link". That
// reply is about a registration the client is already replacing (or failing), never an error
// of the caller's request (`kite history` right after `kite compact` hit exactly this).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBytes, type KiteClient } from '@kite/client';
import { FakeCluster } from './fake-cluster.js';
import { caught, eventsUntil, fastClient, guard } from './helpers.js';

let cluster: FakeCluster;
let client: KiteClient;

beforeEach(async () => {
  cluster = await FakeCluster.start(1);
  client = await fastClient([cluster.member(0).url], { preferLeader: false });
});

afterEach(async () => {
  client.close();
  await cluster.stop();
});

describe('requestProgress racing a server cancel', () => {
  it('a compaction cancel in flight: requestProgress settles quietly and the watch fails with Compacted', async () => {
    const store = cluster.store;
    store.put(toBytes('k'), toBytes('1'));
    const w = client.watch('k', { startRevision: 1 });
    await guard(w.ready, 'watch registration');
    store.put(toBytes('k'), toBytes('2'));
    store.compact(store.revision);
    // Sent by the server before it reads the progress request below (same link, in order).
    cluster.member(0).cancelWatches('compacted', store.compactRevision);
    await guard(w.requestProgress(), 'progress request');
    const drain = async (): Promise<void> => {
      for await (const batch of w) void batch; // the events before the cancel, then its error
    };
    const err = await guard(caught(drain()), 'compacted watch');
    expect(err.code).toBe('Compacted');
    expect(err.details.compactRevision).toBe(store.compactRevision);
  });

  it('a transient cancel in flight: requestProgress settles quietly and the watch resumes', async () => {
    const m = cluster.member(0);
    const w = client.watch('r', {});
    await guard(w.ready, 'watch registration');
    m.cancelWatches('Unavailable: member shutting down');
    await guard(w.requestProgress(), 'progress request');
    cluster.store.put(toBytes('r'), toBytes('after'));
    const events = await guard(eventsUntil(w, cluster.store.revision), 'events after the resume');
    expect(events.map((e) => Buffer.from(e.kv.value).toString())).toEqual(['after']);
    expect(m.received.get('watchCreate')).toBe(2);
    w.cancel();
  });

  it('a progress request for a watch the server still holds is answered as before', async () => {
    const w = client.watch('s', {});
    await guard(w.ready, 'watch registration');
    await guard(w.requestProgress(), 'progress request');
    const batch = await guard(w.next(), 'bookmark');
    expect(batch.done === false && batch.value.progress).toBe(true);
    w.cancel();
  });
});
