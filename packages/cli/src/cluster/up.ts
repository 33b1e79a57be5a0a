// `kite cluster up`: runs every member of a local cluster as a real `kite server` process.
// Foreground: streams prefixed logs, reports (never hides) a member's death with its exit
// code, and on Ctrl-C stops all members (SIGTERM, SIGKILL after STOP_GRACE_MS); a second
// Ctrl-C kills at once. Detached: members run in their own sessions with logs in the data
// dir and a pid file that `kite cluster down` uses. Nothing is ever restarted silently.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT_ERROR, EXIT_OK } from '../errors.js';
import { paintFor, COLORS } from '../output/color.js';
import { ensureClusterCerts } from './cluster-tls.js';
import { saveLayout, serverArgs, type ClusterPlan, type MemberPlan } from './layout.js';
import { makeLineFormatter, pipeLines } from './log-prefixer.js';
import { assertPortsFree } from './ports.js';
import {
  isOurSupervisor, isRecordedMemberRunning, readPidFile, removePidFile, stopPids, writePidFile, STOP_GRACE_MS, KILL_WAIT_MS, type PidRecord,
} from './procs.js';
import { waitForLeader, LEADER_WAIT_MS } from './wait-leader.js';

/** The built CLI entry; members run `node <bin> server ...`. */
export const BIN_PATH = fileURLToPath(new URL('../bin.js', import.meta.url));

/** What a member's exit code means (the server's documented codes, see runServer). */
async function exitMeanings(): Promise<(code: number | string) => string> {
  const s = await import('@kite/server');
  const table = new Map<number, string>([
    [s.EXIT_OK, 'stopped cleanly'],
    [s.EXIT_FATAL, 'fatal error, see its log'],
    [s.EXIT_CONFIG, 'bad configuration'],
    [s.EXIT_DATA_DIR, 'unusable data directory'],
    [s.EXIT_LISTEN, 'cannot listen: is the port in use by another cluster? try --base-port'],
    [s.EXIT_JOIN, 'cannot join the existing cluster'],
  ]);
  return (code) => (typeof code === 'number' ? `code ${code}${table.has(code) ? ` (${table.get(code)})` : ''}` : `signal ${code}`);
}

export interface UpOptions {
  readonly detach: boolean;
  readonly waitMs?: number;
}

function refuseIfRunning(plan: ClusterPlan): void {
  const pf = readPidFile(plan.dataDir);
  if (pf === null) return;
  const live = pf.members.filter((m) => isRecordedMemberRunning(plan, m));
  const sup = pf.supervisorPid !== undefined && isOurSupervisor(pf.supervisorPid);
  if (live.length > 0 || sup) {
    const partial = !sup && live.length < plan.nodes
      ? ` ${plan.nodes - live.length} member(s) are down: 'kite cluster up --detach --data-dir ${plan.dataDir}' restarts them.`
      : '';
    throw new CliError('AlreadyRunning', `a cluster is already running from ${plan.dataDir} (pids ${[...(sup ? [pf.supervisorPid] : []), ...live.map((m) => m.pid)].join(', ')}); see 'kite cluster status --data-dir ${plan.dataDir}' or stop it with 'kite cluster down --data-dir ${plan.dataDir}'.${partial}`);
  }
  removePidFile(plan.dataDir);
}

/**
 * How to run kite from the current directory: the workspace's node_modules/.bin/kite (the
 * README's form) when we are in the checkout that installed it, else node and our path.
 */
export function kiteCommand(cwd = process.cwd()): string {
  const inCheckout = !relative(cwd, BIN_PATH).startsWith('..');
  if (inCheckout && existsSync(join(cwd, 'node_modules', '.bin', 'kite'))) return 'node_modules/.bin/kite';
  return `node ${BIN_PATH}`;
}

/** The etcdctl command line that reaches the plan's members, ready to paste. */
export function etcdctlLine(plan: ClusterPlan): string {
  const tls = plan.tls === null ? '' : ` --cacert=${plan.tls.caFile} --cert=${plan.tls.clientCertFile} --key=${plan.tls.clientKeyFile}`;
  return `ETCDCTL_API=3 etcdctl --endpoints=${plan.members.map((m) => m.grpcUrl).join(',')}${tls} endpoint status`;
}

