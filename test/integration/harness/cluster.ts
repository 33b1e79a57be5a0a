// Integration harness: real `kite server` processes (packages/server/dist/main.js, build first
// with `npx tsc -b packages/server`) on 127.0.0.1 with free ports (jepsen-lite's freePorts, the
// project's one helper; test/ may import anything) and temp data dirs.
//
// Rules it keeps: every wait is bounded (deadline + poll of an observable condition, never a
// blind sleep); every process it spawned is killed by pid in stop(); temp dirs are removed.
// Logs of each member go to <tmp>/<name>.log, printed on request for failing tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../../jepsen-lite/src/cluster/ports.js';

/** The server entry; KITE_IT_SERVER_MAIN may point at a wrapper (profiling, another build). */
export const SERVER_MAIN = process.env['KITE_IT_SERVER_MAIN'] ?? fileURLToPath(new URL('../../../packages/server/dist/main.js', import.meta.url));
/** Poll interval of bounded waits. */
const POLL_MS = 50;

export interface MemberSpec {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** The etcd v3 gRPC door (--grpc-listen). */
  readonly grpcPort: number;
  readonly dataDir: string;
  readonly logFile: string;
}

export interface ClusterOptions {
  readonly size: number;
  /** Extra flags for every member (e.g. ['--snapshot-entries', '50']). */
  readonly flags?: readonly string[];
  /** Fast timing by default so tests stay short: 20 ms ticks, election after 10 ticks. */
  readonly tickMs?: number;
  /** TLS with client-certificate auth on both doors of every member (files from writeDevCerts). */
  readonly tls?: HarnessTls;
  /** Flags for node itself, before the server entry (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  readonly nodeFlags?: readonly string[];
}

export interface HarnessTls {
  readonly caFile: string;
  /** Per member name: its certificate and key (CN and DNS SAN = the name). */
  readonly members: ReadonlyMap<string, { readonly certFile: string; readonly keyFile: string }>;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/** `count` client/peer/gRPC port triples, all distinct (taken in one freePorts call). */
async function portPairs(count: number): Promise<{ clientPort: number; peerPort: number; grpcPort: number }[]> {
  const ports = await freePorts(count * 3);
  return Array.from({ length: count }, (_, i) => {
    const [clientPort, peerPort, grpcPort] = ports.slice(3 * i, 3 * i + 3);
    if (clientPort === undefined || peerPort === undefined || grpcPort === undefined) throw new Error('assertion: freePorts gave fewer ports than asked');
    return { clientPort, peerPort, grpcPort };
  });
}

/** Polls `check` until it returns a value other than undefined, or throws after timeoutMs. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (performance.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export interface MemberStatus {
  readonly memberId: string;
  readonly name: string;
  readonly leader: string | null;
  readonly role: string;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly revision: number;
  readonly raftLogSize: number;
  readonly snapshotIndex: number;
  readonly snapshotsSent: number;
  readonly snapshotsReceived: number;
}

export class Cluster {
  readonly root: string;
  readonly members: MemberSpec[] = [];
  private readonly procs = new Map<string, ChildProcess>();
  private readonly exits = new Map<string, Promise<number | null>>();

  private constructor(private readonly opts: ClusterOptions) {
    this.root = mkdtempSync(path.join(tmpdir(), 'kite-it-'));
  }

  static async create(opts: ClusterOptions): Promise<Cluster> {
    if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npx tsc -b packages/server\` first`);
    const c = new Cluster(opts);
    const pairs = await portPairs(opts.size);
    for (const [i, ports] of pairs.entries()) {
      const name = `n${i + 1}`;
      c.members.push({
        name,
        ...ports,
        dataDir: path.join(c.root, name),
        logFile: path.join(c.root, `${name}.log`),
      });
    }
    return c;
  }

  /** Allocates ports and a data dir for a member that will join later (member add). */
  async addSpec(name: string): Promise<MemberSpec> {
    const [ports] = await portPairs(1);
    if (ports === undefined) throw new Error('assertion: no port pair');
    const spec: MemberSpec = {
      name,
      ...ports,
      dataDir: path.join(this.root, name),
      logFile: path.join(this.root, `${name}.log`),
    };
    this.members.push(spec);
    return spec;
  }

  /** http, or https when the cluster runs TLS. */
  get scheme(): string {
    return this.opts.tls === undefined ? 'http' : 'https';
  }

  peerUrl(name: string): string {
    return `${this.scheme}://127.0.0.1:${this.member(name).peerPort}`;
  }

  /** The exit of a running member (resolves with its exit code). */
  exited(name: string): Promise<number | null> {
    return this.exits.get(name) ?? Promise.resolve(null);
  }

