// How a value is shown and checked: as text, JSON or YAML. The format is guessed from the key's
// extension and the value (JSON that parses to an object or array; YAML only by extension or
// when it parses to a mapping with a "key: value" line), and the user can switch. Highlighting
// uses highlight.js core with only the JSON and YAML grammars (bundle budget); values above
// HIGHLIGHT_CHARS_MAX are shown plain (highlighting cost grows with size). Validation reuses
// the configuration center's syntax check (@kite/config), which reports line and column.
import hljs from 'highlight.js/lib/core';
import json from 'highlight.js/lib/languages/json';
import yamlLanguage from 'highlight.js/lib/languages/yaml';
import { syntaxProblem } from '@kite/config';
import { parse as parseYaml } from 'yaml';

hljs.registerLanguage('json', json);
hljs.registerLanguage('yaml', yamlLanguage);

export const VALUE_FORMATS = ['text', 'json', 'yaml'] as const;
export type ValueFormat = (typeof VALUE_FORMATS)[number];

/** Larger values are shown without highlighting. */
export const HIGHLIGHT_CHARS_MAX = 200_000;

export interface DecodedValue {
  readonly text: string;
  /** False when the bytes are not UTF-8: shown with replacement characters, not editable. */
  readonly utf8: boolean;
}

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder();

export function decodeValue(bytes: Uint8Array): DecodedValue {
  try {
    return { text: strict.decode(bytes), utf8: true };
  } catch {
    return { text: lenient.decode(bytes), utf8: false };
  }
}

export function guessFormat(key: string, text: string): ValueFormat {
  const lower = key.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      JSON.parse(text);
      return 'json';
    } catch {
      return 'text';
    }
  }
  if (/^[\w.-]+:(\s|$)/m.test(text) && text.includes('\n')) {
    try {
      const v: unknown = parseYaml(text);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return 'yaml';
    } catch {
      return 'text';
    }
  }
  return 'text';
}

/** Highlighted HTML (escaped by highlight.js), or null to show the text plain. */
export function highlighted(format: ValueFormat, text: string): string | null {
  if (format === 'text' || text.length > HIGHLIGHT_CHARS_MAX) return null;
  return hljs.highlight(text, { language: format, ignoreIllegals: true }).value;
}

export interface SyntaxError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/** The first syntax error of `text` as `format` (null: valid, or plain text). */
export function checkSyntax(format: ValueFormat, text: string): SyntaxError | null {
  return format === 'text' ? null : syntaxProblem({ type: format, text });
}

/** The character offset of a 1-based line and column (to put the caret on an error). */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + column - 1);
}
