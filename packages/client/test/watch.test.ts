// The Watch object driven directly (no sockets): iteration, flow-control suspension and
// resume from the cursor, compaction and server cancel surfaced as typed errors, cancel().
import { describe, expect, it } from 'vitest';
import { KiteError, type ResponseHeader, type WatchEvent, type WatchPush } from '@kite/protocol';
import { Watch, type WatchDriver, type WatchSpec } from '../src/watch.js';

const header = (revision: number): ResponseHeader => ({ clusterId: 'c', memberId: 'm', revision, raftTerm: 1 });

function push(watchId: number, revs: number[], extra: Partial<WatchPush> = {}): WatchPush {
  const events: WatchEvent[] = revs.map((r) => ({
    type: 'put',
    kv: { key: new Uint8Array([1]), value: new Uint8Array([r]), createRevision: r, modRevision: r, version: 1, lease: 0 },
  }));
  return { watchId, header: header(revs[revs.length - 1] ?? 0), events, ...extra };
}

class RecordingDriver implements WatchDriver {
  readonly calls: string[] = [];
  register(_w: Watch, start: number, serverCancels = 0): void {
    this.calls.push(serverCancels > 0 ? `register@${start}#${serverCancels}` : `register@${start}`);
  }
  readonly stateAtUnregister: string[] = [];
  unregister(w: Watch): void {
    this.calls.push('unregister');
    this.stateAtUnregister.push(w.state);
  }
  async requestProgress(): Promise<void> {
    this.calls.push('progress');
  }
}

function spec(over: Partial<WatchSpec> = {}): WatchSpec {
  return {
    key: new Uint8Array([1]), startRevision: 0, prevKv: false, noPut: false, noDelete: false,
    progressNotify: false, bufferEventsMax: 100, ...over,
  };
}

async function codeOfNext(w: Watch): Promise<string> {
  try {
    await w.next();
    return 'none';
  } catch (err) {
    return err instanceof KiteError ? err.code : 'untyped';
  }
}

