// The cluster under test: `kite server` processes on 127.0.0.1 whose peer links all pass
// through the LinkProxy. Member A is told that peer B lives at the proxy listener P(A→B), and
// A advertises its own peer URL as a proxy listener P(?→A) (so a member that learns A's URL
// from a replicated member list also goes through the proxy, relabelled by its hello).
// Clients reach the real client ports directly, except workload clients in a run with a
// client-link nemesis (clientProxy: through a client route of the proxy). Small snapshot thresholds make snapshots and log
// compaction happen during short runs. With `tls`, every member runs mutual TLS on both doors
// with throw-away certificates made in <run dir>/tls (dev-certs.ts), clients connect with the
// client certificate, and the proxy terminates and re-originates TLS (link-proxy.ts). With
// `auth`, once the first start has a leader, users `root` and `jepsen` (role `jepsen`:
// readwrite on every key) are made and auth is enabled: workload clients log in as jepsen, the
// admin client (nemeses, final checks) as root.
// With `net: 'netns'` there is no proxy in the way: each member runs in its own network
// namespace at its own address (netns-net.ts), on the standard ports 2379/2380, peers dial
// each other directly and clients dial the members' addresses; link faults are kernel rules
// (`net`). The namespaces are made at the first start and removed by stopAll/killAllSync.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { connect, type ConnectOptions, type KiteClient } from '@kite/client';
import { writeDevCerts, type DevCertFiles } from './dev-certs.js';
import { ANY_MEMBER, CLIENT, LinkProxy } from '../proxy/link-proxy.js';
import type { Rng } from '../util/rng.js';
import { monotonicMs, sleep, withTimeout } from '../util/time.js';
import { NodeProcess } from './node-process.js';
import { ensureLibfaketime } from './libfaketime.js';
import { MemberClocks } from './member-clocks.js';
import { memberEnv } from './server-env.js';
import { freePorts } from './ports.js';
import { NetnsNet } from './netns-net.js';
import type { LinkFaults } from '../proxy/policy.js';

/** Time a status probe may take per member. */
const STATUS_TIMEOUT_MS = 1_000;
const READY_POLL_MS = 200;
/** Fresh-port attempts when a member could not bind its port (another process took it). */
const START_ATTEMPTS_MAX = 3;

function logMentions(file: string, needle: string): boolean {
  return existsSync(file) && readFileSync(file, 'utf8').includes(needle);
}

export interface ClusterOptions {
  readonly nodes: number;
  /** Run directory: data/<name>/ and logs/<name>.log go under it. */
  readonly dir: string;
  readonly serverBin: string;
  readonly clusterToken: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly snapshotEntries: number;
  readonly snapshotCatchupEntries: number;
  readonly logLevel: string;
  readonly rng: Rng;
  readonly tls: boolean;
  /** Default false. */
  readonly auth?: boolean;
  /** Every member's whole environment (server-env.ts memberEnv); default: memberEnv({}). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Workload clients reach members through the proxy too (routes CLIENT → member), so the
   * client-link nemeses can cut, delay and thin them; nemeses, status probes and final reads
   * stay direct. Not with TLS (the proxy would need to re-originate the client's TLS). Default false.
   */
  readonly clientProxy?: boolean;
  /** Members run on libfaketime wall clocks the clock nemesis can skew (member-clocks.ts). Default false. */
  readonly fakeClocks?: boolean;
  /** Each member in its own network namespace (netns-net.ts); default 'proxy'. */
  readonly net?: 'proxy' | 'netns';
}

/** The ports every member listens on in its own namespace (each has its own address). */
export const NETNS_CLIENT_PORT = 2379;
export const NETNS_PEER_PORT = 2380;

/** Throw-away credentials of an --auth run (the cluster lives for one run on 127.0.0.1). */
const AUTH_USERS = { root: { user: 'root', password: 'jepsen-root' }, workload: { user: 'jepsen', password: 'jepsen-workload' } } as const;
const ALL_KEYS = new Uint8Array([0]);

export interface MemberInfo {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
}

export class Cluster {
  readonly proxy: LinkProxy;
  readonly names: readonly string[];
  readonly members = new Map<string, MemberInfo>();
  readonly processes = new Map<string, NodeProcess>();
  /** Members removed by the member nemesis whose re-add failed: not restarted by a heal. */
  readonly removed = new Set<string>();
  /** member id → name (learned once the cluster is up, from the member list). */
  readonly idToName = new Map<string, string>();
  /** The members' skewable wall clocks (a run with the clock nemesis), else null. */
  readonly clocks: MemberClocks | null;
  /** Auth was enabled (an --auth run): clients log in from now on. */
  private authEnabled = false;
  private admin: KiteClient | null = null;
  private readonly advertisedPorts = new Map<string, number>();
  /** Member name → the proxy port workload clients dial for it (clientProxy only). */
  private readonly clientRoutePorts = new Map<string, number>();
  private certs: DevCertFiles | null = null;
  /** The members' namespaces (a --net netns run, once started), else null. */
  netns: NetnsNet | null = null;