  member(name: string): MemberSpec {
    const m = this.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no member ${name}`);
    return m;
  }

  clientUrl(name: string): string {
    return `${this.opts.tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${this.member(name).clientPort}`;
  }

  httpUrl(name: string): string {
    return `${this.scheme}://127.0.0.1:${this.member(name).clientPort}`;
  }

  get endpoints(): string[] {
    return this.members.map((m) => this.clientUrl(m.name));
  }

  /** The member's etcd v3 gRPC door, as etcdctl's --endpoints takes it. */
  grpcUrl(name: string): string {
    return `${this.scheme}://127.0.0.1:${this.member(name).grpcPort}`;
  }

  get grpcUrls(): string[] {
    return this.members.map((m) => this.grpcUrl(m.name));
  }

  initialCluster(): string {
    return this.members.map((m) => `${m.name}=${this.peerUrl(m.name)}`).join(',');
  }

  flagsFor(m: MemberSpec): string[] {
    return [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client', this.httpUrl(m.name),
      '--listen-peer', this.peerUrl(m.name),
      '--grpc-listen', this.grpcUrl(m.name),
      '--initial-cluster', this.initialCluster(),
      '--cluster-token', path.basename(this.root),
      '--tick-ms', String(this.opts.tickMs ?? 20),
      '--election-ticks', '10',
      '--heartbeat-ticks', '1',
      '--request-timeout-ms', '3000',
      '--log-level', 'info',
      ...this.tlsFlags(m.name),
      ...(this.opts.flags ?? []),
    ];
  }

  private tlsFlags(name: string): string[] {
    const tls = this.opts.tls;
    const own = tls?.members.get(name);
    if (tls === undefined || own === undefined) return [];
    return [
      '--cert-file', own.certFile, '--key-file', own.keyFile, '--trusted-ca-file', tls.caFile, '--client-cert-auth',
      '--peer-cert-file', own.certFile, '--peer-key-file', own.keyFile, '--peer-trusted-ca-file', tls.caFile, '--peer-client-cert-auth',
    ];
  }

  /** GET on a member's HTTP door (with the cluster's CA and client certificate under TLS). */
  async get(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
    const tls = this.opts.tls;
    if (tls === undefined) {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      return { status: res.status, body: await res.text() };
    }
    const options = { ca: readFileSync(tls.caFile), cert: readFileSync(tls.clientCertFile), key: readFileSync(tls.clientKeyFile), timeout: timeoutMs };
    return new Promise((resolve, reject) => {
      const req = httpsGet(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
    });
  }

  /**
   * Starts (or restarts) one member; returns once the process is spawned. Later flags win.
   * `env` adds to the inherited environment (e.g. libfaketime's, see faketime.ts).
   */
  start(name: string, extraFlags: readonly string[] = [], env: Readonly<Record<string, string>> = {}): void {
    if (this.procs.has(name)) throw new Error(`${name} is already running`);
    const m = this.member(name);
    const out = openSync(m.logFile, 'a');
    const proc = spawn(process.execPath, [...(this.opts.nodeFlags ?? []), SERVER_MAIN, ...this.flagsFor(m), ...extraFlags], { stdio: ['ignore', out, out], env: { ...process.env, ...env } });
    closeSync(out);
    this.procs.set(name, proc);
    this.exits.set(
      name,
      new Promise((resolve) => proc.once('exit', (code) => {
        this.procs.delete(name);
        resolve(code);
      })),
    );
  }

  async startAll(): Promise<void> {
    for (const m of this.members) this.start(m.name);
    await Promise.all(this.members.map((m) => this.waitHealthy(m.name)));
  }

  isRunning(name: string): boolean {
    return this.procs.has(name);
  }

  pid(name: string): number | undefined {
    return this.procs.get(name)?.pid;
  }

  /** Sends `signal` to the member's process and waits (bounded) for it to exit. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<number | null> {
    const proc = this.procs.get(name);
    const exit = this.exits.get(name);
    if (proc === undefined || exit === undefined) return null;
    proc.kill(signal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const result = await Promise.race([exit, timer]);
    if (result === 'timeout') {
      proc.kill('SIGKILL');
      await exit;
      throw new Error(`${name} did not exit within ${timeoutMs} ms of ${signal}`);
    }
    return result;
  }

  async waitHealthy(name: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(`${name} healthy`, timeoutMs, async () => {
      if (!this.procs.has(name)) throw new Error(`${name} exited; log:\n${this.log(name).slice(-2000)}`);
      const res = await this.get(`${this.httpUrl(name)}/health`, 1000);
      return res.status === 200 ? true : undefined;
    });
  }

  async status(name: string): Promise<MemberStatus> {
    return JSON.parse((await this.get(`${this.httpUrl(name)}/status`)).body) as MemberStatus;
  }

  async metrics(name: string): Promise<string> {
    return (await this.get(`${this.httpUrl(name)}/metrics`)).body;
  }

  /** The name of the member every running member agrees leads (bounded wait). */
  async leader(timeoutMs = 10_000): Promise<string> {
    return waitFor('an agreed leader', timeoutMs, async () => {
      const running = this.members.filter((m) => this.procs.has(m.name));
      const statuses = await Promise.all(running.map((m) => this.status(m.name)));
      const lead = statuses[0]?.leader;
      if (lead == null || statuses.some((s) => s.leader !== lead)) return undefined;
      return statuses.find((s) => s.memberId === lead)?.name;
    });
  }

  log(name: string): string {
    try {
      return readFileSync(this.member(name).logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * The member's log once it matches `pattern` (bounded wait): a running member writes its log
   * asynchronously, so a line about what just happened may land a moment after the reply.
   */
  async logMatching(name: string, pattern: RegExp | string, timeoutMs = 5_000): Promise<string> {
    const matches = (log: string): boolean => (typeof pattern === 'string' ? log.includes(pattern) : pattern.test(log));
    return waitFor(`${name}'s log to show ${String(pattern)}`, timeoutMs, () => {
      const log = this.log(name);
      return matches(log) ? log : undefined;
    });
  }

  /** Kills everything still running (by pid) and removes the temp dir. */
  async stop(): Promise<void> {
    for (const name of [...this.procs.keys()]) await this.kill(name, 'SIGKILL').catch(() => undefined);
    // KITE_IT_KEEP=1 keeps data dirs and logs for a post-mortem.
    if (process.env['KITE_IT_KEEP'] === '1') process.stderr.write(`kept ${this.root}\n`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}
