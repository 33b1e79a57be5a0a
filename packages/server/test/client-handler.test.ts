// The client link's frame handling without a network: a socket double records what the link
// sends and how it closes; a backend double answers ops. Checks that every bad frame gets a
// typed error or a close with a reason, that the link keeps serving after errors, and that
// watch pushes follow the hub's responses in order.
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, okReply, type OkReply, type Reply, type Request, type WatchPush } from '@kite/protocol';
import { KvError, validateCommand, type Command } from '@kite/kvstore';
import { ClientLink, CLOSE_IDLE, CLOSE_MALFORMED, CLOSE_TOO_BIG, SNAPSHOT_SESSION_IDLE_MS, type ClientBackend, type LinkWatchResponse, type LinkWatcher, type SnapshotStream } from '../src/client-handler.js';
import { RateLimitedWarn } from '../src/log-rate-limit.js';
import { silentLogger } from '../src/logger.js';

class SocketDouble extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: (Reply | WatchPush)[] = [];
  closed: { code: number; reason: string } | null = null;
  send(bytes: Uint8Array): void {
    this.sent.push(decodeFrame(bytes, 64 << 20) as Reply | WatchPush);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  frame(value: unknown): void {
    this.emit('message', Buffer.from(encodeFrame(value, 64 << 20)), true);
  }
  raw(bytes: Uint8Array, isBinary = true): void {
    this.emit('message', Buffer.from(bytes), isBinary);
  }
  replies(): Reply[] {
    return this.sent.filter((f): f is Reply => 'id' in f);
  }
}

class WatcherDouble implements LinkWatcher {
  queue: LinkWatchResponse[] = [];
  canceled = false;
  private listener: (() => void) | undefined;
  onReadable(l: (() => void) | undefined): void {
    this.listener = l;
  }
  poll(max = Infinity): LinkWatchResponse[] {
    return this.queue.splice(0, max);
  }
  requestProgress(): void {
    this.push({ kind: 'progress', revision: 9 });
  }
  cancel(): void {
    this.canceled = true;
  }
  push(r: LinkWatchResponse): void {
    this.queue.push(r);
    this.listener?.();
  }
}

const header = { clusterId: 'c', memberId: 'm', revision: 5, raftTerm: 2 };

/** A backend snapshot of three one-byte chunks that records how far it was read and whether it was released. */
class SnapshotDouble {
  pulled = 0;
  canceled = 0;
  open(): SnapshotStream {
    const self = this;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 1; i <= 3; i++) {
        self.pulled++;
        yield new Uint8Array([i]);
      }
    }
    return { chunks: chunks(), cancel: () => void this.canceled++ };
  }
}
const noSnapshot = (): SnapshotStream => new SnapshotDouble().open();

/** A rate-limited "closing client link" logger that writes nowhere. */
function quietClosingLog(): RateLimitedWarn {
  return new RateLimitedWarn(silentLogger(), 'closing client link', { linesMax: 1, windowMs: 1_000, nowMs: () => 0 });
}

