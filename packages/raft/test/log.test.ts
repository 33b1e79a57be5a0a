// RaftLog (stable storage + unstable) in isolation: terms, up-to-date checks (§5.4.1), the
// Figure 8 commit rule, append conflicts and the conflict-by-term back-off hint.
import { describe, it, expect } from 'vitest';
import { RaftLog } from '../src/raft-log.js';
import { Unstable } from '../src/log-unstable.js';
import { MemoryStorage } from '../src/storage.js';
import type { Entry } from '../src/types.js';

const ent = (index: number, term: number, data = ''): Entry => ({
  index, term, type: 'normal', data: new TextEncoder().encode(data),
});
const ents = (from: number, terms: number[]): Entry[] => terms.map((t, i) => ent(from + i, t));

function logWith(stableTerms: number[], unstableTerms: number[] = []): RaftLog {
  const s = new MemoryStorage();
  s.append(ents(1, stableTerms));
  const log = new RaftLog(s, 1 << 20);
  log.append(ents(stableTerms.length + 1, unstableTerms));
  return log;
}

describe('RaftLog', () => {
  it('reads terms across storage and unstable', () => {
    const log = logWith([1, 1, 2], [3, 3]);
    expect(log.firstIndex()).toBe(1);
    expect(log.lastIndex()).toBe(5);
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => log.term(i))).toEqual([0, 1, 1, 2, 3, 3, null]);
    expect(log.persistedLastIndex()).toBe(3);
  });

  it('isUpToDate compares last term, then last index (§5.4.1)', () => {
    const log = logWith([1, 2, 2]);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(9, 1)).toBe(false);
  });

  it('maybeCommit commits only an entry of the given term (Figure 8)', () => {
    const log = logWith([1, 1, 2]);
    expect(log.maybeCommit(2, 2)).toBe(false);
    expect(log.committed).toBe(0);
    expect(log.maybeCommit(3, 2)).toBe(true);
    expect(log.committed).toBe(3);
    expect(log.maybeCommit(2, 1)).toBe(false); // never goes back
    expect(log.committed).toBe(3);
  });

  it('maybeAppend truncates a conflicting suffix and commits up to the new entries', () => {
    const log = logWith([1, 1, 1], [1, 1]);
    expect(log.maybeAppend(2, 1, 4, ents(3, [2, 2]))).toBe(4);
    expect(log.lastIndex()).toBe(4);
    expect(log.term(3)).toBe(2);
    expect(log.committed).toBe(4);
    expect(log.unstable.offset).toBe(3);
  });

  it('maybeAppend rejects when the previous entry does not match', () => {
    const log = logWith([1, 1]);
    expect(log.maybeAppend(2, 2, 2, ents(3, [2]))).toBeNull();
    expect(log.maybeAppend(5, 1, 2, [])).toBeNull();
  });

  it('maybeAppend keeps matching entries (no truncation by a stale, shorter append)', () => {
    const log = logWith([1, 1, 1, 1]);
    expect(log.maybeAppend(1, 1, 0, ents(2, [1]))).toBe(2);
    expect(log.lastIndex()).toBe(4);
  });

  it('refuses to overwrite committed entries', () => {
    const log = logWith([1, 1, 1]);
    log.commitTo(3);
    expect(() => log.maybeAppend(1, 1, 3, ents(2, [2]))).toThrow(/conflicts with a committed entry/);
  });

  it('findConflictByTerm skips a whole term per step', () => {
    const log = logWith([1, 1, 2, 2, 4, 4, 4]);
    expect(log.findConflictByTerm(7, 3)).toBe(4);
    expect(log.findConflictByTerm(7, 4)).toBe(7);
    expect(log.findConflictByTerm(10, 1)).toBe(2);
    expect(log.findConflictByTerm(7, 0)).toBe(0);
  });

  it('hands out committed entries only once persisted', () => {
    const log = logWith([1, 1], [1, 1]);
    log.commitTo(4);
    expect(log.nextCommittedEntries().map((e) => e.index)).toEqual([1, 2]);
    (log.storage as MemoryStorage).append(log.unstableEntries());
    log.stableTo(4, 1);
    expect(log.nextCommittedEntries().map((e) => e.index)).toEqual([1, 2, 3, 4]);
    log.appliedTo(4);
    expect(log.hasNextCommittedEntries()).toBe(false);
  });

  it('slices across storage and unstable with a byte limit', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, 'aa'), ent(2, 1, 'bb')]);
    const log = new RaftLog(s, 1 << 20);
    log.append([ent(3, 1, 'cc'), ent(4, 1, 'dd')]);
    expect(log.slice(1, 5, undefined)?.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(log.slice(2, 5, 4)?.map((e) => e.index)).toEqual([2, 3]);
    expect(log.slice(1, 5, 1)?.map((e) => e.index)).toEqual([1]);
  });

  it('reports compaction as null and restores from a snapshot', () => {
    const s = new MemoryStorage({ confState: { voters: ['a'], learners: [] } });
    s.append(ents(1, [1, 1, 1, 1]));
    s.createSnapshot(3, { voters: ['a'], learners: [] }, new Uint8Array(0));
    s.compact(3);
    const log = new RaftLog(s, 1 << 20);
    expect(log.term(2)).toBeNull();
    expect(log.term(3)).toBe(1);
    expect(log.entriesFrom(2, 100)).toBeNull();
    log.restore({ metadata: { index: 10, term: 5, confState: { voters: ['a'], learners: [] } }, data: new Uint8Array(0) });
    expect(log.lastIndex()).toBe(10);
    expect(log.firstIndex()).toBe(11);
    expect(log.committed).toBe(10);
    expect(log.term(10)).toBe(5);
    expect(log.persistedLastIndex()).toBe(0);
  });
});