  constructor(readonly opts: ClusterOptions) {
    this.proxy = new LinkProxy(opts.rng.fork('proxy'));
    this.names = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
    if (opts.clientProxy === true && opts.tls) throw new RangeError('client links through the proxy are not supported with --tls yet');
    if (opts.clientProxy === true && opts.net === 'netns') throw new RangeError('the client-link nemeses work through the proxy, which a --net netns run does not use');
    this.clocks = opts.fakeClocks === true ? new MemberClocks(ensureLibfaketime(), opts.dir, this.names) : null;
  }

  get electionTimeoutMs(): number {
    return this.opts.tickMs * this.opts.electionTicks;
  }

  /** Where a member listens: its namespace's address, or 127.0.0.1. */
  host(name: string): string {
    return this.netns?.address(name) ?? '127.0.0.1';
  }

  /** The link faults of this run: kernel rules in a netns run, else the proxy's policies. */
  get net(): LinkFaults {
    return this.netns ?? this.proxy;
  }

  clientUrl(name: string): string {
    return `${this.opts.tls ? 'wss' : 'ws'}://${this.host(name)}:${this.member(name).clientPort}`;
  }

  /** The URL workload clients use for a member: its client-link proxy route when there is one. */
  workloadUrl(name: string): string {
    const port = this.clientRoutePorts.get(name);
    return port === undefined ? this.clientUrl(name) : `ws://127.0.0.1:${port}`;
  }

  workloadEndpoints(): string[] {
    return this.names.map((n) => this.workloadUrl(n));
  }

  private get scheme(): string {
    return this.opts.tls ? 'https' : 'http';
  }

  /** A client of this cluster (with the client certificate under TLS). */
  connect(options: ConnectOptions, as: 'workload' | 'root' = 'workload'): Promise<KiteClient> {
    const c = this.certs;
    const auth = this.authEnabled ? { auth: AUTH_USERS[as] } : {};
    if (c === null) return connect({ ...options, ...auth });
    return connect({ ...options, ...auth, tls: { ca: readFileSync(c.caFile), cert: readFileSync(c.clientCertFile), key: readFileSync(c.clientKeyFile) } });
  }

  /** Users, the workload's role, then auth on (once, right after the first start). */
  private async enableAuth(): Promise<void> {
    if (this.opts.auth !== true || this.authEnabled) return;
    const c = await this.connect({ endpoints: this.endpoints(), timeoutMs: 5_000, retries: 3 });
    try {
      await c.auth.userAdd(AUTH_USERS.root.user, AUTH_USERS.root.password);
      await c.auth.userGrantRole(AUTH_USERS.root.user, 'root');
      await c.auth.roleAdd('jepsen');
      await c.auth.roleGrantPermission('jepsen', 'readwrite', ALL_KEYS, { rangeEnd: ALL_KEYS });
      await c.auth.userAdd(AUTH_USERS.workload.user, AUTH_USERS.workload.password);
      await c.auth.userGrantRole(AUTH_USERS.workload.user, 'jepsen');
      await c.auth.enable();
      this.authEnabled = true;
      // The admin client made before (learnMemberIds) is not logged in: make it again as root.
      this.admin?.close();
      this.admin = null;
    } finally {
      c.close();
    }
  }

  /** Makes the certificates once per run and hands the proxy every member's. */
  private async ensureCerts(): Promise<void> {
    if (!this.opts.tls || this.certs !== null) return;
    const certs = await writeDevCerts(path.join(this.opts.dir, 'tls'), this.names, 'jepsen-lite CA');
    const members = new Map([...certs.members].map(([name, f]) => [name, { cert: readFileSync(f.certFile), key: readFileSync(f.keyFile) }]));
    this.proxy.useTls({ ca: readFileSync(certs.caFile), members });
    this.certs = certs;
  }

  private tlsArgs(name: string): string[] {
    const own = this.certs?.members.get(name);
    if (this.certs === null || own === undefined) return [];
    const ca = this.certs.caFile;
    return [
      '--cert-file', own.certFile, '--key-file', own.keyFile, '--trusted-ca-file', ca, '--client-cert-auth',
      '--peer-cert-file', own.certFile, '--peer-key-file', own.keyFile, '--peer-trusted-ca-file', ca, '--peer-client-cert-auth',
    ];
  }

  endpoints(): string[] {
    return this.names.map((n) => this.clientUrl(n));
  }

