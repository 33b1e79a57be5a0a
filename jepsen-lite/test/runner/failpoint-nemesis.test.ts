// The failpoint nemesis over real child processes standing in for members: a tiny script that
// exits 86 (the server's failpoint exit code) when KITE_FAILPOINTS is set and otherwise runs
// until killed. The nemesis must start its target with the point armed, see it crash, record
// the fault as kill/restart with the spec, and restart it clean (the armed env for that one
// start only). The server side (the point really firing) is test/integration/failpoints.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { NodeProcess } from '../../src/cluster/node-process.js';
import { EXIT_FAILPOINT, FAILPOINT_CHOICES, failpointNemesis } from '../../src/nemesis/failpoint.js';
import type { RunEvent } from '../../src/nemesis/types.js';
import { Recorder } from '../../src/run/recorder.js';
import { createRng } from '../../src/util/rng.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jl-failpoint-'));
const script = path.join(dir, 'member.mjs');
writeFileSync(
  script,
  `const fp = process.env.KITE_FAILPOINTS;
console.log('start KITE_FAILPOINTS=' + (fp ?? '-'));
if (fp !== undefined) process.exit(${EXIT_FAILPOINT});
setInterval(() => undefined, 1000);
`,
);
const cluster = new Cluster({
  nodes: 3, dir, serverBin: script, clusterToken: 't', tickMs: 100, electionTicks: 10,
  snapshotEntries: 100, snapshotCatchupEntries: 10, logLevel: 'info', rng: createRng(1), tls: false,
});
afterAll(async () => {
  for (const p of cluster.processes.values()) await p.kill9();
  rmSync(dir, { recursive: true, force: true });
});

describe('failpoint nemesis', () => {
  it('restarts one member with a failpoint armed, sees it crash, then restarts it clean', async () => {
    for (const name of cluster.names) {
      const p = new NodeProcess({ name, serverBin: script, args: [], logFile: path.join(dir, `${name}.log`), env: { PATH: process.env['PATH'] ?? '' } });
      cluster.processes.set(name, p);
      p.start();
    }
    const starts = (name: string): string[] | null => readFileSync(path.join(dir, `${name}.log`), 'utf8').match(/^start .*$/gm);
    for (const name of cluster.names) await expect.poll(() => starts(name), { timeout: 10_000 }).toEqual(['start KITE_FAILPOINTS=-']);
    let t = 0;
    const recorder = new Recorder({ nowNs: () => ++t, nowMs: () => t / 1e6 });
    const events: RunEvent[] = [];
    const fault = await failpointNemesis.start({ cluster, recorder, rng: createRng(3), events, log: () => undefined });
    expect(fault).not.toBeNull();
    const kill = recorder.entries[0]?.value as { kind: string; nodes: string[]; failpoint: string };
    expect(kill.kind).toBe('failpoint');
    expect(kill.failpoint).toMatch(new RegExp(`^(${FAILPOINT_CHOICES.join('|')})=crash@\\d+$`));
    const node = kill.nodes[0] as string;
    const proc = cluster.process(node);
    expect(proc.state).toBe('stopped');
    expect(proc.lastExit?.code).toBe(EXIT_FAILPOINT);
    expect(events).toEqual([{ timeNs: expect.any(Number), kind: 'failpoint', value: { node, failpoint: kill.failpoint, fired: true, exitCode: EXIT_FAILPOINT } }]);
    // The others were left alone.
    for (const n of cluster.names.filter((x) => x !== node)) expect(cluster.process(n).starts).toBe(1);
    await fault?.stop();
    expect(proc.state).toBe('running');
    expect(recorder.entries.map((e) => e.f)).toEqual(['kill', 'restart']);
    // Three starts: the original, the armed one, the clean one.
    await expect.poll(() => starts(node), { timeout: 10_000 }).toEqual([
      'start KITE_FAILPOINTS=-',
      `start KITE_FAILPOINTS=${kill.failpoint}`,
      'start KITE_FAILPOINTS=-',
    ]);
  });
});