function setup(maxWatches = 2): { sock: SocketDouble; watchers: WatcherDouble[]; served: Request[]; snapshots: SnapshotDouble } {
  const sock = new SocketDouble();
  const snapshots = new SnapshotDouble();
  const watchers: WatcherDouble[] = [];
  const served: Request[] = [];
  const backend: ClientBackend = {
    header: (revision) => ({ ...header, revision: revision ?? header.revision }),
    serve: async (req) => {
      served.push(req);
      return okReply(req.id, header, {});
    },
    watch: () => {
      const w = new WatcherDouble();
      watchers.push(w);
      return w;
    },
    onWatchCountChange: () => undefined,
    onErrorReply: () => undefined,
    openSnapshot: () => snapshots.open(),
  };
  new ClientLink(sock as unknown as WebSocket, backend, { maxRequestBytes: 1024, maxWatchesPerConnection: maxWatches, maxTxnOps: 4, maxConnectionResponseBytes: 1 << 20 }, silentLogger(), quietClosingLog());
  return { sock, watchers, served, snapshots };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const errorCode = (r: Reply | undefined): string | undefined => (r !== undefined && !r.ok ? r.error.code : undefined);

describe('ClientLink', () => {
  it('streams a snapshot one chunk per request, one session per link, released at the end or on close', async () => {
    const { sock, snapshots, served } = setup();
    sock.frame({ id: 1, op: 'snapshot' });
    await tick();
    const first = sock.replies()[0] as OkReply<'snapshot'>;
    expect(first.ok).toBe(true);
    expect([...first.chunk]).toEqual([1]);
    // Pulled one chunk only: the next waits for the client's next request (flow control).
    expect(snapshots.pulled).toBe(1);
    sock.frame({ id: 2, op: 'snapshot' });
    sock.frame({ id: 3, op: 'snapshot', sessionId: first.sessionId + 7 });
    await tick();
    expect(errorCode(sock.replies()[1])).toBe('Unavailable');
    expect(errorCode(sock.replies()[2])).toBe('InvalidArgument');
    const chunks: number[] = [...first.chunk];
    for (let id = 4; ; id++) {
      sock.frame({ id, op: 'snapshot', sessionId: first.sessionId });
      await tick();
      const r = sock.replies().at(-1) as OkReply<'snapshot'>;
      expect(r.ok).toBe(true);
      chunks.push(...r.chunk);
      if (r.done) break;
    }
    expect(chunks).toEqual([1, 2, 3]);
    expect(snapshots.canceled).toBe(1);
    expect(served).toHaveLength(0);
    // A session abandoned midway is released when the link closes.
    sock.frame({ id: 20, op: 'snapshot' });
    await tick();
    expect(snapshots.canceled).toBe(1);
    sock.emit('close');
    expect(snapshots.canceled).toBe(2);
  });


  it('closes with 1007 on undecodable bytes, text frames, and frames without an id', () => {
    for (const send of [
      (s: SocketDouble) => s.raw(new Uint8Array([0xc1])),
      (s: SocketDouble) => s.raw(new TextEncoder().encode('hello'), false),
      (s: SocketDouble) => s.frame({ op: 'put' }),
      (s: SocketDouble) => s.frame('just a string'),
    ]) {
      const { sock, served } = setup();
      send(sock);
      expect(sock.closed?.code).toBe(CLOSE_MALFORMED);
      expect(sock.closed?.reason).toMatch(/^MalformedFrame/);
      expect(served).toHaveLength(0);
    }
  });

  it('answers unknown ops, bad arguments and too many ops with typed errors and keeps serving', async () => {
    const { sock, served } = setup();
    sock.frame({ id: 1, op: 'nope' });
    sock.frame({ id: 2, op: 'put', key: 'str', value: new Uint8Array(1) });
    sock.frame({ id: 3, op: 'txn', compare: [], success: Array.from({ length: 5 }, () => ({ type: 'put', key: new Uint8Array([1]), value: new Uint8Array() })), failure: [] });
    sock.frame({ id: 4, op: 'range', key: new Uint8Array([1]) });
    await tick();
    const byId = new Map(sock.replies().map((r) => [r.id, r]));
    expect(errorCode(byId.get(1))).toBe('UnknownOp');
    expect(errorCode(byId.get(2))).toBe('InvalidArgument');
    expect(errorCode(byId.get(3))).toBe('TooManyOps');
    expect(byId.get(4)?.ok).toBe(true);
    expect(served.map((r) => r.id)).toEqual([4]);
    expect(sock.closed).toBeNull();
  });

  it('answers an oversized frame with RequestTooLarge when its id is readable, else closes with 1009', () => {
    const { sock } = setup();
    sock.frame({ id: 9, op: 'put', key: new Uint8Array([1]), value: new Uint8Array(1500) });
    expect(errorCode(sock.replies()[0])).toBe('RequestTooLarge');
    expect(sock.closed).toBeNull();
    sock.raw(new Uint8Array(1500).fill(0xc1));
    expect(sock.closed?.code).toBe(CLOSE_TOO_BIG);
  });

  it('never throws and never answers twice for arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (frames) => {
        const { sock } = setup();
        for (const f of frames) if (sock.closed === null) sock.raw(f);
        const ids = sock.replies().map((r) => r.id);
        expect(new Set(ids).size).toBe(ids.length);
      }),
      { numRuns: 200 },
    );
  });

  it('pushes watch responses in order after the ok reply, and enforces the watch limit', async () => {
    const { sock, watchers } = setup(2);
    sock.frame({ id: 1, op: 'watchCreate', watchId: 10, key: new Uint8Array([1]) });
    sock.frame({ id: 2, op: 'watchCreate', watchId: 10, key: new Uint8Array([1]) });
    sock.frame({ id: 3, op: 'watchCreate', watchId: 11, key: new Uint8Array([2]) });
    sock.frame({ id: 4, op: 'watchCreate', watchId: 12, key: new Uint8Array([3]) });
    const w = watchers[0]!;
    const kv = { key: new Uint8Array([1]), value: new Uint8Array([7]), createRevision: 6, modRevision: 6, version: 1, lease: 0 };
    w.push({ kind: 'events', revision: 6, events: [{ type: 'put', kv }] });
    w.push({ kind: 'canceled', revision: 7, compactRevision: 3, cancelReason: 'compacted' });
    await tick();
    await tick();
    const byId = new Map(sock.replies().map((r) => [r.id, r]));
    expect(byId.get(1)?.ok).toBe(true);
    expect(errorCode(byId.get(2))).toBe('DuplicateKey');
    expect(byId.get(3)?.ok).toBe(true);
    expect(errorCode(byId.get(4))).toBe('TooManyWatches');
    const pushes = sock.sent.filter((f): f is WatchPush => 'watchId' in f && !('id' in f));
    expect(pushes.map((p) => [p.watchId, p.header.revision, p.events.length, p.canceled === true])).toEqual([
      [10, 6, 1, false],
      [10, 7, 0, true],
    ]);
    expect(pushes[1]?.compactRevision).toBe(3);
    // The canceled watch freed its slot.
    sock.frame({ id: 5, op: 'watchCreate', watchId: 12, key: new Uint8Array([3]) });
    expect(sock.replies().find((r) => r.id === 5)?.ok).toBe(true);
  });

  it('cancels every watch when the link closes', () => {
    const { sock, watchers } = setup();
    sock.frame({ id: 1, op: 'watchCreate', watchId: 1, key: new Uint8Array([1]) });
    sock.emit('close');
    expect(watchers[0]?.canceled).toBe(true);
  });
});

