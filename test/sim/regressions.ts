// Fixed cases replayed on every CI run: schedules that once found a bug (or that pin a
// Figure-8 style scenario the generators reach only rarely). Add a failing seed and schedule
// here, as printed by a failed run, before fixing the bug it found.

import type { SimCase } from './schedule.js';
import { electionTicks } from './schedule.js';
import type { RaftOptions } from './host.js';

const baseRaft: RaftOptions = {
  electionTicks,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  readOnly: 'safe',
  maxMsgBytes: 1 << 20,
  maxInflightMsgs: 256,
};

export interface Regression {
  readonly name: string;
  readonly simCase: SimCase;
}

export const regressions: readonly Regression[] = [
  {
    name: 'leader crashes with uncommitted writes while a follower is partitioned, then all heal',
    simCase: {
      seed: 1,
      schedule: {
        nodes: 3,
        raft: baseRaft,
        steps: [
          { waitUnits: 200, action: { type: 'propose', node: 'leader', key: 0, count: 3 } },
          { waitUnits: 20, action: { type: 'isolate', node: 2 } },
          { waitUnits: 5, action: { type: 'propose', node: 'leader', key: 1, count: 4 } },
          { waitUnits: 1, action: { type: 'crash', node: 'leader', point: 'afterPersist' } },
          { waitUnits: 40, action: { type: 'heal' } },
          { waitUnits: 100, action: { type: 'read', node: 'leader', key: 1 } },
          { waitUnits: 10, action: { type: 'restart', node: 0 } },
          { waitUnits: 10, action: { type: 'restart', node: 1 } },
        ],
      },
    },
  },
  {
    name: 'lease reads across a leader isolation with snapshots and small messages',
    simCase: {
      seed: 7,
      schedule: {
        nodes: 5,
        raft: { ...baseRaft, readOnly: 'leaseBased', maxMsgBytes: 1, maxInflightMsgs: 1 },
        steps: [
          { waitUnits: 200, action: { type: 'propose', node: 'leader', key: 0, count: 4 } },
          { waitUnits: 30, action: { type: 'compact', node: 'leader' } },
          { waitUnits: 1, action: { type: 'isolate', node: 'leader' } },
          { waitUnits: 2, action: { type: 'read', node: 'leader', key: 0 } },
          { waitUnits: 150, action: { type: 'propose', node: 'leader', key: 0, count: 2 } },
          { waitUnits: 5, action: { type: 'read', node: 0, key: 0 } },
          { waitUnits: 5, action: { type: 'read', node: 4, key: 0 } },
          { waitUnits: 60, action: { type: 'compact', node: 'leader' } },
        ],
      },
    },
  },
  {
    name: 'membership: learner added and promoted, the leader removed, a voter added during a crash',
    simCase: {
      seed: 11,
      schedule: {
        nodes: 3,
        spares: 2,
        raft: { ...baseRaft, maxMsgBytes: 1 },
        steps: [
          { waitUnits: 200, action: { type: 'propose', node: 'leader', key: 0, count: 3 } },
          { waitUnits: 20, action: { type: 'addMember', learner: true } },
          { waitUnits: 80, action: { type: 'promote' } },
          { waitUnits: 80, action: { type: 'propose', node: 'leader', key: 1, count: 2 } },
          { waitUnits: 5, action: { type: 'removeMember', node: 'leader' } },
          { waitUnits: 120, action: { type: 'crash', node: 0, point: 'afterPersist' } },
          { waitUnits: 5, action: { type: 'addMember', learner: false } },
          { waitUnits: 60, action: { type: 'compact', node: 'leader' } },
          { waitUnits: 40, action: { type: 'restart', node: 'all' } },
        ],
      },
    },
  },
  {
    // Finding 2 in /tmp/kite-sim-findings.md: spares start EMPTY (as `kite server
    // --initial-cluster-state existing` must) and rebuild the configuration from the bootstrap
    // entries at the start of the log, or from a snapshot once those are compacted.
    name: 'membership on 5: empty joiners replay the bootstrap log or install a snapshot, never lead alone',
    simCase: {
      seed: 3,
      schedule: {
        nodes: 5,
        spares: 2,
        raft: baseRaft,
        steps: [
          { waitUnits: 200, action: { type: 'propose', node: 'leader', key: 0, count: 2 } },
          { waitUnits: 10, action: { type: 'addMember', learner: false } },
          { waitUnits: 120, action: { type: 'propose', node: 'leader', key: 1, count: 2 } },
          { waitUnits: 10, action: { type: 'compact', node: 'leader' } },
          { waitUnits: 10, action: { type: 'addMember', learner: false } },
          { waitUnits: 120, action: { type: 'isolate', node: 'leader' } },
          { waitUnits: 150, action: { type: 'heal' } },
          { waitUnits: 60, action: { type: 'propose', node: 'leader', key: 0, count: 1 } },
        ],
      },
    },
  },
  {
    // Finding 1 in /tmp/kite-sim-findings.md: a restarted member grants votes at once, so a
    // new leader commits while the old leader's read lease is still valid.
    name: 'lease read after a voter restart must not be stale',
    simCase: {
      seed: 233604068,
      schedule: {
        nodes: 5,
        raft: { ...baseRaft, readOnly: 'leaseBased' },
        steps: [
          { waitUnits: 0, action: { type: 'net', knobs: { dropPct: 0, dupPct: 0, delayMinUnits: 1, delayMaxUnits: 2 } } },
          { waitUnits: 150, action: { type: 'propose', node: 'leader', key: 0, count: 1 } },
          { waitUnits: 20, action: { type: 'partition', side: [0, 4] } },
          { waitUnits: 50, action: { type: 'crash', node: 3, point: 'beforeReady' } },
          { waitUnits: 3, action: { type: 'restart', node: 3 } },
          { waitUnits: 0, action: { type: 'heal' } },
          { waitUnits: 0, action: { type: 'isolate', node: 'leader' } },
          { waitUnits: 1, action: { type: 'read', node: 'oldLeader', key: 0 } },
          { waitUnits: 1, action: { type: 'propose', node: 'leader', key: 0, count: 1 } },
          { waitUnits: 1, action: { type: 'read', node: 'oldLeader', key: 0 } },
          { waitUnits: 2, action: { type: 'propose', node: 'leader', key: 0, count: 1 } },
          { waitUnits: 2, action: { type: 'read', node: 'oldLeader', key: 0 } },
          { waitUnits: 1, action: { type: 'propose', node: 'leader', key: 0, count: 1 } },
          { waitUnits: 2, action: { type: 'read', node: 'oldLeader', key: 0 } },
        ],
      },
    },
  },
];
