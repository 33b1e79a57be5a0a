// What happens to traffic in one direction of one member pair (from → to). The proxy looks the
// policy up for every frame, so a nemesis's change applies to links already open.

export interface DirectionPolicy {
  /** Data frames from → to are dropped (control frames still pass). */
  readonly blocked: boolean;
  /** Every frame waits this long plus a uniform jitter in [0, jitterMs]; order is kept. */
  readonly delayMs: number;
  readonly jitterMs: number;
  /**
   * Probability that a data message is dropped while the connection stays up. Only for links
   * whose protocol tolerates lost messages (Raft's peer links); a client's stream has no way to
   * notice one (a real TCP stream never loses a message and lives on), so client links lose
   * messages by reset instead.
   */
  readonly dropProbability: number;
  /** Probability that a data message resets the whole connection instead of passing (both directions closed). */
  readonly resetProbability: number;
}

export const OPEN_POLICY: DirectionPolicy = { blocked: false, delayMs: 0, jitterMs: 0, dropProbability: 0, resetProbability: 0 };

export const pairKey = (from: string, to: string): string => `${from}>${to}`;

/** Policies per directed pair; absent pairs are open. */
export class PolicyTable {
  private readonly policies = new Map<string, DirectionPolicy>();

  get(from: string, to: string): DirectionPolicy {
    return this.policies.get(pairKey(from, to)) ?? OPEN_POLICY;
  }

  update(from: string, to: string, change: Partial<DirectionPolicy>): void {
    this.policies.set(pairKey(from, to), { ...this.get(from, to), ...change });
  }

  /** Both directions blocked: the pair is cut, so its connections are closed and refused. */
  isCut(a: string, b: string): boolean {
    return this.get(a, b).blocked && this.get(b, a).blocked;
  }

  /** Removes blocks only (delays stay). */
  unblockAll(): void {
    for (const [k, p] of this.policies) this.policies.set(k, { ...p, blocked: false });
  }

  clear(): void {
    this.policies.clear();
  }

  snapshot(): Record<string, DirectionPolicy> {
    return Object.fromEntries(this.policies);
  }
}

/**
 * The link faults a nemesis can set, whoever makes them: the LinkProxy (frames on 127.0.0.1)
 * or the kernel in a --net netns run (cluster/netns-net.ts: iptables and tc netem).
 */
export interface LinkFaults {
  /** Blocks exactly these directed pairs (replacing any previous blocks). */
  block(pairs: Iterable<readonly [string, string]>): void;
  update(from: string, to: string, change: Partial<DirectionPolicy>): void;
  /** Everything open again: no blocks, no delays, no drops. */
  heal(): void;
}
