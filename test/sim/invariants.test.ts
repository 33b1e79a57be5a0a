// The checkers themselves: each property fires on a hand-built history that breaks it and
// stays quiet on one that does not. Hosts are stand-ins with a real MemoryStorage.

import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './core.js';
import type { Entry, HardState, Ready, Role, Term } from './core.js';
import { SafetyChecker, type CheckedHost } from './invariants.js';
import { ClientHistory } from './read-check.js';
import { SimViolation } from './violation.js';
import type { InvariantName } from './violation.js';

interface FakeHost {
  readonly id: string;
  readonly durable: MemoryStorage;
  alive: boolean;
  role: Role;
  term: Term;
}

const voters = ['n1', 'n2', 'n3'];

function fakeHost(id: string): FakeHost {
  return { id, durable: new MemoryStorage({ confState: { voters, learners: [] } }), alive: true, role: 'follower', term: 0 };
}

/** The member as the checker reads it (CheckedHost). */
function asHost(h: FakeHost): CheckedHost {
  return { id: h.id, durable: h.durable, alive: h.alive, raw: { status: () => ({ role: h.role, term: h.term }) } };
}

const entry = (index: number, term: Term, data = ''): Entry => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(data),
});

function persist(checker: SafetyChecker, h: FakeHost, entries: Entry[], hs: HardState): void {
  h.durable.append(entries);
  h.durable.setHardState(hs);
  const rd: Ready = { entries, hardState: hs, committedEntries: [], messages: [], readStates: [], mustSync: true };
  checker.onPersisted(asHost(h), rd);
}

function violationOf(fn: () => void): InvariantName | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof SimViolation) return err.invariant;
    throw err;
  }
}

describe('SafetyChecker', () => {
  it('Election Safety: two leaders of one term', () => {
    const checker = new SafetyChecker();
    const [a, b] = [fakeHost('n1'), fakeHost('n2')];
    a.role = 'leader';
    a.term = 2;
    checker.observeRoles([asHost(a), asHost(b)]);
    b.role = 'leader';
    b.term = 2;
    expect(violationOf(() => checker.observeRoles([asHost(a), asHost(b)]))).toBe('Election Safety');
  });

  it('Log Matching: one (index, term) with two contents, or two predecessors', () => {
    const checker = new SafetyChecker();
    const [a, b, c] = [fakeHost('n1'), fakeHost('n2'), fakeHost('n3')];
    persist(checker, a, [entry(1, 1, 'x'), entry(2, 2, 'y')], { term: 2, vote: null, commit: 0 });
    persist(checker, b, [entry(1, 1, 'x'), entry(2, 2, 'y')], { term: 2, vote: null, commit: 0 });
    expect(violationOf(() => persist(checker, c, [entry(1, 1, 'z')], { term: 2, vote: null, commit: 0 }))).toBe(
      'Log Matching',
    );
    const other = fakeHost('n3');
    expect(
      violationOf(() => persist(checker, other, [entry(1, 2, 'y2'), entry(2, 2, 'y')], { term: 2, vote: null, commit: 0 })),
    ).toBe('Log Matching');
  });

  it('Leader Append-Only: a leader losing its last entry within its term', () => {
    const checker = new SafetyChecker();
    const a = fakeHost('n1');
    persist(checker, a, [entry(1, 1, 'x'), entry(2, 1, 'y')], { term: 1, vote: 'n1', commit: 0 });
    a.role = 'leader';
    a.term = 1;
    checker.observeRoles([asHost(a)]);
    a.durable.applySnapshot({ metadata: { index: 1, term: 1, confState: { voters, learners: [] } }, data: new Uint8Array() });
    expect(violationOf(() => checker.observeRoles([asHost(a)]))).toBe('Leader Append-Only');
  });

  it('Leader Completeness: a leader without a committed entry, or a member that could become one', () => {
    const checker = new SafetyChecker();
    const [a, b, c] = [fakeHost('n1'), fakeHost('n2'), fakeHost('n3')];
    persist(checker, a, [entry(1, 1, 'x')], { term: 1, vote: 'n1', commit: 1 });
    persist(checker, b, [entry(1, 1, 'x')], { term: 1, vote: 'n1', commit: 0 });
    expect(violationOf(() => checker.checkCommittedSurvives([asHost(a), asHost(b), asHost(c)]))).toBeNull();
    // n3 gets an entry of a later term at index 1: it could now win n3's and n1's votes.
    persist(checker, c, [entry(1, 2, 'w')], { term: 2, vote: 'n3', commit: 0 });
    expect(violationOf(() => checker.checkCommittedSurvives([asHost(a), asHost(b), asHost(c)]))).toBe(
      'Leader Completeness',
    );
    c.role = 'leader';
    c.term = 2;
    expect(violationOf(() => checker.observeRoles([asHost(c)]))).toBe('Leader Completeness');
  });

  it('State Machine Safety: two members applying different entries at one index', () => {
    const checker = new SafetyChecker();
    const [a, b] = [fakeHost('n1'), fakeHost('n2')];
    checker.onApplied(asHost(a), entry(1, 1, 'x'));
    checker.onApplied(asHost(b), entry(1, 1, 'x'));
    expect(violationOf(() => checker.onApplied(asHost(b), entry(1, 2, 'y')))).toBe('State Machine Safety');
  });

  it('Vote Stability: a durable vote changing within a term', () => {
    const checker = new SafetyChecker();
    const a = fakeHost('n1');
    persist(checker, a, [], { term: 3, vote: 'n2', commit: 0 });
    expect(violationOf(() => persist(checker, a, [], { term: 3, vote: 'n3', commit: 0 }))).toBe('Vote Stability');
  });
});

describe('ClientHistory', () => {
  it('fails a read that misses a write acknowledged before it began, passes a later one', () => {
    const history = new ClientHistory();
    const w = history.beginWrite('k', 'n1', 0);
    history.onApplied('n1', 0, w, 5);
    const stale = history.beginRead('k', 'n2');
    expect(violationOf(() => history.onReadServed('n2', stale, () => ({ writeId: 0, index: 3 })))).toBe(
      'Linearizable Read',
    );
    const fresh = history.beginRead('k', 'n2');
    expect(violationOf(() => history.onReadServed('n2', fresh, () => ({ writeId: w, index: 5 })))).toBeNull();
  });

  it('does not count a write applied by another member, or by an earlier life of the member', () => {
    const history = new ClientHistory();
    const w = history.beginWrite('k', 'n1', 0);
    history.onApplied('n2', 0, w, 5);
    history.onApplied('n1', 1, w, 5);
    expect(history.acked).toBe(0);
    const read = history.beginRead('k', 'n3');
    expect(violationOf(() => history.onReadServed('n3', read, () => undefined))).toBeNull();
  });
});
