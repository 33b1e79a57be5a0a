// Bad input never crashes or wedges a member: malformed msgpack, unknown ops, bad arguments,
// oversized frames, too many watches, and a peer from another cluster each get a typed error
// reply or a close with a reason, and the member goes on serving the next client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, PEER_PROTOCOL_VERSION } from '@kite/protocol';
import { nodeSocketFactory } from '../../packages/client/src/socket-node.js';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok } from './harness/wire.js';

describe('bad input', () => {
  let cluster: Cluster;
  let url: string;

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 1, flags: ['--max-watches-per-connection', '3'] });
    await cluster.startAll();
    url = cluster.clientUrl('n1');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** The member still serves a fresh client after each case. */
  async function stillServes(): Promise<void> {
    const c = await WireClient.connect(url);
    try {
      ok(await c.request('put', { key: b('alive'), value: b('yes') }));
      expect(ok(await c.request('range', { key: b('alive') })).count).toBe(1);
    } finally {
      c.close();
    }
  }

  it('closes the link on undecodable msgpack with MalformedFrame (1007)', async () => {
    const c = await WireClient.connect(url);
    c.sendRaw(new Uint8Array([0xc1, 0xff, 0x00, 0x13]));
    expect(await c.waitClosed(5000)).toContain('1007');
    await stillServes();
  });

  it('closes the link on a frame that is not a request object', async () => {
    const c = await WireClient.connect(url);
    c.sendRaw(encodeFrame([1, 2, 3], 1024));
    expect(await c.waitClosed(5000)).toContain('1007');
    await stillServes();
  });

  it('answers an unknown op with UnknownOp and keeps the link', async () => {
    const c = await WireClient.connect(url);
    const r = await c.requestWithId(41, { id: 41, op: 'dropDatabase' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('UnknownOp');
    ok(await c.request('range', { key: b('alive') }));
    c.close();
  });

  it('answers bad arguments with InvalidArgument and keeps the link', async () => {
    const c = await WireClient.connect(url);
    const cases: Record<string, unknown>[] = [
      { op: 'put', key: 'not-bytes', value: b('v') },
      { op: 'put', key: b(''), value: b('v') },
      { op: 'range', key: b('a'), limit: -1 },
      { op: 'txn', compare: 'x', success: [], failure: [] },
      { op: 'leaseKeepAlive', leaseId: 'abc' },
    ];
    for (const [i, frame] of cases.entries()) {
      const r = await c.requestWithId(100 + i, { id: 100 + i, ...frame });
      expect(r.ok, JSON.stringify(frame)).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('InvalidArgument');
    }
    ok(await c.request('range', { key: b('alive') }));
    c.close();
  });

  it('refuses an oversized request with RequestTooLarge and keeps the link', async () => {
    const c = await WireClient.connect(url);
    const r = await c.requestWithId(7, { id: 7, op: 'put', key: b('big'), value: new Uint8Array(2 * 1024 * 1024) });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('RequestTooLarge');
      expect(r.error.limitBytes).toBe(1.5 * 1024 * 1024);
    }
    ok(await c.request('range', { key: b('alive') }));
    // Far beyond the limit the frame is not even read: the link closes with 1009.
    c.sendRaw(encodeFrame({ id: 8, op: 'put', key: b('huge'), value: new Uint8Array(8 * 1024 * 1024) }, 64 * 1024 * 1024));
    expect(await c.waitClosed(10_000)).toContain('1009');
    await stillServes();
  });

  it('refuses a txn with too many ops with TooManyOps', async () => {
    const c = await WireClient.connect(url);
    const success = Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: b(`t${i}`), value: b('v') }));
    const r = await c.request('txn', { compare: [], success, failure: [] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('TooManyOps');
    c.close();
  });

  it('refuses watches past the per-link limit with TooManyWatches', async () => {
    const c = await WireClient.connect(url);
    for (let w = 1; w <= 3; w++) ok(await c.request('watchCreate', { watchId: w, key: b(`w${w}`) }));
    const r = await c.request('watchCreate', { watchId: 4, key: b('w4') });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('TooManyWatches');
    const dup = await c.request('watchCreate', { watchId: 1, key: b('w1') });
    expect(dup.ok).toBe(false);
    ok(await c.request('watchCancel', { watchId: 2 }));
    ok(await c.request('watchCreate', { watchId: 4, key: b('w4') }));
    c.close();
    await stillServes();
  });

  it('refuses a peer link from another cluster (WrongCluster close) and keeps serving', async () => {
    const peerUrl = `ws://127.0.0.1:${cluster.member('n1').peerPort}/raft`;
    const closed = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('peer link was not closed')), 5000);
      const s = nodeSocketFactory(peerUrl, { maxPayloadBytes: 1 << 20, handshakeTimeoutMs: 5000 }, {
        onOpen: () => s.send(encodeFrame({ type: 'hello', clusterId: 'not-this-cluster', memberId: 'zzz', version: PEER_PROTOCOL_VERSION }, 1 << 20)),
        onMessage: () => undefined,
        onClose: (reason) => {
          clearTimeout(timer);
          resolve(reason);
        },
      });
    });
    expect(closed).toContain('4001');
    // The refusal is logged as the link closes: the line may reach the file just after.
    await waitFor('the WrongCluster refusal in the log', 5_000, () => (cluster.log('n1').includes('WrongCluster') ? true : undefined));
    await stillServes();
  });
});

describe('space quota', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('raises the NoSpace alarm past --quota-bytes: writes that add data fail, deletes work', async () => {
    cluster = await Cluster.create({ size: 1, flags: ['--quota-bytes', '1'] });
    cluster.start('n1');
    const c = await waitFor('the member to accept links', 20_000, () => WireClient.connect(cluster!.clientUrl('n1')).catch(() => undefined));
    const r = await waitFor('the NoSpace alarm', 20_000, async () => {
      const put = await c.request('put', { key: b('q'), value: b('v') });
      return !put.ok && put.error.code === 'NoSpace' ? put : undefined;
    });
    expect(r.ok).toBe(false);
    ok(await c.request('deleteRange', { key: b('q') }));
    const st = ok(await c.request('status', {}));
    expect(st.errors).toContain('NOSPACE');
    const health = await fetch(`${cluster.httpUrl('n1')}/health`);
    expect(health.status).toBe(503);
    c.close();
  });
});