describe('Watch', () => {
  it('anchors at the registration, delivers batches in order and re-registers after link loss from the cursor', async () => {
    const d = new RecordingDriver();
    const w = new Watch(spec(), d);
    w.start();
    w.onRegistered(header(10));
    await w.ready;
    w.onPush(push(1, [11, 12]));
    w.onRegistrationLost();
    expect(d.calls).toEqual(['register@0', 'register@13']);
    w.onRegistered(header(15));
    w.onPush(push(2, [12, 13])); // overlap replay: 12 is a duplicate
    const a = await w.next();
    const b = await w.next();
    expect(a.done === false && a.value.events.map((e) => e.kv.modRevision)).toEqual([11, 12]);
    expect(b.done === false && b.value.events.map((e) => e.kv.modRevision)).toEqual([13]);
    expect(w.revision).toBe(13);
  });

  it('suspends when the consumer falls behind and resumes from the next undelivered revision', async () => {
    const d = new RecordingDriver();
    const w = new Watch(spec({ bufferEventsMax: 4, startRevision: 1 }), d);
    w.start();
    w.onRegistered(header(1));
    for (const r of [1, 2, 3, 4, 5]) w.onPush(push(1, [r]));
    expect(w.state).toBe('suspended');
    expect(d.calls).toEqual(['register@1', 'unregister']);
    w.onPush(push(1, [6])); // a late push for the dropped registration: ignored, not lost
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await w.next();
      if (!r.done) seen.push(...r.value.events.map((e) => e.kv.modRevision));
    }
    expect(d.calls).toEqual(['register@1', 'unregister', 'register@6']);
    w.onRegistered(header(9));
    w.onPush(push(2, [6, 7]));
    for (let i = 0; i < 3; i++) {
      const r = await w.next();
      if (!r.done) seen.push(...r.value.events.map((e) => e.kv.modRevision));
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('surfaces compaction after the buffered batches as Compacted with compactRevision', async () => {
    const w = new Watch(spec({ startRevision: 3 }), new RecordingDriver());
    w.start();
    w.onRegistered(header(5));
    w.onPush(push(1, [3]));
    w.onPush({ watchId: 1, header: header(9), events: [], canceled: true, compactRevision: 7 });
    const first = await w.next();
    expect(first.done).toBe(false);
    let err: unknown;
    try {
      await w.next();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KiteError);
    expect((err as KiteError).code).toBe('Compacted');
    expect((err as KiteError).details.compactRevision).toBe(7);
    expect((await w.next()).done).toBe(true);
  });

  it('resumes after a non-compaction server cancel from the cursor, backing off by the count of cancels', async () => {
    const d = new RecordingDriver();
    const w = new Watch(spec(), d);
    w.start();
    w.onRegistered(header(5));
    w.onPush(push(1, [6, 7]));
    w.onPush({ watchId: 1, header: header(7), events: [], canceled: true, cancelReason: 'member removed' });
    expect(w.state).toBe('registering');
    expect(d.calls).toEqual(['register@0', 'register@8#1']);
    const first = await w.next();
    expect(first.done).toBe(false);
  });

  it('surfaces a permanent server cancel reason as its typed error and a pending next() is woken', async () => {
    const w = new Watch(spec(), new RecordingDriver());
    w.start();
    w.onRegistered(header(5));
    const pending = codeOfNext(w);
    w.onPush({ watchId: 1, header: header(5), events: [], canceled: true, cancelReason: 'PermissionDenied: no read on key' });
    expect(await pending).toBe('PermissionDenied');
  });

  it('bounds consecutive server-cancel resumes, and progress resets the count', async () => {
    const d = new RecordingDriver();
    const max = 3;
    const w = new Watch(spec({ serverCancelResumesMax: max }), d);
    w.start();
    w.onRegistered(header(5));
    const cancel = (): void => w.onPush({ watchId: 1, header: header(5), events: [], canceled: true, cancelReason: 'Unavailable' });
    for (let i = 0; i < max; i++) {
      cancel();
      w.onRegistered(header(5));
    }
    expect(d.calls.filter((c) => c.startsWith('register'))).toHaveLength(1 + max);
    w.onPush(push(1, [6])); // progress: the count starts over
    for (let i = 0; i < max; i++) {
      cancel();
      w.onRegistered(header(6));
    }
    expect(d.calls.filter((c) => c.startsWith('register'))).toHaveLength(1 + 2 * max);
    expect(w.state).toBe('active');
    cancel(); // one too many without progress
    expect(w.state).toBe('closed');
    expect(d.calls.filter((c) => c.startsWith('register'))).toHaveLength(1 + 2 * max);
    expect((await w.next()).done).toBe(false); // the event at 6 is still delivered first
    expect(await codeOfNext(w)).toBe('Unavailable');
  });

  it('yields progress bookmarks that move forward and drops stale ones', async () => {
    const w = new Watch(spec(), new RecordingDriver());
    w.start();
    w.onRegistered(header(5));
    w.onPush({ watchId: 1, header: header(8), events: [], progress: true });
    w.onPush({ watchId: 1, header: header(4), events: [], progress: true });
    const r = await w.next();
    expect(r.done === false && r.value.progress && r.value.revision).toBe(8);
    expect(w.nextRevision).toBe(9);
  });

  it('cancel() ends the iteration, unregisters, and a second consumer is refused', async () => {
    const d = new RecordingDriver();
    const w = new Watch(spec(), d);
    w.start();
    w.onRegistered(header(1));
    const waiting = w.next();
    expect(await codeOfNext(w)).toBe('InvalidArgument');
    d.stateAtUnregister.length = 0;
    w.cancel();
    expect((await waiting).done).toBe(true);
    expect(d.calls).toEqual(['register@0', 'unregister']);
    // The hub drops closed watches from its set, so the watch must be closed by then.
    expect(d.stateAtUnregister).toEqual(['closed']);
    const seen: unknown[] = [];
    for await (const b of w) seen.push(b);
    expect(seen).toEqual([]);
  });
});

describe('Watch with fragment', () => {
  it('joins the parts of a revision into one batch and moves the cursor only after the last part', async () => {
    const d = new RecordingDriver();
    const w = new Watch(spec({ fragment: true }), d);
    w.start();
    w.onRegistered(header(10));
    w.onPush(push(1, [11, 11], { fragment: true }));
    w.onPush(push(1, [11], { fragment: true }));
    expect(w.revision).toBe(10); // revision 11 is not all here yet
    w.onPush(push(1, [11]));
    const r = await w.next();
    expect(r.done === false && r.value.events.map((e) => e.kv.modRevision)).toEqual([11, 11, 11, 11]);
    expect(w.revision).toBe(11);
  });

  it('resumes at the revision whose parts were cut off, and drops those parts', async () => {
    const d = new RecordingDriver();
    const w = new Watch(spec({ fragment: true }), d);
    w.start();
    w.onRegistered(header(10));
    w.onPush(push(1, [11]));
    w.onPush(push(1, [12, 12], { fragment: true }));
    w.onRegistrationLost();
    expect(d.calls).toEqual(['register@0', 'register@12']);
    w.onRegistered(header(12));
    w.onPush(push(2, [12], { fragment: true }));
    w.onPush(push(2, [12, 12]));
    const a = await w.next();
    const b = await w.next();
    expect(a.done === false && a.value.events.map((e) => e.kv.modRevision)).toEqual([11]);
    expect(b.done === false && b.value.events.map((e) => e.kv.modRevision)).toEqual([12, 12, 12]);
  });
});
