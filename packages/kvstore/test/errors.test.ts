// Every bad-input path answers a typed error with a clear message and leaves the store as it was.
import { describe, expect, it } from 'vitest';
import { enc, memoryStore } from './helpers.js';
import type { Command } from '../src/command.js';
import { decodeCommand, encodeCommand } from '../src/command.js';
import { KvError } from '../src/errors.js';
import { validateCommand } from '../src/validate.js';

const big = (n: number) => new Uint8Array(n);
// Commands built from untrusted input are not well-typed; the casts below are the point.
const cmd = (op: string, args: unknown) => ({ op, args }) as unknown as Command;

function nested(depth: number): unknown {
  let t: unknown = { compare: [], success: [], failure: [] };
  for (let i = 0; i < depth; i++) t = { compare: [], success: [{ type: 'txn', ...(t as object) }], failure: [] };
  return t;
}

const bad: [string, Command, string, RegExp][] = [
  ['empty key', cmd('put', { key: big(0), value: enc('v') }), 'InvalidArgument', /key is empty/],
  ['key not bytes', cmd('put', { key: 'k', value: enc('v') }), 'InvalidArgument', /key must be bytes/],
  ['key too large', cmd('put', { key: big(32 * 1024 + 1), value: enc('v') }), 'RequestTooLarge', /over the limit/],
  ['value too large', cmd('put', { key: enc('k'), value: big(1.5 * 1024 * 1024 + 1) }), 'RequestTooLarge', /value is 1572865 bytes/],
  ['negative lease', cmd('put', { key: enc('k'), value: enc('v'), lease: -1 }), 'InvalidArgument', /lease/],
  ['missing lease', cmd('put', { key: enc('k'), value: enc('v'), lease: 77 }), 'LeaseNotFound', /lease 77 not found/],
  ['ignoreLease with lease', cmd('put', { key: enc('k'), value: enc(''), lease: 1, ignoreLease: true }), 'InvalidArgument', /ignoreLease/],
  ['range end before key', cmd('deleteRange', { key: enc('b'), rangeEnd: enc('a') }), 'InvalidArgument', /rangeEnd sorts before key/],
  ['unknown compare target', cmd('txn', { compare: [{ key: enc('k'), target: 'colour', result: 'equal', value: 1 }], success: [], failure: [] }), 'InvalidArgument', /unknown compare target colour/],
  ['unknown compare result', cmd('txn', { compare: [{ key: enc('k'), target: 'version', result: 'roughly', value: 1 }], success: [], failure: [] }), 'InvalidArgument', /unknown compare result roughly/],
  ['compare value type', cmd('txn', { compare: [{ key: enc('k'), target: 'value', result: 'equal', value: 1 }], success: [], failure: [] }), 'InvalidArgument', /needs bytes/],
  ['unknown txn op', cmd('txn', { compare: [], success: [{ type: 'rename', key: enc('k') }], failure: [] }), 'InvalidArgument', /unknown txn op type rename/],
  ['txn branches not lists', cmd('txn', { compare: [], success: 'all', failure: [] }), 'InvalidArgument', /must be a list/],
  ['txn too large', cmd('txn', { compare: [], success: [{ type: 'put', key: enc('a'), value: big(1024 * 1024) }, { type: 'put', key: enc('b'), value: big(1024 * 1024) }], failure: [] }), 'RequestTooLarge', /txn is/],
  ['bad sort order', cmd('txn', { compare: [], success: [{ type: 'range', key: enc('k'), sortOrder: 'sideways' }], failure: [] }), 'InvalidArgument', /unknown sortOrder/],
  ['compact revision not a number', cmd('compact', { revision: 'soon' }), 'InvalidArgument', /revision must be/],
  ['lease TTL not an integer', cmd('leaseGrant', { ttl: 1.5 }), 'InvalidArgument', /TTL must be an integer/],
  ['lease revoke id 0', cmd('leaseRevoke', { id: 0 }), 'InvalidArgument', /positive/],
  ['checkpoint not a list', cmd('leaseCheckpoint', { checkpoints: 3 }), 'InvalidArgument', /list/],
  ['unknown op', cmd('rename', {}), 'MalformedFrame', /unknown command op rename/],
  ['txn nested too deep', cmd('txn', nested(40)), 'InvalidArgument', /nested deeper than 32/],
];

describe('bad input', () => {
  it.each(bad)('%s -> %s', async (_name, command, code, message) => {
    const { store, d } = await memoryStore();
    await d.put('k', 'v');
    const hash = await store.hash();
    const [res] = await d.apply(command);
    expect(res?.status).toBe('failed');
    if (res?.status !== 'failed') return;
    expect(res.error).toBeInstanceOf(KvError);
    expect(res.error.code).toBe(code);
    expect(res.error.message).toMatch(message);
    expect(store.currentRevision).toBe(2);
    expect(store.appliedIndex).toBe(2); // the failed entry still counts as applied
    expect(await store.hash()).toEqual(hash);
    await d.put('k', 'after'); // and the store goes on working
    expect(store.currentRevision).toBe(3);
  });

  it('a txn nested 10,000 deep is refused, not a stack overflow, also as encoded bytes', async () => {
    const { store, d } = await memoryStore();
    const deep = cmd('txn', nested(10_000));
    const [direct] = await d.apply(deep);
    expect(direct).toMatchObject({ status: 'failed', error: { code: 'InvalidArgument' } });
    let bytes: Uint8Array | undefined;
    try {
      bytes = encodeCommand(deep);
    } catch {
      bytes = undefined; // msgpackr may refuse to encode it at all; nothing to apply then
    }
    if (bytes !== undefined) {
      const [encoded] = await d.apply(bytes as unknown as Command);
      expect(encoded?.status).toBe('failed');
    }
    expect(store.currentRevision).toBe(1);
  });

  it('range() validates its arguments', async () => {
    const { store } = await memoryStore();
    await expect(store.range({ key: big(0) })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(store.range({ key: enc('b'), rangeEnd: enc('a') })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(store.range({ key: enc('a'), limit: -1 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(store.range({ key: enc('a'), sortTarget: 'colour' as never })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('validateCommand is the same check the server can run before proposing', () => {
    expect(() => validateCommand(bad[0]![1])).toThrow(KvError);
    expect(() => validateCommand({ op: 'put', args: { key: enc('k'), value: enc('v') } })).not.toThrow();
  });

  it('command encoding is versioned and refuses unknown versions and shapes', () => {
    const c: Command = { op: 'put', args: { key: enc('k'), value: enc('v'), lease: 3 } };
    expect(decodeCommand(encodeCommand(c))).toMatchObject({ op: 'put', args: { lease: 3 } });
    expect(decodeCommand(encodeCommand({ op: 'noop' }))).toEqual({ op: 'noop' });
    const bytes = encodeCommand(c);
    const wrongVersion = bytes.slice();
    wrongVersion[1] = 9; // [version, ...]: the version is the array's first element
    expect(() => decodeCommand(wrongVersion)).toThrow(/unknown command version 9/);
    expect(() => decodeCommand(new Uint8Array([0xc1]))).toThrow(expect.objectContaining({ code: 'MalformedFrame' }));
  });
});