describe('ClientLink idle timeout', () => {
  function idleSetup(): { sock: SocketDouble; link: ClientLink; clock: { nowMs: number }; watchers: WatcherDouble[]; release: () => void; snapshots: SnapshotDouble } {
    const sock = new SocketDouble();
    const snapshots = new SnapshotDouble();
    const clock = { nowMs: 0 };
    const watchers: WatcherDouble[] = [];
    let release: () => void = () => undefined;
    const backend: ClientBackend = {
      header: (revision) => ({ ...header, revision: revision ?? header.revision }),
      // A request that stays in flight until the test releases it.
      serve: (req) => new Promise<Reply>((resolve) => (release = () => resolve(okReply(req.id, header, {})))),
      watch: () => {
        const w = new WatcherDouble();
        watchers.push(w);
        return w;
      },
      onWatchCountChange: () => undefined,
      onErrorReply: () => undefined,
      openSnapshot: () => snapshots.open(),
    };
    const limits = { maxRequestBytes: 1024, maxWatchesPerConnection: 2, maxTxnOps: 4, maxConnectionResponseBytes: 1 << 20 };
    const link = new ClientLink(sock as unknown as WebSocket, backend, limits, silentLogger(), quietClosingLog(), () => clock.nowMs);
    return { sock, link, clock, watchers, release: () => release(), snapshots };
  }

  it('closes a link with no frame either way for the timeout, and only then', () => {
    const { sock, link, clock } = idleSetup();
    clock.nowMs = 999;
    expect(link.closeIfIdle(1000)).toBe(false);
    sock.frame({ id: 1, op: 'ping' }); // a request and its reply at 999
    clock.nowMs = 1998;
    expect(link.closeIfIdle(1000)).toBe(false);
    clock.nowMs = 1999;
    expect(link.closeIfIdle(1000)).toBe(true);
    expect(sock.closed?.code).toBe(CLOSE_IDLE);
    expect(sock.closed?.reason).toMatch(/idle/);
  });

  it('drops a snapshot session nobody pulls from, while pings keep its link open', async () => {
    const { sock, link, clock, snapshots } = idleSetup();
    sock.frame({ id: 1, op: 'snapshot' });
    await tick();
    const sessionId = (sock.replies()[0] as OkReply<'snapshot'>).sessionId;
    for (let t = 1; t * 900 < SNAPSHOT_SESSION_IDLE_MS; t++) {
      clock.nowMs = t * 900;
      sock.frame({ id: 1 + t, op: 'ping' });
      expect(link.closeIfIdle(1000)).toBe(false);
    }
    expect(snapshots.canceled).toBe(0);
    clock.nowMs = SNAPSHOT_SESSION_IDLE_MS;
    sock.frame({ id: 999, op: 'ping' });
    expect(link.closeIfIdle(1000)).toBe(false);
    expect(snapshots.canceled).toBe(1);
    sock.frame({ id: 1000, op: 'snapshot', sessionId });
    await tick();
    expect(errorCode(sock.replies().at(-1))).toBe('InvalidArgument');
  });

  it('keeps a watch-only link that receives pushes, and a link with a request in flight', async () => {
    const { sock, link, clock, watchers, release } = idleSetup();
    sock.frame({ id: 1, op: 'watchCreate', watchId: 1, key: new Uint8Array([1]) });
    for (let t = 1; t <= 5; t++) {
      clock.nowMs = t * 900;
      watchers[0]?.push({ kind: 'progress', revision: t }); // server-sent only: the client is silent
      await tick();
      expect(link.closeIfIdle(1000)).toBe(false);
    }
    sock.frame({ id: 2, op: 'range', key: new Uint8Array([1]) });
    clock.nowMs += 10_000;
    expect(link.closeIfIdle(1000)).toBe(false); // its reply is still to come
    release();
    await tick();
    clock.nowMs += 1000;
    expect(link.closeIfIdle(1000)).toBe(true);
  });
});

