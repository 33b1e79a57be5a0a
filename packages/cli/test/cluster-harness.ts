// Integration-test harness: runs the REAL built binary (packages/cli/dist/bin.js) and a real
// local cluster started with `kite cluster up --detach` in a temp dir. Every process it
// starts is stopped by pid: `kite cluster down`, then a SIGKILL fallback from the pid file.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isOurs } from '../src/cluster/procs.js';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
/** Bound on one CLI invocation. */
const KITE_CALL_TIMEOUT_MS = 60_000;

export interface KiteResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TestCluster {
  readonly dir: string;
  readonly basePort: number;
  readonly endpoints: string[];
  kite(args: readonly string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<KiteResult>;
  /** Starts a long-running kite process (watch, lock holder); the caller kills it. */
  spawnKite(args: readonly string[]): ChildProcess;
  memberPids(): { name: string; pid: number }[];
  stop(): Promise<void>;
}

/**
 * SIGKILLs one recorded process, if it is still there. Only positive pids: 0 or a negative
 * pid would signal a whole process group (-1: every process we may signal), which a bad pid
 * file (a member that never spawned is recorded as -1) must never cause.
 */
export function killPid(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`refusing to signal pid ${pid}`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * A base port unlikely to collide with other test processes on this machine, and below Linux's
 * ephemeral range (32768-60999): a port there may be taken at any moment by some connection's
 * local end (a CI run failed on "port 35802 is already in use"). The highest port used is
 * base + 30 (cluster-up.itest) + PEER_PORT_OFFSET (100) + a member index: under 32,000.
 */
export function pickBasePort(): number {
  return 20_000 + (process.pid % 60) * 200;
}

export function runKite(args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<KiteResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env, timeout: KITE_CALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

export async function startCluster(nodes = 3): Promise<TestCluster> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npx tsc -b packages/cli)`);
  const dir = mkdtempSync(join(tmpdir(), 'kite-cli-itest-'));
  const basePort = pickBasePort();
  const endpoints = Array.from({ length: nodes }, (_, i) => `ws://127.0.0.1:${basePort + i}`);
  const env = { ...process.env, KITE_ENDPOINTS: endpoints.join(','), NO_COLOR: '1' };
  const spawned: ChildProcess[] = [];
  const up = await runKite(['cluster', 'up', '--detach', '--nodes', String(nodes), '--base-port', String(basePort), '--data-dir', dir], env);
  const memberPids = (): { name: string; pid: number }[] => {
    const file = join(dir, 'cluster.pid');
    if (!existsSync(file)) return [];
    return (JSON.parse(readFileSync(file, 'utf8')) as { members: { name: string; pid: number }[] }).members;
  };
  const cluster: TestCluster = {
    dir, basePort, endpoints,
    kite: (args, opts = {}) => runKite(args, { ...env, ...opts.env }, opts.input),
    spawnKite: (args) => {
      const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      spawned.push(child);
      return child;
    },
    memberPids,
    stop: async () => {
      for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      const pids = memberPids();
      await runKite(['cluster', 'down', '--data-dir', dir], env);
      // Fallback for members `cluster down` did not stop; isOurs (the pid's command line names
      // our data dir) keeps a recycled pid of someone else's process from being killed.
      for (const { pid } of pids) if (pid > 0 && isOurs(pid, dir)) killPid(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (up.code !== 0) {
    await cluster.stop();
    throw new Error(`kite cluster up failed (${up.code}): ${up.stderr}${up.stdout}`);
  }
  return cluster;
}

/** Collects a child's stdout; `until` resolves once the text matches (bounded by timeoutMs). */
export function collect(child: ChildProcess): { text: () => string; until: (re: RegExp, timeoutMs?: number) => Promise<string> } {
  let buf = '';
  const waiters: { re: RegExp; resolve: (s: string) => void }[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (const w of [...waiters]) {
      if (w.re.test(buf)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(buf);
      }
    }
  });
  return {
    text: () => buf,
    until: (re, timeoutMs = 20_000) => new Promise((resolve, reject) => {
      if (re.test(buf)) {
        resolve(buf);
        return;
      }
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in output:\n${buf}`)), timeoutMs);
      waiters.push({ re, resolve: (s) => (clearTimeout(timer), resolve(s)) });
    }),
  };
}
