// Log replication: batching, the bounded inflight window, fast back-off, the uncommitted
// bytes limit, faulty delivery, and the single-voter persist-before-commit and Ready rules.
import { describe, it, expect } from 'vitest';
import { Network, text } from './network.js';
import { createRng } from '@kite/protocol';
import { MemoryStorage, RawNode, ProposalDroppedError, AssertionError } from '../src/index.js';
import type { AppendEntries } from '../src/index.js';

describe('replication', () => {
  it('batches proposals made between two Readys into one appendEntries per follower', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    const n1 = net.get('n1');
    for (let i = 0; i < 5; i++) net.propose('n1', `b${i}`);
    const msgs = net.processReady(n1);
    const appends = msgs.filter((m): m is AppendEntries => m.type === 'appendEntries');
    expect(appends.map((m) => m.to).sort()).toEqual(['n2', 'n3']);
    for (const m of appends) expect(m.entries.length).toBe(5);
  });

  it('pipelines within a bounded inflight window', () => {
    const net = new Network(['n1', 'n2', 'n3'], { maxInflightMsgs: 3, maxMsgBytes: 1 });
    net.campaign('n1');
    const n1 = net.get('n1');
    for (let i = 0; i < 10; i++) net.propose('n1', `p${i}`);
    const msgs = net.processReady(n1);
    const toN2 = msgs.filter((m) => m.type === 'appendEntries' && m.to === 'n2');
    expect(toN2.length).toBe(1); // bcastAppend sends one message; responses refill the window
    for (const m of msgs) net.deliver(m);
    // n2 answers; each answer lets the leader send more, never more than 3 outstanding.
    for (let round = 0; round < 20; round++) {
      const st = n1.node.status().progress['n2'];
      expect(st?.inflight).toBeLessThanOrEqual(3);
      if (!net.raw('n2').hasReady() && !n1.node.hasReady()) break;
      const out = [...net.processReady(net.get('n2')), ...(n1.node.hasReady() ? net.processReady(n1) : [])];
      for (const m of out) net.deliver(m);
    }
    net.stabilize();
    expect(net.appliedTexts('n2').length).toBe(10);
  });

  it('fast back-off: a follower with a long divergent log is fixed in a few round trips', () => {
    const net = new Network(['n1', 'n2', 'n3'], { preVote: false });
    net.campaign('n1');
    net.isolate('n1');
    for (let i = 0; i < 50; i++) net.propose('n1', `stale-${i}`); // never committed
    net.stabilize();
    net.tick(25); // n3 stops hearing from n1; n2 or n3 takes over
    const lead = net.leader() === 'n1' ? net.leaders().find((id) => id !== 'n1') : net.leader();
    expect(lead === 'n2' || lead === 'n3').toBe(true);
    for (let i = 0; i < 60; i++) net.propose(lead as string, `new-${i}`);
    net.stabilize();
    const sent = net.delivered.length;
    net.heal();
    net.tick(3);
    const rejects = net.delivered.slice(sent).filter((m) => m.type === 'appendEntriesResponse' && m.reject && m.from === 'n1');
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(net.appliedTexts('n1')).toEqual(Array.from({ length: 60 }, (_, i) => `new-${i}`));
  });

  it('refuses proposals beyond the uncommitted bytes limit', () => {
    const net = new Network(['n1', 'n2', 'n3'], { maxUncommittedBytes: 10 });
    net.campaign('n1');
    net.isolate('n1');
    net.raw('n1').propose(new Uint8Array(6));
    expect(() => net.raw('n1').propose(new Uint8Array(6))).toThrow(ProposalDroppedError);
    net.heal();
    net.tick(2);
    net.raw('n1').propose(new Uint8Array(6)); // committed and applied: budget is back
  });

  it('survives dropped, duplicated and reordered messages', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    let n = 0;
    const held: Parameters<NonNullable<typeof net.filter>>[0][] = [];
    net.filter = (m) => {
      n++;
      if (n % 7 === 0) return null; // drop
      if (n % 5 === 0) {
        held.push(m); // delay (re-delivered later, out of order)
        return null;
      }
      if (n % 3 === 0) net.pending.push(m); // duplicate
      return m;
    };
    for (let i = 0; i < 30; i++) {
      net.propose(net.leader(), `m${i}`);
      net.tick(1);
      if (i % 4 === 3) for (const m of held.splice(0)) net.raw(m.to).step(m);
    }
    net.filter = null;
    net.tick(30);
    const want = Array.from({ length: 30 }, (_, i) => `m${i}`);
    for (const id of ['n1', 'n2', 'n3']) expect(net.appliedTexts(id)).toEqual(want);
  });
});