describe('ClientLink reply budget', () => {
  it('refuses a read that would pass the bytes in flight on the link, and frees them once replied', async () => {
    const sock = new SocketDouble();
    const pending: (() => void)[] = [];
    const backend: ClientBackend = {
      header: () => header,
      serve: async (req, _session, charge) => {
        charge?.charge(600); // the reply being built
        await new Promise<void>((resolve) => pending.push(resolve));
        return okReply(req.id, header, {});
      },
      watch: () => new WatcherDouble(),
      onWatchCountChange: () => undefined,
      onErrorReply: () => undefined,
      openSnapshot: noSnapshot,
    };
    const limits = { maxRequestBytes: 1024, maxWatchesPerConnection: 2, maxTxnOps: 4, maxConnectionResponseBytes: 1000 };
    new ClientLink(sock as unknown as WebSocket, backend, limits, silentLogger(), quietClosingLog());
    sock.frame({ id: 1, op: 'range', key: new Uint8Array([1]) });
    sock.frame({ id: 2, op: 'range', key: new Uint8Array([1]) });
    await tick();
    const refused = sock.replies().find((r) => r.id === 2);
    expect(errorCode(refused)).toBe('Unavailable');
    pending.shift()?.();
    await tick();
    expect(sock.replies().find((r) => r.id === 1)?.ok).toBe(true);
    // The first reply left the link: its 600 bytes are free again.
    sock.frame({ id: 3, op: 'range', key: new Uint8Array([1]) });
    await tick();
    pending.shift()?.();
    await tick();
    expect(sock.replies().find((r) => r.id === 3)?.ok).toBe(true);
  });

  it('counts what the socket still buffers', async () => {
    const sock = new SocketDouble();
    sock.bufferedAmount = 900;
    const backend: ClientBackend = {
      header: () => header,
      serve: async (req, _session, charge) => {
        charge?.charge(200);
        return okReply(req.id, header, {});
      },
      watch: () => new WatcherDouble(),
      onWatchCountChange: () => undefined,
      onErrorReply: () => undefined,
      openSnapshot: noSnapshot,
    };
    new ClientLink(sock as unknown as WebSocket, backend, { maxRequestBytes: 1024, maxWatchesPerConnection: 2, maxTxnOps: 4, maxConnectionResponseBytes: 1000 }, silentLogger(), quietClosingLog());
    sock.frame({ id: 1, op: 'range', key: new Uint8Array([1]) });
    await tick();
    expect(errorCode(sock.replies()[0])).toBe('Unavailable');
  });
});

describe('ClientLink admission: the store\'s own checks, before anything is served or proposed', () => {
  it('refuses what the store would refuse at apply, with the store\'s code and message', async () => {
    const { sock, served } = setup();
    const k = new TextEncoder().encode('k');
    const frames: { op: 'put' | 'deleteRange' | 'leaseGrant'; args: Record<string, unknown>; command: Command }[] = [
      { op: 'put', args: { key: k, value: k, ignoreValue: true }, command: { op: 'put', args: { key: k, value: k, ignoreValue: true } } },
      { op: 'deleteRange', args: { key: k, rangeEnd: new Uint8Array([1]) }, command: { op: 'deleteRange', args: { key: k, rangeEnd: new Uint8Array([1]) } } },
      { op: 'leaseGrant', args: { ttl: 9_000_000_001 }, command: { op: 'leaseGrant', args: { ttl: 9_000_000_001 } } },
    ];
    for (const [i, f] of frames.entries()) sock.frame({ id: 10 + i, op: f.op, ...f.args });
    await tick();
    expect(served).toHaveLength(0);
    for (const [i, f] of frames.entries()) {
      const reply = sock.replies().find((r) => r.id === 10 + i);
      let storeError: unknown;
      try {
        validateCommand(f.command);
      } catch (err) {
        storeError = err;
      }
      expect(storeError, f.op).toBeInstanceOf(KvError);
      const { code, message } = storeError as KvError;
      expect(reply !== undefined && !reply.ok ? { code: reply.error.code, message: reply.error.message } : reply, f.op).toEqual({ code, message });
    }
  });
});
