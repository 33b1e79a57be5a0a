// Single-server membership changes: learners, promotion, removing the leader, one change at
// a time, the commit-in-term rule, restarts past a change, and removed members.
import { describe, it, expect } from 'vitest';
import { Network } from './network.js';
import { ConfChangeInProgressError, InvalidConfChangeError, NotLeaderError } from '../src/index.js';

describe('membership changes (single-server)', () => {
  it('adds a learner, catches it up, then promotes it', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    for (let i = 0; i < 5; i++) net.propose('n1', `v${i}`);
    net.stabilize();
    // A joining member knows the current voters; it is not one of them, so it never campaigns.
    net.add('n4', { voters: ['n1', 'n2', 'n3'], learners: [] });
    net.raw('n1').proposeConfChange({ type: 'addLearner', nodeId: 'n4' });
    net.stabilize();
    net.tick(2);
    const st = net.raw('n1').status();
    expect(st.config).toEqual({ voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    expect(st.progress['n4']?.isLearner).toBe(true);
    expect(st.progress['n4']?.match).toBe(st.lastIndex);
    expect(net.appliedTexts('n4')).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);

    // A learner's acks do not count: with n2 and n3 cut off nothing commits.
    net.isolate('n2');
    net.isolate('n3');
    net.propose('n1', 'needs-voters');
    net.stabilize();
    expect(net.appliedTexts('n4')).not.toContain('needs-voters');
    net.heal();
    net.tick(1);
    expect(net.appliedTexts('n4')).toContain('needs-voters');

    net.raw('n1').proposeConfChange({ type: 'addVoter', nodeId: 'n4' });
    net.stabilize();
    for (const id of ['n1', 'n2', 'n3', 'n4']) {
      expect(net.raw(id).status().config).toEqual({ voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
    }
    // Now n4 counts: n1 + n4 + n2 form a majority of four even with n3 away.
    net.isolate('n3');
    net.propose('n1', 'with-n4');
    net.stabilize();
    expect(net.appliedTexts('n2')).toContain('with-n4');
  });

  it('removes the leader: it steps down and the rest elect a new leader', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.raw('n1').proposeConfChange({ type: 'removeNode', nodeId: 'n1' });
    net.stabilize();
    expect(net.raw('n1').status().role).toBe('follower');
    net.tick(40);
    const lead = net.leader();
    expect(['n2', 'n3']).toContain(lead);
    const t = net.raw(lead).status().term;
    for (const id of ['n2', 'n3']) expect(net.raw(id).status().config.voters).toEqual(['n2', 'n3']);
    net.propose(lead, 'after');
    net.stabilize();
    expect(net.appliedTexts('n2')).toEqual(['after']);
    // The removed member never campaigns again.
    net.tick(100);
    expect(net.raw('n1').status().role).toBe('follower');
    expect(net.raw(lead).status().term).toBe(t);
  });

  it('refuses a second conf change while one is pending', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.raw('n1').proposeConfChange({ type: 'addLearner', nodeId: 'n4' });
    let err: unknown;
    try {
      net.raw('n1').proposeConfChange({ type: 'addLearner', nodeId: 'n5' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfChangeInProgressError);
    expect((err as ConfChangeInProgressError).code).toBe('ConfChangeInProgress');
    expect((err as ConfChangeInProgressError).reason).toBe('pending');
    expect((err as Error).message).toMatch(/not yet applied/);
    net.stabilize();
    net.raw('n1').proposeConfChange({ type: 'addLearner', nodeId: 'n5' }); // applied now: accepted
    net.stabilize();
    expect(net.raw('n2').status().config.learners).toEqual(['n4', 'n5']);
  });

  it('a leader may append a new configuration only after committing an entry of its term', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.filter = (m) => (m.from === 'n2' && m.type === 'appendEntries' ? null : m);
    net.raw('n2').raft.campaign('election', true);
    net.stabilize();
    expect(net.leader()).toBe('n2');
    let err: unknown;
    try {
      net.raw('n2').proposeConfChange({ type: 'removeNode', nodeId: 'n3' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfChangeInProgressError);
    expect((err as ConfChangeInProgressError).reason).toBe('noCommitInTerm');
    expect((err as Error).message).toMatch(/not yet committed an entry of its term/);
    net.filter = null;
    net.tick(1);
    net.raw('n2').proposeConfChange({ type: 'removeNode', nodeId: 'n3' });
    net.stabilize();
    expect(net.raw('n1').status().config.voters).toEqual(['n1', 'n2']);
  });

  it('rejects nonsensical changes and changes at a follower', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    expect(() => net.raw('n1').proposeConfChange({ type: 'addVoter', nodeId: 'n2' })).toThrow(InvalidConfChangeError);
    expect(() => net.raw('n1').proposeConfChange({ type: 'removeNode', nodeId: 'zz' })).toThrow(InvalidConfChangeError);
    expect(() => net.raw('n2').proposeConfChange({ type: 'addLearner', nodeId: 'n9' })).toThrow(NotLeaderError);
  });

  it('a member restarted past a conf change (applied > snapshot) keeps the new configuration', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.raw('n1').proposeConfChange({ type: 'removeNode', nodeId: 'n3' });
    net.stabilize();
    const applied = net.raw('n2').status().applied;
    net.crash('n2');
    net.restart('n2', applied); // the state machine kept its applied index; no snapshot taken
    expect(net.raw('n2').status().config.voters).toEqual(['n1', 'n2']);
    expect(net.get('n2').confStates.length).toBe(1); // not handed out (and applied) twice
  });

  it('a removed follower does not disrupt the cluster', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.raw('n1').proposeConfChange({ type: 'removeNode', nodeId: 'n3' });
    net.stabilize();
    const t = net.raw('n1').status().term;
    net.tick(100);
    expect(net.leader()).toBe('n1');
    expect(net.raw('n1').status().term).toBe(t);
    expect(Object.keys(net.raw('n1').status().progress).sort()).toEqual(['n1', 'n2']);
  });
});
