// Process bookkeeping for local clusters: the pid file, liveness checks and a bounded stop
// (SIGTERM, wait up to a grace period, then SIGKILL). Only pids recorded by `cluster up` are
// ever signalled, and on Linux only while they are still a process (not a thread: thread ids
// share the pid number space, and /proc/<tid>/cmdline shows its whole process's command line)
// whose command line names our data dir, so a recycled pid is never taken for a member.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PID_FILE, type ClusterPlan } from './layout.js';

/** How long members get to exit after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 10_000;
/** How long to wait for the kernel to reap after SIGKILL. */
export const KILL_WAIT_MS = 5_000;
const POLL_MS = 100;

export interface PidRecord {
  readonly name: string;
  readonly pid: number;
}

export interface PidFile {
  readonly mode: 'foreground' | 'detached';
  /** The `cluster up` process itself (foreground mode): stopping it stops its members. */
  readonly supervisorPid?: number;
  readonly members: readonly PidRecord[];
  readonly startedAt: string;
}

export function pidFilePath(dataDir: string): string {
  return join(dataDir, PID_FILE);
}

export function readPidFile(dataDir: string): PidFile | null {
  const file = pidFilePath(dataDir);
  if (!existsSync(file)) return null;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as PidFile;
    if (!Array.isArray(raw.members)) return null;
    return raw;
  } catch {
    return null;
  }
}

export function writePidFile(dataDir: string, pf: PidFile): void {
  writeFileSync(pidFilePath(dataDir), `${JSON.stringify(pf, null, 2)}\n`);
}

export function removePidFile(dataDir: string): void {
  rmSync(pidFilePath(dataDir), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The arguments of the live process `pid`; null when it is gone, a zombie, or a thread of some
 * other process. undefined where there is no /proc (liveness is all we can know there).
 */
function processArgs(pid: number): string[] | null | undefined {
  if (!isAlive(pid)) return null;
  if (!existsSync('/proc/self/cmdline')) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const tgid = Number(/^Tgid:\s+(\d+)$/m.exec(status)?.[1]);
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    if (tgid !== pid || state === 'Z' || state === 'X') return null;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null;
  }
}

/** True when pid is a live process whose command line mentions `marker`. */
export function isOurs(pid: number, marker: string): boolean {
  const args = processArgs(pid);
  return args === undefined || (args !== null && args.some((arg) => arg.includes(marker)));
}

/** True when pid is the live member whose data dir is exactly `memberDataDir` (its --data-dir). */
export function isOurMember(pid: number, memberDataDir: string): boolean {
  const args = processArgs(pid);
  if (args === undefined) return true;
  if (args === null) return false;
  const i = args.indexOf('--data-dir');
  return i >= 0 && args[i + 1] === memberDataDir;
}

/** A pid file entry is running only as the member process of that name's own data dir. */
export function isRecordedMemberRunning(plan: ClusterPlan, rec: PidRecord): boolean {
  const m = plan.members.find((x) => x.name === rec.name);
  return m !== undefined && rec.pid > 0 && isOurMember(rec.pid, m.dataDir);
}

/** True when pid is a live `kite cluster up` process. */
export function isOurSupervisor(pid: number): boolean {
  const args = processArgs(pid);
  if (args === undefined) return true;
  if (args === null) return false;
  const i = args.indexOf('cluster');
  return i >= 0 && args[i + 1] === 'up';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone: nothing to stop
  }
}

async function waitGone(pids: readonly number[], boundMs: number): Promise<number[]> {
  let alive = pids.filter(isAlive);
  for (let waited = 0; alive.length > 0 && waited < boundMs; waited += POLL_MS) {
    await sleep(POLL_MS);
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Stops pids: SIGTERM, up to graceMs, then SIGKILL. Returns the pids that needed SIGKILL. */
export async function stopPids(pids: readonly number[], graceMs = STOP_GRACE_MS): Promise<number[]> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const stubborn = await waitGone(pids, graceMs);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  await waitGone(stubborn, KILL_WAIT_MS);
  return stubborn;
}
