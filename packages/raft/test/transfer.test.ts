// Leadership transfer: catch-up then hand-over, abandonment after an election timeout,
// forwarding from a follower, and refused targets.
import { describe, it, expect } from 'vitest';
import { Network } from './network.js';
import { InvalidTransferError, ProposalDroppedError } from '../src/index.js';

describe('leadership transfer', () => {
  it('catches the target up under load, drops proposals meanwhile, then hands over', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    // n2 falls behind while the leader keeps taking writes.
    net.cutLink('n1', 'n2');
    for (let i = 0; i < 50; i++) net.propose('n1', `load-${i}`);
    net.stabilize();
    net.heal();
    net.raw('n1').transferLeadership('n2');
    expect(net.raw('n1').status().leadTransferee).toBe('n2');
    expect(() => net.propose('n1', 'dropped')).toThrow(ProposalDroppedError);
    net.stabilize();
    expect(net.leader()).toBe('n2');
    net.propose('n2', 'on-new-leader');
    net.stabilize();
    const want = [...Array.from({ length: 50 }, (_, i) => `load-${i}`), 'on-new-leader'];
    for (const id of ['n1', 'n2', 'n3']) expect(net.appliedTexts(id)).toEqual(want);
  });

  it('is abandoned after an election timeout if the target does not take over', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.isolate('n3');
    net.raw('n1').transferLeadership('n3');
    expect(() => net.propose('n1', 'x')).toThrow(ProposalDroppedError);
    net.tick(10);
    expect(net.raw('n1').status().leadTransferee).toBeNull();
    expect(net.leader()).toBe('n1');
    net.propose('n1', 'y');
    net.stabilize();
    expect(net.appliedTexts('n2')).toEqual(['y']);
  });

  it('a follower forwards a transfer request to the leader', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.raw('n3').transferLeadership('n3');
    net.stabilize();
    expect(net.leader()).toBe('n3');
  });

  it('refuses a learner or unknown target', () => {
    const net = new Network(['n1', 'n2', 'n3'], {}, ['n4']);
    net.campaign('n1');
    expect(() => net.raw('n1').transferLeadership('n4')).toThrow(InvalidTransferError);
    expect(() => net.raw('n1').transferLeadership('n9')).toThrow(InvalidTransferError);
  });
});
