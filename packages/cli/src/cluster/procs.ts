// Process bookkeeping for local clusters: the pid file, liveness checks and a bounded stop
// (SIGTERM, wait up to a grace period, then SIGKILL). Only pids recorded by `cluster up` are
// ever signalled, and on Linux only while their command line still names our data dir, so a
// recycled pid is never killed.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PID_FILE } from './layout.js';

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

/** True when pid is alive and (where /proc exists) its command line mentions `marker`. */
export function isOurs(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(cmdline, 'utf8').split('\0').some((arg) => arg.includes(marker));
  } catch {
    return false;
  }
}

/** True when pid is alive and (where /proc exists) is a `kite cluster up` process. */
export function isOurSupervisor(pid: number): boolean {
  if (!isAlive(pid)) return false;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = args.indexOf('cluster');
    return i >= 0 && args[i + 1] === 'up';
  } catch {
    return false;
  }
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
