// Randomized fault schedules over the test network (fast-check shrinks a failing schedule):
// partitions, one-way link cuts, message loss, crashes/restarts, snapshots and leadership
// transfers, checking Election Safety, State Machine Safety and Leader Completeness after
// every step, and that the cluster makes progress once healed. Membership changes (adding a
// spare learner, promoting it, removing members) run alongside.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Network, text } from './network.js';
import { createRng } from '@kite/protocol';
import { RaftError } from '../src/index.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;

type Action =
  | { kind: 'tick'; n: number }
  | { kind: 'propose'; who: number }
  | { kind: 'isolate'; who: number }
  | { kind: 'cutOneWay'; from: number; to: number }
  | { kind: 'heal' }
  | { kind: 'crash'; who: number }
  | { kind: 'crashUnpersisted'; who: number }
  | { kind: 'restartAll' }
  | { kind: 'snapshot'; who: number }
  | { kind: 'transfer'; to: number }
  | { kind: 'lossy'; percent: number }
  | { kind: 'read'; who: number }
  | { kind: 'addSpareLearner' }
  | { kind: 'promoteSpare' }
  | { kind: 'remove'; who: number };

const node = fc.integer({ min: 0, max: ids.length - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('tick' as const), n: fc.integer({ min: 1, max: 15 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('propose' as const), who: node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('isolate' as const), who: node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cutOneWay' as const), from: node, to: node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), who: node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crashUnpersisted' as const), who: node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restartAll' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), who: node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transfer' as const), to: node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lossy' as const), percent: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), who: node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('addSpareLearner' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('promoteSpare' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), who: node }) },
);

const spare = 'n6';

export function run(seed: number, actions: readonly Action[], interleave = false): void {
  const net = new Network([...ids], { electionTicks: 10, heartbeatTicks: 2, maxMsgBytes: 16 }, [], seed);
  net.interleave = interleave;
  const rng = createRng(seed);
  let lossPercent = 0;
  net.filter = (m) => (rng.int(100) < lossPercent ? null : m);
  const leaderOfTerm = new Map<number, string>();
  // index -> the committed entry's term, and a term by which it was surely committed (the
  // leader's term when a leader is seen with it committed, else an observer's term: an upper
  // bound, which keeps the Leader Completeness check sound).
  const committed = new Map<number, { term: number; byTerm: number }>();
  let proposals = 0;

  const check = (): void => {
    for (const t of net.nodes.values()) {
      if (t.crashed) continue;
      const st = t.node.status();
      const log = t.node.raft.log;
      for (const e of t.committed) {
        const seen = committed.get(e.index);
        expect(seen === undefined || seen.term === e.term, `divergent commit at ${e.index}`).toBe(true);
        if (seen === undefined) committed.set(e.index, { term: e.term, byTerm: st.term });
      }
      if (st.role !== 'leader') continue;
      const prev = leaderOfTerm.get(st.term);
      expect(prev === undefined || prev === t.id, `two leaders in term ${st.term}`).toBe(true);
      leaderOfTerm.set(st.term, t.id);
      for (let i = log.firstIndex(); i <= st.commit; i++) {
        const c = committed.get(i);
        if (c !== undefined && c.byTerm > st.term) c.byTerm = st.term;
      }
      // Leader Completeness: a leader holds every entry committed in an earlier term.
      for (const [index, c] of committed) {
        if (c.byTerm < st.term && index >= log.firstIndex()) {
          expect(log.term(index), `leader ${t.id} lacks committed ${index}`).toBe(c.term);
        }
      }
    }
  };

  // At most two members down at once (a five-member cluster stays able to elect).
  const canCrash = (): boolean => [...net.nodes.values()].filter((t) => t.crashed).length < 2;

  for (const a of actions) {
    const who = 'who' in a ? ids[a.who] as string : '';
    try {
      switch (a.kind) {
        case 'tick': net.tick(a.n); break;
        case 'propose': if (!net.get(who).crashed) net.propose(who, `p${proposals++}`); break;
        case 'isolate': net.isolate(who); break;
        case 'cutOneWay': if (a.from !== a.to) net.cutLink(ids[a.from] as string, ids[a.to] as string, false); break;
        case 'heal': net.heal(); break;
        case 'crash': if (canCrash()) net.crash(who); break;
        case 'crashUnpersisted': {
          // Crash with a Ready taken but not persisted: its entries, votes and messages are lost.
          const t = net.get(who);
          if (t.crashed || !canCrash()) break;
          if (t.node.status().role === 'leader') net.propose(who, `p${proposals++}`);
          if (t.node.hasReady()) t.node.ready();
          net.crash(who);
          break;
        }
        case 'restartAll':
          for (const t of net.nodes.values()) {
            // The state machine restarts at its snapshot or (as if it persisted its applied
            // index with the data) where it stopped.
            if (t.crashed) net.restart(t.id, rng.int(2) === 0 ? undefined : t.node.status().applied);
          }
          break;
        case 'snapshot': {
          const t = net.get(who);
          const st = t.node.status();
          if (!t.crashed && st.applied > t.storage.snapshot().metadata.index) {
            t.storage.createSnapshot(st.applied, st.config, text(`snap@${st.applied}`));
            t.storage.compact(st.applied);
          }
          break;
        }
        case 'transfer': {
          const lead = net.leaders()[0];
          if (lead !== undefined) net.raw(lead).transferLeadership(ids[a.to] as string);
          break;
        }
        case 'lossy': lossPercent = a.percent; break;
        case 'read': if (!net.get(who).crashed) net.raw(who).readIndex(`r${proposals}`); break;
        case 'addSpareLearner': {
          const lead = net.leaders()[0];
          if (lead === undefined || net.nodes.has(spare)) break;
          // A joining member starts empty, knowing the configuration it joins.
          net.add(spare, net.raw(lead).status().config);
          net.raw(lead).proposeConfChange({ type: 'addLearner', nodeId: spare });
          break;
        }
        case 'promoteSpare': {
          const lead = net.leaders()[0];
          if (lead !== undefined && net.nodes.has(spare)) net.raw(lead).proposeConfChange({ type: 'addVoter', nodeId: spare });
          break;
        }
        case 'remove': {
          const lead = net.leaders()[0];
          if (lead !== undefined) net.raw(lead).proposeConfChange({ type: 'removeNode', nodeId: who });
          break;
        }
      }
      net.stabilize();
    } catch (err) {
      if (!(err instanceof RaftError)) throw err; // expected refusals (NotLeader, dropped) are fine
    }
    check();
  }

  // Liveness once the faults stop: a leader emerges and commits a new entry everywhere.
  lossPercent = 0;
  net.heal();
  for (const t of net.nodes.values()) if (t.crashed) net.restart(t.id);
  net.tick(60);
  const lead = net.leader();
  net.propose(lead, 'final');
  net.stabilize();
  net.tick(5);
  check();
  const members = net.raw(lead).status().config;
  for (const id of [...members.voters, ...members.learners]) expect(net.appliedTexts(id).at(-1)).toBe('final');
}

describe('randomized faults', () => {
  it('keeps Raft safety under partitions, loss, crashes, snapshots and transfers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(action, { minLength: 10, maxLength: 60 }),
        fc.boolean(),
        (seed, actions, interleave) => {
          run(seed, actions, interleave);
        },
      ),
      { numRuns: Number(process.env['RAFT_FAULT_RUNS'] ?? 60), seed: Number(process.env['RAFT_FAULT_SEED'] ?? 20261121) },
    );
  });
});
