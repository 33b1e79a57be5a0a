// The in-memory index: revision key bytes sort in revision order, KeyIndex generations and
// compaction (etcd's shape), and TreeIndex ordering across chunk splits.
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../src/key-index.js';
import { TreeIndex } from '../src/tree-index.js';
import { compareRevision, readRevision, writeRevision } from '../src/revision.js';
import { compareBytes } from '../src/bytes.js';

const r = (main: number, sub = 0) => ({ main, sub });
/** Length of the value a put wrote (the values themselves live in the ValueCache). */
const v = 1;

describe('revision bytes', () => {
  it('sort bytewise in revision order', () => {
    const revs = [r(1), r(1, 1), r(2), r(255, 0), r(256, 0), r(2 ** 40, 3), r(2 ** 40, 300)];
    const enc = revs.map((x) => {
      const b = new Uint8Array(16);
      writeRevision(b, 0, x);
      return b;
    });
    for (let i = 1; i < revs.length; i++) {
      expect(compareBytes(enc[i - 1]!, enc[i]!)).toBeLessThan(0);
      expect(compareRevision(revs[i - 1]!, revs[i]!)).toBeLessThan(0);
    }
    enc.forEach((b, i) => expect(readRevision(b, 0)).toEqual(revs[i]));
  });

  it('read back exactly across the 32-bit boundaries (small values take the integer-only path)', () => {
    for (const n of [0, 1, 2 ** 24, 2 ** 30 - 1, 2 ** 30, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1]) {
      const b = new Uint8Array(16);
      writeRevision(b, 0, r(n, n === 0 ? 0 : 2 ** 32 - 1));
      expect(readRevision(b, 0)).toEqual(r(n, n === 0 ? 0 : 2 ** 32 - 1));
    }
  });
});

describe('KeyIndex', () => {
  // put@2, put@4, delete@6, put@8 (the example in key-index.ts)
  const build = (): KeyIndex => {
    const ki = new KeyIndex('k');
    ki.put(r(2), v, 0);
    ki.put(r(4), v, 0);
    ki.tombstone(r(6));
    ki.put(r(8), v, 0);
    return ki;
  };

  it('answers get at every revision', () => {
    const ki = build();
    expect(ki.get(1)).toBeUndefined();
    expect(ki.get(2)).toMatchObject({ modified: r(2), createRevision: 2, version: 1 });
    expect(ki.get(5)).toMatchObject({ modified: r(4), createRevision: 2, version: 2 });
    expect(ki.get(6)).toBeUndefined();
    expect(ki.get(7)).toBeUndefined();
    expect(ki.get(9)).toMatchObject({ modified: r(8), createRevision: 8, version: 1 });
    expect(ki.since(4).map((x) => x.main)).toEqual([4, 6, 8]);
  });

  it('compacts like etcd', () => {
    const a = build();
    a.compact(5);
    expect(a.generations.map((g) => g.revs.map((x) => x.main))).toEqual([[4, 6], [8]]);
    expect(a.get(5)).toMatchObject({ modified: r(4), version: 2 });
    const b = build();
    b.compact(6);
    expect(b.generations.map((g) => g.revs.map((x) => x.main))).toEqual([[8]]);
    const c = build();
    c.compact(9);
    expect(c.generations.map((g) => g.revs.map((x) => x.main))).toEqual([[8]]);
    expect(c.get(9)).toMatchObject({ modified: r(8), createRevision: 8, version: 1 });
    const d = new KeyIndex('d');
    d.put(r(2), v, 0);
    d.tombstone(r(3));
    d.compact(3);
    expect(d.isEmpty()).toBe(true);
  });

  it('keeps history and values across the lean single-revision and list layouts', () => {
    const ki = new KeyIndex('k');
    ki.put(r(2), 2, 7);
    expect(ki.get(2)).toMatchObject({ modified: r(2), createRevision: 2, version: 1 });
    ki.put(r(4), 1, 0);
    ki.put(r(6), 2, 0);
    expect(ki.valueByteLength).toBe(2);
    ki.compact(5);
    expect(ki.generations.map((g) => g.revs.map((x) => x.main))).toEqual([[4, 6]]);
    ki.compact(6);
    expect(ki.generations.map((g) => g.revs.map((x) => x.main))).toEqual([[6]]);
    expect(ki.get(6)).toMatchObject({ modified: r(6), createRevision: 2, version: 3 });
    ki.put(r(8), 1, 0);
    ki.tombstone(r(9));
    expect(ki.alive).toBe(false);
    expect(ki.valueByteLength).toBe(0);
    expect(ki.lastRevision).toEqual(r(9));
    expect(ki.get(8)).toMatchObject({ modified: r(8), createRevision: 2, version: 4 });
    expect(ki.get(9)).toBeUndefined();
    expect(ki.hasRevision(r(6))).toBe(true);
    expect(ki.since(7).map((x) => x.main)).toEqual([8, 9]);
    ki.compact(10);
    expect(ki.isEmpty()).toBe(true);
  });

  it('refuses a change that does not move forward', () => {
    const ki = build();
    expect(() => ki.put(r(8, 1), v, 0)).toThrow(/invariant/);
    const dead = new KeyIndex('x');
    expect(() => dead.tombstone(r(3))).toThrow(/invariant/);
  });
});

describe('TreeIndex', () => {
  it('keeps keys ordered across chunk splits and deletes', () => {
    const t = new TreeIndex();
    const keys: string[] = [];
    for (let i = 0; i < 5000; i++) keys.push(String((i * 7919) % 5000).padStart(5, '0'));
    for (const k of keys) t.getOrCreate(k);
    const all = [...t.all()].map((ki) => ki.key);
    expect(all).toEqual([...keys].sort());
    for (let i = 0; i < 5000; i += 3) t.delete(String(i).padStart(5, '0'));
    const rest = [...t.all()].map((ki) => ki.key);
    expect(rest).toEqual([...keys].filter((k) => Number(k) % 3 !== 0).sort());
    expect(t.size).toBe(rest.length);
    expect([...t.range({ start: '00100', end: '00110' })].map((ki) => ki.key)).toEqual(
      ['00100', '00101', '00103', '00104', '00106', '00107', '00109'].filter((k) => Number(k) % 3 !== 0),
    );
    expect([...t.range({ start: '04998', end: '' })].map((ki) => ki.key)).toEqual(['04999']);
    expect([...t.range({ start: '00001', end: undefined })].map((ki) => ki.key)).toEqual(['00001']);
  });
});
