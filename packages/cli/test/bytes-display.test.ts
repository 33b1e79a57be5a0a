// Keys and values at the CLI's edges: --hex input, escaping for the terminal in text output,
// etcdctl's -w fields, and json staying exact.
import { describe, expect, it } from 'vitest';
import { argBytes, keyText, text } from '../src/bytes.js';
import { UsageError } from '../src/errors.js';
import { formatEvent, formatRange } from '../src/output/format-kv.js';
import type { KvView } from '../src/output/views.js';

const enc = new TextEncoder();
const header = { clusterId: 'c1', memberId: 'm1', revision: 9, raftTerm: 2 };
const kv = (key: Uint8Array, value: Uint8Array, lease = 0): KvView => ({ key, value, createRevision: 2, modRevision: 3, version: 1, lease });

describe('--hex input', () => {
  it('reads pairs of hex digits as bytes, any case, and empty as empty', () => {
    expect([...argBytes('KEY', '6bFF00', 'hex')]).toEqual([0x6b, 0xff, 0x00]);
    expect(argBytes('VALUE', '', 'hex')).toHaveLength(0);
    expect(new TextDecoder().decode(argBytes('KEY', 'k\n', 'text'))).toBe('k\n');
  });

  it('refuses text that is not hex, saying how to write it', () => {
    expect(() => argBytes('KEY', 'abc', 'hex')).toThrow(UsageError);
    expect(() => argBytes('KEY', 'zz', 'hex')).toThrow("KEY must be hex with --hex (two digits per byte, like 6b6579 for \"key\"); got 'zz'");
  });
});

describe('text output escapes what a terminal would act on', () => {
  it('keys that are not UTF-8 stay distinct (they used to print as the same U+FFFD)', () => {
    const a = keyText(Uint8Array.of(0x6a, 0xff));
    const b = keyText(Uint8Array.of(0x6a, 0xfe));
    expect([a, b]).toEqual(['j\\xff', 'j\\xfe']);
    // A key spelling the escape literally differs from the byte: the backslash is escaped.
    expect(keyText(enc.encode('j\\xff'))).toBe('j\\\\xff');
  });

  it('a newline in a key cannot break line output; values keep lines but lose terminal escapes', () => {
    expect(keyText(enc.encode('a\nb\tc\rd'))).toBe('a\\nb\\tc\\rd');
    expect(text(enc.encode('line1\nline2\t\u001b[2J\u0007'))).toBe('line1\nline2\t\\x1b[2J\\x07');
    // C1 controls and bidi overrides are characters, shown as \u{…} (\xNN is for raw bytes).
    expect(text(enc.encode('\u009b31m \u202eevil'))).toBe('\\u{9b}31m \\u{202e}evil');
    expect(text(enc.encode('héllo ✓ 𝄞'))).toBe('héllo ✓ 𝄞');
  });

  it('truncated, overlong and surrogate sequences are bytes, not characters', () => {
    expect(text(Uint8Array.of(0xe2, 0x9c))).toBe('\\xe2\\x9c');
    expect(text(Uint8Array.of(0xc0, 0xaf))).toBe('\\xc0\\xaf');
    expect(text(Uint8Array.of(0xed, 0xa0, 0x80))).toBe('\\xed\\xa0\\x80');
  });

  it('get prints escaped key and value lines, hex with --hex, and json exactly', () => {
    const r = { header, kvs: [kv(enc.encode('k\n1'), enc.encode('\u001b[31mred'))], more: false, count: 1 };
    expect(formatRange(r, 'simple')).toBe('k\\n1\n\\x1b[31mred\n');
    expect(formatRange(r, 'simple', { style: 'hex' })).toBe('6b0a31\n1b5b33316d726564\n');
    const j = JSON.parse(formatRange(r, 'json', { style: 'hex' })) as { kvs: { key: string; value: string }[] };
    expect(j.kvs[0]).toMatchObject({ key: 'k\n1', value: '\u001b[31mred' });
    expect(formatRange(r, 'table')).toContain('| k\\n1 | \\x1b[31mred |');
  });
});

describe('-w fields (etcdctl)', () => {
  it('get prints the header, each key-value and More/Count as "Field" : value lines', () => {
    const r = { header, kvs: [kv(enc.encode('a"b'), Uint8Array.of(0x76, 0xff), 0x1f)], more: false, count: 1 };
    expect(formatRange(r, 'fields')).toBe([
      '"ClusterID" : c1', '"MemberID" : m1', '"Revision" : 9', '"RaftTerm" : 2',
      '"Key" : "a\\"b"', '"CreateRevision" : 2', '"ModRevision" : 3', '"Version" : 1', '"Value" : "v\\xff"', '"Lease" : 31',
      '"More" : false', '"Count" : 1', '',
    ].join('\n'));
  });

  it('a watch event prints its type and the previous key-value with the Prev prefix', () => {
    const ev = { type: 'put' as const, kv: kv(enc.encode('k'), enc.encode('2')), prevKv: kv(enc.encode('k'), enc.encode('1')) };
    const out = formatEvent(ev, 'fields', 'text', header);
    expect(out.split('\n').filter((l) => /Type|Value"/.test(l))).toEqual(['"Type" : PUT', '"PrevValue" : "1"', '"Value" : "2"']);
  });
});
