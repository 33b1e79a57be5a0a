// Config value types and their validation. A value is stored as its source text (what the
// author wrote, byte for byte) plus a declared type; validation runs when a value is staged
// and again on every key of a release before it is published, so a malformed value can never
// reach an instance. Errors name the line and column.
import { parseDocument } from 'yaml';
import { ConfigError } from './errors.js';
import { findJsonError, lineColumn } from './json-check.js';
import { parseProperties, type Properties } from './properties.js';

export const VALUE_TYPES = ['text', 'json', 'yaml', 'properties'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

/** Bytes of one value's text (a release holds many; see RELEASE_BYTES_MAX). */
export const VALUE_BYTES_MAX = 256 * 1024;

export interface ConfigValue {
  readonly type: ValueType;
  readonly text: string;
}

export function isValueType(x: unknown): x is ValueType {
  return typeof x === 'string' && (VALUE_TYPES as readonly string[]).includes(x);
}

export function parseValueType(x: string): ValueType {
  if (!isValueType(x)) throw new ConfigError('InvalidArgument', `unknown value type ${JSON.stringify(x)}: use ${VALUE_TYPES.join(', ')}`);
  return x;
}

/** The type a file name suggests (import): .json, .yaml/.yml, .properties, else text. */
export function typeFromFileName(name: string): ValueType {
  if (/\.json$/i.test(name)) return 'json';
  if (/\.ya?ml$/i.test(name)) return 'yaml';
  if (/\.properties$/i.test(name)) return 'properties';
  return 'text';
}

/** Throws InvalidValue (details: key, type, line, column) unless `v.text` parses as `v.type`. */
export function validateValue(key: string, v: ConfigValue): void {
  const bytes = new TextEncoder().encode(v.text).length;
  if (bytes > VALUE_BYTES_MAX) {
    throw new ConfigError('InvalidValue', `${key}: value is ${bytes} bytes; the limit is ${VALUE_BYTES_MAX}`, { key, type: v.type, bytes });
  }
  const problem = syntaxProblem(v);
  if (problem !== null) {
    throw new ConfigError(
      'InvalidValue',
      `${key}: invalid ${v.type} at line ${problem.line}, column ${problem.column}: ${problem.message}`,
      { key, type: v.type, line: problem.line, column: problem.column },
    );
  }
}

/** The first syntax error of a value as its type (line and column 1-based), or null. */
export function syntaxProblem(v: ConfigValue): { message: string; line: number; column: number } | null {
  switch (v.type) {
    case 'text':
      return null;
    case 'json':
      return findJsonError(v.text);
    case 'yaml': {
      const doc = parseDocument(v.text, { prettyErrors: false });
      const err = doc.errors[0];
      if (err === undefined) return null;
      const at = err.linePos?.[0] ?? lineColumn(v.text, err.pos[0]);
      return { message: err.message.split('\n')[0] ?? err.code, line: at.line, column: 'col' in at ? at.col : at.column };
    }
    case 'properties': {
      const r = parseProperties(v.text);
      return r.ok ? null : r.problem;
    }
  }
}

/** The parsed form of a validated value (JSON value, YAML data, properties map, or the text). */
export function parseValue(v: ConfigValue): unknown {
  switch (v.type) {
    case 'text':
      return v.text;
    case 'json':
      return JSON.parse(v.text) as unknown;
    case 'yaml':
      return parseDocument(v.text).toJS() as unknown;
    case 'properties': {
      const r = parseProperties(v.text);
      if (!r.ok) throw new ConfigError('InvalidValue', `invalid properties at line ${r.problem.line}`);
      return r.value satisfies Properties;
    }
  }
}
