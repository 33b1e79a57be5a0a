// The gateway's request-stream splitter: objects are found across any chunking, braces and
// quotes inside strings do not count, and the bound on an unfinished object holds.
import { describe, expect, it } from 'vitest';
import { GatewayInputError } from '../../src/etcd/gateway-json.js';
import { JsonObjectSplitter } from '../../src/etcd/json-object-splitter.js';

const BODY = '{"create_request": {"key":"Zm9v"} }\n  {"a":"}{\\"\\\\","b":{"c":[{"d":1}]}}{"progress_request":{}}\r\n';
const OBJECTS = ['{"create_request": {"key":"Zm9v"} }', '{"a":"}{\\"\\\\","b":{"c":[{"d":1}]}}', '{"progress_request":{}}'];

describe('JsonObjectSplitter', () => {
  it('finds the same objects whatever the chunk boundaries', () => {
    const bytes = Buffer.from(BODY);
    for (let size = 1; size <= bytes.length; size++) {
      const s = new JsonObjectSplitter(1024);
      const got: string[] = [];
      for (let i = 0; i < bytes.length; i += size) got.push(...s.push(bytes.subarray(i, i + size)));
      expect(got).toEqual(OBJECTS);
      expect(s.midObject).toBe(false);
      for (const o of got) expect(() => JSON.parse(o) as unknown).not.toThrow();
    }
  });

  it('keeps multi-byte UTF-8 split across chunks intact', () => {
    const bytes = Buffer.from('{"k":"é€😀"}');
    const s = new JsonObjectSplitter(1024);
    const got = [...s.push(bytes.subarray(0, 8)), ...s.push(bytes.subarray(8))];
    expect(got).toEqual(['{"k":"é€😀"}']);
  });

  it('reports an unfinished object', () => {
    const s = new JsonObjectSplitter(1024);
    expect(s.push(Buffer.from('{"a": {"b": 1}'))).toEqual([]);
    expect(s.midObject).toBe(true);
  });

  it('refuses anything but objects at the top level', () => {
    expect(() => new JsonObjectSplitter(1024).push(Buffer.from('[1]'))).toThrow(GatewayInputError);
    expect(() => new JsonObjectSplitter(1024).push(Buffer.from('{} x'))).toThrow(GatewayInputError);
  });

  it('refuses an object once it holds more than its bound, before buffering more', () => {
    const s = new JsonObjectSplitter(100);
    expect(s.push(Buffer.from(`{"k":"${'a'.repeat(80)}`))).toEqual([]);
    expect(() => s.push(Buffer.from('a'.repeat(30)))).toThrow(/passed 100 bytes/);
    // An object of exactly the bound passes.
    const t = new JsonObjectSplitter(100);
    const exact = `{"k":"${'a'.repeat(92)}"}`;
    expect(exact.length).toBe(100);
    expect(t.push(Buffer.from(exact))).toEqual([exact]);
  });
});
