// Client-link nemeses: faults between the workload's clients and the members, on the proxy's
// client routes (the run routes clients through the proxy when one of these is listed):
//   client-partition  clients cannot reach a random minority of members (connections closed,
//                     new ones refused): clients must fail over, watchers resume elsewhere;
//   client-delay      every client link slow and jittery, and with a small probability per
//                     message the connection is reset (both ways): a request or answer lost
//                     that way leaves an indeterminate result that retries must not turn into
//                     a double effect, and a watch must resume where it was. Not a silent loss
//                     of one message on a link that lives on: no TCP stream does that, and no
//                     client could notice it (a watch would silently skip events);
//   client-one-way    one member's answers to clients are lost while requests still reach it:
//                     writes take effect unacknowledged (indeterminate), its watch streams go
//                     silent (a watcher must notice and resume, not report a gap).
// Recorded as start-partition/stop-partition or start-delay/stop-delay with kind client-*.
// Peer links are never touched here.

import { CLIENT } from '../proxy/link-proxy.js';
import type { Pair } from './partition.js';
import { type ActiveFault, type Nemesis, type NemesisContext } from './types.js';

const OPEN = { delayMs: 0, jitterMs: 0, dropProbability: 0, resetProbability: 0 };

/** Both directions between the clients and each member of `nodes`. */
export function clientCut(nodes: readonly string[]): Pair[] {
  return nodes.flatMap((n): Pair[] => [[CLIENT, n], [n, CLIENT]]);
}

function requireClientRoutes(ctx: NemesisContext): void {
  if (ctx.cluster.opts.clientProxy !== true) throw new Error('clients do not go through the proxy (the runner routes them when a client-* nemesis is listed)');
}

const clientPartition: Nemesis = {
  name: 'client-partition',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    requireClientRoutes(ctx);
    const names = ctx.cluster.names;
    const nodes = ctx.rng.shuffle(names).slice(0, Math.max(1, Math.floor((names.length - 1) / 2)));
    const pairs = clientCut(nodes);
    ctx.cluster.proxy.block(pairs);
    ctx.recorder.nemesis('start-partition', { kind: 'client-partition', description: `clients | ${nodes.join(' ')}`, blocked: pairs.map(([a, b]) => [a, b]) });
    ctx.log(`clients cut off from ${nodes.join(' ')}`);
    return {
      stop: async () => {
        ctx.cluster.proxy.block([]);
        ctx.recorder.nemesis('stop-partition', { kind: 'client-partition' });
      },
    };
  },
};

const clientDelay: Nemesis = {
  name: 'client-delay',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    requireClientRoutes(ctx);
    const names = ctx.cluster.names;
    const delayMs = ctx.rng.between(20, 300);
    const jitterMs = ctx.rng.between(0, 200);
    const resetProbability = ctx.rng.between(0, 10) / 100;
    for (const n of names) {
      ctx.cluster.proxy.update(CLIENT, n, { delayMs, jitterMs, resetProbability });
      ctx.cluster.proxy.update(n, CLIENT, { delayMs, jitterMs, resetProbability });
    }
    ctx.recorder.nemesis('start-delay', { kind: 'client-delay', delayMs, jitterMs, resetProbability });
    ctx.log(`client links delayed ${delayMs}+${jitterMs} ms, reset per message ${resetProbability}`);
    return {
      stop: async () => {
        for (const n of names) {
          ctx.cluster.proxy.update(CLIENT, n, OPEN);
          ctx.cluster.proxy.update(n, CLIENT, OPEN);
        }
        ctx.recorder.nemesis('stop-delay', { kind: 'client-delay' });
      },
    };
  },
};

const clientOneWay: Nemesis = {
  name: 'client-one-way',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    requireClientRoutes(ctx);
    const node = ctx.rng.pick(ctx.cluster.names);
    const pairs: Pair[] = [[node, CLIENT]];
    ctx.cluster.proxy.block(pairs);
    ctx.recorder.nemesis('start-partition', { kind: 'client-one-way', description: `${node} → clients lost, clients → ${node} pass`, blocked: pairs.map(([a, b]) => [a, b]) });
    ctx.log(`client one-way: ${node}'s answers to clients lost`);
    return {
      stop: async () => {
        ctx.cluster.proxy.block([]);
        ctx.recorder.nemesis('stop-partition', { kind: 'client-one-way' });
      },
    };
  },
};

export const clientLinkNemeses: readonly Nemesis[] = [clientPartition, clientDelay, clientOneWay];