export function banner(plan: ClusterPlan, leaderName: string | null, detached: boolean): string {
  const eps = plan.members.map((m) => m.endpoint).join(',');
  const kite = kiteCommand();
  const lines = [
    `kite cluster of ${plan.nodes} member${plan.nodes === 1 ? '' : 's'} is up${leaderName !== null ? ` (leader ${leaderName})` : ''}; data in ${plan.dataDir}`,
    '',
    ...plan.members.map((m) => `  ${m.name}  client ${m.endpoint}   peer ${m.peerUrl}${detached ? `   log ${m.logFile}` : ''}`),
    '',
    'try, in another terminal:',
    `  export KITE_ENDPOINTS=${eps}`,
    ...(plan.tls === null
      ? []
      : [`  export KITE_CACERT=${plan.tls.caFile} KITE_CERT=${plan.tls.clientCertFile} KITE_KEY=${plan.tls.clientKeyFile}`]),
    `  ${kite} put /config/app/a 1`,
    `  ${kite} watch --prefix /config/app/`,
    `  ${kite} endpoint status`,
    '',
    'etcd tools work too (the etcd v3 API on each member\'s gRPC port):',
    `  ${etcdctlLine(plan)}`,
    ...(plan.tls === null
      ? []
      : [
          '',
          `TLS on every link (mutual: members and clients need a certificate from the CA in ${plan.tls.dir}, a throw-away CA for local use only).`,
          'From the SDK:',
          `  connect({ endpoints: ['${plan.members[0]?.endpoint ?? ''}'], tls: { ca: readFileSync('${plan.tls.caFile}'), cert: readFileSync('${plan.tls.clientCertFile}'), key: readFileSync('${plan.tls.clientKeyFile}') } })`,
        ]),
    '',
    detached
      ? `stop it with: ${kite} cluster down --data-dir ${plan.dataDir}`
      : 'Ctrl-C stops every member; run the same command again to restart with the same data.',
  ];
  return `${lines.join('\n')}\n`;
}

function spawnMember(plan: ClusterPlan, m: MemberPlan, detach: boolean): ChildProcess {
  mkdirSync(m.dataDir, { recursive: true });
  const args = [BIN_PATH, ...serverArgs(plan, m)];
  if (!detach) {
    // Own process group: the terminal's Ctrl-C reaches only us, and we stop members in order.
    return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  }
  const fd = openSync(m.logFile, 'a');
  try {
    const child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd], detached: true });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/**
 * Members of a detached cluster still running from this data dir (by the pid file); the
 * foreground supervisor counts as running everything.
 */
function runningMembers(plan: ClusterPlan): { supervisor: number | null; members: PidRecord[] } {
  const pf = readPidFile(plan.dataDir);
  if (pf === null) return { supervisor: null, members: [] };
  const supervisor = pf.supervisorPid !== undefined && isOurSupervisor(pf.supervisorPid) ? pf.supervisorPid : null;
  return { supervisor, members: pf.members.filter((m) => isRecordedMemberRunning(plan, m)) };
}

export async function clusterUpDetached(plan: ClusterPlan, opts: UpOptions): Promise<number> {
  const running = runningMembers(plan);
  if (running.supervisor !== null) refuseIfRunning(plan);
  if (running.members.length === plan.nodes) {
    throw new CliError('AlreadyRunning', `all ${plan.nodes} members are already running from ${plan.dataDir} (pids ${running.members.map((m) => m.pid).join(', ')}); see 'kite cluster status --data-dir ${plan.dataDir}'`);
  }
  const missing = plan.members.filter((m) => !running.members.some((r) => r.name === m.name));
  if (running.members.length > 0) {
    process.stderr.write(`restarting stopped member(s) ${missing.map((m) => m.name).join(', ')}; ${running.members.map((m) => `${m.name} (pid ${m.pid})`).join(', ')} still running\n`);
  }
  await assertPortsFree(plan, missing);
  saveLayout(plan);
  await ensureClusterCerts(plan);
  const meaning = await exitMeanings();
  const children = missing.map((m) => ({ m, child: spawnMember(plan, m, true) }));
  const exits = new Map<string, number | string>();
  for (const { m, child } of children) {
    child.on('exit', (code, sig) => exits.set(m.name, code ?? sig ?? 'unknown'));
  }
  const started = children.map(({ m, child }) => ({ name: m.name, pid: child.pid ?? -1 }));
  const pids = plan.members.map((m) => running.members.find((r) => r.name === m.name) ?? started.find((s) => s.name === m.name)!);
  writePidFile(plan.dataDir, { mode: 'detached', members: pids, startedAt: new Date().toISOString() });
  const found = await waitForLeader(plan, opts.waitMs ?? LEADER_WAIT_MS, () => exits.size > 0);
  if (found === null) {
    const died = [...exits].map(([n, c]) => `${n} exited with ${meaning(c)}`).join(', ');
    await stopPids(started.map((p) => p.pid).filter((p) => p > 0));
    if (running.members.length === 0) removePidFile(plan.dataDir);
    else writePidFile(plan.dataDir, { mode: 'detached', members: running.members, startedAt: new Date().toISOString() });
    throw new CliError('ClusterStartFailed', `the cluster did not elect a leader${died !== '' ? ` (${died})` : ` within ${(opts.waitMs ?? LEADER_WAIT_MS) / 1000} s`}; the members started now were stopped. Logs: ${missing.map((m) => m.logFile).join(', ')}`);
  }
  const leaderName = plan.members.find((m) => m.endpoint === found.leader.endpoint)?.name ?? null;
  process.stdout.write(banner(plan, leaderName, true));
  return EXIT_OK;
}

/**
 * The foreground run: owns the member processes, their log streams and the stop sequence.
 * `stopping` separates deaths we caused (quiet) from deaths we must report (loud).
 */
