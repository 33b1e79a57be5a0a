// `kite cluster up` in the foreground, as the README runs it: it prints the endpoints once a
// leader exists, streams prefixed member logs, and Ctrl-C stops every member; a second run
// reuses the data.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isOurs } from '../src/cluster/procs.js';
import { BIN, collect, killPid, pickBasePort, runKite } from './cluster-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'kite-cli-up-'));
// Clear of cluster-harness's ports in this process: its clients (+0..), etcd doors (+10..) and peers (+100..).
const basePort = pickBasePort() + 30;
const env = { ...process.env, NO_COLOR: '1', KITE_ENDPOINTS: `ws://127.0.0.1:${basePort}` };
const memberPids: number[] = [];
/** Every foreground `kite cluster up` started, so afterAll can kill one that ignored Ctrl-C. */
const upProcesses: ChildProcess[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Member pids from the pid file, for a run that failed before the test recorded them. */
function pidFileMembers(): number[] {
  const file = join(dir, 'cluster.pid');
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as { members: { pid: number }[] }).members.map((m) => m.pid);
}

afterAll(() => {
  for (const up of upProcesses) if (up.exitCode === null && up.signalCode === null) up.kill('SIGKILL');
  // isOurs: only pids whose command line still names our data dir (never a recycled pid).
  for (const pid of new Set([...memberPids, ...pidFileMembers()])) if (pid > 0 && isOurs(pid, dir)) killPid(pid);
  rmSync(dir, { recursive: true, force: true });
});

async function upThenCtrlC(check: () => Promise<void>): Promise<number | null> {
  const up = spawn(process.execPath, [BIN, 'cluster', 'up', '--nodes', '3', '--base-port', String(basePort), '--data-dir', dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  upProcesses.push(up);
  const out = collect(up);
  const exited = new Promise<number | null>((r) => up.on('exit', (code) => r(code)));
  try {
    await out.until(/kite cluster of 3 members is up \(leader n[123]\)/, 60_000);
    const pf = JSON.parse(readFileSync(join(dir, 'cluster.pid'), 'utf8')) as { members: { pid: number }[] };
    memberPids.push(...pf.members.map((m) => m.pid));
    expect(out.text()).toMatch(/^n[123] +\| .*kite member started/m);
    expect(out.text()).toContain(`export KITE_ENDPOINTS=ws://127.0.0.1:${basePort},ws://127.0.0.1:${basePort + 1},ws://127.0.0.1:${basePort + 2}`);
    expect(out.text()).toContain(`ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:${basePort + 10},http://127.0.0.1:${basePort + 11},http://127.0.0.1:${basePort + 12}`);
    await check();
  } finally {
    up.kill('SIGINT');
  }
  return exited;
}

describe('kite cluster up (foreground)', () => {
  it('starts, serves, stops every member on Ctrl-C, and keeps the data for the next run', async () => {
    const first = await upThenCtrlC(async () => {
      expect((await runKite(['put', '/persist', 'yes'], env)).code).toBe(0);
    });
    expect(first).toBe(0);
    expect(memberPids.filter(alive)).toEqual([]);
    const second = await upThenCtrlC(async () => {
      const r = await runKite(['get', '/persist', '--print-value-only'], env);
      expect(r.stdout).toBe('yes\n');
    });
    expect(second).toBe(0);
    expect(memberPids.filter(alive)).toEqual([]);
  });
});
