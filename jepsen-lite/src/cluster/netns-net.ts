// The network of a `--net netns` run: each member in its own Linux network namespace with its
// own address, joined by a veth pair to a bridge the run makes in the harness's namespace
// (which holds the bridge's address, so the harness's clients reach members directly at
// theirs). Faults are made by the kernel, so real TCP meets them (retransmits, half-open
// connections, resets after a heal):
//   - a blocked directed pair from → to is an iptables DROP of packets from `from`'s address
//     in `to`'s namespace (INPUT), so a one-way cut loses data and ACKs alike in that direction;
//   - a loss probability is the same rule with `-m statistic --mode random`;
//   - a delay (with jitter) is tc netem on `from`'s eth0, one htb class per destination picked
//     by a u32 filter on the destination address, so only that peer's traffic waits.
// Each namespace's rules are replaced whole (iptables-restore, tc -batch) when they change.
// Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN), iproute2 and iptables (installed on first use);
// a kernel without netem refuses delays with a NetnsCapabilityError naming the option.
// Invariant: destroy() removes, by name, exactly what create() made (veths, namespaces,
// bridge), even after a failure half-way, and is safe to call twice; every command is bounded.

import { installDebianPackage } from './debian-package.js';
import { commandWorks, runCommand as run, undoAll } from './system-command.js';
import { PolicyTable, type DirectionPolicy, type LinkFaults } from '../proxy/policy.js';

/** The run's private range: the bridge is .1, member i is .(11 + i). */
export const NETNS_SUBNET = '10.77.0';
const BRIDGE_ADDRESS = `${NETNS_SUBNET}.1`;
const MEMBER_HOST_BASE = 11;
/** Members in one run (addresses .11 … .(11 + max - 1)). */
export const NETNS_MEMBERS_MAX = 32;
/** htb handles per destination start here (1:1 is the default, unshaped class). */
const CLASS_BASE = 10;

export class NetnsCapabilityError extends Error {
  readonly code = 'NetnsCapabilityError';
}

/** What a run created, by name (written into results.json; the test checks it is all gone). */
export interface NetnsLayout {
  readonly bridge: string;
  readonly bridgeAddress: string;
  readonly namespaces: Readonly<Record<string, string>>;
  readonly addresses: Readonly<Record<string, string>>;
  readonly veths: readonly string[];
}

/** Root, iproute2 and iptables, or a NetnsCapabilityError saying which is missing. */
export function ensureNetnsTools(): void {
  if (process.getuid?.() !== 0) throw new NetnsCapabilityError('--net netns needs root (network namespaces, veths and iptables need CAP_SYS_ADMIN and CAP_NET_ADMIN)');
  if (!commandWorks('ip', '-V')) installDebianPackage('iproute2');
  if (!commandWorks('iptables-restore', '--version')) installDebianPackage('iptables');
}

/** Layout names for the members of a run tagged `tag` (interface names are at most 15 bytes). */
export function netnsLayout(tag: string, names: readonly string[]): NetnsLayout {
  if (!/^[a-z0-9]{1,6}$/.test(tag)) throw new RangeError(`netns tag must be 1-6 of [a-z0-9], got ${JSON.stringify(tag)}`);
  if (names.length > NETNS_MEMBERS_MAX) throw new RangeError(`--net netns supports at most ${NETNS_MEMBERS_MAX} members`);
  for (const n of names) if (!/^[a-z0-9]{1,4}$/.test(n)) throw new RangeError(`member name ${JSON.stringify(n)} does not fit an interface name`);
  return {
    bridge: `jl${tag}br`,
    bridgeAddress: BRIDGE_ADDRESS,
    namespaces: Object.fromEntries(names.map((n) => [n, `jl-${tag}-${n}`])),
    addresses: Object.fromEntries(names.map((n, i) => [n, `${NETNS_SUBNET}.${MEMBER_HOST_BASE + i}`])),
    veths: names.map((n) => `jl${tag}${n}`),
  };
}

