// Waits (bounded) until the members of a plan agree there is a leader, polling /status.
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchStatus, type MemberStatus } from '../member-status.js';
import { clientTlsOf } from './cluster-tls.js';
import type { ClusterPlan } from './layout.js';

export const LEADER_WAIT_MS = 30_000;
const POLL_MS = 200;

export interface LeaderFound {
  readonly leader: MemberStatus;
  readonly statuses: readonly (MemberStatus | null)[];
}

export async function pollStatuses(plan: ClusterPlan): Promise<(MemberStatus | null)[]> {
  const tls = clientTlsOf(plan);
  return Promise.all(plan.members.map((m) => fetchStatus(m.endpoint, undefined, tls).catch(() => null)));
}

/**
 * Resolves with the leader's status once one member says it leads and a majority of members
 * answer; null after boundMs, or as soon as `abort()` says to stop (a member died).
 */
export async function waitForLeader(plan: ClusterPlan, boundMs = LEADER_WAIT_MS, abort: () => boolean = () => false): Promise<LeaderFound | null> {
  const majority = Math.floor(plan.members.length / 2) + 1;
  for (let waited = 0; waited <= boundMs && !abort(); waited += POLL_MS) {
    const statuses = await pollStatuses(plan);
    const up = statuses.filter((s): s is MemberStatus => s !== null);
    const leader = up.find((s) => s.isLeader);
    if (leader !== undefined && up.length >= majority) return { leader, statuses };
    await sleep(POLL_MS);
  }
  return null;
}
