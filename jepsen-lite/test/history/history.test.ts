import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HistoryFormatError } from '../../src/history/errors.js';
import { formatHistoryJsonl, parseHistoryJsonl } from '../../src/history/jsonl.js';
import { pairOperations } from '../../src/history/operations.js';
import { HistoryBuilder } from '../support/builder.js';
import { simulateRegisters } from '../support/register-sim.js';

describe('history format', () => {
  it('round-trips through JSONL', () => {
    const entries = simulateRegisters({ seed: 1, ops: 50, keys: 2, workers: 3 });
    const text = formatHistoryJsonl(entries);
    expect(text.split('\n')).toHaveLength(entries.length + 1);
    expect(parseHistoryJsonl(text)).toEqual(entries);
  });

  it('pairs invokes with completions; info and unfinished ops complete at +infinity', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 'x', 1).invoke(1, 'read', 'x', null).ok(1, 1)
      .nemesis('start-partition').info(0).invoke(2, 'write', 'x', 2);
    const { operations, nemesis } = pairOperations(h.entries);
    expect(nemesis.map((e) => e.f)).toEqual(['start-partition']);
    expect(operations.map((o) => [o.id, o.process, o.f, o.type, o.invokeIndex, o.completeIndex, o.value])).toEqual([
      [0, 0, 'write', 'info', 0, null, 1],
      [1, 1, 'read', 'ok', 1, 2, 1],
      [2, 2, 'write', 'info', 5, null, 2],
    ]);
  });

  it('rejects malformed lines and broken pairing with stable codes', () => {
    const code = (f: () => unknown): string | null => {
      try {
        f();
        return null;
      } catch (e) {
        return e instanceof HistoryFormatError ? `${e.code}@${e.line}` : 'other';
      }
    };
    expect(code(() => parseHistoryJsonl('{"process":0}\n'))).toBe('MalformedHistory@1');
    expect(code(() => parseHistoryJsonl('\nnot json'))).toBe('MalformedHistory@2');
    expect(code(() => parseHistoryJsonl('{"process":"nemesis","type":"ok","f":"kill","value":null,"time":1,"index":0}'))).toBe('MalformedHistory@1');
    const twice = new HistoryBuilder().invoke(0, 'read', 'x', null).entries;
    expect(code(() => pairOperations([...twice, { ...twice[0]!, index: 1 }]))).toBe('DoubleInvoke@1');
    expect(code(() => pairOperations([{ process: 0, type: 'ok', f: 'read', value: null, time: 0, index: 0 }]))).toBe('UnpairedCompletion@0');
  });

  it('accepts every nemesis f of the format and rejects unknown ones', () => {
    const line = (f: string, index = 0): string => JSON.stringify({ process: 'nemesis', type: 'info', f, value: null, time: index, index });
    const fs = ['start-partition', 'stop-partition', 'start-delay', 'stop-delay', 'kill', 'restart', 'pause', 'resume',
      'transfer-leader', 'remove-member', 'add-member', 'compact', 'heal'];
    const parsed = parseHistoryJsonl(fs.map((f, i) => line(f, i)).join('\n'));
    expect(parsed.map((e) => e.f)).toEqual(fs);
    expect(pairOperations(parsed).nemesis).toHaveLength(fs.length);
    expect(() => parseHistoryJsonl(line('start-slowness'))).toThrow(HistoryFormatError);
  });

  it('pairing keeps every operation of any interleaving (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 8 }), (seed, workers) => {
        const entries = simulateRegisters({ seed, ops: 60, keys: 2, workers });
        const { operations } = pairOperations(entries);
        expect(operations).toHaveLength(60);
        expect(operations.every((o) => o.completeIndex === null || o.completeIndex > o.invokeIndex)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});
