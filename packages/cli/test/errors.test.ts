// Error messages a person can act on, and the exit codes of the program.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KiteError } from '@kite/protocol';
import { describeError } from '../src/describe-error.js';
import { main } from '../src/main.js';
import { EXIT_USAGE } from '../src/errors.js';
import { makeLineFormatter } from '../src/cluster/log-prefixer.js';
import { paintFor } from '../src/output/color.js';

describe('describeError', () => {
  it('an unreachable cluster names the endpoints it tried', () => {
    const last = new KiteError('Unavailable', 'no endpoint reachable (last: cannot connect to ws://a:1/v1: socket error: connect ECONNREFUSED a:1)');
    const err = new KiteError('Timeout', 'deadline of 2000 ms exceeded', {}, { cause: last });
    expect(describeError(err, { endpoints: ['ws://a:1', 'ws://b:2'] }))
      .toMatch(/^cannot reach any of ws:\/\/a:1, ws:\/\/b:2 \(connection refused\)\. Is the cluster running\?/);
    expect(describeError(last, { endpoints: ['ws://a:1'] })).toMatch(/^cannot reach ws:\/\/a:1 \(connection refused\)/);
  });

  it('a member that answers Unavailable is not called unreachable', () => {
    const err = new KiteError('Unavailable', 'learner abc is not in sync with the leader yet');
    expect(describeError(err, { endpoints: ['ws://a:1'] })).toBe('learner abc is not in sync with the leader yet [Unavailable]; the cluster is up but cannot do this right now — retry shortly');
  });

  it('a compacted revision says which revision is still available', () => {
    const err = new KiteError('Compacted', 'required revision has been compacted', { compactRevision: 40 });
    expect(describeError(err, { revision: 7 })).toBe('revision 7 has been compacted; the oldest revision still available is 40 [Compacted]');
    expect(describeError(new KiteError('FutureRevision', 'x', { currentRevision: 5 }), { revision: 9 }))
      .toBe('revision 9 is in the future; the current revision is 5 [FutureRevision]');
  });

  it('an indeterminate write says it may have been applied', () => {
    const err = new KiteError('Unavailable', 'put: link lost; outcome unknown', { indeterminate: true });
    expect(describeError(err, {})).toMatch(/may or may not have been applied/);
  });
});

describe('exit codes', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('usage errors exit 2: unknown command, missing argument, bad flag value', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    for (const argv of [['frobnicate'], ['get'], ['get', 'k', '--limit', 'x'], ['get', 'k', '-w', 'yaml'], ['cluster', 'up', '--nodes', '0']]) {
      process.exitCode = undefined;
      await main(argv);
      expect([argv.join(' '), process.exitCode]).toEqual([argv.join(' '), EXIT_USAGE]);
    }
  });

  it('help documents the exit codes and exits 0', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    await main(['--help']);
    expect(process.exitCode ?? 0).toBe(0);
    expect(out).toMatch(/Exit codes:\n {2}0 {2}success\n {2}1 {2}the operation failed.*\n {2}2 {2}usage error/);
  });
});

describe('cluster log prefixer', () => {
  it('prefixes each member line and renders pino JSON readably', () => {
    const fmt = makeLineFormatter('n2', 1, 3, paintFor({ isTTY: false }));
    expect(fmt('plain text')).toBe('n2  | plain text');
    const line = fmt(JSON.stringify({ level: 30, time: 0, msg: 'leader changed', member: 'n2', leader: 'abc' }));
    expect(line.startsWith('n2  | ')).toBe(true);
    expect(line).toMatch(/INFO.*leader changed/);
    expect(line).toContain('abc');
  });
});
