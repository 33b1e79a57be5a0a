// The target of a fault that needs a whole cluster and hits one follower (corrupt,
// blackhole-snapshot): every member running, at least 3, a leader within a few election
// timeouts, and one of its followers picked by the run's RNG.
import { LEADER_WAIT_ELECTIONS, type NemesisContext } from './types.js';

/** The leader and a follower to fault, or null when the fault does not apply now. */
export async function pickFollowerOfWholeCluster(ctx: NemesisContext): Promise<{ readonly leader: string; readonly node: string } | null> {
  const cluster = ctx.cluster;
  if (cluster.runningNames().length !== cluster.names.length || cluster.names.length < 3) return null;
  const leader = await cluster.leaderWithin(cluster.electionTimeoutMs * LEADER_WAIT_ELECTIONS);
  const followers = cluster.names.filter((n) => n !== leader);
  if (leader === null || followers.length === 0) return null;
  return { leader, node: ctx.rng.pick(followers) };
}
