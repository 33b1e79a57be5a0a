// Line diff and the history view.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { diffLines, formatHistory, type HistoryEntry } from '../src/history-diff.js';

const enc = new TextEncoder();

describe('diffLines', () => {
  it('reconstructs both sides and keeps the common part (property)', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'dd', ''), { maxLength: 12 }).map((ls) => ls.join('\n'));
    fc.assert(fc.property(text, text, (a, b) => {
      const d = diffLines(a, b);
      expect(d).not.toBeNull();
      const before = d!.filter((x) => x.op !== '+').map((x) => x.line).join('\n');
      const after = d!.filter((x) => x.op !== '-').map((x) => x.line).join('\n');
      if (a !== b) {
        expect(before).toBe(a);
        expect(after).toBe(b);
      } else {
        expect(d).toEqual([]);
      }
    }));
  });

  it('is minimal for a one-line change in the middle', () => {
    expect(diffLines('a\nb\nc', 'a\nB\nc')).toEqual([
      { op: ' ', line: 'a' }, { op: '-', line: 'b' }, { op: '+', line: 'B' }, { op: ' ', line: 'c' },
    ]);
  });
});

describe('formatHistory', () => {
  const e = (revision: number, type: 'put' | 'delete', value: string, version: number): HistoryEntry =>
    ({ revision, type, value: enc.encode(value), version, createRevision: 0 });

  it('tells the story oldest first, across a delete and a re-create', () => {
    const out = formatHistory('/k', [e(2, 'put', 'one', 1), e(3, 'put', 'two', 2), e(4, 'delete', '', 0), e(6, 'put', 'three', 1)], 'simple', 1);
    expect(out).toBe([
      'revision 2  PUT (created)  version 1', '  + one',
      'revision 3  PUT  version 2', '  - one', '  + two',
      'revision 4  DELETE',
      'revision 6  PUT (created)  version 1', '  + three', '',
    ].join('\n'));
  });

  it('says when older history was compacted and when nothing is retained', () => {
    expect(formatHistory('/k', [e(9, 'put', 'x', 3)], 'simple', 5)).toMatch(/^\(history before revision 5 was compacted\)\n/);
    expect(formatHistory('/k', [], 'simple')).toBe('no retained history for /k\n');
  });

  it('a baseline (the value at the compaction point) makes the first retained change a real diff', () => {
    const base: HistoryEntry = { ...e(2, 'put', 'a', 3), baseline: true };
    expect(formatHistory('/k', [base, e(5, 'put', 'b', 4)], 'simple', 4)).toBe([
      '(history before revision 4 was compacted)',
      'revision 2  VALUE  version 3  (value at the oldest retained revision)', '  + a',
      'revision 5  PUT  version 4', '  - a', '  + b', '',
    ].join('\n'));
  });

  it('json lists revisions with values and diffs', () => {
    const j = JSON.parse(formatHistory('/k', [e(2, 'put', 'a', 1), e(3, 'put', 'b', 2)], 'json')) as { revisions: unknown[] };
    expect(j.revisions).toEqual([
      { revision: 2, type: 'put', version: 1, createRevision: 0, value: 'a', diff: ['+a'] },
      { revision: 3, type: 'put', version: 2, createRevision: 0, value: 'b', diff: ['-a', '+b'] },
    ]);
  });
});
