// RawNode end to end on the in-memory test network: election, replication, refusing
// proposals at a follower, and a single voter committing only what it persisted.
import { describe, it, expect } from 'vitest';
import { Network } from './network.js';
import { NotLeaderError } from '../src/index.js';

describe('RawNode basics', () => {
  it('elects a leader, replicates and commits on every member', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    expect(net.leader()).toBe('n1');
    net.propose('n1', 'a');
    net.propose('n1', 'b');
    net.stabilize();
    for (const id of ['n1', 'n2', 'n3']) expect(net.appliedTexts(id)).toEqual(['a', 'b']);
    const st = net.raw('n1').status();
    expect(st.commit).toBe(3);
    expect(st.progress['n2']?.match).toBe(3);
    expect(st.progress['n2']?.state).toBe('replicate');
  });

  it('elects a leader by ticking alone', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.tick(30);
    const lead = net.leader();
    net.propose(lead, 'x');
    net.stabilize();
    for (const id of ['n1', 'n2', 'n3']) expect(net.appliedTexts(id)).toEqual(['x']);
  });

  it('refuses proposals at a follower, naming the leader', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    let err: unknown;
    try {
      net.propose('n2', 'x');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leader).toBe('n1');
    expect((err as NotLeaderError).code).toBe('NotLeader');
  });

  it('single voter commits only after persisting', () => {
    const net = new Network(['n1']);
    net.campaign('n1');
    expect(net.leader()).toBe('n1');
    net.propose('n1', 'a');
    net.stabilize();
    expect(net.appliedTexts('n1')).toEqual(['a']);
  });
});
