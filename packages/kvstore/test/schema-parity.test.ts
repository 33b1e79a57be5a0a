// The store's apply-time verdict on a replicated command is the op schema's verdict on the same
// arguments (one definition: @kite/protocol's validateArgs), as a KvError with the same code,
// message and details; so the server's check before proposing and every replica's check at
// apply agree.
import { describe, expect, it } from 'vitest';
import { KiteError, validateArgs, type OpName } from '@kite/protocol';
import type { Command } from '../src/command.js';
import { KvError } from '../src/errors.js';
import { validateCommand } from '../src/validate.js';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);

const CASES: readonly [OpName & Command['op'], Record<string, unknown>][] = [
  ['put', { key: b(''), value: b('v') }],
  ['put', { key: b('k'), value: b('v'), lease: -1 }],
  ['put', { key: b('k'), value: new Uint8Array(1.5 * 1024 * 1024 + 1) }],
  ['put', { key: new Uint8Array(32 * 1024 + 1), value: b('v') }],
  ['put', { key: b('k'), value: b('v'), ignoreValue: true }],
  ['deleteRange', { key: b('b'), rangeEnd: b('a') }],
  ['deleteRange', { key: b('a'), prevKv: 'yes' }],
  ['txn', { compare: [{ key: b('k'), target: 'colour', result: 'equal', value: 1 }], success: [], failure: [] }],
  ['txn', { compare: [], success: [{ type: 'range', key: b('k'), sortOrder: 'sideways' }], failure: [] }],
  ['txn', { compare: [], success: Array.from({ length: 129 }, (_, i) => ({ type: 'put', key: b(`k${i}`), value: b('') })), failure: [] }],
  ['compact', { revision: -3 }],
];

describe('store and schema agree', () => {
  it.each(CASES)('%s %#', (op, args) => {
    let schemaError: unknown;
    try {
      validateArgs(op, args);
    } catch (err) {
      schemaError = err;
    }
    expect(schemaError).toBeInstanceOf(KiteError);
    const { code, message, details } = schemaError as KiteError;
    let storeError: unknown;
    try {
      validateCommand({ op, args } as unknown as Command);
    } catch (err) {
      storeError = err;
    }
    expect(storeError).toBeInstanceOf(KvError);
    expect({ code: (storeError as KvError).code, message: (storeError as KvError).message, details: (storeError as KvError).details }).toEqual({ code, message, details });
  });
});
