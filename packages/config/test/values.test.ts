// Value validation: malformed JSON, YAML and properties are refused with line and column;
// the JSON scanner agrees with JSON.parse on what is valid.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findJsonError, isConfigError, parseValue, validateValue } from '../src/index.js';

function refusal(type: 'json' | 'yaml' | 'properties', text: string): { line: unknown; column: unknown; message: string } {
  try {
    validateValue('k', { type, text });
  } catch (err) {
    if (!isConfigError(err, 'InvalidValue')) throw err;
    return { line: err.details['line'], column: err.details['column'], message: err.message };
  }
  throw new Error('accepted');
}

describe('value validation', () => {
  it('names the line and column of a JSON error', () => {
    expect(refusal('json', '{\n  "a": 1,\n  "b": }\n')).toMatchObject({ line: 3, column: 8 });
    expect(refusal('json', '{"a": 1,}')).toMatchObject({ line: 1, column: 9 });
    expect(refusal('json', '[1, 2')).toMatchObject({ line: 1, column: 6 });
    expect(refusal('json', '{"a": 1} x').message).toContain('line 1, column 10');
  });

  it('accepts exactly what JSON.parse accepts', () => {
    const samples = ['', ' ', '{}', '[]', '"\\u12"', '"\\x"', '01', '-', '1e', '1.', '.5', 'tru', '{"a" 1}', '"a\tb"', '[1,]', 'nul', '-0', '1E+2', '"\\ud800"'];
    for (const s of samples) expect(findJsonError(s) === null, s).toBe(canParse(s));
    fc.assert(fc.property(fc.json(), (s) => findJsonError(s) === null));
    fc.assert(fc.property(fc.string(), (s) => (findJsonError(s) === null) === canParse(s)));
  });

  it('names the line and column of a YAML error', () => {
    const r = refusal('yaml', 'a: 1\nb: [1, 2\nc: 3\n');
    expect(r.line).toBeTypeOf('number');
    expect(r.column).toBeTypeOf('number');
    expect(refusal('yaml', 'a: 1\nb: c: d\n')).toMatchObject({ line: 2, column: 4 });
    expect(() => validateValue('k', { type: 'yaml', text: 'a: 1\nb:\n  - x\n  - y\n' })).not.toThrow();
  });

  it('parses properties and refuses a malformed escape', () => {
    expect(parseValue({ type: 'properties', text: '# c\na=1\nb : two\\\n  three\nc\\u0041 x\n' })).toEqual({ a: '1', b: 'twothree', cA: 'x' });
    expect(refusal('properties', 'a=1\nb=\\u12zz\n')).toMatchObject({ line: 2 });
  });
});

function canParse(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
