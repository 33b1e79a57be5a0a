// Linearizable reads: ReadIndex (quorum-confirmed, batched, bounded queue) and lease reads
// (only with CheckQuorum, off during a transfer, stopped on an isolated leader).
import { describe, it, expect } from 'vitest';
import { Network } from './network.js';
import { createRng } from '@kite/protocol';
import { MemoryStorage, RawNode, ProposalDroppedError, NotLeaderError, ConfigError } from '../src/index.js';

const heartbeatsWithContext = (net: Network): number =>
  net.delivered.filter((m) => m.type === 'heartbeat' && m.context !== null).length;

describe('ReadIndex', () => {
  it('one heartbeat round confirms a whole batch of reads', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    const commit = net.raw('n1').status().commit;
    const before = heartbeatsWithContext(net);
    for (let i = 0; i < 10; i++) net.raw('n1').readIndex(`r${i}`);
    net.stabilize();
    expect(heartbeatsWithContext(net) - before).toBe(2); // one per follower
    expect(net.get('n1').readStates).toEqual(Array.from({ length: 10 }, (_, i) => ({ index: commit, context: `r${i}` })));
  });

  it('is not answered without a quorum of acks', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.isolate('n1');
    net.raw('n1').readIndex('lonely');
    net.stabilize();
    net.tick(5);
    expect(net.get('n1').readStates).toEqual([]);
  });

  it('followers forward reads to the leader and get its commit index', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.propose('n1', 'a');
    net.stabilize();
    net.raw('n2').readIndex('from-n2');
    net.stabilize();
    expect(net.get('n2').readStates).toEqual([{ index: 2, context: 'from-n2' }]);
  });

  it('a follower without a leader refuses reads with NotLeaderError', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    expect(() => net.raw('n2').readIndex('x')).toThrow(NotLeaderError);
  });

  it('a new leader answers no ReadIndex until an entry of its term commits', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.propose('n1', 'a');
    net.stabilize();
    // n2 wins an election but none of its appendEntries get through: its no-op stays uncommitted.
    net.filter = (m) => (m.from === 'n2' && m.type === 'appendEntries' ? null : m);
    net.raw('n2').raft.campaign('election', true);
    net.stabilize();
    expect(net.leader()).toBe('n2');
    net.raw('n2').readIndex('early');
    net.tick(3); // heartbeats flow, but the read is held, not confirmed
    expect(net.get('n2').readStates).toEqual([]);
    expect(heartbeatsWithContext(net)).toBe(0);
    net.filter = null;
    net.tick(1);
    const st = net.raw('n2').status();
    expect(st.commit).toBe(3);
    expect(net.get('n2').readStates).toEqual([{ index: 3, context: 'early' }]);
  });

  it('a single-voter cluster answers at once', () => {
    const net = new Network(['n1']);
    net.campaign('n1');
    net.raw('n1').readIndex('solo');
    net.stabilize();
    expect(net.get('n1').readStates).toEqual([{ index: 1, context: 'solo' }]);
  });

  it('bounds the read queue', () => {
    const net = new Network(['n1', 'n2', 'n3'], { maxPendingReadIndex: 3 });
    net.campaign('n1');
    net.isolate('n1');
    for (let i = 0; i < 3; i++) net.raw('n1').readIndex(`r${i}`);
    expect(() => net.raw('n1').readIndex('r3')).toThrow(ProposalDroppedError);
  });
});

describe('lease reads', () => {
  it('requires CheckQuorum', () => {
    expect(
      () =>
        new RawNode({
          id: 'a', storage: new MemoryStorage(), rng: createRng(1), electionTicks: 10, heartbeatTicks: 1,
          readOnly: 'leaseBased', checkQuorum: false,
        }),
    ).toThrow(ConfigError);
  });

  it('serves locally while a quorum acked recently; an isolated leader stops, then steps down', () => {
    const net = new Network(['n1', 'n2', 'n3'], { readOnly: 'leaseBased' });
    net.campaign('n1');
    net.tick(2); // heartbeats acked: the lease runs
    const before = heartbeatsWithContext(net);
    net.raw('n1').readIndex('lease-1');
    net.stabilize();
    expect(net.get('n1').readStates.map((r) => r.context)).toEqual(['lease-1']);
    expect(heartbeatsWithContext(net)).toBe(before); // no heartbeat round needed

    net.isolate('n1');
    // electionTicks (10) - leaseDriftTicks (2) after the last acked heartbeat, the lease is gone,
    // well before CheckQuorum makes n1 step down.
    net.tick(8);
    expect(net.raw('n1').status().role).toBe('leader');
    expect(net.raw('n1').raft.leaseValid()).toBe(false);
    net.raw('n1').readIndex('lease-2');
    net.stabilize();
    expect(net.get('n1').readStates.map((r) => r.context)).toEqual(['lease-1']);
    net.tick(12);
    expect(net.raw('n1').status().role).toBe('follower');
    expect(net.get('n1').readStates.map((r) => r.context)).toEqual(['lease-1']);
  });

  it('is off during a leadership transfer', () => {
    const net = new Network(['n1', 'n2', 'n3'], { readOnly: 'leaseBased' });
    net.campaign('n1');
    net.tick(2);
    expect(net.raw('n1').raft.leaseValid()).toBe(true);
    net.isolate('n3');
    net.raw('n1').transferLeadership('n3');
    expect(net.raw('n1').raft.leaseValid()).toBe(false);
  });
});
