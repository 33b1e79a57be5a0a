// The SDK's get/put/delete options are the op schema's fields: every field of range, put and
// deleteRange (but key, rangeEnd and value) set as an option reaches the wire, and nothing else.
import { describe, expect, it } from 'vitest';
import { DELETE_RANGE_FIELDS, PUT_FIELDS, RANGE_FIELDS, toBytes } from '@kite/protocol';
import type { CallOptions } from '../src/invoker.js';
import { deleteArgs, putArgs, rangeArgs, type DeleteOptions, type GetOptions, type PutOptions } from '../src/kv.js';

const sample: Record<string, unknown> = {
  limit: 5, revision: 3, sortOrder: 'descend', sortTarget: 'value', serializable: true, keysOnly: true, countOnly: false,
  minModRevision: 1, maxModRevision: 9, minCreateRevision: 2, maxCreateRevision: 8, prevKv: true, lease: 7,
  ignoreValue: false, ignoreLease: false,
};
const optionsOf = (fields: object): Record<string, unknown> =>
  Object.fromEntries(Object.keys(fields).filter((n) => !['key', 'rangeEnd', 'value'].includes(n)).map((n) => [n, sample[n]]));

describe('SDK kv options', () => {
  it('passes every schema field set as an option, and no call option', () => {
    const call: CallOptions = { signal: new AbortController().signal, timeoutMs: 5, retries: 1 };
    const range = optionsOf(RANGE_FIELDS);
    expect(rangeArgs('k', { ...range, ...call, prefix: true } as GetOptions & CallOptions)).toEqual({ key: toBytes('k'), rangeEnd: toBytes('l'), ...range });
    const put = optionsOf(PUT_FIELDS);
    expect(putArgs('k', 'v', { ...put, ...call } as PutOptions & CallOptions)).toEqual({ key: toBytes('k'), value: toBytes('v'), ...put });
    expect(putArgs('k', 'v', { lease: { id: 9 } }).lease).toBe(9);
    const del = optionsOf(DELETE_RANGE_FIELDS);
    expect(deleteArgs('k', { ...del, ...call } as DeleteOptions & CallOptions)).toEqual({ key: toBytes('k'), ...del });
  });
});
