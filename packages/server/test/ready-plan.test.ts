// The host loop's ordering contract as code: every Ready shape gets a plan that keeps every
// rule of the contract (host.ts steps 2-9), and the rules reject plans that break them (so the
// check is not vacuous).
import { describe, expect, it } from 'vitest';
import { contractViolations, planReady, type ReadyEffect, type ReadyShape } from '../src/ready-plan.js';

function* shapes(): Generator<ReadyShape> {
  for (const isLeader of [false, true])
    for (const hasSoftState of [false, true])
      for (const hasSnapshot of [false, true])
        for (const committedEntries of [0, 1, 5])
          for (const hasConfChange of committedEntries > 0 ? [false, true] : [false])
            for (const leaderWritesInline of [false, true]) yield { isLeader, hasSoftState, hasSnapshot, committedEntries, hasConfChange, leaderWritesInline };
}

const swap = (plan: readonly ReadyEffect[], a: ReadyEffect, b: ReadyEffect): ReadyEffect[] => plan.map((e) => (e === a ? b : e === b ? a : e));

describe('planReady', () => {
  it('every Ready shape gets a plan that keeps the ordering contract', () => {
    let n = 0;
    for (const s of shapes()) {
      expect(contractViolations(s, planReady(s)), JSON.stringify(s)).toEqual([]);
      n++;
    }
    expect(n).toBe(80);
  });

  it('a follower persists before it sends; a leader starts its write, sends, then waits for it', () => {
    const base: ReadyShape = { isLeader: false, hasSoftState: false, hasSnapshot: false, committedEntries: 0, hasConfChange: false, leaderWritesInline: false };
    expect(planReady(base)).toEqual(['persistStart', 'persistWait', 'send', 'reads']);
    expect(planReady({ ...base, isLeader: true })).toEqual(['persistStart', 'send', 'persistWait', 'reads']);
    // A leader that blocks on its write sends first; a follower's order does not change.
    expect(planReady({ ...base, isLeader: true, leaderWritesInline: true })).toEqual(['send', 'persistStart', 'persistWait', 'reads']);
    expect(planReady({ ...base, leaderWritesInline: true })).toEqual(['persistStart', 'persistWait', 'send', 'reads']);
  });

  it("a Ready that commits sends its messages (the commit notices) without waiting for the apply it starts", () => {
    const commits: ReadyShape = { isLeader: true, hasSoftState: false, hasSnapshot: false, committedEntries: 1, hasConfChange: false, leaderWritesInline: false };
    expect(planReady(commits)).toEqual(['applyEarly', 'persistStart', 'send', 'persistWait', 'applyBackpressure', 'reads']);
    expect(planReady({ ...commits, isLeader: false })).toEqual(['applyEarly', 'persistStart', 'persistWait', 'send', 'applyBackpressure', 'reads']);
  });

  it('a snapshot is restored before the entries after it are applied; a conf change is applied before the next Ready', () => {
    const s: ReadyShape = { isLeader: false, hasSoftState: false, hasSnapshot: true, committedEntries: 2, hasConfChange: false, leaderWritesInline: false };
    expect(planReady(s)).toEqual(['persistStart', 'persistWait', 'send', 'installSnapshot', 'applyDeferred', 'applyBackpressure', 'reads']);
    expect(planReady({ ...s, hasSnapshot: false, hasConfChange: true })).toEqual(['persistStart', 'persistWait', 'send', 'applyDeferred', 'applyWait', 'reads']);
  });

  it('the rules reject broken plans: ack before fsync, apply before restore, a conf change applied early, a lost apply', () => {
    const follower: ReadyShape = { isLeader: false, hasSoftState: false, hasSnapshot: false, committedEntries: 0, hasConfChange: false, leaderWritesInline: false };
    expect(contractViolations(follower, swap(planReady(follower), 'send', 'persistWait'))).toContain('a follower sends (acks) only after its write is durable');
    const leader = { ...follower, isLeader: true };
    expect(contractViolations(leader, swap(planReady(leader), 'send', 'persistStart')).length).toBeGreaterThan(0);
    const inlineLeader = { ...leader, leaderWritesInline: true };
    expect(contractViolations(inlineLeader, swap(planReady(inlineLeader), 'send', 'persistStart'))).toContain("a leader's appends leave before it blocks on an inline write");
    const snap: ReadyShape = { ...follower, hasSnapshot: true, committedEntries: 2 };
    expect(contractViolations(snap, swap(planReady(snap), 'installSnapshot', 'applyDeferred'))).toContain('entries after a snapshot are applied after the snapshot is restored');
    const cc: ReadyShape = { ...follower, committedEntries: 1, hasConfChange: true };
    expect(contractViolations(cc, ['applyEarly', 'persistStart', 'persistWait', 'send', 'applyWait', 'reads'])).toContain('a conf change is applied after this Ready is sent and persisted');
    const commits: ReadyShape = { ...follower, committedEntries: 4 };
    expect(contractViolations(commits, planReady(commits).filter((e) => e !== 'applyEarly'))).toContain('committed entries are handed to the apply chain exactly once');
  });
});
