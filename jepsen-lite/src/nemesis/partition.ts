// Partition nemeses: compute a set of blocked directed pairs from the current members (and
// leader), apply it on the proxy, record start-partition with the grid, and on stop unblock
// everything and record stop-partition. Shapes (Jepsen's vocabulary):
//   leader    the leader alone on one side;
//   random    a random minority and majority;
//   ring      (5+ members) each member reaches its two ring neighbours only: every member
//             sees a majority, no two majorities are the same;
//   bridge    two halves that can only talk through one bridge member;
//   one-way   the leader's outgoing data to the others is lost while theirs reaches it (or,
//             with no leader known, a random member's).

import type { Rng } from '../util/rng.js';
import { LEADER_WAIT_ELECTIONS, type ActiveFault, type Nemesis, type NemesisContext, type NemesisName } from './types.js';

export type Pair = readonly [string, string];

/** Every directed pair between the two sides (both directions). */
export function cutBetween(a: readonly string[], b: readonly string[]): Pair[] {
  const out: Pair[] = [];
  for (const x of a) for (const y of b) out.push([x, y], [y, x]);
  return out;
}

export function isolate(node: string, all: readonly string[]): Pair[] {
  return cutBetween([node], all.filter((n) => n !== node));
}

export function randomHalves(all: readonly string[], rng: Rng): Pair[] {
  const shuffled = rng.shuffle(all);
  const minority = shuffled.slice(0, Math.floor((all.length - 1) / 2) || 1);
  return cutBetween(minority, shuffled.filter((n) => !minority.includes(n)));
}

/** Members on a ring (shuffled order); each keeps links to its two neighbours only. */
export function majoritiesRing(all: readonly string[], rng: Rng): Pair[] {
  const ring = rng.shuffle(all);
  const n = ring.length;
  const out: Pair[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = Math.min((i - j + n) % n, (j - i + n) % n);
      if (d > 1) out.push([ring[i] as string, ring[j] as string]);
    }
  }
  return out;
}

/** Two halves joined by one bridge member that talks to both. */
export function bridge(all: readonly string[], rng: Rng): Pair[] {
  const shuffled = rng.shuffle(all);
  const bridgeNode = shuffled[0] as string;
  const rest = shuffled.slice(1);
  const half = Math.ceil(rest.length / 2);
  return cutBetween(rest.slice(0, half), rest.slice(half)).filter(([a, b]) => a !== bridgeNode && b !== bridgeNode);
}

export function oneWayFrom(node: string, all: readonly string[]): Pair[] {
  return all.filter((n) => n !== node).map((n): Pair => [node, n]);
}

class PartitionNemesis implements Nemesis {
  constructor(
    readonly name: NemesisName,
    private readonly plan: (ctx: NemesisContext, leader: string | null) => { pairs: Pair[]; description: string } | null,
    private readonly needsLeader: boolean,
  ) {}

  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const leader = this.needsLeader ? await ctx.cluster.leaderWithin(ctx.cluster.electionTimeoutMs * LEADER_WAIT_ELECTIONS) : null;
    if (this.needsLeader && leader === null) return null;
    const planned = this.plan(ctx, leader);
    if (planned === null) return null;
    const { pairs, description } = planned;
    ctx.cluster.net.block(pairs);
    ctx.recorder.nemesis('start-partition', { kind: this.name, description, blocked: pairs.map(([a, b]) => [a, b]) });
    ctx.log(`partition: ${description}`);
    return {
      stop: async () => {
        ctx.cluster.net.block([]);
        ctx.recorder.nemesis('stop-partition', { kind: this.name });
      },
    };
  }
}

const others = (all: readonly string[], x: string): string[] => all.filter((n) => n !== x);

export const partitionNemeses: readonly Nemesis[] = [
  new PartitionNemesis('partition-leader', (ctx, leader) => {
    const l = leader as string;
    return { pairs: isolate(l, ctx.cluster.names), description: `leader ${l} | ${others(ctx.cluster.names, l).join(' ')}` };
  }, true),
  new PartitionNemesis('partition-random', (ctx) => {
    const pairs = randomHalves(ctx.cluster.names, ctx.rng);
    return { pairs, description: describeCut(pairs, ctx.cluster.names) };
  }, false),
  new PartitionNemesis('partition-ring', (ctx) => {
    if (ctx.cluster.names.length < 5) return null;
    const pairs = majoritiesRing(ctx.cluster.names, ctx.rng);
    return { pairs, description: `majorities ring; cut ${pairs.length / 2} links` };
  }, false),
  new PartitionNemesis('partition-bridge', (ctx) => {
    const pairs = bridge(ctx.cluster.names, ctx.rng);
    return { pairs, description: `bridge; cut ${pairs.map(([a, b]) => `${a}-${b}`).filter((_, i) => i % 2 === 0).join(' ')}` };
  }, false),
  new PartitionNemesis('partition-one-way', (ctx, leader) => {
    const l = leader as string;
    return { pairs: oneWayFrom(l, ctx.cluster.names), description: `one-way: ${l} → others lost, others → ${l} pass` };
  }, true),
];

function describeCut(pairs: readonly Pair[], all: readonly string[]): string {
  const first = pairs[0];
  if (first === undefined) return 'no cut';
  const side = all.filter((n) => n === first[0] || !pairs.some(([a, b]) => a === first[0] && b === n));
  return `${side.join(' ')} | ${all.filter((n) => !side.includes(n)).join(' ')}`;
}
