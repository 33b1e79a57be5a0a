// One `kite server` child process: start, kill -9, stop, pause (SIGSTOP) and resume
// (SIGCONT), always by pid and with bounded waits. Output goes to a log file in the run's
// directory (appended across restarts, with a marker line per start).

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { sleep } from '../util/time.js';

/** How long a SIGTERM'd member may take to stop before it gets SIGKILL. */
export const GRACEFUL_STOP_MS_MAX = 3_000;
/** How long we wait for the OS to report a SIGKILL'd process gone. */
const KILL_WAIT_MS_MAX = 5_000;

export type NodeState = 'stopped' | 'running' | 'paused';

export interface NodeSpec {
  readonly name: string;
  readonly serverBin: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** The process's whole environment (server-env.ts): nothing else is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * argv prefix the server is started under, e.g. `ip netns exec <ns>` (which execs, so the
   * pid we signal is the server's); empty: started directly. Default empty.
   */
  readonly wrapper?: readonly string[];
}

export class NodeProcess {
  state: NodeState = 'stopped';
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  starts = 0;
  lastExit: { code: number | null; signal: string | null } | null = null;

  constructor(readonly spec: NodeSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Extra flags of the last start, reused by later starts (e.g. --initial-cluster-state existing). */
  private extraArgs: readonly string[] = [];

  /**
   * `onceEnv` is added to the environment of this start only (the failpoint nemesis arms a
   * crash with it); later starts use the spec's env alone.
   */
  start(extraArgs: readonly string[] = this.extraArgs, onceEnv: Readonly<Record<string, string>> = {}): void {
    if (this.state !== 'stopped') throw new Error(`assertion: start of ${this.name} while ${this.state}`);
    this.extraArgs = extraArgs;
    const fd = openSync(this.spec.logFile, 'a');
    try {
      writeSync(fd, `--- jepsen-lite: start #${this.starts + 1} of ${this.name} at ${new Date().toISOString()}\n`);
      const [cmd, ...argv] = [...(this.spec.wrapper ?? []), process.execPath, this.spec.serverBin, ...this.spec.args, ...extraArgs];
      const child = spawn(cmd as string, argv, {
        stdio: ['ignore', fd, fd],
        env: { ...this.spec.env, ...onceEnv },
      });
      this.child = child;
      this.starts++;
      this.state = 'running';
      this.exited = new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          this.lastExit = { code, signal };
          if (this.child === child) {
            this.child = null;
            this.state = 'stopped';
          }
          resolve();
        });
        child.once('error', () => resolve());
      });
    } finally {
      closeSync(fd);
    }
  }

  /** True while the process exists (it may have crashed on its own). */
  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill9(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    signal(child, 'SIGKILL');
    await this.waitExit(KILL_WAIT_MS_MAX);
  }

  /** SIGTERM, then SIGKILL if it has not exited within the bound. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    if (this.state === 'paused') signal(child, 'SIGCONT');
    signal(child, 'SIGTERM');
    if (!(await this.waitExit(GRACEFUL_STOP_MS_MAX))) await this.kill9();
  }

  pause(): void {
    if (this.child === null || this.state !== 'running') return;
    signal(this.child, 'SIGSTOP');
    this.state = 'paused';
  }

  resume(): void {
    if (this.child === null || this.state !== 'paused') return;
    signal(this.child, 'SIGCONT');
    this.state = 'running';
  }

  /** Synchronous last resort (process 'exit' handler): SIGKILL by pid. */
  killNowSync(): void {
    if (this.child?.pid !== undefined) signal(this.child, 'SIGKILL');
  }

  private async waitExit(ms: number): Promise<boolean> {
    let done = false;
    await Promise.race([this.exited.then(() => (done = true)), sleep(ms)]);
    return done;
  }
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(child.pid, sig);
  } catch {
    // ESRCH: it is already gone, which is what every caller wants.
  }
}
