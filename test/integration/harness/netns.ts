// A private network of Linux network namespaces standing in for separate hosts: one "client"
// namespace holding a bridge, and one namespace per host joined to that bridge by a veth
// pair, each with its own address in a small private range and its own /etc/hosts
// (/etc/netns/<ns>/hosts, which `ip netns exec` bind-mounts over /etc/hosts). No namespace
// has a default route, so nothing started inside can reach any address but the lab's own.
//
// Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2, which is installed with apt-get
// when `ip` is missing (CI runs as root on a fresh Debian machine). Without the rights the
// lab fails with a message saying so; it never skips. destroy() removes, by name, exactly
// what create() made (veths, bridge, namespaces, /etc/netns dirs), even after a failure
// half-way, and is safe to call twice. Every `ip` call is bounded by a timeout.

import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installDebianPackage } from '../../../jepsen-lite/src/cluster/debian-package.js';
import { commandWorks, runCommand, undoAll } from '../../../jepsen-lite/src/cluster/system-command.js';

const NETNS_ETC = '/etc/netns';
/** The bridge, inside the client namespace (interface names are at most 15 bytes). */
const BRIDGE = 'kitebr0';

export interface LabHost {
  /** The host's DNS name, written into every namespace's hosts file. */
  readonly name: string;
  /** Its IPv4 address inside the lab (a /24 shared by all). */
  readonly address: string;
}

export interface LabSpec {
  /** Prefix of namespace and veth names; namespaces are `${prefix}-c` and `${prefix}-1`... */
  readonly prefix: string;
  readonly hosts: readonly LabHost[];
  /** The client namespace's address on the bridge. */
  readonly clientAddress: string;
}

const ip = (args: readonly string[]): string => runCommand('ip', args);

export class NetnsLab {
  /** What exists so far, in creation order, so destroy() undoes exactly that. */
  private readonly namespaces: string[] = [];
  private readonly veths: string[] = [];
  private bridge = false;
  private readonly etcDirs: string[] = [];
  private createdNetnsEtc = false;

  private constructor(private readonly spec: LabSpec) {}

  /** The namespace of the test's clients. */
  get clientNs(): string {
    return `${this.spec.prefix}-c`;
  }

  /** The namespace of host `i` (0-based, in spec order). */
  hostNs(i: number): string {
    return `${this.spec.prefix}-${i + 1}`;
  }

  /** Builds the lab; on any failure removes what it made and throws. */
  static create(spec: LabSpec): NetnsLab {
    if (!commandWorks('ip', '-V')) installDebianPackage('iproute2');
    const lab = new NetnsLab(spec);
    try {
      lab.build();
    } catch (err) {
      const cleanup = lab.destroy();
      throw new Error(`${(err as Error).message}${cleanup.length > 0 ? `\ncleanup problems: ${cleanup.join('; ')}` : ''}`);
    }
    return lab;
  }

  private build(): void {
    const all = [this.clientNs, ...this.spec.hosts.map((_, i) => this.hostNs(i))];
    const existing = ip(['netns', 'list']).split('\n').map((l) => l.split(' ')[0]);
    for (const ns of all) {
      if (existing.includes(ns)) throw new Error(`network namespace ${ns} already exists (left by an earlier run?); remove it with \`ip netns del ${ns}\``);
    }
    // The lab's range must not be a network this machine already reaches: the test's traffic
    // stays in its namespaces either way, but a clash would make its failures confusing.
    for (const h of this.spec.hosts) {
      const routes = ip(['-4', 'route', 'show', 'match', h.address]).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('default'));
      if (routes.length > 0) throw new Error(`${h.address} is routed on this machine (${routes.join('; ')}); the lab needs an unused range`);
    }
    for (const ns of all) {
      try {
        ip(['netns', 'add', ns]);
      } catch (err) {
        throw new Error(`this test needs network namespaces (root with CAP_SYS_ADMIN and CAP_NET_ADMIN) and cannot create one: ${(err as Error).message}`);
      }
      this.namespaces.push(ns);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    ip(['-n', this.clientNs, 'link', 'add', BRIDGE, 'type', 'bridge']);
    this.bridge = true;
    ip(['-n', this.clientNs, 'addr', 'add', `${this.spec.clientAddress}/24`, 'dev', BRIDGE]);
    ip(['-n', this.clientNs, 'link', 'set', BRIDGE, 'up']);
    this.spec.hosts.forEach((h, i) => {
      const ns = this.hostNs(i);
      // Created in the client namespace with its peer end moved straight into the host's:
      // neither end ever appears in the machine's own namespace.
      const veth = `${this.spec.prefix}-v${i + 1}`;
      ip(['-n', this.clientNs, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      this.veths.push(veth);
      ip(['-n', this.clientNs, 'link', 'set', veth, 'master', BRIDGE, 'up']);
      ip(['-n', ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    });
    this.writeHostsFiles(all);
  }

  private writeHostsFiles(namespaces: readonly string[]): void {
    if (!existsSync(NETNS_ETC)) {
      mkdirSync(NETNS_ETC);
      this.createdNetnsEtc = true;
    }
    const hosts = ['127.0.0.1 localhost', ...this.spec.hosts.map((h) => `${h.address} ${h.name}`)].join('\n') + '\n';
    for (const ns of namespaces) {
      const dir = path.join(NETNS_ETC, ns);
      mkdirSync(dir);
      this.etcDirs.push(dir);
      writeFileSync(path.join(dir, 'hosts'), hosts);
    }
  }

  /** argv that runs `argv` inside namespace `ns` (the process keeps the pid `ip` had: it execs). */
  exec(ns: string, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', ns, ...argv];
  }

  /** Removes everything create() made; returns the problems met (an empty list when clean). */
  destroy(): string[] {
    const veths = this.veths.splice(0);
    const bridge = this.bridge;
    const namespaces = this.namespaces.splice(0).reverse();
    const etcDirs = this.etcDirs.splice(0);
    const netnsEtc = this.createdNetnsEtc;
    this.bridge = false;
    this.createdNetnsEtc = false;
    return undoAll([
      ...veths.map((veth) => () => void ip(['-n', this.clientNs, 'link', 'del', veth])),
      ...(bridge ? [() => void ip(['-n', this.clientNs, 'link', 'del', BRIDGE])] : []),
      ...namespaces.map((ns) => () => void ip(['netns', 'del', ns])),
      ...etcDirs.map((dir) => () => rmSync(dir, { recursive: true, force: true })),
      ...(netnsEtc ? [() => rmdirSync(NETNS_ETC)] : []),
    ]);
  }
}
