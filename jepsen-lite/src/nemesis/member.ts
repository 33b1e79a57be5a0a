// Member remove and re-add. Start: remove a running follower through the API (it stops itself
// once it applies its own removal; we kill it by pid if it does not), and wipe its data
// directory. Stop: add it back under the same name and proxy URL (the server gives it a new
// id: removed ids are never reused) and start it with --initial-cluster-state existing, so it
// joins by fetching the member list and then receives a snapshot from the leader.
// Only when every member is running (removing one while another is down could cost quorum).

import { rmSync } from 'node:fs';
import { sleep } from '../util/time.js';
import { LEADER_WAIT_ELECTIONS, type ActiveFault, type Nemesis, type NemesisContext } from './types.js';

const CALL_TIMEOUT_MS = 10_000;
/** How long a removed member gets to notice and exit by itself. */
const SELF_STOP_MS_MAX = 5_000;
const POLL_MS = 100;

export const memberNemesis: Nemesis = {
  name: 'member',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const cluster = ctx.cluster;
    if (cluster.runningNames().length !== cluster.names.length || cluster.names.length < 3) return null;
    const leader = await cluster.leaderWithin(cluster.electionTimeoutMs * LEADER_WAIT_ELECTIONS);
    const candidates = cluster.names.filter((n) => n !== leader);
    if (leader === null || candidates.length === 0) return null;
    const node = ctx.rng.pick(candidates);
    const oldId = cluster.idOf(node);
    const admin = await cluster.adminClient();
    try {
      await admin.members.remove(oldId, { timeoutMs: CALL_TIMEOUT_MS });
    } catch (err) {
      ctx.log(`member remove ${node} failed: ${(err as Error).message}`);
      return null;
    }
    cluster.removed.add(node);
    ctx.recorder.nemesis('remove-member', { node, id: oldId });
    ctx.log(`removed member ${node} (${oldId})`);
    const proc = cluster.process(node);
    for (let waited = 0; proc.alive && waited < SELF_STOP_MS_MAX; waited += POLL_MS) await sleep(POLL_MS);
    await proc.kill9();
    rmSync(cluster.member(node).dataDir, { recursive: true, force: true });
    return { stop: () => readd(ctx, node, oldId) };
  },
};

/** Adds a removed member back under its name and URL, with a new id, and starts it to join. */
export async function readd(ctx: NemesisContext, node: string, oldId: string): Promise<void> {
  const cluster = ctx.cluster;
  const admin = await cluster.adminClient();
  const url = cluster.advertisedPeerUrl(node);
  let lastError = '';
  // The add is a config change; one may still be in flight (the removal), so retry briefly.
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const { member } = await admin.members.add([url], { timeoutMs: CALL_TIMEOUT_MS });
      cluster.replaceMemberId(oldId, member.id, node);
      cluster.process(node).start(['--initial-cluster-state', 'existing']);
      cluster.removed.delete(node);
      ctx.recorder.nemesis('add-member', { node, id: member.id });
      ctx.log(`re-added member ${node} as ${member.id}`);
      return;
    } catch (err) {
      lastError = (err as Error).message;
      await sleep(500);
    }
  }
  cluster.removed.add(node);
  ctx.recorder.nemesis('add-member', { node, id: null, error: lastError });
  ctx.log(`re-adding ${node} failed: ${lastError}`);
}