  member(name: string): MemberInfo {
    const m = this.members.get(name);
    if (m === undefined) throw new Error(`assertion: unknown member ${name}`);
    return m;
  }

  process(name: string): NodeProcess {
    const p = this.processes.get(name);
    if (p === undefined) throw new Error(`assertion: no process for ${name}`);
    return p;
  }

  /**
   * Starts every member and waits for a leader. Ports are picked free but released before the
   * members bind them, so another process may take one first: a start that fails that way is
   * retried from scratch with new ports (a bounded number of times).
   */
  async start(readyTimeoutMs: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce(readyTimeoutMs);
        return;
      } catch (err) {
        const clash = this.names.some((n) => logMentions(path.join(this.opts.dir, 'logs', `${n}.log`), 'EADDRINUSE'));
        if (!clash || attempt >= START_ATTEMPTS_MAX) throw err;
        await this.stopAll();
        this.members.clear();
        this.processes.clear();
        this.advertisedPorts.clear();
        this.clientRoutePorts.clear();
        rmSync(path.join(this.opts.dir, 'data'), { recursive: true, force: true });
        renameSync(path.join(this.opts.dir, 'logs'), path.join(this.opts.dir, `logs-failed-start-${attempt}`));
      }
    }
  }

  /** Ports and peer routes: free loopback ports behind proxy routes, or the standard ports in namespaces. */
  private async layOutMembers(): Promise<void> {
    if (this.opts.net === 'netns') {
      // Named after our pid: a leftover of a killed run is recognisable and never reused by ours.
      this.netns ??= NetnsNet.create((process.pid % 36 ** 6).toString(36), this.names);
      for (const name of this.names) {
        this.members.set(name, { name, clientPort: NETNS_CLIENT_PORT, peerPort: NETNS_PEER_PORT, dataDir: path.join(this.opts.dir, 'data', name) });
        this.advertisedPorts.set(name, NETNS_PEER_PORT);
      }
      return;
    }
    const ports = await freePorts(this.names.length * 2);
    this.names.forEach((name, i) => {
      const dataDir = path.join(this.opts.dir, 'data', name);
      this.members.set(name, { name, clientPort: ports[2 * i] as number, peerPort: ports[2 * i + 1] as number, dataDir });
    });
    const advertised = this.advertisedPorts;
    for (const to of this.names) {
      advertised.set(to, await this.proxy.addRoute(ANY_MEMBER, to, this.member(to).peerPort));
      for (const from of this.names) if (from !== to) await this.proxy.addRoute(from, to, this.member(to).peerPort);
    }
    if (this.opts.clientProxy === true) {
      for (const name of this.names) this.clientRoutePorts.set(name, await this.proxy.addRoute(CLIENT, name, this.member(name).clientPort));
    }
  }

  /** The peer URL `name` dials for `peer` (its proxy route, or the peer's own address in netns). */
  private peerUrlFor(name: string, peer: string): string {
    if (this.netns !== null || peer === name) return this.advertisedPeerUrl(peer);
    return `${this.scheme}://127.0.0.1:${this.proxy.routePort(name, peer) as number}`;
  }

  private async startOnce(readyTimeoutMs: number): Promise<void> {
    await this.ensureCerts();
    await this.layOutMembers();
    mkdirSync(path.join(this.opts.dir, 'logs'), { recursive: true });
    for (const name of this.names) {
      const view = this.names.map((peer) => `${peer}=${this.peerUrlFor(name, peer)}`);
      const m = this.member(name);
      const proc = new NodeProcess({
        name,
        serverBin: this.opts.serverBin,
        logFile: path.join(this.opts.dir, 'logs', `${name}.log`),
        wrapper: this.netns?.execPrefix(name) ?? [],
        env: { ...(this.opts.env ?? memberEnv({})), ...(this.clocks?.env(name) ?? {}) },
        args: [
          '--name', name,
          '--data-dir', m.dataDir,
          '--listen-client', `${this.scheme}://${this.host(name)}:${m.clientPort}`,
          '--listen-peer', `${this.scheme}://${this.host(name)}:${m.peerPort}`,
          // The etcd door's default port (client + 10) is not among the free ports taken above.
          '--grpc-listen', 'none',
          '--advertise-peer', this.advertisedPeerUrl(name),
          '--initial-cluster', view.join(','),
          '--initial-cluster-state', 'new',
          '--cluster-token', this.opts.clusterToken,
          '--tick-ms', String(this.opts.tickMs),
          '--election-ticks', String(this.opts.electionTicks),
          '--snapshot-entries', String(this.opts.snapshotEntries),
          '--snapshot-catchup-entries', String(this.opts.snapshotCatchupEntries),
          '--log-level', this.opts.logLevel,
          ...this.tlsArgs(name),
        ],
      });
      this.processes.set(name, proc);
      proc.start();
    }
    await this.waitReady(readyTimeoutMs);
    await this.learnMemberIds();
    await this.enableAuth();
  }

  /** An admin client over every member (short timeouts; nemeses and final reads use it). */
  async adminClient(): Promise<KiteClient> {
    this.admin ??= await this.connect({ endpoints: this.endpoints(), timeoutMs: 5_000, retries: 3 }, 'root');
    return this.admin;
  }

  /** Waits until every running member reports the same leader. */
  async waitReady(timeoutMs: number, names: readonly string[] = this.runningNames()): Promise<string> {
    const deadline = monotonicMs() + timeoutMs;
    let last = 'no status yet';
    while (monotonicMs() < deadline) {
      const leaders = await Promise.all(names.map((n) => this.statusOf(n).then((s) => s?.leader ?? null)));
      const first = leaders[0];
      if (first != null && leaders.every((l) => l === first)) return first;
      last = `leaders seen: ${JSON.stringify(leaders)}`;
      for (const n of names) {
        const p = this.process(n);
        if (!p.alive) throw new Error(`member ${n} exited during startup (${JSON.stringify(p.lastExit)}); see logs/${n}.log`);
      }
      await sleep(READY_POLL_MS);
    }
    throw new Error(`cluster not ready within ${timeoutMs} ms (${last})`);
  }

  runningNames(): string[] {
    return this.names.filter((n) => this.processes.get(n)?.state === 'running');
  }

  /** The member's status over a dedicated link, or null if it does not answer in time. */
  async statusOf(name: string): Promise<{ leader: string | null; raftTerm: number; raftIndex: number; raftAppliedIndex: number } | null> {
    try {
      const c = await this.adminClient();
      const s = await withTimeout(c.status(this.clientUrl(name), { timeoutMs: STATUS_TIMEOUT_MS }), STATUS_TIMEOUT_MS + 500, 'status');
      return { leader: s.leader, raftTerm: s.raftTerm, raftIndex: s.raftIndex, raftAppliedIndex: s.raftAppliedIndex };
    } catch {
      return null;
    }
  }

  /** The leader's name as the majority of answering members report it (highest term wins). */
  async leader(): Promise<string | null> {
    const statuses = await Promise.all(this.runningNames().map((n) => this.statusOf(n)));
    let best: { leader: string; term: number } | null = null;
    for (const s of statuses) {
      if (s?.leader == null) continue;
      if (best === null || s.raftTerm > best.term) best = { leader: s.leader, term: s.raftTerm };
    }
    return best === null ? null : (this.idToName.get(best.leader) ?? null);
  }

  /** The peer URL a member announces (a proxy listener any member may dial through, or its own address in netns). */
  advertisedPeerUrl(name: string): string {
    const port = this.advertisedPorts.get(name);
    if (port === undefined) throw new Error(`assertion: no advertised port for ${name}`);
    return `${this.scheme}://${this.host(name)}:${port}`;
  }

  /** A member re-added under the same name got a new id. */
  replaceMemberId(oldId: string, newId: string, name: string): void {
    this.idToName.delete(oldId);
    this.idToName.set(newId, name);
    this.proxy.memberIds = new Map(this.idToName);
  }

  /** The leader, polling for up to `ms` while there is none (e.g. just after a restart). */
  async leaderWithin(ms: number): Promise<string | null> {
    const deadline = monotonicMs() + ms;
    for (;;) {
      const l = await this.leader();
      if (l !== null || monotonicMs() >= deadline) return l;
      await sleep(READY_POLL_MS);
    }
  }

  idOf(name: string): string {
    for (const [id, n] of this.idToName) if (n === name) return id;
    throw new Error(`assertion: no member id known for ${name}`);
  }

  async learnMemberIds(): Promise<void> {
    const c = await this.adminClient();
    const { members } = await c.members.list();
    for (const m of members) if (m.name !== '') this.idToName.set(m.id, m.name);
    this.proxy.memberIds = new Map(this.idToName);
  }

  /** Stops every process we started (SIGTERM, then SIGKILL), closes the proxy and clients, removes the namespaces. */
  async stopAll(): Promise<void> {
    this.admin?.close();
    this.admin = null;
    await Promise.all([...this.processes.values()].map((p) => p.stop()));
    await this.proxy.close();
    const problems = this.netns?.destroy() ?? [];
    if (problems.length > 0) throw new Error(`removing the run's network namespaces: ${problems.join('; ')}`);
  }

  /** Synchronous: SIGKILL every child, then remove the namespaces (for process 'exit' and signal handlers). */
  killAllSync(): void {
    for (const p of this.processes.values()) p.killNowSync();
    this.netns?.destroy();
  }
}
