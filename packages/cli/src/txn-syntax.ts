// Parser for etcdctl's txn text: compares, a blank line, success ops, a blank line, failure
// ops. Grammar (one item per line):
//   compare := TARGET '(' "KEY" ')' OP VALUE
//     TARGET  := c|create | m|mod | val|value | ver|version | lease
//     OP      := = | != | < | >
//     VALUE   := "quoted text" or a bare word; an integer for c/m/ver, a hex lease id for lease
//   op := put KEY VALUE [--lease=ID] [--prev-kv] [--ignore-value] [--ignore-lease]
//       | get KEY [END] [--prefix] [--from-key] [--limit=N] [--rev=N] [--keys-only] [--count-only] [--serializable]
//       | del KEY [END] [--prefix] [--from-key] [--prev-kv]          (also: delete)
// Words split like a shell: "double quotes" with backslash escapes, 'single quotes' literal.
// Pure: every error names the line and what is allowed there.
import type { CompareTarget } from '@kite/protocol';
import { UsageError } from './errors.js';
import { parseIntFlag } from './flags.js';
import { parseLeaseId } from './bytes.js';

export type CompareResult = '=' | '!=' | '<' | '>';

export type CompareSpec =
  | { readonly target: 'value'; readonly key: string; readonly result: CompareResult; readonly value: string }
  | { readonly target: Exclude<CompareTarget, 'value'>; readonly key: string; readonly result: CompareResult; readonly value: number };

export interface RangeSelect {
  readonly key: string;
  readonly rangeEnd?: string;
  readonly prefix?: boolean;
  readonly fromKey?: boolean;
}

export type OpSpec =
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly lease?: number;
      readonly prevKv?: boolean; readonly ignoreValue?: boolean; readonly ignoreLease?: boolean }
  | ({ readonly type: 'get'; readonly limit?: number; readonly revision?: number; readonly keysOnly?: boolean;
      readonly countOnly?: boolean; readonly serializable?: boolean } & RangeSelect)
  | ({ readonly type: 'del'; readonly prevKv?: boolean } & RangeSelect);

export interface TxnSpec {
  readonly compare: readonly CompareSpec[];
  readonly success: readonly OpSpec[];
  readonly failure: readonly OpSpec[];
}

const TARGETS: Readonly<Record<string, CompareTarget>> = {
  c: 'createRevision', create: 'createRevision',
  m: 'modRevision', mod: 'modRevision',
  val: 'value', value: 'value',
  ver: 'version', version: 'version',
  lease: 'lease',
};
const RESULTS: readonly CompareResult[] = ['=', '!=', '<', '>'];

/** Most lines one txn text may have: well above TXN_OPS_MAX, small enough to reject junk fast. */
export const TXN_TEXT_LINES_MAX = 1024;

function fail(lineNo: number, msg: string): never {
  throw new UsageError(`txn line ${lineNo}: ${msg}`);
}

/** Splits a line into words like a POSIX shell would (quotes, backslash escapes; no globbing). */
export function splitWords(line: string, lineNo = 1): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === '"' || ch === "'") {
      const [s, next] = readQuoted(line, i, lineNo);
      cur += s;
      inWord = true;
      i = next;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[i + 1]!;
      inWord = true;
      i += 2;
    } else {
      cur += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '"': '"', "'": "'" };

/** Reads a quoted string starting at `start` (the quote); returns its text and the index after it. */
function readQuoted(line: string, start: number, lineNo: number): [string, number] {
  const quote = line[start]!;
  let out = '';
  let i = start + 1;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === quote) return [out, i + 1];
    if (quote === '"' && ch === '\\' && i + 1 < line.length) {
      const esc = line[i + 1]!;
      if (esc === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
        out += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
        continue;
      }
      out += ESCAPES[esc] ?? esc;
      i += 2;
      continue;
    }
    out += ch;
    i++;
  }
  return fail(lineNo, `unterminated ${quote === '"' ? 'double' : 'single'} quote`);
}

const COMPARE_HEAD_RE = /^\s*([A-Za-z]+)\s*\(\s*/;
const COMPARE_TAIL_RE = /^\s*\)\s*(!=|=|<|>)\s*(.*?)\s*$/;

export function parseCompareLine(line: string, lineNo = 1): CompareSpec {
  const expected = `expected a compare like mod("key") > "0" (targets c|create, m|mod, val|value, ver|version, lease; ops = != < >); got '${line.trim()}'`;
  const head = COMPARE_HEAD_RE.exec(line);
  if (head === null || line[head[0].length] !== '"') fail(lineNo, expected);
  const rawTarget = head[1]!;
  const target = TARGETS[rawTarget.toLowerCase()];
  if (target === undefined) {
    fail(lineNo, `unknown compare target '${rawTarget}'; allowed: c|create, m|mod, val|value, ver|version, lease`);
  }
  const [key, after] = readQuoted(line, head[0].length, lineNo);
  const tail = COMPARE_TAIL_RE.exec(line.slice(after));
  if (tail === null) fail(lineNo, expected);
  const rawResult = tail[1]!;
  const rawValue = tail[2]!;
  const result = RESULTS.find((r) => r === rawResult);
  if (result === undefined) fail(lineNo, expected); // unreachable: COMPARE_TAIL_RE admits only RESULTS
  const valueWords = splitWords(rawValue, lineNo);
  if (valueWords.length !== 1) fail(lineNo, `expected exactly one value after '${result}', got '${rawValue}'`);
  const word = valueWords[0]!;
  if (target === 'value') return { target, key, result, value: word };
  if (target === 'lease') {
    try {
      return { target, key, result, value: word === '0' ? 0 : parseLeaseId('lease', word) };
    } catch (err) {
      return fail(lineNo, (err as Error).message);
    }
  }
  if (!/^\d+$/.test(word)) fail(lineNo, `${rawTarget}(...) compares with an integer ≥ 0; got '${word}'`);
  return { target, key, result, value: Number(word) };
}

