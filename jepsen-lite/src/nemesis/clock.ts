// Clock nemesis: the leader's wall clock jumps (back or forward, seconds to minutes) or runs
// slow or fast (member-clocks.ts, libfaketime), while the leader is cut off from its peers for
// the hold. The cut is what makes the clock matter: a leader serving lease reads (--server-env
// KITE_LEASE_READS=true) must stop once its lease could have run out, because the others elect
// a new leader and commit writes it cannot see. Kite times leases in ticks of the monotonic
// clock, which libfaketime leaves real here, so a healthy build serves no stale read; a build
// that timed them on the wall clock (the server's KITE_MUTANT=wall-clock-ticks) keeps its lease
// through a backward jump or a slow clock and serves stale reads the linearizability checker
// flags. Recorded as start-clock/stop-clock with the member, the skew and the cut.

import { TRUE_CLOCK, type ClockSkew } from '../cluster/member-clocks.js';
import type { Rng } from '../util/rng.js';
import { isolate } from './partition.js';
import { LEADER_WAIT_ELECTIONS, type ActiveFault, type Nemesis, type NemesisContext } from './types.js';

export type ClockSkewKind = 'jump-back' | 'jump-forward' | 'slow' | 'fast';
const KINDS: readonly ClockSkewKind[] = ['jump-back', 'jump-forward', 'slow', 'fast'];

/** A jump moves the clock by this many seconds at least and at most. */
export const CLOCK_JUMP_SECONDS: readonly [number, number] = [10, 300];

/** One skew of the given kind, drawn from the run's stream. */
export function drawSkew(kind: ClockSkewKind, rng: Rng): ClockSkew {
  switch (kind) {
    case 'jump-back':
      return { offsetSeconds: -rng.between(...CLOCK_JUMP_SECONDS), rate: 1 };
    case 'jump-forward':
      return { offsetSeconds: rng.between(...CLOCK_JUMP_SECONDS), rate: 1 };
    case 'slow':
      return { offsetSeconds: 0, rate: rng.between(10, 50) / 100 };
    case 'fast':
      return { offsetSeconds: 0, rate: rng.between(200, 500) / 100 };
  }
}

export const clockNemesis: Nemesis = {
  name: 'clock',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const clocks = ctx.cluster.clocks;
    if (clocks === null) throw new Error('the members run on the true clock (the runner enables fake clocks when the clock nemesis is listed)');
    const leader = await ctx.cluster.leaderWithin(ctx.cluster.electionTimeoutMs * LEADER_WAIT_ELECTIONS);
    if (leader === null) return null;
    const kind = ctx.rng.pick(KINDS);
    const skew = drawSkew(kind, ctx.rng);
    clocks.set(leader, skew);
    const cut = isolate(leader, ctx.cluster.names);
    ctx.cluster.net.block(cut);
    ctx.recorder.nemesis('start-clock', { node: leader, kind, ...skew, blocked: cut.map(([a, b]) => [a, b]) });
    ctx.log(`clock ${kind} on leader ${leader} (offset ${skew.offsetSeconds} s, rate ${skew.rate}), cut off from its peers`);
    return {
      stop: async () => {
        ctx.cluster.net.block([]);
        clocks.set(leader, TRUE_CLOCK);
        ctx.recorder.nemesis('stop-clock', { node: leader });
        ctx.log(`clock of ${leader} true again, links open`);
      },
    };
  },
};
