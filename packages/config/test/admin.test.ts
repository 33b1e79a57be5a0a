// The operator workflow against the store model: drafts, releases with diffs, rollback as a
// new release, gray start/update/promote/abort, and every guarded transition refusing a
// concurrent writer with an error that names the winner.
import { describe, expect, it } from 'vitest';
import { toBytes } from '@kite/protocol';
import { ConfigAdmin, isConfigError, type ConfigError } from '../src/index.js';
import { KvModel } from './helpers.js';

const APP = { namespace: 'prod', app: 'shop' };
const json = (text: string) => ({ type: 'json' as const, text });
const text = (t: string) => ({ type: 'text' as const, text: t });

async function rejection(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    if (isConfigError(err)) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('ConfigAdmin', () => {
  it('releases staged keys with message, author and diff; rollback republishes as a new release', async () => {
    const kv = new KvModel();
    const a = new ConfigAdmin(kv, APP);
    await a.set('db', json('{"host":"a"}'));
    await a.set('flags', text('x'));
    await a.set('limits', { type: 'yaml', text: 'max: 1\n' });
    expect((await a.diff()).diff.map((d) => [d.key, d.change])).toEqual([['db', 'added'], ['flags', 'added'], ['limits', 'added']]);
    const r1 = await a.publish({ message: 'first', author: 'ana' });
    expect(r1).toMatchObject({ number: 1, kind: 'release', author: 'ana', message: 'first', base: 0 });
    expect((await a.diff()).diff).toEqual([]);

    await a.set('db', json('{"host":"b"}'));
    await a.unset('flags');
    const r2 = await a.publish({ message: 'second', author: 'bo' });
    expect(r2.diff.map((d) => [d.key, d.change])).toEqual([['db', 'changed'], ['flags', 'removed']]);
    expect(Object.keys(r2.content)).toEqual(['db', 'limits']);

    const r3 = await a.rollback({ to: 1, message: 'undo', author: 'ana' });
    expect(r3).toMatchObject({ number: 3, kind: 'rollback', rollbackOf: 1, base: 2 });
    expect(r3.content).toEqual(r1.content);
    const list = await a.releases();
    expect(list.map((r) => [r.number, r.status, r.author, r.message])).toEqual([
      [1, 'superseded', 'ana', 'first'], [2, 'superseded', 'bo', 'second'], [3, 'current', 'ana', 'undo'],
    ]);
    expect((await a.release(1)).content).toEqual(r1.content);
  });

  it('refuses empty releases, invalid values (also when written around set), and unknown rollback targets', async () => {
    const kv = new KvModel();
    const a = new ConfigAdmin(kv, APP);
    expect((await rejection(a.publish({ message: 'm', author: 'x' }))).code).toBe('NothingToRelease');
    const bad = await rejection(a.set('db', json('{"a": }')));
    expect(bad.code).toBe('InvalidValue');
    expect(bad.details).toMatchObject({ line: 1, column: 7 });
    // A draft written with a raw put (not through set) is validated again at release.
    await kv.put(`${a.keys.base}draft/cfg`, JSON.stringify({ op: 'set', value: { type: 'yaml', text: 'a: [1' } }));
    expect((await rejection(a.publish({ message: 'm', author: 'x' }))).code).toBe('InvalidValue');
    expect((await a.releases())).toEqual([]);
    expect((await rejection(a.rollback({ to: 5, message: 'm', author: 'x' }))).code).toBe('ReleaseNotFound');
  });

  it('two concurrent releases of one app: exactly one wins, the other names the winner', async () => {
    const kv = new KvModel();
    const a = new ConfigAdmin(kv, APP);
    const b = new ConfigAdmin(kv, APP);
    await a.set('k', text('1'));
    // Both read the same head before either commits (the model yields between calls).
    const results = await Promise.allSettled([a.publish({ message: 'from a', author: 'ana' }), b.publish({ message: 'from b', author: 'bo' })]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const err = lost[0]!.reason as ConfigError;
    expect(err.code).toBe('ReleaseConflict');
    expect(err.details['winner']).toBe(1);
    expect(err.message).toMatch(/release 1 by (ana|bo)/);
    expect((await a.releases()).map((r) => r.number)).toEqual([1]);
    // expectBase: a release reviewed against release 0 is refused now that 1 is current.
    await a.set('k', text('2'));
    expect((await rejection(b.publish({ message: 'stale review', author: 'bo', expectBase: 0 }))).details).toMatchObject({ winner: 1 });
  });

  it('a draft edit between reading and publishing fails the release (no edit lost)', async () => {
    const kv = new KvModel();
    const a = new ConfigAdmin(kv, APP);
    await a.set('k', text('1'));
    const origTxn = kv.txn.bind(kv);
    let reads = 0;
    kv.txn = async (args) => {
      const r = await origTxn(args);
      // Right after the release read its state, someone stages another edit.
      if (args.success.length === 3 && reads++ === 0) await origTxn({ compare: [], success: [...(await editOps(a))], failure: [] });
      return r;
    };
    expect((await rejection(a.publish({ message: 'm', author: 'x' }))).code).toBe('DraftChanged');
    kv.txn = origTxn;
    const r = await a.publish({ message: 'm', author: 'x' });
    expect(Object.keys(r.content)).toEqual(['k', 'late']);
  });

  it('gray: start, grow, promote or abort, each atomic; releases refused meanwhile', async () => {
    const kv = new KvModel();
    const a = new ConfigAdmin(kv, APP);
    await a.set('k', text('1'));
    await a.publish({ message: 'one', author: 'x' });
    await a.set('k', text('2'));
    const g = await a.grayStart({ message: 'two', author: 'x', rule: { kind: 'percentage', percent: 10 } });
    expect(g).toMatchObject({ number: 2, kind: 'gray' });
    let s = await a.state();
    expect(s.head).toMatchObject({ release: 1, last: 2, gray: { release: 2, rule: { kind: 'percentage', percent: 10 } } });
    await a.set('k', text('3'));
    expect((await rejection(a.publish({ message: 'm', author: 'x' }))).code).toBe('GrayInProgress');
    await a.grayUpdate({ author: 'x', rule: { kind: 'percentage', percent: 50 } });
    await a.grayAbort({ author: 'x' });
    s = await a.state();
    expect(s.head).toEqual({ release: 1, last: 2, gray: null });
    expect((await a.releases()).map((r) => r.status)).toEqual(['current', 'aborted']);
    expect((await rejection(a.grayPromote({ author: 'x' }))).code).toBe('NoGrayRelease');
    // The next gray release gets a new number, diffed against what everyone runs (1).
    const g3 = await a.grayStart({ message: 'three', author: 'x', rule: { kind: 'labels', labels: { zone: 'a' } } });
    expect(g3).toMatchObject({ number: 3, base: 1 });
    await a.grayPromote({ author: 'x' });
    expect((await a.state()).head).toEqual({ release: 3, last: 3, gray: null });
    expect((await a.releases()).map((r) => r.status)).toEqual(['superseded', 'aborted', 'current']);
  });

  it('a promote racing an abort: one wins, the other gets a conflict', async () => {
    const kv = new KvModel();
    const a = new ConfigAdmin(kv, APP);
    await a.set('k', text('1'));
    await a.grayStart({ message: 'g', author: 'x', rule: { kind: 'percentage', percent: 50 } });
    const results = await Promise.allSettled([a.grayPromote({ author: 'p' }), a.grayAbort({ author: 'q' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect((lost.reason as ConfigError).code).toBe('ReleaseConflict');
  });

  it('refuses bad names before touching the store', async () => {
    const kv = new KvModel();
    expect(() => new ConfigAdmin(kv, { namespace: '../x', app: 'a' })).toThrow(/invalid namespace/);
    const a = new ConfigAdmin(kv, APP);
    expect((await rejection(a.set('a/b', text('1')))).code).toBe('InvalidName');
    expect(kv.revision).toBe(1);
  });
});

async function editOps(a: ConfigAdmin) {
  return [
    { type: 'put' as const, key: a.keys.draft('late'), value: toBytes(JSON.stringify({ op: 'set', value: { type: 'text', text: 'L' } })) },
    { type: 'put' as const, key: a.keys.draftSeq, value: toBytes('9') },
  ];
}