interface ParsedFlags {
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

function parseOpFlags(words: readonly string[], lineNo: number, allowed: readonly string[]): ParsedFlags {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (const w of words) {
    if (!w.startsWith('--')) {
      positional.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const name = eq < 0 ? w.slice(2) : w.slice(2, eq);
    if (!allowed.includes(name)) {
      fail(lineNo, `unknown flag --${name}; allowed here: ${allowed.map((a) => `--${a}`).join(', ')}`);
    }
    flags.set(name, eq < 0 ? true : w.slice(eq + 1));
  }
  return { positional, flags };
}

function flagInt(f: ParsedFlags, name: string, lineNo: number): number | undefined {
  const v = f.flags.get(name);
  if (v === undefined) return undefined;
  if (v === true) fail(lineNo, `--${name} needs a value, like --${name}=10`);
  try {
    return parseIntFlag(`--${name}`, v);
  } catch (err) {
    return fail(lineNo, (err as Error).message);
  }
}

function rangeSelect(f: ParsedFlags, lineNo: number, verb: string): RangeSelect {
  const [key, end, ...rest] = f.positional;
  if (key === undefined) fail(lineNo, `${verb} needs a key`);
  if (rest.length > 0) fail(lineNo, `${verb} takes a key and an optional range end; extra: ${rest.join(' ')}`);
  const prefix = f.flags.has('prefix');
  const fromKey = f.flags.has('from-key');
  if ([prefix, fromKey, end !== undefined].filter(Boolean).length > 1) {
    fail(lineNo, `${verb}: use only one of a range end, --prefix, --from-key`);
  }
  return {
    key,
    ...(end !== undefined ? { rangeEnd: end } : {}),
    ...(prefix ? { prefix: true } : {}),
    ...(fromKey ? { fromKey: true } : {}),
  };
}

export function parseOpLine(line: string, lineNo = 1): OpSpec {
  const [verb, ...args] = splitWords(line, lineNo);
  switch (verb) {
    case 'put': {
      const f = parseOpFlags(args, lineNo, ['lease', 'prev-kv', 'ignore-value', 'ignore-lease']);
      const [key, value, ...rest] = f.positional;
      const ignoreValue = f.flags.has('ignore-value');
      if (key === undefined || (value === undefined && !ignoreValue)) fail(lineNo, 'put needs a key and a value: put KEY VALUE');
      if (rest.length > 0) fail(lineNo, `put takes a key and a value; extra: ${rest.join(' ')} (quote values with spaces)`);
      const lease = f.flags.get('lease');
      let leaseId: number | undefined;
      if (lease !== undefined) {
        try {
          leaseId = parseLeaseId('--lease', lease === true ? '' : lease);
        } catch (err) {
          fail(lineNo, (err as Error).message);
        }
      }
      return {
        type: 'put', key, value: value ?? '',
        ...(leaseId !== undefined ? { lease: leaseId } : {}),
        ...(f.flags.has('prev-kv') ? { prevKv: true } : {}),
        ...(ignoreValue ? { ignoreValue: true } : {}),
        ...(f.flags.has('ignore-lease') ? { ignoreLease: true } : {}),
      };
    }
    case 'get': {
      const f = parseOpFlags(args, lineNo, ['prefix', 'from-key', 'limit', 'rev', 'keys-only', 'count-only', 'serializable']);
      const limit = flagInt(f, 'limit', lineNo);
      const revision = flagInt(f, 'rev', lineNo);
      return {
        type: 'get', ...rangeSelect(f, lineNo, 'get'),
        ...(limit !== undefined ? { limit } : {}),
        ...(revision !== undefined ? { revision } : {}),
        ...(f.flags.has('keys-only') ? { keysOnly: true } : {}),
        ...(f.flags.has('count-only') ? { countOnly: true } : {}),
        ...(f.flags.has('serializable') ? { serializable: true } : {}),
      };
    }
    case 'del':
    case 'delete': {
      const f = parseOpFlags(args, lineNo, ['prefix', 'from-key', 'prev-kv']);
      return { type: 'del', ...rangeSelect(f, lineNo, 'del'), ...(f.flags.has('prev-kv') ? { prevKv: true } : {}) };
    }
    default:
      return fail(lineNo, `expected an operation (put, get, del); got '${verb ?? ''}'`);
  }
}

/**
 * Parses a whole txn text. Sections are separated by (the first two) blank lines; a missing
 * section is empty. Lines starting with '#' are comments.
 */
export function parseTxnText(input: string): TxnSpec {
  const lines = input.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > TXN_TEXT_LINES_MAX) {
    throw new UsageError(`txn: at most ${TXN_TEXT_LINES_MAX} lines; got ${lines.length}`);
  }
  const sections: { line: string; no: number }[][] = [[]];
  lines.forEach((line, i) => {
    if (line.trim().startsWith('#')) return;
    if (line.trim() === '' && sections.length < 3) {
      sections.push([]);
      return;
    }
    if (line.trim() === '') return;
    sections[sections.length - 1]!.push({ line, no: i + 1 });
  });
  const [cmp = [], succ = [], failure = []] = sections;
  return {
    compare: cmp.map((l) => parseCompareLine(l.line, l.no)),
    success: succ.map((l) => parseOpLine(l.line, l.no)),
    failure: failure.map((l) => parseOpLine(l.line, l.no)),
  };
}
