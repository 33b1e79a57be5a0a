// The etcdctl txn text parser and its translation to wire TxnArgs.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCompareLine, parseOpLine, parseTxnText, splitWords } from '../src/txn-syntax.js';
import { buildTxn } from '../src/txn-build.js';
import { UsageError } from '../src/errors.js';

const dec = new TextDecoder();

describe('txn syntax', () => {
  it('parses the three sections of etcdctl\'s example', () => {
    const spec = parseTxnText('mod("key1") > "0"\nval("key2") = "x y"\n\nput key1 "overwrote-key1"\n\nput key1 "created-key1"\nput key2 "some extra key"\n');
    expect(spec.compare).toEqual([
      { target: 'modRevision', key: 'key1', result: '>', value: 0 },
      { target: 'value', key: 'key2', result: '=', value: 'x y' },
    ]);
    expect(spec.success).toEqual([{ type: 'put', key: 'key1', value: 'overwrote-key1' }]);
    expect(spec.failure).toEqual([
      { type: 'put', key: 'key1', value: 'created-key1' },
      { type: 'put', key: 'key2', value: 'some extra key' },
    ]);
  });

  it('accepts every compare target spelling and operator', () => {
    const cases: [string, string, string][] = [
      ['c', 'createRevision', '='], ['create', 'createRevision', '!='], ['m', 'modRevision', '<'], ['mod', 'modRevision', '>'],
      ['ver', 'version', '='], ['version', 'version', '='], ['lease', 'lease', '='],
    ];
    for (const [t, target, op] of cases) {
      expect(parseCompareLine(`${t}("k") ${op} "12"`)).toMatchObject({ target, result: op, key: 'k' });
    }
    expect(parseCompareLine('lease("k") = "1a"').value).toBe(0x1a);
    expect(parseCompareLine('value("k") != bare').value).toBe('bare');
  });

  it('keys may contain quotes, parentheses and operators', () => {
    expect(parseCompareLine('val("a\\"b) = \\"c") = "v"')).toMatchObject({ key: 'a"b) = "c', value: 'v' });
  });

  it('an empty first section means no compares; missing sections are empty', () => {
    expect(parseTxnText('\nput a b\n')).toEqual({ compare: [], success: [{ type: 'put', key: 'a', value: 'b' }], failure: [] });
    expect(parseTxnText('')).toEqual({ compare: [], success: [], failure: [] });
  });

  it('parses get and del flags', () => {
    expect(parseOpLine('get /a --prefix --limit=5 --rev=7 --keys-only')).toEqual({ type: 'get', key: '/a', prefix: true, limit: 5, revision: 7, keysOnly: true });
    expect(parseOpLine('del a z --prev-kv')).toEqual({ type: 'del', key: 'a', rangeEnd: 'z', prevKv: true });
    expect(parseOpLine('delete a --from-key')).toEqual({ type: 'del', key: 'a', fromKey: true });
    expect(parseOpLine('put k v --lease=ff --prev-kv')).toEqual({ type: 'put', key: 'k', value: 'v', lease: 255, prevKv: true });
  });

  it('reports the line and what is allowed', () => {
    const bad: [string, RegExp][] = [
      ['foo("k") = "1"\n', /line 1: unknown compare target 'foo'; allowed: c\|create/],
      ['mod("k") = "x"\n', /line 1: mod\(\.\.\.\) compares with an integer/],
      ['mod(k) = 1\n', /line 1: expected a compare like/],
      ['\nput k\n', /line 2: put needs a key and a value/],
      ['\nget k --bogus\n', /line 2: unknown flag --bogus; allowed here: --prefix/],
      ['\n\nfrob k\n', /line 3: expected an operation \(put, get, del\)/],
      ['\nput "k v\n', /line 2: unterminated double quote/],
      ['\nget a b --prefix\n', /line 2: get: use only one of a range end, --prefix, --from-key/],
    ];
    for (const [text, re] of bad) {
      expect(() => parseTxnText(text)).toThrow(UsageError);
      expect(() => parseTxnText(text)).toThrow(re);
    }
  });

  it('splitWords inverts shell-style double quoting', () => {
    const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 6 }), (words) => {
      expect(splitWords(words.map(quote).join(' '))).toEqual(words);
    }));
  });

  it('builds wire TxnArgs with bytes, compare results and ranges', () => {
    const args = buildTxn(parseTxnText('ver("k") = "0"\n\nput k v\nget p --prefix\n\ndel k\n'));
    expect(args.compare).toEqual([{ key: new TextEncoder().encode('k'), target: 'version', result: 'equal', value: 0 }]);
    const [put, get] = args.success;
    expect(put?.type).toBe('put');
    expect(get?.type === 'range' ? [dec.decode(get.key), dec.decode(get.rangeEnd ?? new Uint8Array())] : []).toEqual(['p', 'q']);
    expect(args.failure[0]).toMatchObject({ type: 'deleteRange' });
  });
});
