// Sim finding 1: a member that (re)starts forgets the leader whose heartbeats it acknowledged;
// if it voted at once, a new leader could commit while the old leader still serves lease
// reads counted on that member's acks. A (re)started member therefore grants no (pre)vote
// (except for a transfer) until an election timeout has passed since it started.

import { describe, it, expect } from 'vitest';
import { Network } from './network.js';
import type { Message } from '../src/index.js';

const electionTicks = 10;

function preVoteRequest(from: string, to: string, term: number, transfer = false): Message {
  return { type: 'requestVote', from, to, term, preVote: true, lastLogIndex: 100, lastLogTerm: 100, transfer };
}

describe('post-start quiet period (lease reads across a voter restart)', () => {
  it('a restarted member ignores (pre)vote requests for one election timeout, then grants them', () => {
    const net = Network.bootstrapped(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.crash('n2');
    net.restart('n2', net.raw('n2').status().applied);
    const n2 = net.raw('n2');
    const term = n2.status().term;
    expect(n2.status().lead).toBeNull();
    net.isolate('n2'); // no heartbeat may end the quiet period early: it must run out on its own
    for (let tick = 0; tick < electionTicks; tick++) {
      n2.step(preVoteRequest('n3', 'n2', term + 1));
      const answers = n2.hasReady() ? n2.ready() : null;
      if (answers !== null) n2.advance(answers);
      expect(answers?.messages.filter((m) => m.type === 'requestVoteResponse') ?? []).toEqual([]);
      n2.tick();
    }
    n2.step(preVoteRequest('n3', 'n2', term + 1));
    const rd = n2.ready();
    expect(rd.messages).toContainEqual(expect.objectContaining({ type: 'requestVoteResponse', to: 'n3', reject: false }));
    n2.advance(rd);
  });

  it('a leadership transfer is not held up by the quiet period', () => {
    const net = Network.bootstrapped(['n1', 'n2', 'n3']);
    net.restart('n2');
    const n2 = net.raw('n2');
    n2.step(preVoteRequest('n3', 'n2', n2.status().term + 1, true));
    const rd = n2.ready();
    expect(rd.messages).toContainEqual(expect.objectContaining({ type: 'requestVoteResponse', to: 'n3', reject: false }));
    n2.advance(rd);
  });

  it("no new leader is elected with a restarted voter's vote while the old leader's lease is valid", () => {
    const net = Network.bootstrapped(['n1', 'n2', 'n3'], { readOnly: 'leaseBased' });
    net.campaign('n1');
    net.propose('n1', 'a');
    net.stabilize();
    // n3 is cut off long enough to forget the leader; n1 keeps its lease with n2's acks.
    net.isolate('n3');
    net.tick(3 * electionTicks);
    expect(net.raw('n3').status().lead).toBeNull();
    expect(net.raw('n1').raft.leaseValid()).toBe(true);
    // n2 restarts; then n1 is cut off and n3 can reach n2 again.
    net.crash('n2');
    net.restart('n2', net.raw('n2').status().applied);
    net.heal();
    net.isolate('n1');
    net.campaign('n3');
    let leaseTicks = 0;
    while (net.raw('n1').raft.leaseValid()) {
      // While n1 may answer reads locally, nobody else leads, so no write can be acknowledged elsewhere.
      expect(net.leaders()).toEqual(['n1']);
      net.tick(1);
      leaseTicks++;
      expect(leaseTicks).toBeLessThanOrEqual(electionTicks);
    }
    // After the lease, the others elect a leader and make progress without n1.
    for (let i = 0; i < 6 * electionTicks && !['n2', 'n3'].some((id) => net.raw(id).status().role === 'leader'); i++) {
      net.tick(1);
    }
    const lead = ['n2', 'n3'].find((id) => net.raw(id).status().role === 'leader');
    expect(lead).toBeDefined();
    net.propose(lead as string, 'b');
    net.stabilize();
    expect(net.appliedTexts('n2')).toContain('b');
    expect(net.appliedTexts('n3')).toContain('b');
  });
});