describe('Unstable', () => {
  it('appends, truncates and stabilizes', () => {
    const u = new Unstable(5);
    u.truncateAndAppend(ents(5, [1, 1, 1]));
    expect(u.maybeLastIndex()).toBe(7);
    u.truncateAndAppend(ents(6, [2]));
    expect(u.entries.map((e) => e.term)).toEqual([1, 2]);
    u.truncateAndAppend(ents(3, [3]));
    expect(u.offset).toBe(3);
    expect(u.maybeLastIndex()).toBe(3);
    u.stableTo(3, 2); // wrong term: replaced after hand-out, ignored
    expect(u.entries.length).toBe(1);
    u.stableTo(3, 3);
    expect(u.entries.length).toBe(0);
    expect(u.offset).toBe(4);
  });

  it('answers terms of a pending snapshot', () => {
    const u = new Unstable(1);
    u.restore({ metadata: { index: 9, term: 4, confState: { voters: [], learners: [] } }, data: new Uint8Array(0) });
    expect(u.maybeTerm(9)).toBe(4);
    expect(u.maybeTerm(8)).toBeNull();
    expect(u.maybeFirstIndex()).toBe(10);
    u.stableSnapTo(9);
    expect(u.snapshot).toBeNull();
  });
});

describe('MemoryStorage', () => {
  it('serves entries and terms, throwing Compacted/Unavailable out of range', () => {
    const s = new MemoryStorage();
    s.append(ents(1, [1, 2, 3]));
    expect(s.entries(1, 4).length).toBe(3);
    expect(() => s.entries(2, 5)).toThrow(/unavailable/);
    s.createSnapshot(2, { voters: [], learners: [] }, new Uint8Array([7]));
    s.compact(2);
    expect(s.firstIndex()).toBe(3);
    expect(s.term(2)).toBe(2);
    expect(() => s.entries(2, 4)).toThrow(/compacted/);
    expect(() => s.term(1)).toThrow(/compacted/);
    expect(s.snapshot().data).toEqual(new Uint8Array([7]));
  });

  it('truncates a conflicting suffix on append', () => {
    const s = new MemoryStorage();
    s.append(ents(1, [1, 1, 1]));
    s.append(ents(2, [2]));
    expect(s.lastIndex()).toBe(2);
    expect(s.term(2)).toBe(2);
  });

  it('replaces everything on applySnapshot', () => {
    const s = new MemoryStorage();
    s.append(ents(1, [1, 1]));
    s.applySnapshot({ metadata: { index: 5, term: 3, confState: { voters: ['x'], learners: [] } }, data: new Uint8Array(0) });
    expect(s.firstIndex()).toBe(6);
    expect(s.lastIndex()).toBe(5);
    expect(s.initialState().confState.voters).toEqual(['x']);
  });
});