describe('single-voter cluster', () => {
  it('never reports an entry committed before it is persisted', () => {
    const storage = new MemoryStorage({ confState: { voters: ['solo'], learners: [] } });
    const node = new RawNode({ id: 'solo', storage, rng: createRng(7), electionTicks: 10, heartbeatTicks: 1 });
    node.campaign();
    expect(node.status().role).toBe('leader');
    let rd = node.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([1]); // the no-op, not yet persisted
    expect(rd.committedEntries).toEqual([]);
    expect(rd.hardState?.commit).toBe(0);
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    node.advance(rd);
    expect(node.status().commit).toBe(1); // commit moved only in advance()

    node.propose(text('a'));
    rd = node.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1]);
    expect(rd.hardState?.commit ?? 1).toBe(1);
    storage.append(rd.entries);
    node.advance(rd);
    rd = node.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2]);
    expect(rd.hardState?.commit).toBe(2);
    node.advance(rd);
    expect(node.hasReady()).toBe(false);
  });

  it('enforces one outstanding Ready', () => {
    const storage = new MemoryStorage({ confState: { voters: ['solo'], learners: [] } });
    const node = new RawNode({ id: 'solo', storage, rng: createRng(7), electionTicks: 10, heartbeatTicks: 1 });
    node.campaign();
    const rd = node.ready();
    expect(node.hasReady()).toBe(false);
    expect(() => node.ready()).toThrow(AssertionError);
    node.advance(rd);
  });

  it('restarts from storage with its term, vote and log', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.propose('n1', 'kept');
    net.stabilize();
    net.crash('n1');
    net.restart('n1');
    const st = net.raw('n1').status();
    expect(st.term).toBe(1);
    expect(st.vote).toBe('n1');
    expect(st.commit).toBe(2);
    expect(st.role).toBe('follower');
    net.tick(30);
    expect(net.appliedTexts('n1')).toEqual(['kept']);
  });

  it('a commit notice to a follower known to hold everything is not answered: one answer per follower per committed proposal', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.stabilize();
    const before = net.delivered.length;
    net.propose('n1', 'x');
    net.stabilize();
    const since = net.delivered.slice(before);
    for (const f of ['n2', 'n3']) {
      const appends = since.filter((m): m is AppendEntries => m.type === 'appendEntries' && m.to === f);
      // The entries, then the commit notice (flagged).
      expect(appends.map((m) => [m.entries.length, m.noAck === true])).toEqual([[1, false], [0, true]]);
      expect(since.filter((m) => m.type === 'appendEntriesResponse' && m.from === f)).toHaveLength(1);
      expect(net.appliedTexts(f)).toEqual(['x']);
    }
  });

  it('a flagged commit notice the follower cannot match is still answered (a rejection)', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.stabilize();
    const n2 = net.get('n2');
    const { term, commit } = n2.node.status();
    const last = net.raw('n2').status().lastIndex;
    n2.node.step({ type: 'appendEntries', from: 'n1', to: 'n2', term, index: last + 5, logTerm: term, entries: [], commit, noAck: true });
    const out = net.processReady(n2);
    expect(out.filter((m) => m.type === 'appendEntriesResponse' && m.reject)).toHaveLength(1);
  });
});
