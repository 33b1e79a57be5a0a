// Peer link batching over real loopback sockets (peer-transport.ts, peer-outbox.ts): what one
// member queues for another in one event-loop turn arrives as ONE WebSocket message and is
// handled in the order it was queued; a member from before batching (its hello without
// acceptsBatch) gets only frames it knows; a batch carrying what a batch may not is dropped
// frame by frame while the rest of it is handled.
import { afterEach, describe, expect, it } from 'vitest';
import { PEER_FRAME_BYTES_MAX, PEER_PROTOCOL_VERSION, decodeFrame, encodeFrame, type Reply, type Request } from '@kite/protocol';
import type { KiteSocket } from '../../packages/client/src/socket.js';
import { nodeSocketFactory } from '../../packages/client/src/socket-node.js';
import { freePorts } from '../../jepsen-lite/src/cluster/ports.js';
import { silentLogger } from '../../packages/server/src/logger.js';
import { ServerMetrics } from '../../packages/server/src/metrics.js';
import { PeerTransport, type PeerHandlers } from '../../packages/server/src/peer-transport.js';
import { waitFor } from './harness/cluster.js';

const CLUSTER_ID = 'batch-test';
const WAIT_MS = 10_000;

interface Member {
  readonly id: string;
  readonly url: string;
  readonly transport: PeerTransport;
  /** What arrived, in order: `raft:<index>` per message, `forward:<request id>`. */
  readonly events: string[];
  /** WebSocket messages received from each peer. */
  readonly messagesFrom: Map<string, number>;
}

const started: PeerTransport[] = [];
const sockets: KiteSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(started.splice(0).map((t) => t.close()));
});

async function member(id: string, port: number): Promise<Member> {
  const events: string[] = [];
  const messagesFrom = new Map<string, number>();
  const metrics = new ServerMetrics();
  const countReceived = metrics.addPeerReceivedBytes.bind(metrics);
  metrics.addPeerReceivedBytes = (peer, bytes) => {
    messagesFrom.set(peer, (messagesFrom.get(peer) ?? 0) + 1);
    countReceived(peer, bytes);
  };
  const handlers: PeerHandlers = {
    onRaft: (_from, messages) => {
      for (const m of messages) events.push(`raft:${String((m as { index?: unknown }).index)}`);
    },
    onForward: (_from, request) => {
      events.push(`forward:${request.id}`);
      return Promise.resolve({ reply: { id: request.id, ok: true, header: {} } as unknown as Reply, appliedIndex: 1 });
    },
    onSnapshotChunk: () => Promise.resolve(),
    onLinkLost: () => undefined,
    onRaftDropped: () => undefined,
    onLinkUp: () => undefined,
  };
  const url = `http://127.0.0.1:${port}`;
  const transport = new PeerTransport({ selfId: id, clusterId: CLUSTER_ID, listenUrl: new URL(url), logger: silentLogger(), metrics, handlers, tls: null });
  await transport.start();
  started.push(transport);
  return { id, url, transport, events, messagesFrom };
}

/** A raw peer link to `port` (a member from before batching, or a forger), open once this resolves. */
async function rawPeer(port: number, onFrame: (frame: Record<string, unknown>) => void = () => undefined): Promise<KiteSocket> {
  let opened: () => void = () => undefined;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const s = nodeSocketFactory(`ws://127.0.0.1:${port}/raft`, { maxPayloadBytes: PEER_FRAME_BYTES_MAX, handshakeTimeoutMs: WAIT_MS }, {
    onOpen: () => opened(),
    onMessage: (bytes) => onFrame(decodeFrame(bytes, PEER_FRAME_BYTES_MAX) as Record<string, unknown>),
    onClose: () => undefined,
  });
  sockets.push(s);
  await open;
  return s;
}

const request = (id: number): Request => ({ id, op: 'status', args: {} }) as unknown as Request;
const caller = { user: null, address: '127.0.0.1', via: 'test' };

