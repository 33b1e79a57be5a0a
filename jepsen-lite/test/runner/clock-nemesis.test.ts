// The clock nemesis without processes: it skews exactly the leader's clock file (the others
// stay true), cuts the leader off from its peers, records the window with the skew, and
// stopping it puts the clock back and opens the links. libfaketime's spec text is checked on
// its own, including the bounds that keep a bad skew out of the file.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { faketimeSpec } from '../../src/cluster/member-clocks.js';
import { drawSkew } from '../../src/nemesis/clock.js';
import { nemesisByName, type NemesisContext } from '../../src/nemesis/index.js';
import { Recorder } from '../../src/run/recorder.js';
import { createRng } from '../../src/util/rng.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function context(leader: string): { ctx: NemesisContext; cluster: Cluster; recorder: Recorder } {
  const dir = mkdtempSync(path.join(tmpdir(), 'clock-nemesis-'));
  dirs.push(dir);
  const cluster = new Cluster({
    nodes: 3, dir, serverBin: '/nonexistent', clusterToken: 't', tickMs: 100, electionTicks: 10,
    snapshotEntries: 100, snapshotCatchupEntries: 10, logLevel: 'info', rng: createRng(1), tls: false, fakeClocks: true,
  });
  cluster.leaderWithin = async () => leader;
  cluster.runningNames = () => [...cluster.names];
  let t = 0;
  const recorder = new Recorder({ nowNs: () => ++t, nowMs: () => t / 1e6 });
  return { ctx: { cluster, recorder, rng: createRng(2), events: [], log: () => undefined }, cluster, recorder };
}

const fileOf = (cluster: Cluster, name: string): string => readFileSync(cluster.clocks?.file(name) ?? '', 'utf8');

describe('clock nemesis', () => {
  it('skews only the leader\'s wall clock, cuts it off, and undoes both on stop', async () => {
    const { ctx, cluster, recorder } = context('n2');
    expect(cluster.clocks?.env('n2')).toMatchObject({ FAKETIME_NO_CACHE: '1', DONT_FAKE_MONOTONIC: '1', FAKETIME_TIMESTAMP_FILE: cluster.clocks?.file('n2') });
    expect(cluster.clocks?.envTemplate()['FAKETIME_TIMESTAMP_FILE']).toMatch(/<member>\.faketime$/);
    const fault = await nemesisByName('clock').start(ctx);
    const start = recorder.entries[0]?.value as { node: string; offsetSeconds: number; rate: number };
    expect(start.node).toBe('n2');
    expect(fileOf(cluster, 'n2')).toBe(`${faketimeSpec(start)}\n`);
    expect(start.offsetSeconds !== 0 || start.rate !== 1).toBe(true);
    expect(fileOf(cluster, 'n1')).toBe('+0\n');
    expect(fileOf(cluster, 'n3')).toBe('+0\n');
    for (const peer of ['n1', 'n3']) {
      expect(cluster.proxy.policies.isCut('n2', peer)).toBe(true);
    }
    expect(cluster.proxy.policies.isCut('n1', 'n3')).toBe(false);
    await fault?.stop();
    expect(fileOf(cluster, 'n2')).toBe('+0\n');
    expect(cluster.proxy.policies.isCut('n2', 'n1')).toBe(false);
    expect(recorder.entries.map((e) => e.f)).toEqual(['start-clock', 'stop-clock']);
  });

  it('resetAll puts every skewed clock back and names them', () => {
    const { cluster } = context('n1');
    cluster.clocks?.set('n3', { offsetSeconds: -60, rate: 1 });
    expect(cluster.clocks?.resetAll()).toEqual(['n3']);
    expect(fileOf(cluster, 'n3')).toBe('+0\n');
  });

  it('writes libfaketime specs and refuses skews out of bounds', () => {
    expect(faketimeSpec({ offsetSeconds: -30, rate: 1 })).toBe('-30');
    expect(faketimeSpec({ offsetSeconds: 0, rate: 0.25 })).toBe('+0 x0.25');
    expect(() => faketimeSpec({ offsetSeconds: 0.5, rate: 1 })).toThrow(RangeError);
    expect(() => faketimeSpec({ offsetSeconds: 0, rate: 0 })).toThrow(RangeError);
    const rng = createRng(3);
    expect(drawSkew('jump-back', rng).offsetSeconds).toBeLessThan(0);
    expect(drawSkew('slow', rng).rate).toBeLessThan(1);
    expect(drawSkew('fast', rng).rate).toBeGreaterThan(1);
  });
});