class ForegroundSupervisor {
  private readonly live = new Map<string, ChildProcess>();
  private stopping = false;
  private interrupts = 0;
  private stopped: Promise<void> | null = null;
  private resolveAllExited: () => void = () => {};
  readonly allExited = new Promise<void>((r) => (this.resolveAllExited = r));
  private readonly out = paintFor(process.stdout);
  private readonly err = paintFor(process.stderr);

  constructor(
    private readonly plan: ClusterPlan,
    private readonly meaning: (code: number | string) => string,
  ) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  get liveCount(): number {
    return this.live.size;
  }

  loud(line: string): void {
    process.stderr.write(`${this.err(COLORS.red, this.err(COLORS.bold, line))}\n`);
  }

  startAll(): void {
    const width = Math.max(...this.plan.members.map((m) => m.name.length));
    const sink = (line: string): void => void process.stdout.write(`${line}\n`);
    this.plan.members.forEach((m, i) => {
      const child = spawnMember(this.plan, m, false);
      this.live.set(m.name, child);
      const fmt = makeLineFormatter(m.name, i, width, this.out);
      pipeLines(child.stdout!, fmt, sink);
      pipeLines(child.stderr!, fmt, sink);
      child.on('error', (e) => this.loud(`✖ member ${m.name} could not start: ${e.message}`));
      child.on('exit', (code, sig) => this.onExit(m, child, code ?? sig ?? 'unknown'));
    });
    writePidFile(this.plan.dataDir, {
      mode: 'foreground', supervisorPid: process.pid,
      members: this.plan.members.map((m) => ({ name: m.name, pid: this.live.get(m.name)?.pid ?? -1 })),
      startedAt: new Date().toISOString(),
    });
  }

  private onExit(m: MemberPlan, child: ChildProcess, how: number | string): void {
    this.live.delete(m.name);
    if (!this.stopping) {
      const n = this.plan.nodes;
      this.loud(`✖ member ${m.name} (pid ${child.pid}) exited with ${this.meaning(how)}; it will NOT be restarted. ` +
        `${this.live.size}/${n} members still running${this.live.size * 2 <= n ? ' — no majority, the cluster is unavailable' : ''}. ` +
        `Its log is above; Ctrl-C and run 'kite cluster up' again to restart it.`);
    }
    if (this.live.size === 0) this.resolveAllExited();
  }

  /** First Ctrl-C/SIGTERM/SIGHUP: orderly stop; a second one: SIGKILL now. */
  onSignal = (): void => {
    this.interrupts++;
    if (this.interrupts > 1) {
      this.killAll('SIGKILL');
      return;
    }
    this.stopped = this.stopAll();
  };

  killAll(sig: NodeJS.Signals): void {
    for (const c of this.live.values()) c.kill(sig);
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    process.stderr.write(`\nstopping ${this.live.size} member(s) (SIGTERM; SIGKILL after ${STOP_GRACE_MS / 1000} s; Ctrl-C again to kill now)…\n`);
    this.killAll('SIGTERM');
    const escalate = setTimeout(() => this.killAll('SIGKILL'), STOP_GRACE_MS);
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([this.allExited, new Promise((r) => (giveUp = setTimeout(r, STOP_GRACE_MS + KILL_WAIT_MS)))]);
    clearTimeout(escalate);
    clearTimeout(giveUp);
  }

  /** Resolves when every member is gone (stopped by us, or dead on its own). */
  async finished(): Promise<void> {
    await this.allExited;
    if (this.stopped !== null) await this.stopped;
    removePidFile(this.plan.dataDir);
  }

  banner(leaderName: string | null): void {
    process.stdout.write(`\n${this.out(COLORS.green, banner(this.plan, leaderName, false))}\n`);
  }
}

export async function clusterUpForeground(plan: ClusterPlan, opts: UpOptions): Promise<number> {
  refuseIfRunning(plan);
  await assertPortsFree(plan);
  saveLayout(plan);
  await ensureClusterCerts(plan);
  const sup = new ForegroundSupervisor(plan, await exitMeanings());
  sup.startAll();
  process.on('SIGINT', sup.onSignal);
  process.on('SIGTERM', sup.onSignal);
  process.on('SIGHUP', sup.onSignal);
  // If we die anyway, do not leave members behind.
  process.on('exit', () => sup.killAll('SIGKILL'));

  const waitMs = opts.waitMs ?? LEADER_WAIT_MS;
  const found = await waitForLeader(plan, waitMs, () => sup.isStopping || sup.liveCount * 2 <= plan.nodes);
  if (found !== null && !sup.isStopping) {
    sup.banner(plan.members.find((m) => m.endpoint === found.leader.endpoint)?.name ?? null);
  } else if (!sup.isStopping) {
    sup.loud(`✖ no leader within ${waitMs / 1000} s (${sup.liveCount}/${plan.nodes} members running); see the logs above. Still waiting; Ctrl-C to stop.`);
  }
  await sup.finished();
  if (!sup.isStopping) sup.loud('✖ every member has exited; stopping.');
  return sup.isStopping ? EXIT_OK : EXIT_ERROR;
}