describe('peer link batching', () => {
  it('k raft batches and a forward queued for a peer in one turn arrive as one message, handled in order', async () => {
    const [portA, portB] = (await freePorts(2)) as [number, number];
    const a = await member('a', portA);
    const b = await member('b', portB);
    const peers = new Map([[a.id, a.url], [b.id, b.url]]);
    a.transport.setPeers(peers);
    b.transport.setPeers(peers);
    await waitFor('the link to come up', WAIT_MS, () => (a.transport.isConnected('b') && b.transport.isConnected('a') ? true : undefined));

    const k = 10;
    for (let i = 0; i < k / 2; i++) expect(a.transport.sendRaft('b', [{ type: 'append', index: i }])).toBe(true);
    const forwarded = a.transport.forward('b', request(77), caller, WAIT_MS);
    for (let i = k / 2; i < k; i++) expect(a.transport.sendRaft('b', [{ type: 'append', index: i }])).toBe(true);

    const outcome = await forwarded;
    expect(outcome.reply.ok).toBe(true);
    expect(outcome.appliedIndex).toBe(1);
    await waitFor('every raft message to arrive', WAIT_MS, () => (b.events.length === k + 1 ? true : undefined));
    expect(b.events).toEqual([...Array.from({ length: k / 2 }, (_, i) => `raft:${i}`), 'forward:77', ...Array.from({ length: k / 2 }, (_, i) => `raft:${i + k / 2}`)]);
    // k + 1 frames queued in one turn: one message (the hello before it is not counted).
    expect(b.messagesFrom.get('a')).toBe(1);
  });

  it('frames queued for a member removed later in the same turn still reach it before its link closes', async () => {
    const [portA, portB] = (await freePorts(2)) as [number, number];
    const a = await member('a', portA);
    const b = await member('b', portB);
    const peers = new Map([[a.id, a.url], [b.id, b.url]]);
    a.transport.setPeers(peers);
    b.transport.setPeers(peers);
    await waitFor('the link to come up', WAIT_MS, () => (a.transport.isConnected('b') && b.transport.isConnected('a') ? true : undefined));
    // Like the host: the commit of b's removal is sent (step 6), then applied, which drops b (step 8).
    expect(a.transport.sendRaft('b', [{ type: 'append', index: 7 }])).toBe(true);
    a.transport.setPeers(new Map([[a.id, a.url]]));
    await waitFor('the message to reach the removed member', WAIT_MS, () => (b.events.includes('raft:7') ? true : undefined));
  });

  it('a member from before batching gets one raft frame per turn and its other frames alone, never a batch; its frames are handled', async () => {
    const [portB] = (await freePorts(1)) as [number];
    const b = await member('b', portB);
    // "a" dials b (the smaller id dials) with a hello from before batching.
    b.transport.setPeers(new Map([['a', 'http://127.0.0.1:1'], ['b', b.url]]));
    const received: Record<string, unknown>[] = [];
    const legacy = await rawPeer(portB, (f) => received.push(f));
    legacy.send(encodeFrame({ type: 'hello', clusterId: CLUSTER_ID, memberId: 'a', version: PEER_PROTOCOL_VERSION }, PEER_FRAME_BYTES_MAX));
    await waitFor('b to accept the legacy link', WAIT_MS, () => (b.transport.isConnected('a') ? true : undefined));

    for (let i = 0; i < 3; i++) b.transport.sendRaft('a', [{ type: 'append', index: i }]);
    void b.transport.forward('a', request(5), caller, WAIT_MS);
    b.transport.sendRaft('a', [{ type: 'append', index: 3 }]);
    await waitFor('the frames to arrive', WAIT_MS, () => (received.length >= 4 ? true : undefined));
    expect(received.map((f) => f['type'])).toEqual(['hello', 'raft', 'forward', 'raft']);
    expect(received[0]?.['acceptsBatch']).toBe(true);
    expect((received[1]?.['messages'] as { index: number }[]).map((m) => m.index)).toEqual([0, 1, 2]);

    legacy.send(encodeFrame({ type: 'raft', messages: [{ type: 'append', index: 40 }] }, PEER_FRAME_BYTES_MAX));
    await waitFor('the legacy raft frame to be handled', WAIT_MS, () => (b.events.includes('raft:40') ? true : undefined));
  });

  it('a batch carrying a hello, a snapshot chunk or another batch: those are dropped, the rest handled in order', async () => {
    const [portB] = (await freePorts(1)) as [number];
    const b = await member('b', portB);
    b.transport.setPeers(new Map([['a', 'http://127.0.0.1:1'], ['b', b.url]]));
    const peer = await rawPeer(portB);
    peer.send(encodeFrame({ type: 'hello', clusterId: CLUSTER_ID, memberId: 'a', version: PEER_PROTOCOL_VERSION, acceptsBatch: true }, PEER_FRAME_BYTES_MAX));
    await waitFor('b to accept the link', WAIT_MS, () => (b.transport.isConnected('a') ? true : undefined));
    const frames = [
      { type: 'raft', messages: [{ type: 'append', index: 1 }] },
      { type: 'hello', clusterId: CLUSTER_ID, memberId: 'a', version: PEER_PROTOCOL_VERSION },
      { type: 'batch', frames: [{ type: 'raft', messages: [{ type: 'append', index: 99 }] }] },
      { type: 'snapshotChunk', snapshotId: 'x', seq: 0, data: new Uint8Array(1), last: true },
      'not a frame',
      { type: 'raft', messages: [{ type: 'append', index: 2 }] },
    ];
    peer.send(encodeFrame({ type: 'batch', frames }, PEER_FRAME_BYTES_MAX));
    peer.send(encodeFrame({ type: 'batch', frames: 'nothing' }, PEER_FRAME_BYTES_MAX));
    peer.send(encodeFrame({ type: 'raft', messages: [{ type: 'append', index: 3 }] }, PEER_FRAME_BYTES_MAX));
    await waitFor('the frames after the batch', WAIT_MS, () => (b.events.includes('raft:3') ? true : undefined));
    expect(b.events).toEqual(['raft:1', 'raft:2', 'raft:3']);
    expect(b.transport.isConnected('a')).toBe(true);
  });
});
