// Java-style .properties: `key=value`, `key: value` or `key value` per logical line, '#' and
// '!' comments, backslash line continuation and escapes (\t \n \r \f \uXXXX). Strict where
// the format is ambiguous in a way that usually hides a typo: a malformed \u escape or an
// empty key is an error with its line and column.
import type { SyntaxProblem } from './json-check.js';

export type Properties = Readonly<Record<string, string>>;

export type PropertiesResult = { readonly ok: true; readonly value: Properties } | { readonly ok: false; readonly problem: SyntaxProblem };

export function parseProperties(text: string): PropertiesResult {
  const out: Record<string, string> = {};
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i]!.replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithOddBackslashes(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    const sep = separatorIndex(logical);
    const rawKey = sep === -1 ? logical : logical.slice(0, sep);
    let rest = sep === -1 ? '' : logical.slice(sep);
    rest = rest.replace(/^[ \t\f]*[=:]?[ \t\f]*/, '');
    const key = unescape(rawKey, startLine, 1);
    if (!key.ok) return key;
    if (key.value === '') return { ok: false, problem: { message: 'empty key', line: startLine, column: 1 } };
    const value = unescape(rest, startLine, logical.length - rest.length + 1);
    if (!value.ok) return value;
    out[key.value] = value.value;
  }
  return { ok: true, value: out };
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let j = s.length - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

function separatorIndex(s: string): number {
  for (let j = 0; j < s.length; j++) {
    const c = s[j]!;
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') return j;
  }
  return -1;
}

type Unescaped = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: SyntaxProblem };

function unescape(s: string, line: number, column: number): Unescaped {
  let out = '';
  for (let j = 0; j < s.length; j++) {
    const c = s[j]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++j];
    if (e === undefined) break;
    if (e === 'u') {
      const hex = s.slice(j + 1, j + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return { ok: false, problem: { message: 'malformed \\uXXXX escape', line, column: column + j - 1 } };
      out += String.fromCharCode(parseInt(hex, 16));
      j += 4;
      continue;
    }
    out += e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 'f' ? '\f' : e;
  }
  return { ok: true, value: out };
}