/** The iptables-restore text for `to`'s namespace: drops of what its peers send it. */
export function inputRules(to: string, names: readonly string[], addresses: Readonly<Record<string, string>>, policy: (from: string, to: string) => DirectionPolicy): string {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (const from of names) {
    if (from === to) continue;
    const p = policy(from, to);
    const src = `-s ${addresses[from] as string}/32`;
    if (p.blocked) lines.push(`-A INPUT ${src} -j DROP`);
    else if (p.dropProbability > 0) lines.push(`-A INPUT ${src} -m statistic --mode random --probability ${p.dropProbability.toFixed(4)} -j DROP`);
  }
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** The `tc -batch` lines for `from`'s eth0: one netem class per delayed destination (empty: none). */
export function delayBatch(from: string, names: readonly string[], addresses: Readonly<Record<string, string>>, policy: (from: string, to: string) => DirectionPolicy): string[] {
  const delayed = names.filter((to) => to !== from && policy(from, to).delayMs + policy(from, to).jitterMs > 0);
  if (delayed.length === 0) return [];
  const lines = ['qdisc replace dev eth0 root handle 1: htb default 1', 'class add dev eth0 parent 1: classid 1:1 htb rate 10gbit'];
  delayed.forEach((to, i) => {
    const p = policy(from, to);
    const cls = CLASS_BASE + i;
    lines.push(
      `class add dev eth0 parent 1: classid 1:${cls} htb rate 10gbit`,
      `qdisc add dev eth0 parent 1:${cls} handle ${cls}: netem delay ${p.delayMs}ms ${p.jitterMs}ms`,
      `filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst ${addresses[to] as string}/32 flowid 1:${cls}`,
    );
  });
  return lines;
}

export class NetnsNet implements LinkFaults {
  private readonly policies = new PolicyTable();
  /** Last rules applied per namespace (only a change is written). */
  private readonly appliedRules = new Map<string, string>();
  private readonly appliedDelays = new Map<string, string>();
  /** What exists so far, so destroy() undoes exactly that. */
  private bridgeMade = false;
  private readonly madeNamespaces: string[] = [];
  private readonly madeVeths: string[] = [];
  private netem: boolean | null = null;

  private constructor(readonly layout: NetnsLayout, readonly names: readonly string[]) {}

  /** Builds the network; on any failure removes what it made and throws. */
  static create(tag: string, names: readonly string[]): NetnsNet {
    ensureNetnsTools();
    const net = new NetnsNet(netnsLayout(tag, names), names);
    try {
      net.build();
    } catch (err) {
      const problems = net.destroy();
      throw new Error(`${(err as Error).message}${problems.length > 0 ? `\ncleanup problems: ${problems.join('; ')}` : ''}`);
    }
    return net;
  }

  private build(): void {
    const { bridge, namespaces, addresses } = this.layout;
    // Two runs on one machine would both route the range: refuse rather than cross-talk.
    const routed = run('ip', ['-4', 'route', 'show', 'match', BRIDGE_ADDRESS]).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('default'));
    if (routed.length > 0) {
      const leftovers = run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith('jl-'));
      throw new Error(`${NETNS_SUBNET}.0/24 is already routed here (${routed.join('; ')}): another --net netns run is going on${leftovers.length > 0 ? `, or an earlier one left namespaces behind (${leftovers.join(' ')}: \`ip netns del <name>\` and \`ip link del <bridge>\`)` : ''}`);
    }
    run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    this.bridgeMade = true;
    run('ip', ['addr', 'add', `${BRIDGE_ADDRESS}/24`, 'dev', bridge]);
    run('ip', ['link', 'set', bridge, 'up']);
    this.names.forEach((name, i) => {
      const ns = namespaces[name] as string;
      run('ip', ['netns', 'add', ns]);
      this.madeNamespaces.push(ns);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      const veth = this.layout.veths[i] as string;
      run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      this.madeVeths.push(veth);
      run('ip', ['link', 'set', veth, 'master', bridge, 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${addresses[name] as string}/24`, 'dev', 'eth0']);
      run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    });
  }

  /** argv prefix that runs a program inside `name`'s namespace (`ip netns exec` execs: same pid). */
  execPrefix(name: string): string[] {
    return ['ip', 'netns', 'exec', this.namespace(name)];
  }

  namespace(name: string): string {
    const ns = this.layout.namespaces[name];
    if (ns === undefined) throw new Error(`assertion: no namespace for ${name}`);
    return ns;
  }

  address(name: string): string {
    const a = this.layout.addresses[name];
    if (a === undefined) throw new Error(`assertion: no address for ${name}`);
    return a;
  }

  /** Whether this kernel has tc netem (probed once, on a throw-away qdisc in the first namespace). */
  netemAvailable(): boolean {
    if (this.netem === null) {
      const ns = this.namespace(this.names[0] as string);
      try {
        run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
        run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', 'lo', 'root']);
        this.netem = true;
      } catch {
        this.netem = false;
      }
    }
    return this.netem;
  }

  /** Blocks exactly these directed pairs (replacing any previous blocks; losses and delays stay). */
  block(pairs: Iterable<readonly [string, string]>): void {
    this.policies.unblockAll();
    for (const [a, b] of pairs) this.policies.update(a, b, { blocked: true });
    this.apply();
  }

  update(from: string, to: string, change: Partial<DirectionPolicy>): void {
    this.policies.update(from, to, change);
    this.apply();
  }

  /** Everything open again: no drops, no losses, no delays. */
  heal(): void {
    this.policies.clear();
    this.apply();
  }

  private apply(): void {
    const policy = (from: string, to: string): DirectionPolicy => this.policies.get(from, to);
    for (const name of this.names) {
      const ns = this.namespace(name);
      const rules = inputRules(name, this.names, this.layout.addresses, policy);
      if (this.appliedRules.get(ns) !== rules) {
        run('ip', ['netns', 'exec', ns, 'iptables-restore'], rules);
        this.appliedRules.set(ns, rules);
      }
      const batch = delayBatch(name, this.names, this.layout.addresses, policy);
      const text = batch.join('\n');
      if ((this.appliedDelays.get(ns) ?? '') === text) continue;
      if (batch.length > 0 && !this.netemAvailable()) {
        throw new NetnsCapabilityError('tc netem is not available in this kernel (CONFIG_NET_SCH_NETEM), so --net netns cannot delay links; losses and partitions work');
      }
      if (this.appliedDelays.has(ns)) run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root']);
      this.appliedDelays.delete(ns);
      if (batch.length > 0) {
        run('ip', ['netns', 'exec', ns, 'tc', '-batch', '-'], text + '\n');
        this.appliedDelays.set(ns, text);
      }
    }
  }

  /**
   * Removes what create() made (call after the members are stopped: a namespace whose
   * processes live on is only unnamed). Returns the problems met; empty when clean.
   */
  destroy(): string[] {
    const veths = this.madeVeths.splice(0);
    const namespaces = this.madeNamespaces.splice(0).reverse();
    const bridge = this.bridgeMade;
    this.bridgeMade = false;
    this.appliedRules.clear();
    this.appliedDelays.clear();
    return undoAll(
      [
        ...veths.map((veth) => () => void run('ip', ['link', 'del', veth])),
        ...namespaces.map((ns) => () => void run('ip', ['netns', 'del', ns])),
        ...(bridge ? [() => void run('ip', ['link', 'del', this.layout.bridge])] : []),
      ],
      // Deleting a namespace takes its veth pair with it.
      (message) => message.includes('Cannot find device'),
    );
  }
}
