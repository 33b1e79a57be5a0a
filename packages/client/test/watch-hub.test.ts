// The WatchHub against a scripted pool (no sockets), for the orderings a socket test cannot
// force: a link that dies after the watchCreate reply arrived but before the hub's
// continuation ran must not leave the watch registered on a dead link, and the retry must
// resume right after the anchor.
import { describe, expect, it } from 'vitest';
import { KiteError, okReply, type OpArgs, type OpName, type ResponseHeader } from '@kite/protocol';
import type { Connection } from '../src/connection.js';
import type { ConnectionPool, PoolListener } from '../src/pool.js';
import { Watch } from '../src/watch.js';
import { WatchHub } from '../src/watch-hub.js';

const header = (revision: number): ResponseHeader => ({ clusterId: 'c', memberId: 'm', revision, raftTerm: 1 });

interface Sent {
  readonly op: OpName;
  readonly args: Record<string, unknown>;
  resolve(v: unknown): void;
}

class ScriptedConn {
  state: 'open' | 'closed' = 'open';
  readonly sent: Sent[] = [];
  request<O extends OpName>(op: O, args: OpArgs<O>): Promise<unknown> {
    return new Promise((resolve) => this.sent.push({ op, args: args as Record<string, unknown>, resolve }));
  }
}

class ScriptedPool {
  readonly listeners: PoolListener[] = [];
  readonly conns: ScriptedConn[] = [];
  private waiting: ((c: ScriptedConn) => void)[] = [];
  addListener(l: PoolListener): () => void {
    this.listeners.push(l);
    return () => undefined;
  }
  acquire(): Promise<ScriptedConn> {
    const open = this.conns.find((c) => c.state === 'open');
    if (open !== undefined) return Promise.resolve(open);
    return new Promise((res) => this.waiting.push(res));
  }
  openLink(): ScriptedConn {
    const c = new ScriptedConn();
    this.conns.push(c);
    const w = this.waiting;
    this.waiting = [];
    for (const res of w) res(c);
    return c;
  }
  kill(c: ScriptedConn): void {
    c.state = 'closed';
    // Double cast: the hub only compares the link's identity, which the scripted one has.
    for (const l of this.listeners) l.onDisconnect?.(c as unknown as Connection, 'killed');
  }
}

/** Lets pending promise continuations run (no timers involved). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('WatchHub', () => {
  it('re-registers after the anchor when the link dies between the create reply and its continuation', async () => {
    const pool = new ScriptedPool();
    // The scripted pool has only the members the hub uses; ConnectionPool's private fields
    // make a structural cast impossible, hence the double cast.
    const hub = new WatchHub(pool as unknown as ConnectionPool, {
      backoff: { baseDelayMs: 0, maxDelayMs: 0 },
      random: () => 0,
      resumeAttemptsMax: 5,
      requestTimeoutMs: 60_000,
    });
    // try/finally: the hub holds deadline timers and back-off sleeps; a failed assertion must not leave them.
    try {
      const first = pool.openLink();
      const w = hub.add(
        new Watch(
          { key: new Uint8Array([1]), startRevision: 0, prevKv: false, noPut: false, noDelete: false, progressNotify: false, bufferEventsMax: 10 },
          hub,
        ),
      );
      await flush();
      const create = first.sent.find((s) => s.op === 'watchCreate');
      expect(create?.args['startRevision']).toBeUndefined(); // from now
      // The reply arrives and, before the hub's continuation runs, the link dies.
      create?.resolve(okReply<'watchCreate'>(1, header(41), {}));
      pool.kill(first);
      await flush();
      const second = pool.openLink();
      await new Promise((r) => setTimeout(r, 0)); // the zero back-off sleep
      await flush();
      const again = second.sent.find((s) => s.op === 'watchCreate');
      expect(again?.args['startRevision']).toBe(42);
      again?.resolve(okReply<'watchCreate'>(2, header(45), {}));
      await w.ready;
      expect(w.state).toBe('active');
      expect(w.nextRevision).toBe(42);
    } finally {
      hub.close();
    }
  });
});

describe('WatchHub limits', () => {
  it('reports the configured per-connection watch limit, not the default', async () => {
    const pool = new ScriptedPool();
    const hub = new WatchHub(pool as unknown as ConnectionPool, {
      backoff: { baseDelayMs: 0, maxDelayMs: 0 },
      random: () => 0,
      resumeAttemptsMax: 5,
      requestTimeoutMs: 60_000,
      maxWatchesPerConnection: 2,
    });
    try {
      const link = pool.openLink();
      const args = { startRevision: 0, prevKv: false, noPut: false, noDelete: false, progressNotify: false, bufferEventsMax: 10 };
      const watches = [1, 2, 3].map((k) => hub.add(new Watch({ key: new Uint8Array([k]), ...args }, hub)));
      await flush();
      for (const [i, s] of link.sent.filter((x) => x.op === 'watchCreate').entries()) s.resolve(okReply<'watchCreate'>(i + 1, header(10), {}));
      await Promise.all(watches.slice(0, 2).map((w) => w.ready));
      const third = watches[2];
      const err: unknown = await third?.ready.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(KiteError);
      expect((err as KiteError).code).toBe('TooManyWatches');
      expect((err as KiteError).details['limit']).toBe(2);
      expect((err as KiteError).message).toContain('limit 2');
    } finally {
      hub.close();
    }
  });
});
