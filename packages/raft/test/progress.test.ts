// The small pure pieces of the core: Inflights, Progress state transitions, majority quorum
// (commit index, vote tally), conf-change validation and the seeded RNG.
import { describe, it, expect } from 'vitest';
import { Inflights } from '../src/tracker/inflights.js';
import { Progress } from '../src/tracker/progress.js';
import { majorityCommittedIndex, majorityVoteResult } from '../src/quorum/majority.js';
import { confChangeProblem, applyToConfState } from '../src/confchange/conf-change.js';
import { encodeConfChange, decodeConfChange } from '../src/confchange/codec.js';

describe('Inflights', () => {
  it('is bounded and frees acknowledged messages', () => {
    const f = new Inflights(3);
    f.add(2);
    f.add(5);
    f.add(9);
    expect(f.full()).toBe(true);
    expect(() => f.add(10)).toThrow();
    f.freeLE(5);
    expect(f.count()).toBe(1);
    f.freeFirstOne();
    expect(f.count()).toBe(0);
  });
});

describe('Progress', () => {
  it('probe pauses after each send until a response', () => {
    const p = new Progress(5, 4, false);
    expect(p.isPaused()).toBe(false);
    p.sentEntries(2, 6);
    expect(p.isPaused()).toBe(true);
    expect(p.maybeUpdate(6)).toBe(true);
    expect(p.isPaused()).toBe(false);
    expect(p.next).toBe(7);
  });

  it('replicate sends optimistically within the inflight window', () => {
    const p = new Progress(1, 2, false);
    p.becomeReplicate();
    p.sentEntries(3, 3);
    p.sentEntries(2, 5);
    expect(p.next).toBe(6);
    expect(p.isPaused()).toBe(true);
    p.maybeUpdate(3);
    p.inflights.freeLE(3);
    expect(p.isPaused()).toBe(false);
  });

  it('maybeDecrTo uses the hint in probe state and ignores stale rejections', () => {
    const p = new Progress(10, 4, false);
    expect(p.maybeDecrTo(5, 2)).toBe(false); // not the index we probed
    expect(p.maybeDecrTo(9, 3)).toBe(true);
    expect(p.next).toBe(4);
    const r = new Progress(1, 4, false);
    r.match = 5;
    r.becomeReplicate();
    r.sentEntries(5, 10);
    expect(r.maybeDecrTo(4, 0)).toBe(false);
    expect(r.maybeDecrTo(8, 0)).toBe(true);
    expect(r.next).toBe(6);
  });

  it('leaves snapshot state probing past the snapshot', () => {
    const p = new Progress(3, 4, false);
    p.becomeSnapshot(20);
    expect(p.isPaused()).toBe(true);
    p.becomeProbe();
    expect(p.next).toBe(21);
  });
});

describe('majority quorum', () => {
  it('computes the committed index', () => {
    const m = new Map([['a', 5], ['b', 3], ['c', 9]]);
    expect(majorityCommittedIndex(['a', 'b', 'c'], (id) => m.get(id))).toBe(5);
    expect(majorityCommittedIndex(['a', 'b', 'c', 'd'], (id) => m.get(id))).toBe(3);
    expect(majorityCommittedIndex(['a'], (id) => m.get(id))).toBe(5);
    expect(majorityCommittedIndex([], () => 1)).toBe(0);
  });

  it('tallies votes', () => {
    const voters = ['a', 'b', 'c', 'd', 'e'];
    expect(majorityVoteResult(voters, new Map([['a', true], ['b', true]]))).toBe('pending');
    expect(majorityVoteResult(voters, new Map([['a', true], ['b', true], ['c', true]]))).toBe('won');
    expect(majorityVoteResult(voters, new Map([['a', false], ['b', false], ['c', false]]))).toBe('lost');
  });
});

describe('conf changes', () => {
  const cs = { voters: ['a', 'b'], learners: ['c'] };
  it('validates single-server changes', () => {
    expect(confChangeProblem(cs, { type: 'addVoter', nodeId: 'a' })).toMatch(/already a voter/);
    expect(confChangeProblem(cs, { type: 'addVoter', nodeId: 'c' })).toBeNull();
    expect(confChangeProblem(cs, { type: 'addLearner', nodeId: 'a' })).toMatch(/demoting/);
    expect(confChangeProblem(cs, { type: 'removeNode', nodeId: 'z' })).toMatch(/not a member/);
    expect(confChangeProblem({ voters: ['a'], learners: [] }, { type: 'removeNode', nodeId: 'a' })).toMatch(/last voter/);
  });

  it('promotes a learner', () => {
    expect(applyToConfState(cs, { type: 'addVoter', nodeId: 'c' })).toEqual({ voters: ['a', 'b', 'c'], learners: [] });
  });

  it('round-trips through its byte encoding', () => {
    const cc = { type: 'addLearner' as const, nodeId: 'node-é', context: new Uint8Array([1, 2, 3]) };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(decodeConfChange(encodeConfChange({ type: 'removeNode', nodeId: 'x' }))).toEqual({ type: 'removeNode', nodeId: 'x' });
    expect(() => decodeConfChange(new Uint8Array([9, 9, 9, 9, 9]))).toThrow(/malformed/);
  });
});
