// Nemeses that act through the client API or the link policies rather than on processes:
//   transfer-leader  moveLeader to a random follower (recorded at start and at end, with the
//                    outcome: the server may refuse, e.g. while a transfer is in progress);
//   delay            every link delayed (with jitter) and lossy (probabilistic data-message
//                    drop) for the hold time (recorded as start-delay/stop-delay);
//   gray-leader      a gray failure: the leader's outgoing peer links are slow and drop half
//                    their data messages, while it stays up and hears its followers (recorded
//                    as start-delay/stop-delay, kind gray-leader, with the member); pinned on
//                    the member that led at the start, so a deposed leader frees the cluster;
//   gray-follower    the same fault on a follower: what the cluster would run like had the
//                    gray leader been deposed (the comparison point for that decision);
//   compact          compacts the store at a recent revision (not a fault: watchers and
//                    old-revision reads must cope): one instantaneous `compact` history entry
//                    with the outcome (a timed-out compaction may still have happened), also
//                    listed in the run's events for the report.

import { LEADER_WAIT_ELECTIONS, type ActiveFault, type Nemesis, type NemesisContext } from './types.js';

const CALL_TIMEOUT_MS = 5_000;

const transferLeader: Nemesis = {
  name: 'transfer-leader',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const leader = await ctx.cluster.leaderWithin(ctx.cluster.electionTimeoutMs * LEADER_WAIT_ELECTIONS);
    if (leader === null) return null;
    const targets = ctx.cluster.runningNames().filter((n) => n !== leader);
    if (targets.length === 0) return null;
    const to = ctx.rng.pick(targets);
    ctx.recorder.nemesis('transfer-leader', { phase: 'start', from: leader, to });
    let outcome: string;
    try {
      const c = await ctx.cluster.adminClient();
      await c.moveLeader(ctx.cluster.idOf(to), { timeoutMs: CALL_TIMEOUT_MS });
      outcome = 'ok';
    } catch (err) {
      outcome = `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`;
    }
    ctx.recorder.nemesis('transfer-leader', { phase: 'end', from: leader, to, outcome });
    ctx.log(`transfer leader ${leader} → ${to}: ${outcome}`);
    return { stop: async () => undefined };
  },
};

const delay: Nemesis = {
  name: 'delay',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const names = ctx.cluster.names;
    const delayMs = ctx.rng.between(10, 150);
    const jitterMs = ctx.rng.between(0, 100);
    const dropProbability = Math.round(ctx.rng.next() * 20) / 100;
    for (const a of names) for (const b of names) if (a !== b) ctx.cluster.net.update(a, b, { delayMs, jitterMs, dropProbability });
    ctx.recorder.nemesis('start-delay', { kind: 'delay', delayMs, jitterMs, dropProbability });
    ctx.log(`links delayed ${delayMs}+${jitterMs} ms, drop ${dropProbability}`);
    return {
      stop: async () => {
        for (const a of names) for (const b of names) if (a !== b) ctx.cluster.net.update(a, b, { delayMs: 0, jitterMs: 0, dropProbability: 0 });
        ctx.recorder.nemesis('stop-delay', { kind: 'delay' });
      },
    };
  },
};

/** The gray leader's outgoing links: each message waits this long plus up to the jitter, and half are lost. */
export const GRAY_DELAY_MS = 100;
export const GRAY_JITTER_MS = 100;
export const GRAY_DROP_PROBABILITY = 0.5;

/** Makes one member gray: its outgoing peer links slow and lossy until the fault stops. */
function grayMember(role: 'leader' | 'follower'): Nemesis {
  const kind = role === 'leader' ? 'gray-leader' : 'gray-follower';
  return {
    name: kind,
    async start(ctx: NemesisContext): Promise<ActiveFault | null> {
      const leader = await ctx.cluster.leaderWithin(ctx.cluster.electionTimeoutMs * LEADER_WAIT_ELECTIONS);
      if (leader === null) return null;
      const followers = ctx.cluster.runningNames().filter((n) => n !== leader);
      const node = role === 'leader' ? leader : followers.length === 0 ? null : ctx.rng.pick(followers);
      if (node === null) return null;
      const peers = ctx.cluster.names.filter((n) => n !== node);
      const policy = { delayMs: GRAY_DELAY_MS, jitterMs: GRAY_JITTER_MS, dropProbability: GRAY_DROP_PROBABILITY };
      for (const to of peers) ctx.cluster.net.update(node, to, policy);
      ctx.recorder.nemesis('start-delay', { kind, node, ...policy });
      ctx.log(`${kind} ${node}: its links to ${peers.join(' ')} delayed ${GRAY_DELAY_MS}+${GRAY_JITTER_MS} ms, drop ${GRAY_DROP_PROBABILITY}`);
      return {
        stop: async () => {
          for (const to of peers) ctx.cluster.net.update(node, to, { delayMs: 0, jitterMs: 0, dropProbability: 0 });
          ctx.recorder.nemesis('stop-delay', { kind, node });
        },
      };
    },
  };
}

const compact: Nemesis = {
  name: 'compact',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    let revision: number;
    try {
      const c = await ctx.cluster.adminClient();
      const { header } = await c.get('\0', { countOnly: true, timeoutMs: CALL_TIMEOUT_MS });
      revision = Math.max(1, header.revision - ctx.rng.between(0, 50));
    } catch (err) {
      ctx.log(`compact: no revision to compact at: ${(err as Error).message}`);
      return null;
    }
    let outcome: string;
    try {
      const c = await ctx.cluster.adminClient();
      await c.compact(revision, { timeoutMs: CALL_TIMEOUT_MS });
      outcome = 'ok';
    } catch (err) {
      outcome = `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`;
    }
    ctx.recorder.nemesis('compact', { revision, outcome });
    ctx.events.push({ timeNs: ctx.recorder.clock.nowNs(), kind: 'compact', value: { revision, outcome } });
    ctx.log(`compact at revision ${revision}: ${outcome}`);
    return { stop: async () => undefined };
  },
};

export const clusterOpNemeses: readonly Nemesis[] = [transferLeader, delay, grayMember('leader'), grayMember('follower'), compact];
