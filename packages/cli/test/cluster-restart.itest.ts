// `kite cluster up --detach` on a detached cluster with a dead member restarts exactly the
// missing member, as its own messages promise, also when the dead member's pid number has
// been reused meanwhile. On Linux, process and thread ids share one number space: on a busy
// machine a dead member's pid is soon a thread of some other process, and /proc/<tid>/cmdline
// shows that process's command line, which for another member of the same cluster names our
// data dir. Such a pid must not count as the dead member running.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killPid, startCluster, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
});

afterAll(async () => {
  await cluster?.stop();
});

interface PidFileJson {
  members: { name: string; pid: number }[];
  [k: string]: unknown;
}

function readPids(): PidFileJson {
  return JSON.parse(readFileSync(join(cluster.dir, 'cluster.pid'), 'utf8')) as PidFileJson;
}

/** Waits (bounded) until a killed pid is gone, so the test does not race the kernel. */
async function gone(pid: number): Promise<void> {
  for (const deadline = performance.now() + 10_000; performance.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`pid ${pid} still alive`);
}

async function upDetached(): Promise<{ code: number; out: string }> {
  const r = await cluster.kite(['cluster', 'up', '--detach', '--data-dir', cluster.dir]);
  return { code: r.code, out: `${r.stderr}${r.stdout}` };
}

/** Each member's up flag once all answer (cluster up returns at the first leader; a restarted member may take longer), bounded. */
async function allUp(): Promise<boolean[]> {
  let up: boolean[] = [];
  for (const deadline = performance.now() + 20_000; performance.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const r = await cluster.kite(['cluster', 'status', '--data-dir', cluster.dir, '-w', 'json']);
    up = (JSON.parse(r.stdout) as { members: { up: boolean }[] }).members.map((m) => m.up);
    if (up.every(Boolean)) break;
  }
  return up;
}

describe('kite cluster up --detach with a dead member', () => {
  it('restarts a killed member', async () => {
    const victim = readPids().members[1]!;
    killPid(victim.pid);
    await gone(victim.pid);
    const up = await upDetached();
    expect(up.code).toBe(0);
    expect(up.out).toContain(`restarting stopped member(s) ${victim.name};`);
    expect(readPids().members[1]!.pid).not.toBe(victim.pid);
    expect(await allUp()).toEqual([true, true, true]);
  });

  it("restarts it when its pid now belongs to a thread of another member, or to another member's process", async () => {
    const pf = readPids();
    const [n1, victim] = [pf.members[0]!, pf.members[2]!];
    killPid(victim.pid);
    await gone(victim.pid);
    // Stand-ins for the kernel reusing the dead pid: a thread of n1, then n1's process itself.
    const threadOfN1 = readdirSync(`/proc/${n1.pid}/task`).map(Number).find((tid) => tid !== n1.pid);
    expect(threadOfN1).toBeDefined();
    for (const reused of [threadOfN1!, n1.pid]) {
      const file = join(cluster.dir, 'cluster.pid');
      const now = readPids();
      writeFileSync(file, JSON.stringify({ ...now, members: now.members.map((m) => (m.name === victim.name ? { ...m, pid: reused } : m)) }));
      const up = await upDetached();
      expect([up.code, up.out]).toEqual([0, expect.stringContaining(`restarting stopped member(s) ${victim.name};`) as unknown]);
      expect(await allUp()).toEqual([true, true, true]);
      // Stop the restarted member again for the next stand-in.
      if (reused !== n1.pid) {
        const restarted = readPids().members[2]!.pid;
        killPid(restarted);
        await gone(restarted);
      }
    }
    // n1 was never touched.
    process.kill(n1.pid, 0);
  });
});
